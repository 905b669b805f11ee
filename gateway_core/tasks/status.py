"""One status vocabulary for every task protocol: pending, running, succeeded, failed.

Gateways and providers report task states in a dozen vocabularies (protocol.md §12, §13, §14,
§16.6). :func:`normalise_status` maps every value listed there; a value it has never seen is
treated as *running*, so an unexpected word never ends a paid task early (the poller's overall
timeout still bounds the wait). :func:`parse_progress` reads ``30``, ``"30%"``, ``"30.5 %"`` or
``0.3`` as an integer percentage.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, Literal

__all__ = ["TERMINAL", "TaskState", "is_terminal", "normalise_status", "parse_progress"]

TaskState = Literal["pending", "running", "succeeded", "failed"]
TERMINAL: frozenset[str] = frozenset({"succeeded", "failed"})

_PENDING = (
    "queued", "pending", "submitted", "not_start", "unknown", "", "created", "queueing",
    "preparing", "in_queue", "waiting", "scheduled", "accepted", "init", "initial", "new",
    "image_downloading",
)
_RUNNING = (
    "in_progress", "processing", "running", "dreaming", "streaming", "video_generating",
    "generating", "video_upsampling", "video_generation_completed", "started", "progress",
    "modal", "upsampling", "rendering",
)
_SUCCEEDED = (
    "completed", "succeeded", "success", "succeed", "done", "complete", "finished",
    "video_upsampling_completed", "successful",
)
_FAILED = (
    "failed", "failure", "fail", "error", "cancelled", "canceled", "cancel", "expired",
    "video_generation_failed", "video_upsampling_failed", "timeout", "timed_out", "rejected",
    "banned", "blocked",
)

# Exact spellings whose meaning depends on case (protocol.md §16.6): Ali's upper-case UNKNOWN is
# terminal, the OpenAI-video "unknown" (= not polled yet) is not.
_EXACT: Mapping[str, TaskState] = {"UNKNOWN": "failed", "unknown": "pending"}

_TABLE: dict[str, TaskState] = {}
for _state, _words in (("pending", _PENDING), ("running", _RUNNING),
                       ("succeeded", _SUCCEEDED), ("failed", _FAILED)):
    for _word in _words:
        _TABLE[_word] = _state  # type: ignore[assignment]


def normalise_status(
    value: Any, overrides: Mapping[str, TaskState] | None = None
) -> TaskState:
    """Map a gateway or provider status to pending / running / succeeded / failed.

    ``overrides`` lets a protocol pin a value whose meaning is specific to it (new-api's
    internal ``UNKNOWN`` is not terminal, unlike Ali's). ``None`` or an empty string means the
    task was just accepted (Midjourney's fresh tasks); an unrecognised value means running.
    """
    if value is None:
        return "pending"
    if isinstance(value, bool):
        return "succeeded" if value else "running"
    text = str(value).strip()
    if overrides and text in overrides:
        return overrides[text]
    if text in _EXACT:
        return _EXACT[text]
    key = re.sub(r"[\s-]+", "_", text.lower())
    return _TABLE.get(key, "running")


def is_terminal(state: str) -> bool:
    """True for succeeded and failed."""
    return state in TERMINAL


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def parse_progress(value: Any) -> int | None:
    """An integer percentage 0-100 from ``30``, ``"30%"``, ``"30.5 %"`` or a fraction ``0.3``."""
    if value is None or isinstance(value, bool):
        return None
    number: float
    if isinstance(value, (int, float)):
        number = float(value)
        if 0 < number < 1 and not isinstance(value, int):
            number *= 100
    elif isinstance(value, str):
        match = _NUMBER.search(value)
        if match is None:
            return None
        number = float(match.group())
    else:
        return None
    if math.isnan(number) or math.isinf(number):
        return None
    return max(0, min(100, round(number)))
