"""Parse a non-streamed ``chat.completion`` body into a :class:`ChatResult`.

Reasoning comes from ``reasoning_content``, ``reasoning`` or a leading ``<think>`` block; tool
calls whose arguments are not a JSON object are kept as *invalid* calls with their raw text;
usage details (cached, reasoning tokens) are read from every known shape; image links and
images (``message.images``, OpenRouter style) become media links.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ResponseFormatError
from .media import media_links
from .reasoning import split_think
from .toolcalls import parse_tool_calls
from .types import ChatResult, MediaKind, MediaLink, content_text
from .usage import parse_usage

__all__ = ["parse_choices", "parse_completion"]


def _choices(body: Any, request_id: str | None) -> list[Any]:
    if not isinstance(body, Mapping):
        raise ResponseFormatError(
            f"The gateway answered the chat completion with {type(body).__name__} JSON, not an "
            "object.", request_id=request_id,
        )
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        keys = ", ".join(sorted(map(str, body))) or "none"
        raise ResponseFormatError(
            "The gateway's chat completion has no choices (keys: "
            f"{keys}). The upstream model may have failed silently; retry, or try another "
            "model.", request_id=request_id,
        )
    return choices


def _images(message: Mapping[str, Any]) -> list[MediaLink]:
    links: list[MediaLink] = []
    for image in message.get("images") or ():
        if isinstance(image, Mapping):
            inner = image.get("image_url")
            url = inner.get("url") if isinstance(inner, Mapping) else image.get("url")
            if isinstance(url, str) and url:
                links.append(MediaLink(url=url, kind="image"))
    return links


def _legacy(choice: Mapping[str, Any]) -> Mapping[str, Any]:
    """A completions-shaped choice (``text``, no ``message``) read as the answer: relays in
    front of /v1/completions-style upstreams answer the chat route that way (beyond the chat
    format, but unambiguous)."""
    text = choice.get("text")
    return {"content": text} if isinstance(text, str) else {}


def _parse_choice(
    body: Mapping[str, Any],
    choice: Any,
    *,
    request_id: str | None,
    think_tags: bool,
    media_kind: MediaKind | None,
) -> ChatResult:
    if not isinstance(choice, Mapping):
        choice = {}
    message = choice.get("message") or choice.get("delta") or _legacy(choice)
    if not isinstance(message, Mapping):
        message = {}
    content = message.get("content")
    text = content if isinstance(content, str) else (content_text(content) if content else "")
    reasoning = message.get("reasoning_content") or message.get("reasoning") or ""
    if not isinstance(reasoning, str):
        reasoning = ""
    if think_tags and text:
        text, inline = split_think(text)
        if inline:
            reasoning = f"{reasoning}\n{inline}" if reasoning else inline
    raw_calls = message.get("tool_calls")
    if not raw_calls and isinstance(message.get("function_call"), Mapping):
        raw_calls = [{"function": message["function_call"]}]
    calls = parse_tool_calls(raw_calls)
    media = media_links(text, media_kind)
    media.extend(_images(message))
    logprobs = choice.get("logprobs")
    return ChatResult(
        text=text,
        reasoning=reasoning,
        tool_calls=[c for c in calls if c.error is None],
        invalid_tool_calls=[c for c in calls if c.error is not None],
        finish_reason=choice.get("finish_reason"),
        # usage at the top level, or inside the choice (Moonshot / Kimi)
        usage=parse_usage(body.get("usage") or choice.get("usage")),
        model=body.get("model"),
        id=body.get("id"),
        created=body.get("created"),
        system_fingerprint=body.get("system_fingerprint"),
        service_tier=body.get("service_tier"),
        request_id=request_id,
        refusal=message.get("refusal") or None,
        media=media,
        logprobs=logprobs.get("content") if isinstance(logprobs, Mapping) else None,
        raw=dict(body),
    )


def parse_completion(
    body: Any,
    *,
    request_id: str | None = None,
    think_tags: bool = True,
    media_kind: MediaKind | None = None,
) -> ChatResult:
    """The first choice of a ``chat.completion`` body."""
    choices = _choices(body, request_id)
    first = next((c for c in choices if isinstance(c, Mapping) and not c.get("index")),
                 choices[0])
    return _parse_choice(body, first, request_id=request_id, think_tags=think_tags,
                         media_kind=media_kind)


def parse_choices(
    body: Any,
    *,
    request_id: str | None = None,
    think_tags: bool = True,
    media_kind: MediaKind | None = None,
) -> list[ChatResult]:
    """Every choice of a ``chat.completion`` body (``n`` > 1), in ``index`` order."""
    choices = _choices(body, request_id)
    ordered = sorted(
        choices, key=lambda c: c.get("index", 0) if isinstance(c, Mapping) else 0
    )
    return [
        _parse_choice(body, choice, request_id=request_id, think_tags=think_tags,
                      media_kind=media_kind)
        for choice in ordered
    ]
