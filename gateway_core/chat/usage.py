"""Token usage from the many shapes relays report it in.

OpenAI: ``prompt_tokens_details.cached_tokens`` / ``completion_tokens_details.reasoning_tokens``;
DeepSeek: ``prompt_cache_hit_tokens``; Anthropic through a relay: ``cache_read_input_tokens`` /
``cache_creation_input_tokens``; OpenRouter: float counts and ``cache_write_tokens``. Reasoning
and cached tokens are parts of the completion / prompt counts, never added on top.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .types import Usage

__all__ = ["parse_usage"]


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _first(*values: Any) -> int | None:
    for value in values:
        number = _int(value)
        if number is not None:
            return number
    return None


def parse_usage(raw: Any) -> Usage | None:
    """A :class:`Usage` from a ``usage`` object, or None when there is none."""
    if not isinstance(raw, Mapping) or not raw:
        return None
    prompt = _first(raw.get("prompt_tokens"), raw.get("input_tokens")) or 0
    completion = _first(raw.get("completion_tokens"), raw.get("output_tokens")) or 0
    total = _first(raw.get("total_tokens"))
    if total is None or total < prompt + completion:
        total = prompt + completion
    prompt_details = raw.get("prompt_tokens_details") or raw.get("input_tokens_details") or {}
    completion_details = (
        raw.get("completion_tokens_details") or raw.get("output_tokens_details") or {}
    )
    if not isinstance(prompt_details, Mapping):
        prompt_details = {}
    if not isinstance(completion_details, Mapping):
        completion_details = {}
    cache_read = _first(
        prompt_details.get("cached_tokens"),
        raw.get("prompt_cache_hit_tokens"),
        raw.get("cache_read_input_tokens"),
    )
    cache_creation = _first(
        prompt_details.get("cache_write_tokens"),
        prompt_details.get("cached_creation_tokens"),
        prompt_details.get("cache_creation_tokens"),
        raw.get("cache_creation_input_tokens"),
    )
    reasoning = _first(completion_details.get("reasoning_tokens"), raw.get("reasoning_tokens"))
    return Usage(
        input_tokens=prompt,
        output_tokens=completion,
        total_tokens=total,
        cache_read=_at_most(cache_read, prompt),
        cache_creation=_at_most(cache_creation, prompt),
        reasoning=_at_most(reasoning, completion),
        audio_input=_at_most(_first(prompt_details.get("audio_tokens")), prompt),
        audio_output=_at_most(_first(completion_details.get("audio_tokens")), completion),
        raw=dict(raw),
    )


def _at_most(detail: int | None, total: int) -> int | None:
    """A detail count, clamped to its total (some relays report details the total lacks)."""
    if detail is None:
        return None
    return min(detail, total) if total else detail
