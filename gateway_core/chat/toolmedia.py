"""Media in tool results: moved into a user message, where every chat API accepts it.

OpenAI-format ``tool`` messages take text only (protocol.md §4: parts are accepted on user
messages); a tool that returns an image or a document (an image generator, a screenshot tool)
would otherwise cost a 400, or its media would be dropped silently. :func:`hoist_tool_media`
keeps the text of each tool message where it is and sends the media parts of a run of tool
results in one user message right after the run, so the tool-call / tool-result pairing the
API requires stays intact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["TOOL_MEDIA_NOTE", "hoist_tool_media"]

TOOL_MEDIA_NOTE = "Media returned by the tool calls above:"


def _split(content: Any) -> tuple[str, list[dict[str, Any]]]:
    """(text, media parts) of a tool message's content."""
    if not isinstance(content, list):
        return ("" if content is None else str(content)), []
    texts: list[str] = []
    media: list[dict[str, Any]] = []
    for part in content:
        if isinstance(part, Mapping) and part.get("type") == "text":
            texts.append(str(part.get("text", "")))
        elif isinstance(part, Mapping):
            media.append(dict(part))
        elif isinstance(part, str):
            texts.append(part)
    return "\n".join(texts), media


def hoist_tool_media(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Messages with tool-result media moved into a user message after each run of results.

    Tool messages whose content is plain text, and every other message, pass unchanged.
    """
    result: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []
    for message in messages:
        is_tool = message.get("role") == "tool"
        if not is_tool and pending:
            result.append(_media_message(pending))
            pending = []
        if is_tool and isinstance(message.get("content"), list):
            text, media = _split(message["content"])
            if media:
                message = {**message, "content": text}
                pending.extend(media)
            else:
                message = {**message, "content": text}
        result.append(message if isinstance(message, dict) else dict(message))
    if pending:
        result.append(_media_message(pending))
    return result


def _media_message(parts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "text", "text": TOOL_MEDIA_NOTE}, *parts]}
