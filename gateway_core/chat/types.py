"""Framework-free results of a chat call: what both adapters convert into their own types.

Plain slotted classes (not dataclasses, whose class creation costs import time): building one
costs next to nothing, and nothing is validated twice.
"""

from __future__ import annotations

from typing import Any, Literal

from .jsonscan import parse_json_text

__all__ = [
    "ChatDelta", "ChatResult", "MediaLink", "ToolCall", "ToolCallDelta", "Usage", "content_text",
]

MediaKind = Literal["image", "video"]


def _repr(self: Any) -> str:
    fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in _fields(type(self)))
    return f"{type(self).__name__}({fields})"


def _eq(self: Any, other: object) -> Any:
    if type(other) is not type(self):
        return NotImplemented
    return all(getattr(self, n) == getattr(other, n) for n in _fields(type(self)))


def _fields(cls: type) -> tuple[str, ...]:
    """Attribute names in the order the constructor takes them."""
    code = cls.__dict__["__init__"].__code__
    return tuple(code.co_varnames[1:code.co_argcount])


class ToolCall:
    """One finished tool call.

    ``arguments`` is the raw JSON text the model produced; ``args`` its parsed object, or None
    when it is not a JSON object (then ``error`` says why and the call is *invalid*: it is kept,
    raw, so nothing the model said is lost).
    """

    __slots__ = ("args", "arguments", "error", "id", "index", "name")

    def __init__(
        self,
        id: str,
        name: str,
        arguments: str,
        args: dict[str, Any] | None = None,
        error: str | None = None,
        index: int = 0,
    ) -> None:
        self.id = id
        self.name = name
        self.arguments = arguments
        self.args = args
        self.error = error
        self.index = index

    @property
    def valid(self) -> bool:
        return self.error is None

    def to_openai(self) -> dict[str, Any]:
        """The assistant-message form: ``{"id", "type": "function", "function": {...}}``."""
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }

    __repr__ = _repr
    __eq__ = _eq
    __hash__ = None  # type: ignore[assignment]


# A streamed tool-call fragment, already repaired: ``index`` is ours (stable, 0-based, one per
# call), ``id`` and ``name`` appear only on a call's first fragment, ``arguments`` holds only
# the new text. Keys: index (int), id (str | None), name (str | None), arguments (str).
ToolCallDelta = dict[str, Any]


class Usage:
    """Token counts of one call. Detail counts are None when the gateway did not report them.

    ``cache_read`` (prompt tokens served from cache) and ``reasoning`` (thinking tokens) are
    parts of ``input_tokens`` and ``output_tokens``, never added to them. ``raw`` is the
    gateway's own usage object (relays add cost fields there).
    """

    __slots__ = ("audio_input", "audio_output", "cache_creation", "cache_read", "input_tokens",
                 "output_tokens", "raw", "reasoning", "total_tokens")

    def __init__(
        self,
        input_tokens: int = 0,
        output_tokens: int = 0,
        total_tokens: int = 0,
        cache_read: int | None = None,
        cache_creation: int | None = None,
        reasoning: int | None = None,
        audio_input: int | None = None,
        audio_output: int | None = None,
        raw: dict[str, Any] | None = None,
    ) -> None:
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.total_tokens = total_tokens
        self.cache_read = cache_read
        self.cache_creation = cache_creation
        self.reasoning = reasoning
        self.audio_input = audio_input
        self.audio_output = audio_output
        self.raw: dict[str, Any] = {} if raw is None else raw

    __repr__ = _repr
    __eq__ = _eq
    __hash__ = None  # type: ignore[assignment]


class MediaLink:
    """An image or video link found in a chat-format media answer (protocol.md §4.6)."""

    __slots__ = ("kind", "title", "url")

    def __init__(self, url: str, kind: MediaKind, title: str = "") -> None:
        self.url = url
        self.kind = kind
        self.title = title

    __repr__ = _repr
    __eq__ = _eq
    __hash__ = None  # type: ignore[assignment]


class ChatResult:
    """The outcome of one chat completion (one choice), streamed or not."""

    __slots__ = ("created", "finish_reason", "id", "invalid_tool_calls", "logprobs", "media",
                 "model", "raw", "reasoning", "refusal", "request_id", "service_tier",
                 "structured_method", "system_fingerprint", "text", "tool_calls", "usage")

    def __init__(
        self,
        text: str = "",
        reasoning: str = "",
        tool_calls: list[ToolCall] | None = None,
        invalid_tool_calls: list[ToolCall] | None = None,
        finish_reason: str | None = None,
        usage: Usage | None = None,
        model: str | None = None,
        id: str | None = None,
        created: int | None = None,
        system_fingerprint: str | None = None,
        service_tier: str | None = None,
        request_id: str | None = None,
        refusal: str | None = None,
        media: list[MediaLink] | None = None,
        logprobs: Any = None,
        structured_method: str | None = None,
        raw: dict[str, Any] | None = None,
    ) -> None:
        self.text = text
        self.reasoning = reasoning
        self.tool_calls: list[ToolCall] = [] if tool_calls is None else tool_calls
        self.invalid_tool_calls: list[ToolCall] = (
            [] if invalid_tool_calls is None else invalid_tool_calls
        )
        self.finish_reason = finish_reason
        self.usage = usage
        self.model = model
        self.id = id
        self.created = created
        self.system_fingerprint = system_fingerprint
        self.service_tier = service_tier
        self.request_id = request_id
        self.refusal = refusal
        self.media: list[MediaLink] = [] if media is None else media
        self.logprobs = logprobs
        self.structured_method = structured_method
        self.raw = raw

    __repr__ = _repr
    __eq__ = _eq
    __hash__ = None  # type: ignore[assignment]

    @property
    def all_tool_calls(self) -> list[ToolCall]:
        """Valid and invalid tool calls, in the order the model made them."""
        if not self.invalid_tool_calls:
            return self.tool_calls
        return sorted([*self.tool_calls, *self.invalid_tool_calls], key=lambda c: c.index)

    def metadata(self) -> dict[str, Any]:
        """Response metadata without None values: model, id, finish_reason, request id, …"""
        pairs = (
            ("model", self.model),
            ("id", self.id),
            ("created", self.created),
            ("finish_reason", self.finish_reason),
            ("system_fingerprint", self.system_fingerprint),
            ("service_tier", self.service_tier),
            ("request_id", self.request_id),
        )
        return {key: value for key, value in pairs if value is not None}

    def to_message(self, *, include_reasoning: bool = True) -> dict[str, Any]:
        """This answer as an OpenAI assistant message, ready to append to the history."""
        message: dict[str, Any] = {"role": "assistant", "content": self.text or None}
        calls = self.all_tool_calls
        if calls:
            message["tool_calls"] = [call.to_openai() for call in calls]
        elif message["content"] is None:
            message["content"] = ""
        if include_reasoning and self.reasoning:
            message["reasoning_content"] = self.reasoning
        return message

    def to_dict(self) -> dict[str, Any]:
        """A ``chat.completion``-shaped dict (for streamed answers, which have no body)."""
        if self.raw is not None:
            return self.raw
        body: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [
                {"index": 0, "message": self.to_message(), "finish_reason": self.finish_reason}
            ],
        }
        if self.system_fingerprint is not None:
            body["system_fingerprint"] = self.system_fingerprint
        if self.usage is not None:
            body["usage"] = self.usage.raw or {
                "prompt_tokens": self.usage.input_tokens,
                "completion_tokens": self.usage.output_tokens,
                "total_tokens": self.usage.total_tokens,
            }
        return body

    def json(self) -> Any:
        """The answer text parsed as JSON (fences and leading reasoning tolerated)."""
        return parse_json_text(self.text)


class ChatDelta:
    """What one stream chunk added. Only non-empty parts are set; the rest are empty/None.

    ``tool_calls`` holds repaired :data:`ToolCallDelta` fragments (or None).
    """

    __slots__ = ("finish_reason", "reasoning", "text", "tool_calls")

    def __init__(
        self,
        text: str = "",
        reasoning: str = "",
        tool_calls: list[ToolCallDelta] | None = None,
        finish_reason: str | None = None,
    ) -> None:
        self.text = text
        self.reasoning = reasoning
        self.tool_calls = tool_calls
        self.finish_reason = finish_reason

    def __repr__(self) -> str:
        parts = [f"{name}={getattr(self, name)!r}" for name in self.__slots__
                 if getattr(self, name)]
        return f"ChatDelta({', '.join(parts)})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ChatDelta):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self.__slots__)

    __hash__ = None  # type: ignore[assignment]


def content_text(content: Any) -> str:
    """The text of a content that came as parts (``[{"type": "text", "text": …}, …]``)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text", "") for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return "" if content is None else str(content)
