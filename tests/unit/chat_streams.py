"""Helpers for the chat-stream tests: build SSE bodies the way relays send them, and replay
them through the SSE decoder and the accumulator with the bytes cut anywhere."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from gateway_core.chat import ChatDelta, ChatResult, StreamAccumulator
from gateway_core.sse import SSEDecoder


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, *,
          usage: dict[str, Any] | None = None, model: str = "gpt-4o-mini",
          id: str = "chatcmpl-1", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": id, "object": "chat.completion.chunk", "created": 1700000000, "model": model,
        "choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish}],
    }
    if usage is not None:
        body["usage"] = usage
    body.update(extra)
    return body


def usage_chunk(prompt: int = 5, completion: int = 7, **details: Any) -> dict[str, Any]:
    usage = {"prompt_tokens": prompt, "completion_tokens": completion,
             "total_tokens": prompt + completion, **details}
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000,
            "model": "gpt-4o-mini", "choices": [], "usage": usage}


def sse(events: Iterable[dict[str, Any] | str], *, done: bool = True, crlf: bool = False) -> bytes:
    """An SSE body: dicts become ``data: {json}``, strings are written as they are."""
    lines = []
    for event in events:
        lines.append(event if isinstance(event, str) else f"data: {json.dumps(event)}\n\n")
    if done:
        lines.append("data: [DONE]\n\n")
    text = "".join(lines)
    if crlf:
        text = text.replace("\n", "\r\n")
    return text.encode()


def run(pieces: Sequence[bytes], **options: Any) -> tuple[list[ChatDelta], StreamAccumulator]:
    """Feed byte pieces through the decoder and the accumulator; return deltas and the
    accumulator (call ``finish()`` on it)."""
    decoder = SSEDecoder()
    accumulator = StreamAccumulator(**options)
    deltas: list[ChatDelta] = []

    def take(events: Iterable[Any]) -> None:
        for event in events:
            delta = accumulator.feed_event(event.data, event.event)
            if delta is not None:
                deltas.append(delta)

    for piece in pieces:
        take(decoder.feed(piece))
    take(decoder.flush())
    tail = accumulator.flush()
    if tail is not None:
        deltas.append(tail)
    return deltas, accumulator


def splits(body: bytes, step: int = 1) -> Iterable[list[bytes]]:
    """The body whole, then cut in two at every position (``step`` apart)."""
    yield [body]
    for cut in range(1, len(body), step):
        yield [body[:cut], body[cut:]]


def joined(deltas: Sequence[ChatDelta]) -> tuple[str, str, dict[int, dict[str, Any]]]:
    """Text, reasoning and per-index tool-call fragments concatenated the LangChain way."""
    calls: dict[int, dict[str, Any]] = {}
    for delta in deltas:
        for fragment in delta.tool_calls or ():
            call = calls.setdefault(fragment["index"], {"id": "", "name": "", "arguments": ""})
            for key in ("id", "name", "arguments"):
                if fragment[key]:
                    call[key] += fragment[key]
    return ("".join(d.text for d in deltas), "".join(d.reasoning for d in deltas), calls)


def summary(result: ChatResult) -> dict[str, Any]:
    return {
        "text": result.text,
        "reasoning": result.reasoning,
        "tool_calls": [(c.id, c.name, c.args) for c in result.tool_calls],
        "invalid": [(c.id, c.name, c.arguments) for c in result.invalid_tool_calls],
        "finish_reason": result.finish_reason,
        "usage": None if result.usage is None else (
            result.usage.input_tokens, result.usage.output_tokens, result.usage.total_tokens,
            result.usage.cache_read, result.usage.reasoning),
    }
