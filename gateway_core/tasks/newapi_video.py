"""new-api's generic video format: ``POST /v1/video/generations`` + ``GET …/{task_id}``.

protocol.md §12.3. The poll answer comes in three shapes, all handled here:

1. new-api's task envelope ``{"code": "success", "data": {status: NOT_START|SUBMITTED|QUEUED|
   IN_PROGRESS|SUCCESS|FAILURE|UNKNOWN, progress: "30%", result_url, fail_reason, data: <raw
   upstream>}}`` — old versions put the video URL in ``fail_reason`` on success;
2. the realtime path ``{"code": "success", "data": {status: queued|processing|succeeded|failed,
   url, error}}``;
3. the documented flat object ``{task_id, status, url, error, metadata}``.

new-api's internal ``UNKNOWN`` is not terminal here (unlike Ali's upper-case UNKNOWN).
Provider-native keys (Kling ``negative_prompt``, Doubao ``ratio``/``resolution``, Veo …) go in
``metadata``, which new-api hands to the provider adaptor.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from ..errors import InvalidRequestError, ResponseFormatError
from .base import TaskProtocol, first_id, require_mapping
from .status import TaskState
from .types import HttpCall, Submitted, TaskSnapshot, TaskSpec

__all__ = ["NewAPIVideo", "unwrap_task_envelope"]

CREATE_PATH = "/v1/video/generations"
# Keys new-api's request DTO reads at the top level; anything else goes in metadata.
_TOP_LEVEL = frozenset({"model", "prompt", "image", "images", "size", "duration", "seconds",
                        "mode", "input_reference", "metadata", "width", "height", "fps", "seed",
                        "n", "response_format", "user"})


def unwrap_task_envelope(body: Any, what: str) -> Mapping[str, Any]:
    """The task object inside ``{"code", "message", "data": {...}}``, or the body itself."""
    node = require_mapping(body, what)
    inner = node.get("data")
    if "code" in node and isinstance(inner, Mapping):
        return inner
    return node


class NewAPIVideo(TaskProtocol):
    """``newapi-video``: new-api's generic ``/v1/video/generations`` routes."""

    name = "newapi-video"
    status_overrides: ClassVar[Mapping[str, TaskState]] = {"UNKNOWN": "running"}

    def validate(self, spec: TaskSpec) -> None:
        if not spec.model:
            raise InvalidRequestError("newapi-video needs a model (e.g. 'kling-v2-1').")
        if not spec.prompt:
            raise InvalidRequestError("The prompt is empty: describe the video to make.")

    def submit_call(self, spec: TaskSpec) -> HttpCall:
        body: dict[str, Any] = {"model": spec.model, "prompt": spec.prompt}
        metadata: dict[str, Any] = {}
        if spec.images:
            references = [image.as_reference() for image in spec.images]
            body["image"] = references[0]
            if len(references) > 1:
                body["images"] = references
        if spec.size:
            body["size"] = spec.size
        if spec.seconds is not None:
            body["duration"] = spec.seconds
        if spec.aspect_ratio:
            metadata["aspect_ratio"] = spec.aspect_ratio
        for key, value in spec.params.items():
            if key == "metadata" and isinstance(value, Mapping):
                metadata.update(value)
            elif key in _TOP_LEVEL:
                body[key] = value
            else:
                metadata[key] = value
        if metadata:
            body["metadata"] = metadata
        return HttpCall("POST", CREATE_PATH, json=body, what="Creating a video")

    def parse_submit(self, body: Any, spec: TaskSpec) -> Submitted:
        node = require_mapping(body, "Creating a video")
        task_id = first_id(node, ("task_id", "id"))
        if task_id is None:
            task_id = first_id(node.get("data"), ("task_id", "id"))
        if task_id is None:
            raise ResponseFormatError(
                "Creating a video: the gateway's answer has no task id (expected 'task_id')."
            )
        return Submitted(task_id, {"model": spec.model})

    def poll_call(self, task_id: str, meta: Mapping[str, Any]) -> HttpCall:
        return HttpCall("GET", f"{CREATE_PATH}/{quote(task_id, safe='')}",
                        what=f"Checking video task {task_id}")

    def parse_poll(self, body: Any, task_id: str, meta: Mapping[str, Any]) -> TaskSnapshot:
        node = unwrap_task_envelope(body, f"Checking video task {task_id}")
        return self.snapshot(task_id, node, raw=node, meta=meta)

    def content_path(self, task_id: str, meta: Mapping[str, Any]) -> str | None:
        # new-api's proxy for results that have no upstream URL (Sora, Gemini, Vertex).
        return f"/v1/videos/{quote(task_id, safe='')}/content"
