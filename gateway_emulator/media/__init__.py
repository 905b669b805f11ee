"""The emulator's media side: images, video tasks, Midjourney, Suno and media files.

An independent server implementation of the relay gateways' media protocols (protocol.md §4.6,
§9, §12-§14); it imports nothing from ``gateway_core`` or the adapters. ``app.py`` mounts
:func:`media_routes`; the chat route calls :func:`.chat_media.chat_media_response` for video
models. Test switches are listed in :data:`.tasks.FLAGS` (docs/emulator-contract.md "Media").
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from . import (
    audio,
    files,
    images,
    kling,
    midjourney,
    newapi_video,
    openai_videos,
    suno,
    unified_video,
)
from .tasks import FLAGS


def media_routes() -> list[BaseRoute]:
    """Every media route, ready to be added to the emulator's Starlette app."""
    return [
        *images.routes(),
        *audio.routes(),
        *openai_videos.routes(),
        *newapi_video.routes(),
        *unified_video.routes(),
        *kling.routes(),
        *midjourney.routes(),
        *suno.routes(),
        *files.file_routes(),
    ]


__all__ = ["FLAGS", "media_routes"]
