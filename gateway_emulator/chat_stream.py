"""The SSE side of chat completions: new-api's chunk stream, its relay quirks and stream faults.

new-api (protocol.md §4.4) sends a role chunk, delta chunks, a chunk with ``finish_reason``, then
a usage-only chunk with ``choices: []`` (unless the client sent ``include_usage: false``) and
``data: [DONE]``. Stream faults (``cut:N`` ...) count the delta chunks.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request

from .answer import Answer, ToolCallPlan, count_tokens, reasoning_style, usage_dict, words
from .faults import UPSTREAM_EVENT, error_chunk, step_args, step_name
from .models import ModelRef

_CHATFIRE_NULLS = ("content", "function_call", "refusal", "role", "tool_calls")


class _Chunks:
    """Formats chunks the way the selected relay does."""

    def __init__(self, model: str, ref: ModelRef, answer: Answer) -> None:
        self.model = model
        self.ref = ref
        self.answer = answer
        self.id = "chatcmpl-" + secrets.token_hex(12)
        self.created = int(time.time())
        self.chatfire = "chatfire" in ref.markers
        self.every_usage = "usage-every-chunk" in ref.markers
        self.usage_in_choice = "usage-in-choice" in ref.markers
        self.emitted_tokens = 0

    def data(self, delta: dict[str, Any], finish: str | None = None) -> str:
        self.emitted_tokens += count_tokens(str(delta.get("content") or "")) + count_tokens(
            str(delta.get("reasoning_content") or delta.get("reasoning") or ""))
        if self.chatfire:
            delta = {**dict.fromkeys(_CHATFIRE_NULLS), **delta}
        body: dict[str, Any] = {
            "id": "chatcmpl-" + secrets.token_hex(11) if self.chatfire else self.id,
            "object": "chat.completion.chunk", "created": self.created, "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        }
        if self.chatfire:
            body.update(service_tier=None, system_fingerprint=None, usage=None)
        if self.every_usage:
            completion = (self.answer.completion_tokens if finish else
                          min(self.emitted_tokens, self.answer.completion_tokens))
            body["usage"] = usage_dict(self.answer.prompt_tokens, completion)
        if self.usage_in_choice and finish:  # Moonshot / Kimi: usage inside the last choice
            body["choices"][0]["usage"] = usage_dict(self.answer.prompt_tokens,
                                                     self.answer.completion_tokens)
        return _sse(body)

    def usage(self) -> str:
        body = {"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                "model": self.model, "choices": [],
                "usage": usage_dict(self.answer.prompt_tokens, self.answer.completion_tokens,
                                    count_tokens(self.answer.reasoning))}
        return _sse(body)


def _sse(body: dict[str, Any]) -> str:
    return "data: " + json.dumps(body, ensure_ascii=False) + "\n\n"


def _deltas(ref: ModelRef, answer: Answer) -> list[dict[str, Any]]:
    """Every delta of the answer, in order, before framing."""
    deltas: list[dict[str, Any]] = []
    style = reasoning_style(ref)
    if answer.reasoning and style == "think":
        # tags split across chunk boundaries, as real streams do
        pieces = ["<thi", "nk>\n", *words(answer.reasoning), "\n</th", "ink>\n\n"]
        deltas += [{"content": piece} for piece in pieces]
    elif answer.reasoning:
        deltas += [{style: piece} for piece in words(answer.reasoning)]
    deltas += [{"content": piece} for piece in words(answer.content)]
    deltas += [{"refusal": piece} for piece in words(answer.refusal)]
    if answer.tool_calls:
        deltas += _tool_call_deltas(ref, answer.tool_calls)
    return deltas


def _tool_call_deltas(ref: ModelRef, calls: list[ToolCallPlan]) -> list[dict[str, Any]]:
    markers = ref.markers

    def arguments(call: ToolCallPlan) -> Any:
        if isinstance(call.arguments, str) or "args-object" in markers:
            return call.arguments
        return json.dumps(call.arguments, ensure_ascii=False)

    def fragment(index: int, call: ToolCallPlan, args: Any, *, head: bool) -> dict[str, Any]:
        item: dict[str, Any] = {} if "noindex" in markers else {"index": index}
        if head or "repeat-ids" in markers:
            item.update(id=call.id, type="function",
                        function={"name": call.name, "arguments": args})
        else:
            item["function"] = {"arguments": args}
        return item

    if "two-calls-one-chunk" in markers:
        return [{"tool_calls": [fragment(i, c, arguments(c), head=True)
                                for i, c in enumerate(calls)]}]
    deltas = []
    for index, call in enumerate(calls):
        args = arguments(call)
        if not isinstance(args, str):
            deltas.append({"tool_calls": [fragment(index, call, args, head=True)]})
            continue
        deltas.append({"tool_calls": [fragment(index, call, "", head=True)]})
        third = max(1, len(args) // 3)
        for start in range(0, len(args), third):
            deltas.append({"tool_calls": [fragment(index, call, args[start:start + third],
                                                   head=False)]})
    return deltas


async def stream_body(request: Request, model: str, ref: ModelRef, answer: Answer, *,
                      include_usage: bool, fault: str | None,
                      ping_interval: float) -> AsyncIterator[str]:
    chunks = _Chunks(model, ref, answer)
    ping = "ping" in ref.markers
    fault_name = step_name(fault) if fault else ""
    fault_args = step_args(fault) if fault else []
    fault_at = int(fault_args[0]) if fault_args else 0
    if ping:
        yield ": PING\n\n"
    yield chunks.data({"role": "assistant", "content": ""})
    truncated = False
    deltas = _deltas(ref, answer)
    # a fault scripted after more chunks than the answer has fires before the finish chunk
    fault_at = min(fault_at, len(deltas))
    for sent, delta in enumerate([*deltas, None]):
        if fault_name and sent == fault_at:
            if fault_name == "cut":
                truncated = True
                break
            if fault_name == "cut-close":
                abort = request.scope.get("extensions", {}).get("emulator.abort")
                if abort is not None:
                    abort()
                return
            if fault_name == "stall-stream":
                async for comment in _silence(fault_args[1] if len(fault_args) > 1 else 30.0,
                                              ping_interval):
                    yield comment
            elif fault_name == "malformed":
                yield "data: {\"id\": \"chatcmpl-broken\", \"choices\": [{\"delta\": \n\n"
            elif fault_name == "error-chunk" or fault_name.startswith(UPSTREAM_EVENT):
                yield "data: " + error_chunk(request, fault_name) + "\n\n"
                yield "data: [DONE]\n\n"
                return
        if delta is None:
            break
        yield chunks.data(delta)
        if ping:
            yield ": PING\n\n"
        await asyncio.sleep(0)
    for event in _ending(chunks, ref, answer, include_usage=include_usage,
                         finish=not truncated):
        yield event
    _after_done(request, fault_name)


def _after_done(request: Request, fault_name: str) -> None:
    """``close-after-done``: the answer is whole, the body's chunked framing is not (the
    connection closes before the last, empty chunk)."""
    close = request.scope.get("extensions", {}).get("emulator.close")
    if fault_name == "close-after-done" and close is not None:
        close()


def _ending(chunks: _Chunks, ref: ModelRef, answer: Answer, *, include_usage: bool,
            finish: bool) -> list[str]:
    """The events after the last delta: the finish chunk, the usage chunk, ``[DONE]``."""
    events = []
    if finish and "no-finish" not in ref.markers:
        events.append(chunks.data({}, finish=answer.finish_reason))
    if (include_usage and "no-usage" not in ref.markers and not chunks.every_usage
            and not chunks.usage_in_choice):
        events.append(chunks.usage())
    events.append("data: [DONE]\n\n")
    return events


async def _silence(seconds: float, ping_interval: float) -> AsyncIterator[str]:
    """Say nothing for ``seconds`` (keep-alive comments only, when the site pings)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        await asyncio.sleep(min(left, ping_interval) if ping_interval > 0 else left)
        if ping_interval > 0 and deadline - time.monotonic() > 0:
            yield ": PING\n\n"
