"""Media commands (image, video, tasks). Filled in once the task engine lands."""

from __future__ import annotations

from typing import Any

__all__ = ["add_media_commands"]


def add_media_commands(sub: Any) -> None:
    """Register ``image``, ``video`` and ``tasks`` on the sub-parser collection."""
    del sub  # nothing registered yet
