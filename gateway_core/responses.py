"""The Responses API (``POST /v1/responses``), mapped onto the chat wire.

Some models are served only there (new-api relays it; OpenAI's ``*-pro`` and codex models have
no chat endpoint). Rather than a second request builder, result parser and stream assembler, this
module translates at the edges: the chat body built by :mod:`~gateway_core.chat.request`
becomes a Responses body, a Responses object becomes a ``chat.completion``, and each Responses
stream event becomes ``chat.completion.chunk`` data fed to the same
:class:`~gateway_core.chat.stream.StreamAccumulator`. So text, reasoning summaries, tool calls,
structured output, usage, partial output on a broken stream and error handling are exactly the
chat path's.

Event types read (OpenAI's documented names): ``response.output_text.delta``,
``response.refusal.delta``, ``response.reasoning_summary_text.delta``,
``response.output_item.added`` (function calls), ``response.function_call_arguments.delta``,
``response.completed``, ``response.incomplete``, ``response.failed`` and ``error``; the others
(``response.created``, ``*.done`` echoes, …) carry nothing new and are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .errors import InvalidRequestError
from .sse import ServerSentEvent

__all__ = [
    "PATH",
    "ResponsesStreamTranslator",
    "completion_from_response",
    "to_responses_body",
]

PATH = "/v1/responses"
_PASSED = ("model", "stream", "temperature", "top_p", "parallel_tool_calls", "store",
           "metadata", "user", "service_tier", "prompt_cache_key", "top_logprobs", "truncation",
           "previous_response_id", "include", "background", "safety_identifier")
_DROPPED = ("stream_options", "messages", "tools", "tool_choice", "response_format",
            "max_tokens", "max_completion_tokens", "reasoning_effort", "n", "verbosity")
_UNSUPPORTED = ("stop", "logit_bias", "frequency_penalty", "presence_penalty", "seed",
                "functions", "function_call")


# ---------------------------------------------------------------------- request


def _part(part: Mapping[str, Any], role: str) -> dict[str, Any]:
    kind = part.get("type")
    if kind == "text":
        text_type = "output_text" if role == "assistant" else "input_text"
        return {"type": text_type, "text": part.get("text", "")}
    if kind == "image_url":
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, Mapping) else image
        out: dict[str, Any] = {"type": "input_image", "image_url": url}
        if isinstance(image, Mapping) and image.get("detail"):
            out["detail"] = image["detail"]
        return out
    if kind == "file":
        file = part.get("file") if isinstance(part.get("file"), Mapping) else {}
        return {"type": "input_file",
                **{k: v for k, v in dict(file or {}).items() if k in
                   ("filename", "file_data", "file_id")}}
    return dict(part)  # already a Responses part, or one the gateway may know


def _content(content: Any, role: str) -> Any:
    if isinstance(content, list):
        return [_part(p, role) for p in content if isinstance(p, Mapping)]
    return "" if content is None else content


def _input_items(messages: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for message in messages:
        role = str(message.get("role", "user"))
        if role == "tool":
            output = message.get("content")
            if isinstance(output, list):
                output = "".join(str(p.get("text", "")) for p in output if isinstance(p, Mapping))
            items.append({"type": "function_call_output", "call_id": message.get("tool_call_id"),
                          "output": "" if output is None else str(output)})
            continue
        content = message.get("content")
        if content not in (None, "", []):
            items.append({"role": role, "content": _content(content, role)})
        for call in message.get("tool_calls") or ():
            function = call.get("function") or {}
            items.append({"type": "function_call", "call_id": call.get("id"),
                          "name": function.get("name"),
                          "arguments": function.get("arguments") or "{}"})
    return items


def _tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    function = tool.get("function")
    if tool.get("type") != "function" or not isinstance(function, Mapping):
        return dict(tool)  # built-in tools (web_search, file_search…) pass as they are
    out = {"type": "function", "name": function.get("name")}
    for key in ("description", "parameters", "strict"):
        if key in function:
            out[key] = function[key]
    return out


def _tool_choice(choice: Any) -> Any:
    if isinstance(choice, Mapping) and isinstance(choice.get("function"), Mapping):
        return {"type": "function", "name": choice["function"].get("name")}
    return choice


def _text_format(response_format: Any) -> dict[str, Any] | None:
    if not isinstance(response_format, Mapping):
        return None
    kind = response_format.get("type")
    if kind == "json_schema":
        schema = response_format.get("json_schema") or {}
        return {"type": "json_schema", **{k: v for k, v in dict(schema).items()
                                          if k in ("name", "schema", "strict", "description")}}
    return {"type": kind} if kind in ("json_object", "text") else None


def to_responses_body(chat: Mapping[str, Any]) -> dict[str, Any]:
    """The ``/v1/responses`` body equivalent to a ``/v1/chat/completions`` body."""
    refused = [name for name in _UNSUPPORTED if name in chat]
    if refused:
        raise InvalidRequestError(
            f"The Responses API has no {', '.join(refused)}; leave it out or use the chat API "
            "(use_responses_api=False)."
        )
    if isinstance(chat.get("n"), int) and chat["n"] > 1:
        raise InvalidRequestError("The Responses API answers one choice; n must be 1.")
    body: dict[str, Any] = {k: chat[k] for k in _PASSED if k in chat}
    body["input"] = _input_items(chat.get("messages") or ())
    if chat.get("tools"):
        body["tools"] = [_tool(t) for t in chat["tools"] if isinstance(t, Mapping)]
    if "tool_choice" in chat:
        body["tool_choice"] = _tool_choice(chat["tool_choice"])
    limit = chat.get("max_output_tokens", chat.get("max_completion_tokens",
                                                   chat.get("max_tokens")))
    if limit is not None:
        body["max_output_tokens"] = limit
    if chat.get("reasoning_effort"):
        body["reasoning"] = {"effort": chat["reasoning_effort"], "summary": "auto"}
    text: dict[str, Any] = {}
    text_format = _text_format(chat.get("response_format"))
    if text_format is not None:
        text["format"] = text_format
    if chat.get("verbosity"):
        text["verbosity"] = chat["verbosity"]
    if text:
        body["text"] = text
    for key, value in chat.items():  # extra_body fields the gateway may know
        if key not in body and key not in _DROPPED and key not in _PASSED:
            body[key] = value
    return body


# ---------------------------------------------------------------------- answers


def _usage(usage: Any) -> dict[str, Any] | None:
    if not isinstance(usage, Mapping):
        return None
    out: dict[str, Any] = {
        "prompt_tokens": usage.get("input_tokens", 0),
        "completion_tokens": usage.get("output_tokens", 0),
        "total_tokens": usage.get("total_tokens", 0),
    }
    cached = (usage.get("input_tokens_details") or {}).get("cached_tokens")
    reasoning = (usage.get("output_tokens_details") or {}).get("reasoning_tokens")
    if cached is not None:
        out["prompt_tokens_details"] = {"cached_tokens": cached}
    if reasoning is not None:
        out["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    return out


def _finish_reason(response: Mapping[str, Any], has_calls: bool) -> str | None:
    status = response.get("status")
    if status == "incomplete":
        reason = (response.get("incomplete_details") or {}).get("reason")
        return "content_filter" if reason == "content_filter" else "length"
    if status in ("completed", None):
        return "tool_calls" if has_calls else "stop"
    return None


def _read_output(
    output: list[Any],
) -> tuple[list[str], list[str], list[str], list[dict[str, Any]]]:
    """The text, refusal, reasoning summary and function calls of a Responses ``output``
    (items or parts that are not objects are skipped: they carry nothing readable)."""
    text: list[str] = []
    refusal: list[str] = []
    reasoning: list[str] = []
    calls: list[dict[str, Any]] = []
    for item in output:
        if not isinstance(item, Mapping):
            continue
        kind = item.get("type")
        if kind == "message":
            for part in _objects(item.get("content")):
                if part.get("type") == "output_text":
                    text.append(str(part.get("text", "")))
                elif part.get("type") == "refusal":
                    refusal.append(str(part.get("refusal", "")))
        elif kind == "reasoning":
            reasoning += [str(s.get("text", "")) for s in _objects(item.get("summary"))]
        elif kind == "function_call":
            calls.append({"id": item.get("call_id") or item.get("id"), "type": "function",
                          "function": {"name": item.get("name"),
                                       "arguments": item.get("arguments") or ""}})
    return text, refusal, reasoning, calls


def _objects(value: Any) -> list[Mapping[str, Any]]:
    """The objects of a JSON list (anything else: none)."""
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def completion_from_response(response: Any) -> Any:
    """A ``chat.completion`` dict carrying what a Responses object says (anything that is not
    a Responses object is returned unchanged, so the chat parser reports it)."""
    if not isinstance(response, Mapping) or not isinstance(response.get("output"), list):
        return response
    if response.get("status") == "failed" and isinstance(response.get("error"), Mapping):
        return {"error": dict(response["error"])}
    text, refusal, reasoning, calls = _read_output(response["output"])
    message: dict[str, Any] = {"role": "assistant", "content": "".join(text) or None}
    if refusal:
        message["refusal"] = "".join(refusal)
    if reasoning:
        message["reasoning_content"] = "\n\n".join(reasoning)
    if calls:
        message["tool_calls"] = calls
    completion: dict[str, Any] = {
        "id": response.get("id"), "object": "chat.completion",
        "created": response.get("created_at"), "model": response.get("model"),
        "choices": [{"index": 0, "message": message,
                     "finish_reason": _finish_reason(response, bool(calls))}],
    }
    usage = _usage(response.get("usage"))
    if usage is not None:
        completion["usage"] = usage
    if response.get("service_tier"):
        completion["service_tier"] = response["service_tier"]
    return completion


# ---------------------------------------------------------------------- streams


def _chunk(delta: Mapping[str, Any] | None = None, finish_reason: str | None = None,
           usage: Mapping[str, Any] | None = None) -> ServerSentEvent:
    choice = {"index": 0, "delta": dict(delta or {}), "finish_reason": finish_reason}
    body: dict[str, Any] = {"object": "chat.completion.chunk", "choices": [choice]}
    if usage is not None:
        body = {"object": "chat.completion.chunk", "choices": [], "usage": dict(usage)}
    return ServerSentEvent(json.dumps(body))


class ResponsesStreamTranslator:
    """Turns Responses stream events into chat chunk events, one stream at a time."""

    def __init__(self) -> None:
        self._tool_index: dict[int, int] = {}

    def translate(self, events: Iterable[ServerSentEvent]) -> Iterator[ServerSentEvent]:
        for event in events:
            yield from self.chunks(event)

    async def atranslate(self, events: Any) -> Any:
        async for event in events:
            for chunk in self.chunks(event):
                yield chunk

    def chunks(self, event: ServerSentEvent) -> list[ServerSentEvent]:
        """The chat events one Responses event stands for (often none)."""
        try:
            data = json.loads(event.data) if event.data else None
        except ValueError:
            return [event]  # not JSON: the accumulator reports it as the chat path would
        if not isinstance(data, Mapping):
            return [event]
        kind = data.get("type") or event.event
        if kind == "response.output_text.delta":
            return [_chunk({"content": data.get("delta", "")})]
        if kind == "response.refusal.delta":
            return [_chunk({"refusal": data.get("delta", "")})]
        if kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
            return [_chunk({"reasoning_content": data.get("delta", "")})]
        if kind == "response.output_item.added":
            return self._call_started(data)
        if kind == "response.function_call_arguments.delta":
            index = self._tool_index.get(int(data.get("output_index", -1)))
            if index is None:
                return []
            return [_chunk({"tool_calls": [{"index": index,
                                            "function": {"arguments": data.get("delta", "")}}]})]
        if kind in ("response.completed", "response.incomplete", "response.failed"):
            return self._finished(data.get("response") or {})
        if kind == "error" or isinstance(data.get("error"), Mapping):
            nested = data.get("error")
            error: Mapping[str, Any] = nested if isinstance(nested, Mapping) else data
            return [ServerSentEvent(json.dumps({"error": {
                k: v for k, v in error.items() if k in ("message", "code", "type", "param")
            }}))]
        return []

    def _call_started(self, data: Mapping[str, Any]) -> list[ServerSentEvent]:
        item = data.get("item") or {}
        if item.get("type") != "function_call":
            return []
        index = len(self._tool_index)
        self._tool_index[int(data.get("output_index", index))] = index
        call = {"index": index, "id": item.get("call_id") or item.get("id"), "type": "function",
                "function": {"name": item.get("name"), "arguments": item.get("arguments") or ""}}
        return [_chunk({"tool_calls": [call]})]

    def _finished(self, response: Mapping[str, Any]) -> list[ServerSentEvent]:
        if response.get("status") == "failed":
            error = response.get("error") or {"message": "The response failed."}
            return [ServerSentEvent(json.dumps({"error": dict(error)}))]
        reason = _finish_reason(response, bool(self._tool_index))
        out = [_chunk(finish_reason=reason)]
        usage = _usage(response.get("usage"))
        if usage is not None:
            out.append(_chunk(usage=usage))
        return out
