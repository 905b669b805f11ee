"""Protocol names, and the choice of protocol for ``protocol="auto"``.

The names are those of docs/media.md (``openai-videos``, ``newapi-video``, ``unified-video``,
``kling``, ``midjourney``, ``suno``, ``chat``); ``_`` may stand for ``-``. ``"auto"`` reads the
model's ``supported_endpoint_types`` from ``/v1/models`` (new-api lists them): ``openai-video``
→ ``openai-videos``; a video or image model listed only with chat endpoints → ``chat``
(a relay serving it through ``/v1/chat/completions``); otherwise the new-api generic format.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..catalog import ENDPOINT_KINDS, ModelInfo
from ..errors import InvalidRequestError
from ..profiles import resolve_profile
from .base import TaskProtocol
from .chat import ChatMedia
from .kling import Kling
from .midjourney import Midjourney
from .newapi_video import NewAPIVideo
from .openai_videos import OpenAIVideos
from .suno import Suno
from .unified_video import UnifiedVideo

__all__ = ["PROTOCOL_NAMES", "choose_protocol", "get_protocol"]

_PROTOCOLS: dict[str, TaskProtocol] = {
    protocol.name: protocol
    for protocol in (OpenAIVideos(), NewAPIVideo(), UnifiedVideo(), Kling(), Midjourney(),
                     Suno(), ChatMedia())
}
PROTOCOL_NAMES = (*_PROTOCOLS, "auto")


def get_protocol(name: str) -> TaskProtocol:
    """The protocol called ``name`` (not ``auto``: see :func:`choose_protocol`)."""
    key = name.strip().lower().replace("_", "-")
    protocol = _PROTOCOLS.get(key)
    if protocol is None:
        raise InvalidRequestError(
            f"Unknown task protocol {name!r}: use one of {', '.join(PROTOCOL_NAMES)}."
        )
    return protocol


def _find(model: str, models: Sequence[ModelInfo]) -> ModelInfo | None:
    lowered = model.lower()
    return next((info for info in models if info.id == model), None) or next(
        (info for info in models if info.id.lower() == lowered), None)


def choose_protocol(model: str | None, models: Sequence[ModelInfo] | None, kind: str = "video"
                    ) -> str:
    """The protocol name ``"auto"`` stands for, given the gateway's model list (or None)."""
    name = (model or "").lower()
    if name.startswith(("midjourney", "mj_", "mj-")) or name in ("mj", "niji"):
        return "midjourney"
    if name.startswith(("suno", "chirp")):
        return "suno"
    info = _find(model, models) if model and models else None
    if info is not None and info.endpoint_types:
        types = info.endpoint_types
        if "openai-video" in types:
            return "openai-videos"
        chat_only = all(ENDPOINT_KINDS.get(t) == "chat" for t in types)
        if chat_only and resolve_profile(info.id).kind in ("video", "image"):
            return "chat"
    return "newapi-video"
