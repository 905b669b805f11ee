"""What the emulator's rule-based model decided to say, shared by the plain and streamed
answers: the planned answer and tool calls, the token estimate, the reasoning style a model
marker selects, the usage object and the pieces a streamed text is cut into.

``chat.py`` plans answers and writes plain responses; ``chat_stream.py`` writes them as chunks.
Both import this module, and neither imports the other's internals.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from .models import ModelRef

_WORD = re.compile(r"\S+\s*")


@dataclass
class ToolCallPlan:
    id: str
    name: str
    arguments: Any  # a dict, or a raw string for +bad-args


@dataclass
class Answer:
    content: str = ""
    reasoning: str = ""
    tool_calls: list[ToolCallPlan] = field(default_factory=list)
    finish_reason: str = "stop"
    prompt_tokens: int = 0
    refusal: str = ""  # the model declines: OpenAI's message.refusal, content empty

    @property
    def completion_tokens(self) -> int:
        args = sum(len(json.dumps(c.arguments)) // 4 + 1 for c in self.tool_calls)
        return count_tokens(self.content) + count_tokens(self.reasoning) + args


def count_tokens(text: str) -> int:
    """About one token per word, plus one per CJK character: stable, not exact."""
    return len(text.split()) + sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")


def reasoning_style(ref: ModelRef) -> str:
    if "reasoning-content" in ref.markers:
        return "reasoning_content"
    if "reasoning-field" in ref.markers:
        return "reasoning"
    if "think-tags" in ref.markers:
        return "think"
    return ref.spec.reasoning if ref.spec else ""


def usage_dict(prompt: int, completion: int, reasoning: int = 0) -> dict[str, Any]:
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": reasoning}}


def words(text: str) -> list[str]:
    """Text cut into stream-sized pieces (a word and its trailing space)."""
    return _WORD.findall(text) or ([text] if text else [])
