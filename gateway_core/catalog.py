"""The gateway's model list (``GET /v1/models``) and what each listed model is for.

new-api lists ``supported_endpoint_types`` per model (``openai``, ``embeddings``, ``jina-rerank``,
``image-generation``, ``openai-video``, …); one-api lists bare ids; a failing new-api answers
HTTP 200 ``{"success": false, "message": …}``. :func:`parse_models` accepts all three and
:class:`ModelInfo` combines the gateway's word with the bundled profile.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import APIError, ResponseFormatError, find_error_in_body
from .profiles import ModelProfile, resolve_profile

__all__ = ["ENDPOINT_KINDS", "ModelInfo", "parse_models"]

# new-api endpoint type -> the kind of client class that serves it
ENDPOINT_KINDS: Mapping[str, str] = {
    "openai": "chat",
    "openai-response": "chat",
    "openai-response-compact": "chat",
    "anthropic": "chat",
    "gemini": "chat",
    "embeddings": "embedding",
    "jina-rerank": "rerank",
    "image-generation": "image",
    "openai-video": "video",
}


@dataclass(frozen=True)
class ModelInfo:
    """One model the gateway offers."""

    id: str
    owned_by: str | None = None
    created: int | None = None
    endpoint_types: tuple[str, ...] = ()

    @property
    def profile(self) -> ModelProfile:
        """The capability profile this package will use for the model."""
        return resolve_profile(self.id)

    @property
    def kind(self) -> str:
        """chat, embedding, rerank, image, video, …: the gateway's word first, then the profile."""
        for endpoint in self.endpoint_types:
            kind = ENDPOINT_KINDS.get(endpoint)
            if kind and kind != "chat":
                return kind
        chat_endpoints = [e for e in self.endpoint_types if ENDPOINT_KINDS.get(e) == "chat"]
        if chat_endpoints:
            profile_kind = self.profile.kind
            return profile_kind if profile_kind in ("image", "video", "music") else "chat"
        return self.profile.kind


def parse_models(body: Any) -> list[ModelInfo]:
    """Models from a ``/v1/models`` body in new-api, one-api or OpenAI shape."""
    failure = find_error_in_body(body)
    if failure is not None:
        raise APIError(
            f"The gateway could not list models: {failure.message}. Check the key's group on "
            "the gateway.",
            status_code=200,
            code=failure.code,
        )
    if isinstance(body, Mapping):
        data = body.get("data")
        if data is None:
            data = body.get("models")
    else:
        data = body
    if not isinstance(data, Sequence) or isinstance(data, (str, bytes)):
        raise ResponseFormatError(
            "The model list is not in a known shape (expected {'data': [...]})."
        )
    models: list[ModelInfo] = []
    for item in data:
        if isinstance(item, str):
            models.append(ModelInfo(id=item))
            continue
        if not isinstance(item, Mapping):
            continue
        model_id = item.get("id") or item.get("name") or item.get("model_name")
        if not isinstance(model_id, str):
            continue
        endpoints = item.get("supported_endpoint_types")
        if not isinstance(endpoints, (list, tuple)):
            endpoints = ()
        created = item.get("created") if isinstance(item.get("created"), int) else None
        owned_by = item.get("owned_by") if isinstance(item.get("owned_by"), str) else None
        models.append(
            ModelInfo(
                id=model_id,
                owned_by=owned_by,
                created=created,
                endpoint_types=tuple(str(e) for e in endpoints if isinstance(e, str)),
            )
        )
    return models
