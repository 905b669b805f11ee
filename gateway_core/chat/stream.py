"""The stream accumulator: one implementation of chat streaming for both frameworks.

Feed it the ``data`` of each server-sent event; it returns what the chunk added (a
:class:`~gateway_core.chat.types.ChatDelta`, or None for chunks that add nothing) and keeps the
running totals that LlamaIndex needs per chunk (``text``, ``reasoning``, ``tool_calls_so_far``).
:meth:`StreamAccumulator.finish` returns the final
:class:`~gateway_core.chat.types.ChatResult`, or raises
:class:`~gateway_core.errors.IncompleteStreamError` when the stream never said it was finished.

What it tolerates (docs/protocol.md §4.4): keep-alive and empty events,
``[DONE]`` (which proves nothing: new-api appends it after a truncated upstream), usage-only
chunks with ``choices: []`` or ``null``, usage repeated on every chunk (the last one wins, so it
is counted once), per-chunk ids that change (ChatfireAPI), reasoning in ``reasoning_content``,
``reasoning`` or a leading ``<think>`` block, the tool-call quirks of
:mod:`~gateway_core.chat.toolcalls`. A ``data: {"error": …}`` event raises the gateway's typed
error, carrying the partial output.

The per-chunk path is a ``json.loads`` and a few dict reads and list appends.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import (
    DeadlineExceededError,
    GatewayError,
    IncompleteStreamError,
    error_from_response,
    find_error_in_body,
    parse_error_body,
)
from .media import media_links
from .reasoning import ThinkSplitter
from .toolcalls import ToolCallAssembler
from .types import ChatDelta, ChatResult, MediaKind, ToolCall, content_text
from .usage import parse_usage

__all__ = ["StreamAccumulator", "attach_partial"]

# json.loads without its two Python layers and whitespace matching (about half its cost on a
# small chunk): the C scanner reads one value from the start; a chunk that does not end there
# (trailing whitespace, or garbage) goes through json.loads, which accepts or rejects it.
_scan_value: Callable[[str, int], tuple[Any, int]] = (
    json.JSONDecoder().scan_once)  # type: ignore[attr-defined]  # set in __init__; not in typeshed

_KEEPALIVE_WORDS = frozenset({"ping", "keep-alive", "keepalive", "heartbeat", "[ping]"})


def attach_partial(
    error: GatewayError, text: str, reasoning: str, tool_calls: list[dict[str, Any]],
    partial: Any = None,
) -> GatewayError:
    """Give any error the partial-output attributes of :class:`IncompleteStreamError`."""
    error.partial_text = text
    error.partial_reasoning = reasoning
    error.partial_tool_calls = tool_calls
    error.partial = partial
    return error


class StreamAccumulator:
    """Assembles one streamed chat completion (choice 0).

    Args:
        request_id: The gateway's request id (``X-Oneapi-Request-Id``) for results and errors.
        think_tags: Split a leading ``<think>…</think>`` block out of the content.
        media_kind: ``"image"``/``"video"`` for chat-format media models: links in the final
            text are classified with that default (see :mod:`~gateway_core.chat.media`).
        secrets: Strings to redact from error messages.
    """

    __slots__ = (
        "_done", "_reasoning", "_splitter", "_text", "_tools", "_usage_raw", "created",
        "finish_reason", "id", "logprobs", "media_kind", "model", "refusal", "request_id",
        "secrets", "service_tier", "system_fingerprint",
    )

    def __init__(
        self,
        *,
        request_id: str | None = None,
        think_tags: bool = True,
        media_kind: MediaKind | None = None,
        secrets: tuple[str, ...] = (),
    ) -> None:
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._tools = ToolCallAssembler()
        self._splitter: ThinkSplitter | None = ThinkSplitter() if think_tags else None
        self._usage_raw: Any = None
        self._done = False
        self.finish_reason: str | None = None
        self.model: str | None = None
        self.id: str | None = None
        self.created: int | None = None
        self.system_fingerprint: str | None = None
        self.service_tier: str | None = None
        self.refusal: str | None = None
        self.logprobs: list[Any] | None = None
        self.request_id = request_id
        self.media_kind = media_kind
        self.secrets = secrets

    # ------------------------------------------------------------------ running totals

    @property
    def text(self) -> str:
        """The answer text so far (joined once per call; cheap to read after every chunk)."""
        parts = self._text
        if len(parts) > 1:
            parts[:] = ["".join(parts)]
        return parts[0] if parts else ""

    @property
    def reasoning(self) -> str:
        """The reasoning so far."""
        parts = self._reasoning
        if len(parts) > 1:
            parts[:] = ["".join(parts)]
        return parts[0] if parts else ""

    @property
    def has_tool_calls(self) -> bool:
        return bool(self._tools)

    def tool_calls_so_far(self) -> list[dict[str, Any]]:
        """Tool calls so far, arguments unparsed (``{"index", "id", "name", "arguments"}``)."""
        return self._tools.snapshot()

    @property
    def done(self) -> bool:
        """``[DONE]`` was received."""
        return self._done

    # ------------------------------------------------------------------ feeding

    def feed_event(self, data: str, event: str = "message") -> ChatDelta | None:
        """Feed one server-sent event (``event`` is its type; ``error`` events raise)."""
        if event == "message":
            return self.feed(data)
        if event == "error":
            info = parse_error_body(200, data.encode())
            raise self._partial_error(error_from_response(
                200, b"", request_id=self.request_id, secrets=self.secrets,
                what="Chat stream", info=info,
            ))
        return None  # named meta events (ping, …) carry no completion data

    def feed(self, data: str) -> ChatDelta | None:
        """Feed the ``data`` of one event; return what it added, or None.

        A chunk of an unexpected shape is an :class:`IncompleteStreamError` naming what was
        wrong, with the partial answer; the gateway's data is checked where it is read, so an
        exception of any other kind is a bug of this package and surfaces as one.
        """
        if not data or self._done:
            return None
        if data[0] != "{":
            return self._feed_other(data)
        try:
            chunk, end = _scan_value(data, 0)
            if end != len(data):
                chunk = json.loads(data)
        except (StopIteration, ValueError):
            raise self._malformed(data) from None
        return self._feed_chunk(chunk, data)

    def _feed_chunk(self, chunk: dict[str, Any], data: str) -> ChatDelta | None:
        # The hot path of every stream: JSON objects decode to dict, so exact type checks (not
        # ABC isinstance) and few calls; the rare shapes go to the helpers below.
        if self.model is None:
            self._first_chunk(chunk)
        choices = chunk.get("choices")
        if choices and type(choices) is list and len(choices) == 1 and type(
                choices[0]) is dict and not choices[0].get("index"):
            choice: dict[str, Any] | None = choices[0]
        else:
            choice = self._other_choice(choices, data)
        usage = chunk.get("usage") or (choice.get("usage") if choice is not None else None)
        if usage:  # top level or inside the choice (Kimi); the last one seen, never a sum
            self._usage_raw = usage
        if choice is None:
            if not choices:  # usage only, or an error in any envelope
                self._raise_error(chunk)
            return None
        finish = choice.get("finish_reason")
        if finish:
            finish = self._note_finish(finish, chunk)
        if choice.get("logprobs"):
            self._logprobs(choice["logprobs"])
        delta = choice.get("delta") or choice.get("message") or self._legacy(choice)
        if not delta:
            return None
        if type(delta) is not dict:
            raise self._shape("delta is not an object", data)
        text, reasoning = self._content(delta, data)
        if text and len(delta) == 1:  # the usual chunk: its one key was the text
            return ChatDelta(text, reasoning, None, finish)
        fragments = (self._tool_fragments(delta, data)
                     if "tool_calls" in delta or "function_call" in delta else None)
        refusal = delta.get("refusal")
        if refusal and type(refusal) is str:
            self.refusal = (self.refusal or "") + refusal
        if text or reasoning or fragments:
            return ChatDelta(text, reasoning, fragments or None, finish)
        return None  # role-only, empty or finish-only chunks: the result has the finish_reason

    # ------------------------------------------------------------------ reading one chunk

    def _shape(self, what: str, data: str) -> IncompleteStreamError:
        return self.incomplete(
            f"The gateway sent a stream chunk of an unexpected shape ({what}; chunk "
            f"{data[:120]!r}). The text received so far is on the error (partial_text).")

    def _other_choice(self, choices: Any, data: str) -> dict[str, Any] | None:
        """Choice 0 when the chunk is not one plain choice: none, several (relays send them in
        any order), or a malformed list."""
        if not choices:
            return None
        if type(choices) is not list or not all(type(c) is dict for c in choices):
            raise self._shape("choices is not a list of objects", data)
        return next((c for c in choices if not c.get("index")), None)

    def _note_finish(self, finish: Any, chunk: Mapping[str, Any]) -> str | None:
        if type(finish) is not str:
            return None
        self.finish_reason = finish
        if self.system_fingerprint is None and chunk.get("system_fingerprint"):
            self.system_fingerprint = chunk["system_fingerprint"]
        return finish

    @staticmethod
    def _legacy(choice: Mapping[str, Any]) -> dict[str, Any] | None:
        """A completions-shaped chunk carries only ``text``: read as content, because relays in
        front of /v1/completions-style upstreams stream that shape on the chat route (beyond
        the chat format, but unambiguous)."""
        text = choice.get("text")
        return {"content": text} if type(text) is str else None

    def _content(self, delta: dict[str, Any], data: str) -> tuple[str, str]:
        """This chunk's answer text and reasoning (a leading ``<think>`` block split off)."""
        reasoning = delta.get("reasoning_content") or delta.get("reasoning") or ""
        if type(reasoning) is not str:
            reasoning = ""
        text = ""
        content = delta.get("content")
        if content:
            if type(content) is not str:
                if type(content) is not list:
                    raise self._shape("content is neither text nor a list of parts", data)
                content = content_text(content)
            splitter = self._splitter
            if splitter is None or splitter.passthrough:
                text = content
            else:
                text, inline = splitter.feed(content)
                reasoning += inline
            if text:
                self._text.append(text)
        if reasoning:
            self._reasoning.append(reasoning)
        return text, reasoning

    def _tool_fragments(self, delta: Mapping[str, Any], data: str) -> list[Any] | None:
        items = delta.get("tool_calls")
        if items and type(items) is not list:
            raise self._shape("tool_calls is not a list", data)
        fragments = self._tools.feed(items) if items else None
        legacy = delta.get("function_call")
        if not fragments and legacy:
            if type(legacy) is not dict:
                raise self._shape("function_call is not an object", data)
            fragments = self._tools.feed([{"index": 0, "function": legacy}])
        return fragments

    def _first_chunk(self, chunk: Mapping[str, Any]) -> None:
        model = chunk.get("model")
        if model:
            self.model = model
            self.id = chunk.get("id")
            self.created = chunk.get("created")
            self.system_fingerprint = chunk.get("system_fingerprint")
            self.service_tier = chunk.get("service_tier")

    def _logprobs(self, logprobs: Any) -> None:
        content = logprobs.get("content") if isinstance(logprobs, Mapping) else None
        if content:
            if self.logprobs is None:
                self.logprobs = []
            self.logprobs.extend(content)

    def _feed_other(self, data: str) -> ChatDelta | None:
        stripped = data.strip()
        if stripped == "[DONE]":
            self._done = True
            return None
        if not stripped or stripped.lower() in _KEEPALIVE_WORDS:
            return None
        if stripped[0] == "{":
            return self.feed(stripped)
        try:  # not an object: it cannot decode to one
            value = json.loads(stripped)
        except ValueError:
            raise self._malformed(data) from None
        self._raise_error(value)  # Gemini's [{"error": …}]
        return None  # any other bare JSON scalar or list: nothing we understand, nothing lost

    # ------------------------------------------------------------------ errors

    def _partial_error(self, error: GatewayError) -> GatewayError:
        return attach_partial(error, self.text, self.reasoning, self.tool_calls_so_far())

    def _raise_error(self, chunk: Any) -> None:
        info = find_error_in_body(chunk)
        if info is None:
            return
        code = info.code
        status = code if isinstance(code, int) and 400 <= code < 600 else 200
        error = error_from_response(
            status, json.dumps(chunk).encode(), request_id=self.request_id,
            secrets=self.secrets, what="Chat stream", info=info,
        )
        raise self._partial_error(error)

    def _malformed(self, data: str) -> IncompleteStreamError:
        snippet = data[:120]
        return self.incomplete(
            f"The gateway sent a stream event that is not JSON ({snippet!r}); the answer may "
            "be incomplete. The text received so far is on the error (partial_text)."
        )

    def incomplete(self, message: str) -> IncompleteStreamError:
        """An :class:`IncompleteStreamError` carrying everything received so far."""
        return IncompleteStreamError(
            message,
            partial_text=self.text,
            partial_reasoning=self.reasoning,
            partial_tool_calls=self.tool_calls_so_far(),
            request_id=self.request_id,
        )

    def broken(self, cause: GatewayError) -> GatewayError | None:
        """Wrap a transport failure in the middle of the stream; ``None`` when the answer was
        already whole (its finish_reason came): a relay that drops the connection after its
        last event ("incomplete chunked read") takes nothing away. The caller's own deadline
        keeps its class (it is not a broken stream to retry), with the partial output on it."""
        if self.finish_reason is not None:
            return None
        if isinstance(cause, DeadlineExceededError):
            return self._partial_error(cause)
        return self.incomplete(
            f"The stream broke before the answer was complete: {cause.message} The text "
            "received so far is on the error (partial_text)."
        )

    # ------------------------------------------------------------------ the end

    def flush(self) -> ChatDelta | None:
        """Release text held back by the ``<think>`` splitter (call once the events end)."""
        splitter = self._splitter
        if splitter is None or splitter.passthrough:
            return None
        text, reasoning = splitter.flush()
        if text:
            self._text.append(text)
        if reasoning:
            self._reasoning.append(reasoning)
        return ChatDelta(text, reasoning) if text or reasoning else None

    def finish(self) -> ChatResult:
        """The final result; raises :class:`IncompleteStreamError` if no finish_reason came."""
        self.flush()
        if self.finish_reason is None:
            ended = "after [DONE]" if self._done else "when the connection closed"
            raise self.incomplete(
                f"The stream ended {ended} without a finish_reason, so the answer may be cut "
                "off (relays append [DONE] even after a truncated upstream). The text received "
                "so far is on the error (partial_text)."
            )
        return self.result()

    def result(self) -> ChatResult:
        """The result so far, without the completeness check."""
        calls = self._tools.finish() if self._tools else []
        valid: list[ToolCall] = [c for c in calls if c.error is None]
        invalid: list[ToolCall] = [c for c in calls if c.error is not None]
        text = self.text
        return ChatResult(
            text=text,
            reasoning=self.reasoning,
            tool_calls=valid,
            invalid_tool_calls=invalid,
            finish_reason=self.finish_reason,
            usage=parse_usage(self._usage_raw),
            model=self.model,
            id=self.id,
            created=self.created,
            system_fingerprint=self.system_fingerprint,
            service_tier=self.service_tier,
            request_id=self.request_id,
            refusal=self.refusal,
            media=media_links(text, self.media_kind),
            logprobs=self.logprobs,
        )

