"""``POST /v1/responses``: OpenAI's Responses API as new-api relays it, answered by the same
rule-based "model" as chat (:func:`.chat.plan_answer`), in the Responses wire format.

Request: ``input`` (a string or items: messages with ``input_text``/``input_image`` parts,
``function_call`` and ``function_call_output``), ``instructions``, flat function ``tools``,
``tool_choice``, ``text.format`` (``json_schema`` / ``json_object``), ``max_output_tokens``,
``reasoning{effort, summary}``, ``stream``. Chat-only fields (``messages``, ``response_format``,
``max_tokens``, ``stop``…) are refused as OpenAI refuses them, and so are models whose channel
has no ``openai-response`` endpoint.

Answer: a ``response`` object (``output`` items ``reasoning``, ``message``, ``function_call``;
``usage`` with ``input_tokens``/``output_tokens`` and details; ``status`` ``completed`` or
``incomplete``), or, streamed, the documented event sequence ``response.created`` …
``response.completed`` with ``sequence_number``\\ s.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from .chat import Answer, count_tokens, plan_answer, reasoning_style, words
from .envelopes import openai_error
from .models import check_model, split_model

_CHAT_ONLY = ("messages", "response_format", "max_tokens", "max_completion_tokens", "stop",
              "n", "stream_options", "functions", "function_call", "logit_bias")


def _bad(request: Request, message: str, param: str | None = None) -> Response:
    return openai_error(request, 400, message, code="invalid_request",
                        type_="invalid_request_error", param=param)


def _chat_part(part: dict[str, Any]) -> dict[str, Any]:
    kind = part.get("type")
    if kind in ("input_text", "output_text", "text"):
        return {"type": "text", "text": str(part.get("text", ""))}
    if kind == "input_image":
        return {"type": "image_url", "image_url": {"url": part.get("image_url", "")}}
    return {"type": str(kind)}


def _messages(body: dict[str, Any]) -> list[dict[str, Any]] | str:
    """The conversation in the emulator's internal (chat) shape, or what is wrong with it."""
    out: list[dict[str, Any]] = []
    if isinstance(body.get("instructions"), str):
        out.append({"role": "system", "content": body["instructions"]})
    items = body.get("input")
    if isinstance(items, str):
        return [*out, {"role": "user", "content": items}]
    if not isinstance(items, list) or not items:
        return "input is required: a string or a list of input items"
    for item in items:
        if not isinstance(item, dict):
            return "every input item must be an object"
        kind = item.get("type", "message")
        if kind == "message":
            content = item.get("content")
            if isinstance(content, list):
                content = [_chat_part(p) for p in content if isinstance(p, dict)]
            out.append({"role": item.get("role", "user"), "content": content})
        elif kind == "function_call":
            out.append({"role": "assistant", "content": None, "tool_calls": [
                {"id": item.get("call_id"), "type": "function",
                 "function": {"name": item.get("name"), "arguments": item.get("arguments")}}]})
        elif kind == "function_call_output":
            if not item.get("call_id"):
                return "function_call_output needs call_id"
            out.append({"role": "tool", "tool_call_id": item["call_id"],
                        "content": str(item.get("output", ""))})
        else:
            return f"input item type {kind!r} is not supported"
    return out


def _chat_body(body: dict[str, Any], messages: list[dict[str, Any]]) -> dict[str, Any]:
    chat: dict[str, Any] = {"model": body["model"], "messages": messages}
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict)]
    if tools:
        chat["tools"] = [{"type": "function", "function": {
            k: t.get(k) for k in ("name", "description", "parameters") if k in t}}
            for t in tools if t.get("type") == "function"]
    if "tool_choice" in body:
        chat["tool_choice"] = body["tool_choice"]
    if "parallel_tool_calls" in body:
        chat["parallel_tool_calls"] = body["parallel_tool_calls"]
    fmt = (body.get("text") or {}).get("format") if isinstance(body.get("text"), dict) else None
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        chat["response_format"] = {"type": "json_schema",
                                   "json_schema": {"name": fmt.get("name"),
                                                   "schema": fmt.get("schema") or {}}}
    elif isinstance(fmt, dict) and fmt.get("type") == "json_object":
        chat["response_format"] = {"type": "json_object"}
    if isinstance(body.get("max_output_tokens"), int):
        chat["max_tokens"] = body["max_output_tokens"]
    return chat


async def responses(request: Request) -> Response:
    try:
        body = json.loads(await request.body())
    except ValueError:
        return _bad(request, "invalid character in request body: not JSON")
    if not isinstance(body, dict):
        return _bad(request, "request body must be a JSON object")
    refused = check_model(request, body.get("model"))
    if refused is not None:
        return refused
    ref = split_model(body["model"])
    if ref.spec is not None and "openai-response" not in ref.spec.endpoint_types:
        return _bad(request, f"model {ref.base} is not available on /v1/responses; use "
                    "/v1/chat/completions", "model")
    for name in _CHAT_ONLY:
        if name in body:
            return _bad(request, f"Unsupported parameter: '{name}'. In the Responses API "
                        "it is named differently or does not exist.", name)
    limit = body.get("max_output_tokens")
    if limit is not None and (not isinstance(limit, int) or limit < 16):
        return _bad(request, "max_output_tokens must be an integer of at least 16",
                    "max_output_tokens")
    messages = _messages(body)
    if isinstance(messages, str):
        return _bad(request, messages, "input")
    answer = plan_answer(_chat_body(body, messages), ref)
    reasoning = body.get("reasoning")
    if not answer.reasoning and isinstance(reasoning, dict) and reasoning.get("summary"):
        answer.reasoning = "I read the request and answer it directly."
    summary = answer.reasoning if isinstance(reasoning, dict) or reasoning_style(ref) else ""
    response = _response(body["model"], answer, summary)
    if body.get("stream"):
        return StreamingResponse(_events(response, answer, summary),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})
    return JSONResponse(response)


def _response(model: str, answer: Answer, summary: str) -> dict[str, Any]:
    output: list[dict[str, Any]] = []
    if summary:
        output.append({"type": "reasoning", "id": "rs_" + secrets.token_hex(8),
                       "summary": [{"type": "summary_text", "text": summary}]})
    if answer.content or not answer.tool_calls:
        output.append({"type": "message", "id": "msg_" + secrets.token_hex(8),
                       "status": "completed", "role": "assistant",
                       "content": [{"type": "output_text", "text": answer.content,
                                    "annotations": []}]})
    for call in answer.tool_calls:
        arguments = (call.arguments if isinstance(call.arguments, str)
                     else json.dumps(call.arguments))
        output.append({"type": "function_call", "id": "fc_" + secrets.token_hex(8),
                       "call_id": call.id, "name": call.name, "arguments": arguments,
                       "status": "completed"})
    reasoning_tokens = count_tokens(summary)
    output_tokens = answer.completion_tokens + (0 if answer.reasoning else reasoning_tokens)
    incomplete = answer.finish_reason == "length"
    return {
        "id": "resp_" + secrets.token_hex(12), "object": "response",
        "created_at": int(time.time()), "model": model,
        "status": "incomplete" if incomplete else "completed",
        "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
        "error": None, "output": output,
        "usage": {"input_tokens": answer.prompt_tokens,
                  "input_tokens_details": {"cached_tokens": 0},
                  "output_tokens": output_tokens,
                  "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
                  "total_tokens": answer.prompt_tokens + output_tokens},
    }


async def _events(response: dict[str, Any], answer: Answer, summary: str
                  ) -> AsyncIterator[str]:
    number = 0

    def event(kind: str, **fields: Any) -> str:
        nonlocal number
        number += 1
        data = {"type": kind, "sequence_number": number, **fields}
        return f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"

    shell = {**response, "status": "in_progress", "output": [], "usage": None}
    yield event("response.created", response=shell)
    yield event("response.in_progress", response=shell)
    for index, item in enumerate(response["output"]):
        kind = item["type"]
        if kind == "reasoning":
            yield event("response.output_item.added", output_index=index,
                        item={**item, "summary": []})
            for piece in words(summary):
                yield event("response.reasoning_summary_text.delta", item_id=item["id"],
                            output_index=index, summary_index=0, delta=piece)
            yield event("response.reasoning_summary_text.done", item_id=item["id"],
                        output_index=index, summary_index=0, text=summary)
        elif kind == "message":
            yield event("response.output_item.added", output_index=index,
                        item={**item, "status": "in_progress", "content": []})
            yield event("response.content_part.added", item_id=item["id"], output_index=index,
                        content_index=0, part={"type": "output_text", "text": ""})
            for piece in words(answer.content):
                yield event("response.output_text.delta", item_id=item["id"],
                            output_index=index, content_index=0, delta=piece)
            yield event("response.output_text.done", item_id=item["id"], output_index=index,
                        content_index=0, text=answer.content)
        else:
            yield event("response.output_item.added", output_index=index,
                        item={**item, "arguments": "", "status": "in_progress"})
            arguments = item["arguments"]
            for start in range(0, len(arguments), 12):
                yield event("response.function_call_arguments.delta", item_id=item["id"],
                            output_index=index, delta=arguments[start:start + 12])
            yield event("response.function_call_arguments.done", item_id=item["id"],
                        output_index=index, arguments=arguments)
        yield event("response.output_item.done", output_index=index, item=item)
    final = "response.incomplete" if response["status"] == "incomplete" else "response.completed"
    yield event(final, response=response)


__all__ = ["responses"]
