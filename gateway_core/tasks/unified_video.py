"""The "unified video format" of non-new-api relays: ``/v1/video/create`` + ``/v1/video/query``.

protocol.md §12.7. The create answer's ``id`` is model-prefixed (``veo3.1-fast:…``,
``jimeng:…``) and must be sent back exactly as returned (``?id=…``, URL-encoded by httpx); the
query answer's ``id`` may lack the prefix and is ignored. Normalised statuses are ``pending``,
``processing``, ``success``, ``failed``; Veo's raw ones (``video_generating``,
``video_upsampling``, …) may appear too. The link is ``video_url``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import InvalidRequestError, ResponseFormatError
from ..media_items import MediaItem
from .base import TaskProtocol, first_id, require_mapping
from .types import HttpCall, Submitted, TaskSnapshot, TaskSpec

__all__ = ["UnifiedVideo"]

CREATE_PATH = "/v1/video/create"
QUERY_PATH = "/v1/video/query"


class UnifiedVideo(TaskProtocol):
    """``unified-video``: yunwu-style relays and the sites copying their docs."""

    name = "unified-video"

    def validate(self, spec: TaskSpec) -> None:
        if not spec.model:
            raise InvalidRequestError("unified-video needs a model (e.g. 'veo3.1-fast').")
        if not spec.prompt:
            raise InvalidRequestError("The prompt is empty: describe the video to make.")

    def submit_call(self, spec: TaskSpec) -> HttpCall:
        body: dict[str, Any] = {"model": spec.model, "prompt": spec.prompt}
        if spec.images:
            body["images"] = [image.as_reference() for image in spec.images]
        if spec.aspect_ratio:
            body["aspect_ratio"] = spec.aspect_ratio
        if spec.size:
            body["size"] = spec.size
        if spec.seconds is not None:
            body["duration"] = spec.seconds
        body.update(spec.params)
        return HttpCall("POST", CREATE_PATH, json=body, what="Creating a video")

    def parse_submit(self, body: Any, spec: TaskSpec) -> Submitted:
        node = require_mapping(body, "Creating a video")
        if not first_id(node, ("id", "task_id")) and isinstance(node.get("data"), Mapping):
            node = node["data"]
        task_id = first_id(node, ("id", "task_id"))
        if task_id is None:
            raise ResponseFormatError("Creating a video: the gateway's answer has no 'id'.")
        meta: dict[str, Any] = {"model": spec.model}
        enhanced = node.get("enhanced_prompt")
        if isinstance(enhanced, str) and enhanced:
            meta["enhanced_prompt"] = enhanced
        return Submitted(task_id, meta)

    def poll_call(self, task_id: str, meta: Mapping[str, Any]) -> HttpCall:
        # The id goes back exactly as create returned it, prefix and all.
        return HttpCall("GET", QUERY_PATH, params={"id": task_id},
                        what=f"Checking video task {task_id}")

    def parse_poll(self, body: Any, task_id: str, meta: Mapping[str, Any]) -> TaskSnapshot:
        node = require_mapping(body, f"Checking video task {task_id}")
        if "status" not in node and isinstance(node.get("data"), Mapping):
            node = node["data"]
        snapshot = self.snapshot(task_id, node, raw=node, meta=meta)
        video_url = node.get("video_url")
        status = str(node.get("status") or "")
        # Veo's raw "video_generation_completed" with a link is done when no upsampling follows.
        if snapshot.state == "running" and status.endswith("completed") and video_url:
            snapshot.state = "succeeded"
            snapshot.items = [MediaItem("video", url=str(video_url))]
            snapshot.progress = 100
        enhanced = node.get("enhanced_prompt") or meta.get("enhanced_prompt")
        if enhanced:
            snapshot.extra["enhanced_prompt"] = enhanced
        return snapshot
