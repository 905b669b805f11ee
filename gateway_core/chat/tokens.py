"""Token estimates without a tokenizer (no tiktoken download, no model-specific vocabulary).

Relayed models use many tokenizers, so an exact count is not possible client-side anyway; this
estimate errs on the high side: about 4 characters per token for Latin text, one token per
CJK character, a flat cost per image, and a few tokens of framing per message.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["estimate_message_tokens", "estimate_tokens"]

TOKENS_PER_IMAGE = 85
TOKENS_PER_MESSAGE = 4


def _is_wide(code: int) -> bool:
    return (0x2E80 <= code <= 0x9FFF or 0xAC00 <= code <= 0xD7AF or 0xF900 <= code <= 0xFAFF
            or 0x3040 <= code <= 0x30FF or 0xFF00 <= code <= 0xFFEF or code >= 0x1F300)


def estimate_tokens(text: str) -> int:
    """Tokens in ``text``: CJK / kana / hangul / emoji one each, the rest ~4 chars a token."""
    if not text:
        return 0
    if text.isascii():
        return max(1, -(-len(text) // 4))
    wide = sum(1 for char in text if _is_wide(ord(char)))
    return wide + -(-(len(text) - wide) // 4)


def _content_tokens(content: Any) -> int:
    if isinstance(content, str):
        return estimate_tokens(content)
    total = 0
    for part in content or ():
        if isinstance(part, Mapping):
            kind = part.get("type")
            if kind == "text":
                total += estimate_tokens(str(part.get("text", "")))
            elif kind in ("image_url", "image"):
                total += TOKENS_PER_IMAGE
            else:
                total += TOKENS_PER_IMAGE  # audio, files, video: a flat guess, not their bytes
        elif isinstance(part, str):
            total += estimate_tokens(part)
    return total


def estimate_message_tokens(
    messages: Iterable[Mapping[str, Any]], tools: Iterable[Mapping[str, Any]] = ()
) -> int:
    """Tokens of OpenAI-format messages (and tool schemas) as a request would carry them."""
    total = 3  # the reply's priming
    for message in messages:
        total += TOKENS_PER_MESSAGE + _content_tokens(message.get("content"))
        for key in ("name", "reasoning_content", "tool_call_id"):
            value = message.get(key)
            if isinstance(value, str):
                total += estimate_tokens(value)
        for call in message.get("tool_calls") or ():
            total += estimate_tokens(json.dumps(call, ensure_ascii=False))
    for tool in tools:
        total += estimate_tokens(json.dumps(tool, ensure_ascii=False))
    return total
