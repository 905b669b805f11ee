"""OpenAI / Sora video format: ``POST /v1/videos``, ``GET /v1/videos/{id}``, ``/content``.

protocol.md §12.2. The create answer is a video object (``id`` = ``task_id`` = ``task_…`` on
new-api; older gateways return the upstream id — used exactly as returned). Statuses ``queued``,
``in_progress``, ``completed``, ``failed`` and new-api's ``unknown`` (not polled yet); relays may
say ``pending`` / ``processing`` / ``cancelled``. The link is ``metadata.url`` for non-Sora
providers, sometimes ``video_url``; Sora results have none and are fetched from
``/v1/videos/{id}/content`` (bytes, or on some relays JSON with ``url``).

The create request goes as JSON, or as multipart when an input image is a local file
(``input_reference``), which is what OpenAI's own API takes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ..errors import InvalidRequestError, ResponseFormatError
from .base import TaskProtocol, error_reason, first_id, require_mapping
from .types import HttpCall, Submitted, TaskSnapshot, TaskSpec

__all__ = ["OpenAIVideos"]

CREATE_PATH = "/v1/videos"


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class OpenAIVideos(TaskProtocol):
    """``openai-videos``: the OpenAI video object routes (new-api serves every provider here)."""

    name = "openai-videos"

    def validate(self, spec: TaskSpec) -> None:
        if not spec.model:
            raise InvalidRequestError("openai-videos needs a model (e.g. 'sora-2').")
        if not spec.prompt:
            raise InvalidRequestError("The prompt is empty: describe the video to make.")

    def submit_call(self, spec: TaskSpec) -> HttpCall:
        fields: dict[str, Any] = {"model": spec.model, "prompt": spec.prompt}
        if spec.seconds is not None:
            fields["seconds"] = str(spec.seconds)  # OpenAI defines it as a string
        if spec.size:
            fields["size"] = spec.size
        if spec.aspect_ratio:
            fields["aspect_ratio"] = spec.aspect_ratio
        fields.update(spec.params)
        images = spec.images
        if len(images) == 1 and not images[0].is_url:
            data = {key: _form_value(value) for key, value in fields.items() if value is not None}
            return HttpCall("POST", CREATE_PATH, data=data,
                            files=[("input_reference", images[0].as_file())],
                            what="Creating a video")
        if len(images) == 1:
            fields["input_reference"] = images[0].url
        elif images:
            fields["images"] = [image.as_reference() for image in images]
        return HttpCall("POST", CREATE_PATH, json=fields, what="Creating a video")

    def parse_submit(self, body: Any, spec: TaskSpec) -> Submitted:
        node = require_mapping(body, "Creating a video")
        if isinstance(node.get("data"), Mapping) and not first_id(node):
            node = node["data"]
        task_id = first_id(node, ("id", "task_id"))
        if task_id is None:
            raise ResponseFormatError(
                "Creating a video: the gateway's answer has no task id (expected 'id')."
            )
        meta = {"model": spec.model}
        return Submitted(task_id, meta, self._snapshot(node, task_id, meta))

    def poll_call(self, task_id: str, meta: Mapping[str, Any]) -> HttpCall:
        return HttpCall("GET", f"{CREATE_PATH}/{quote(task_id, safe='')}",
                        what=f"Checking video task {task_id}")

    def parse_poll(self, body: Any, task_id: str, meta: Mapping[str, Any]) -> TaskSnapshot:
        node = require_mapping(body, f"Checking video task {task_id}")
        if "status" not in node and isinstance(node.get("data"), Mapping):
            node = node["data"]
        return self._snapshot(node, task_id, meta)

    def _snapshot(self, node: Mapping[str, Any], task_id: str,
                  meta: Mapping[str, Any]) -> TaskSnapshot:
        snapshot = self.snapshot(task_id, node, raw=node, meta=meta)
        if snapshot.state == "failed" and snapshot.reason is None:
            snapshot.reason = error_reason(node.get("metadata"))
        return snapshot

    def content_path(self, task_id: str, meta: Mapping[str, Any]) -> str | None:
        return f"{CREATE_PATH}/{quote(task_id, safe='')}/content"
