"""``POST /v1/chat/completions``: a rule-based model behind new-api's wire format (protocol.md §4).

The "model" understands nothing. It echoes the user, calls tools with arguments synthesised from
their schemas (tools whose names the request mentions, else the best word match), answers after
tool results by quoting them, and fills ``response_format`` schemas. Relay quirks are switched
on with model markers (``+noindex``, ``+think-tags`` ...; see :data:`MARKERS`).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from .answer import Answer, ToolCallPlan, count_tokens, reasoning_style, usage_dict, words
from .chat_stream import stream_body
from .envelopes import openai_error
from .media.chat_media import chat_media_response
from .models import ModelRef, check_model, split_model
from .switches import switch_refusal, thinks
from .synth import NumberPool, synthesize

MARKERS = {
    "reasoning-content": "reasoning in `reasoning_content` (DeepSeek style)",
    "reasoning-field": "reasoning in `reasoning` (OpenRouter style)",
    "think-tags": "reasoning as <think>…</think> inside content, tags split across chunks",
    "noindex": "streamed tool calls without `index`",
    "repeat-ids": "every tool-call fragment repeats id, type and name",
    "args-object": "tool-call arguments sent as a JSON object, not a string",
    "two-calls-one-chunk": "two complete tool calls in one chunk",
    "bad-args": "tool-call arguments that are not valid JSON",
    "usage-every-chunk": "cumulative usage on every chunk",
    "usage-in-choice": "usage inside choices[0] (Moonshot / Kimi), also on the last chunk",
    "no-usage": "no usage at all",
    "chatfire": "ChatfireAPI style chunks: null fields, a new id per chunk, usage null",
    "ping": "`: PING` keep-alive comments between chunks",
    "no-finish": "the stream ends with [DONE] but no finish_reason",
    "reject-<param>": "400 when the request carries <param>",
    "refuse": "the model declines: message.refusal (delta.refusal in streams), no content",
    "filtered": "a content filter withholds the answer: finish_reason content_filter, no content",
}
_REFUSAL = "I'm sorry, I can't help with that request."


async def chat_completions(request: Request) -> Response:
    try:
        body = json.loads(await request.body())
    except ValueError:
        return openai_error(request, 400, "invalid character in request body: not JSON",
                            code="invalid_request", type_="invalid_request_error")
    if not isinstance(body, dict):
        return openai_error(request, 400, "request body must be a JSON object",
                            code="invalid_request", type_="invalid_request_error")
    refused = check_model(request, body.get("model"))
    if refused is not None:
        return refused
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return openai_error(request, 400, "field messages is required", code="invalid_request",
                            type_="invalid_request_error", param="messages")
    ref = split_model(body["model"])
    problem = _refusal(request, body, ref)
    if problem is not None:
        return problem
    media = _chat_media(request, body, ref)
    if media is not None:
        return media
    answers = [plan_answer(body, ref, choice) for choice in range(_choices(body))]
    if body.get("stream"):
        include_usage = (body.get("stream_options") or {}).get("include_usage", True)
        state = request.app.state.emulator
        generator = stream_body(request, body["model"], ref, answers[0],
                                include_usage=include_usage is not False,
                                fault=request.scope.get("state", {}).get("stream_fault"),
                                ping_interval=state.ping_interval)
        return StreamingResponse(generator, media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache",
                                          "X-Accel-Buffering": "no"})
    return JSONResponse(completion_body(body["model"], ref, answers))


def _choices(body: dict[str, Any]) -> int:
    n = body.get("n")
    return n if isinstance(n, int) and 1 <= n <= 8 else 1


def _refusal(request: Request, body: dict[str, Any], ref: ModelRef) -> Response | None:
    for marker in sorted(ref.markers):
        if marker.startswith("reject-") and marker[7:] in body:
            param = marker[7:]
            return openai_error(request, 400, f"Unrecognized request argument supplied: {param}",
                                code=None, type_="invalid_request_error", param=param)
    refused = switch_refusal(request, body, ref.spec)
    if refused is not None:
        return refused
    bad = _bad_part(body["messages"])
    if bad is not None:
        return openai_error(request, 400, f"Invalid content: {bad}", code="invalid_value",
                            type_="invalid_request_error", param="messages")
    spec = ref.spec
    if spec is not None and spec.needs_reasoning_back and body.get("tools"):
        for index, message in enumerate(body["messages"]):
            if (isinstance(message, dict) and message.get("role") == "assistant"
                    and message.get("tool_calls") and "reasoning_content" not in message):
                return openai_error(
                    request, 400, "Missing `reasoning_content` field in the assistant message "
                    f"at message index {index}. For more information, please refer to the "
                    "thinking mode documentation.", code="invalid_request_error",
                    type_="invalid_request_error")
    return None


# What each non-text content part must carry (OpenAI's chat format, as new-api relays it).
_PART_FIELDS = {
    "image_url": ("image_url", ("url",)),
    "input_audio": ("input_audio", ("data", "format")),
    "video_url": ("video_url", ("url",)),
    "file": ("file", ()),
}


def _bad_part(messages: list[Any]) -> str | None:
    for index, message in enumerate(messages):
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            continue
        for part in content:
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text":
                if not isinstance(part.get("text"), str):
                    return f"messages[{index}]: a text part needs a string 'text'"
                continue
            if kind not in _PART_FIELDS:
                return f"messages[{index}]: unknown content part type {kind!r}"
            key, required = _PART_FIELDS[kind]
            inner = part.get(key)
            if not isinstance(inner, dict) or any(not inner.get(f) for f in required):
                return f"messages[{index}]: a {kind} part needs {key}.{{{', '.join(required)}}}"
            if kind == "file" and not (inner.get("file_data") or inner.get("file_id")):
                return f"messages[{index}]: a file part needs file.file_data or file.file_id"
    return None


def _chat_media(request: Request, body: dict[str, Any], ref: ModelRef) -> Response | None:
    spec = ref.spec
    if spec is None:
        return None
    if "openai-video" in spec.endpoint_types:
        return chat_media_response(request, body, ref)
    if "image-generation" in spec.endpoint_types and "openai" in spec.endpoint_types:
        return chat_media_response(request, body, ref, kind="image")
    return None


# ---------------------------------------------------------------- the "model"


def text_of(content: Any) -> str:
    """The text of a message's content (string or parts); other parts are ignored."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content
                        if isinstance(p, dict) and p.get("type") == "text").strip()
    return ""


def _last_user_text(messages: list[Any]) -> str:
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return text_of(message.get("content"))
    return ""


def plan_answer(body: dict[str, Any], ref: ModelRef, choice: int = 0) -> Answer:
    messages = [m for m in body["messages"] if isinstance(m, dict)]
    user_text = _last_user_text(messages)
    answer = Answer(prompt_tokens=sum(count_tokens(text_of(m.get("content"))) + 3
                                      for m in messages) or 1)
    last = messages[-1] if messages else {}
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict)]
    wants_tools = tools and body.get("tool_choice") != "none" and last.get("role") != "tool"
    if wants_tools:
        answer.tool_calls = _plan_tool_calls(tools, body, user_text, ref)
        answer.finish_reason = "tool_calls"
        answer.content = ""
    elif last.get("role") == "tool":
        results = [text_of(m.get("content")) for m in _trailing_tool_messages(messages)]
        # a response_format binds the answer after tool results too (as OpenAI's does)
        answer.content = (_structured(body, messages, user_text)
                          or "Here is what the tools returned: " + "; ".join(results))
    else:
        answer.content = _structured(body, messages, user_text) or _echo(user_text, choice)
        answer.content += _acknowledge_attachments(last)
    style = reasoning_style(ref)
    if style and thinks(body, ref.spec):
        answer.reasoning = f"The request was: {user_text[:200]!r}. I will answer it directly."
    _apply_limits(answer, body)
    _apply_policy(answer, ref)
    return answer


def _apply_policy(answer: Answer, ref: ModelRef) -> None:
    """Model markers ``refuse`` and ``filtered``: no answer, said as OpenAI says it."""
    if "refuse" in ref.markers:
        answer.refusal, answer.content, answer.tool_calls = _REFUSAL, "", []
        answer.finish_reason = "stop"
    elif "filtered" in ref.markers:
        answer.content, answer.tool_calls, answer.finish_reason = "", [], "content_filter"


def _echo(user_text: str, choice: int) -> str:
    prefix = "Echo" if choice == 0 else f"Echo {choice + 1}"
    return f"{prefix}: {user_text}" if user_text else "Hello! How can I help you today?"


def _acknowledge_attachments(message: dict[str, Any]) -> str:
    """Vision/audio/file parts are accepted and acknowledged (counted, not understood)."""
    content = message.get("content")
    if not isinstance(content, list):
        return ""
    kinds = [p.get("type") for p in content if isinstance(p, dict) and p.get("type") != "text"]
    if not kinds:
        return ""
    counted = ", ".join(f"{kinds.count(k)} {k}" for k in dict.fromkeys(kinds))
    return f" (received {counted})"


def _trailing_tool_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    trailing: list[dict[str, Any]] = []
    for message in reversed(messages):
        if message.get("role") != "tool":
            break
        trailing.insert(0, message)
    return trailing


def _plan_tool_calls(tools: list[dict[str, Any]], body: dict[str, Any], user_text: str,
                     ref: ModelRef) -> list[ToolCallPlan]:
    functions = [t.get("function") or {} for t in tools]
    chosen = _choose_tools(functions, body.get("tool_choice"), user_text,
                           parallel=body.get("parallel_tool_calls") is not False)
    if "two-calls-one-chunk" in ref.markers and len(chosen) < 2:
        chosen = (chosen + [f for f in functions if f not in chosen] + functions)[:2]
    pool = NumberPool(user_text)
    calls = []
    for function in chosen:
        arguments: Any = synthesize(function.get("parameters") or {}, user_text, pool)
        if "bad-args" in ref.markers:
            arguments = json.dumps(arguments)[:-1] + ', "oops'
        calls.append(ToolCallPlan(id="call_" + secrets.token_hex(12),
                                  name=str(function.get("name", "tool")), arguments=arguments))
    return calls


def _choose_tools(functions: list[dict[str, Any]], tool_choice: Any, user_text: str,
                  *, parallel: bool) -> list[dict[str, Any]]:
    if isinstance(tool_choice, dict):
        wanted = (tool_choice.get("function") or {}).get("name") or tool_choice.get("name")
        named = [f for f in functions if f.get("name") == wanted]
        if named:
            return named
    user_words = set(re.findall(r"[a-z0-9]+", user_text.lower()))
    mentioned = [f for f in functions
                 if set(re.findall(r"[a-z0-9]+", str(f.get("name", "")).lower())) & user_words]
    if parallel and len(mentioned) > 1:
        return mentioned[:3]

    def overlap(function: dict[str, Any]) -> int:
        about = f"{function.get('name', '')} {function.get('description', '')}".lower()
        return len(set(re.findall(r"[a-z0-9]+", about)) & user_words)

    return [max(functions, key=overlap)]  # max keeps the first of equals


def _structured(body: dict[str, Any], messages: list[dict[str, Any]], user_text: str) -> str:
    response_format = body.get("response_format")
    if not isinstance(response_format, dict):
        return ""
    kind = response_format.get("type")
    if kind == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema") or {}
        return json.dumps(synthesize(schema, user_text), ensure_ascii=False)
    if kind == "json_object":
        schema = _schema_in_messages(messages)
        value = synthesize(schema, user_text) if schema else {"answer": user_text}
        return json.dumps(value, ensure_ascii=False)
    return ""


def _schema_in_messages(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A JSON Schema quoted in the conversation (json_mode puts it in the prompt)."""
    decoder = json.JSONDecoder()
    for message in messages:
        text = text_of(message.get("content"))
        for start in (m.start() for m in re.finditer(r"\{", text)):
            try:
                value, _ = decoder.raw_decode(text, start)
            except ValueError:
                continue
            if isinstance(value, dict) and "properties" in value:
                return value
    return None


def _apply_limits(answer: Answer, body: dict[str, Any]) -> None:
    stop = body.get("stop")
    stops = [stop] if isinstance(stop, str) else [s for s in stop or [] if isinstance(s, str)]
    for sequence in stops:
        if sequence and sequence in answer.content:
            answer.content = answer.content[: answer.content.index(sequence)]
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if isinstance(limit, int) and limit > 0 and not answer.tool_calls:
        pieces = words(answer.content)
        if len(pieces) > limit:
            answer.content = "".join(pieces[:limit]).rstrip()
            answer.finish_reason = "length"


# ---------------------------------------------------------------- non-streamed body


def completion_body(model: str, ref: ModelRef, answers: list[Answer]) -> dict[str, Any]:
    style = reasoning_style(ref)
    choices = []
    for index, answer in enumerate(answers):
        message: dict[str, Any] = {"role": "assistant", "content": answer.content or None}
        if answer.reasoning:
            if style == "think":
                message["content"] = f"<think>\n{answer.reasoning}\n</think>\n\n{answer.content}"
            else:
                message[style] = answer.reasoning
        if answer.tool_calls:
            message["tool_calls"] = [tool_call_dict(call, ref) for call in answer.tool_calls]
        if answer.refusal:
            message["refusal"] = answer.refusal
        choices.append({"index": index, "message": message,
                        "finish_reason": answer.finish_reason, "logprobs": None})
    body: dict[str, Any] = {
        "id": "chatcmpl-" + secrets.token_hex(12), "object": "chat.completion",
        "created": int(time.time()), "model": model, "choices": choices,
        "system_fingerprint": None,
    }
    if "no-usage" not in ref.markers:
        usage = usage_dict(answers[0].prompt_tokens, sum(a.completion_tokens for a in answers),
                           count_tokens(answers[0].reasoning))
        if "usage-in-choice" in ref.markers:
            choices[0]["usage"] = usage
        else:
            body["usage"] = usage
    return body


def tool_call_dict(call: ToolCallPlan, ref: ModelRef) -> dict[str, Any]:
    arguments = call.arguments
    if not isinstance(arguments, str) and "args-object" not in ref.markers:
        arguments = json.dumps(arguments, ensure_ascii=False)
    return {"id": call.id, "type": "function",
            "function": {"name": call.name, "arguments": arguments}}
