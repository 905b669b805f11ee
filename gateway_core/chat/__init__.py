"""The chat wire, shared by the LangChain and LlamaIndex adapters.

One concern per module:

* :mod:`.request`: the request body (per-model parameters, reasoning round-trip, extra_body);
* :mod:`.response`: a non-streamed completion into a :class:`ChatResult`;
* :mod:`.stream`: the :class:`StreamAccumulator` (every relay quirk of streamed chunks);
* :mod:`.toolcalls` / :mod:`.reasoning` / :mod:`.usage`: tool-call repair, ``<think>`` splitting,
  token counts;
* :mod:`.structured`: structured-output methods, fallback and tolerant parsing;
* :mod:`.rejection` / :mod:`.learned`: refused parameters, recognised and remembered;
* :mod:`.media`: image/video links of chat-format media answers;
* :mod:`.parts`: multimodal content parts;
* :mod:`.api`: the calls themselves (sync, async, streamed).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import (
        AsyncChatStream,
        ChatCall,
        ChatStream,
        acomplete,
        acomplete_all,
        as_messages,
        complete,
        complete_all,
        make_call,
    )
    from .jsonscan import parse_json_text
    from .learned import LEARNED, LearnedRejections
    from .media import extract_media_links
    from .parts import audio_part, data_url, file_part, image_part, text_part, video_part
    from .reasoning import ThinkSplitter, split_think
    from .request import build_request, normalize_tool_choice, normalize_tools, prepare_messages
    from .response import parse_choices, parse_completion
    from .stream import StreamAccumulator
    from .structured import METHODS, StructuredSpec, parse_structured
    from .tokens import estimate_message_tokens, estimate_tokens
    from .types import ChatDelta, ChatResult, MediaLink, ToolCall, ToolCallDelta, Usage
    from .usage import parse_usage

# Names are loaded on first use: importing the package costs nothing until a module is needed.
_EXPORTS = {
    "AsyncChatStream": "api", "ChatCall": "api", "ChatStream": "api", "acomplete": "api",
    "acomplete_all": "api", "as_messages": "api", "complete": "api", "complete_all": "api",
    "make_call": "api", "LEARNED": "learned", "LearnedRejections": "learned",
    "extract_media_links": "media", "audio_part": "parts", "data_url": "parts",
    "file_part": "parts", "image_part": "parts", "text_part": "parts", "video_part": "parts",
    "ThinkSplitter": "reasoning", "split_think": "reasoning", "build_request": "request",
    "normalize_tool_choice": "request", "normalize_tools": "request",
    "prepare_messages": "request", "parse_choices": "response", "parse_completion": "response",
    "StreamAccumulator": "stream", "METHODS": "structured", "StructuredSpec": "structured",
    "parse_json_text": "jsonscan", "parse_structured": "structured", "ChatDelta": "types",
    "ChatResult": "types", "MediaLink": "types", "ToolCall": "types", "ToolCallDelta": "types",
    "Usage": "types", "parse_usage": "usage", "estimate_message_tokens": "tokens",
    "estimate_tokens": "tokens",
}

__all__ = [
    "LEARNED",
    "METHODS",
    "AsyncChatStream",
    "ChatCall",
    "ChatDelta",
    "ChatResult",
    "ChatStream",
    "LearnedRejections",
    "MediaLink",
    "StreamAccumulator",
    "StructuredSpec",
    "ThinkSplitter",
    "ToolCall",
    "ToolCallDelta",
    "Usage",
    "acomplete",
    "acomplete_all",
    "as_messages",
    "audio_part",
    "build_request",
    "complete",
    "complete_all",
    "data_url",
    "estimate_message_tokens",
    "estimate_tokens",
    "extract_media_links",
    "file_part",
    "image_part",
    "make_call",
    "normalize_tool_choice",
    "normalize_tools",
    "parse_choices",
    "parse_completion",
    "parse_json_text",
    "parse_structured",
    "parse_usage",
    "prepare_messages",
    "split_think",
    "text_part",
    "video_part",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'gateway_core.chat' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
