"""What a media tool tells the model, and saving results where the caller asked.

Shared by the LangChain tools, the LlamaIndex tool spec and the CLI: they only wrap this text
in their own types (a tool message, a ``ToolOutput``, a terminal line).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .media_items import MediaItem
    from .transport import Transport

__all__ = ["asave_items", "describe_items", "image_headline", "save_items", "video_headline"]


def image_headline(count: int, model: str, verb: str = "Generated") -> str:
    return f"{verb} {count} image{'s' if count != 1 else ''} with {model}:"


def video_headline(task_id: str | None, protocol: str, model: str) -> str:
    return f"Video ready (task {task_id}, {protocol}, {model}):"


def describe_items(headline: str, items: Sequence[MediaItem],
                   paths: Sequence[Path | None]) -> str:
    """The headline, then one numbered line per item: its link (or that it came inline), where it
    was saved and the prompt the provider rewrote it to."""
    lines = [headline]
    for number, (item, path) in enumerate(zip(items, paths, strict=True), 1):
        where = item.best_url
        if where and item.needs_auth:
            where += " (on the gateway; needs the API key to download)"
        if not where:
            size = len(item.data or b"")
            where = f"inline {item.mime_type or item.kind} ({size // 1024} KB, no link)"
        saved = f" — saved to {path}" if path else ""
        revised = f" — revised prompt: {item.revised_prompt}" if item.revised_prompt else ""
        lines.append(f"{number}. {item.kind}: {where}{saved}{revised}")
    return "\n".join(lines)


def save_items(items: Sequence[MediaItem], directory: str | Path | None,
               transport: Transport) -> list[Path | None]:
    """Each item saved into ``directory`` (links downloaded); all None when no directory."""
    if not directory:
        return [None] * len(items)
    return [item.save(directory, transport=transport, download=True) for item in items]


async def asave_items(items: Sequence[MediaItem], directory: str | Path | None,
                      transport: Transport) -> list[Path | None]:
    """Async twin of :func:`save_items`."""
    if not directory:
        return [None] * len(items)
    return [await item.asave(directory, transport=transport, download=True) for item in items]
