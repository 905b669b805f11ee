"""Kling's official routes as relays serve them: ``/kling/v1/videos/{text2video|image2video}``.

protocol.md §12.4. The body is Kling-native (``model_name``, ``prompt``, ``negative_prompt``,
``image``, ``image_tail``, ``mode``, ``duration`` as ``"5"``/``"10"``, ``aspect_ratio``,
``cfg_scale``, ``camera_control``). new-api answers the create with an OpenAI video object and
the poll (``GET /kling/v1/videos/{action}/{id}``) with its task envelope (raw Kling JSON under
``data.data``); pass-through relays answer Kling's own ``{code: 0, data: {task_id,
task_status: submitted|processing|succeed|failed, task_result: {videos: [{url}]}}}``. Both work.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from ..errors import InvalidRequestError, ResponseFormatError, TaskError
from .base import TaskProtocol, first_id, require_mapping
from .newapi_video import unwrap_task_envelope
from .status import TaskState
from .types import HttpCall, Submitted, TaskSnapshot, TaskSpec

__all__ = ["Kling"]

BASE_PATH = "/kling/v1/videos"
_ACTIONS = ("text2video", "image2video")


class Kling(TaskProtocol):
    """``kling``: Kling-native bodies on ``/kling/v1/videos/...``."""

    name = "kling"
    status_overrides: ClassVar[Mapping[str, TaskState]] = {"UNKNOWN": "running"}

    @staticmethod
    def _action(spec: TaskSpec) -> str:
        return spec.action or ("image2video" if spec.images else "text2video")

    def validate(self, spec: TaskSpec) -> None:
        action = self._action(spec)
        if action not in _ACTIONS:
            raise InvalidRequestError(f"Kling action must be one of {_ACTIONS}, not {action!r}.")
        if action == "image2video" and not spec.images:
            raise InvalidRequestError("Kling image2video needs an input image.")
        if action == "text2video" and not spec.prompt:
            raise InvalidRequestError("The prompt is empty: describe the video to make.")
        if not spec.model:
            raise InvalidRequestError("kling needs a model name (e.g. 'kling-v2-1').")

    def submit_call(self, spec: TaskSpec) -> HttpCall:
        body: dict[str, Any] = {"model_name": spec.model}
        if spec.prompt:
            body["prompt"] = spec.prompt
        if spec.images:
            body["image"] = spec.images[0].as_reference()
            if len(spec.images) > 1:
                body["image_tail"] = spec.images[1].as_reference()
        if spec.seconds is not None:
            body["duration"] = str(spec.seconds)
        if spec.aspect_ratio:
            body["aspect_ratio"] = spec.aspect_ratio
        body.update(spec.params)
        return HttpCall("POST", f"{BASE_PATH}/{self._action(spec)}", json=body,
                        what="Creating a Kling video")

    def parse_submit(self, body: Any, spec: TaskSpec) -> Submitted:
        node = require_mapping(body, "Creating a Kling video")
        code = node.get("code")
        if isinstance(code, int) and not isinstance(code, bool) and code != 0:
            raise TaskError(
                f"Creating a Kling video failed: {node.get('message') or 'code ' + str(code)}.",
                protocol=self.name, reason=str(node.get("message") or code), code=code,
            )
        task_id = first_id(node, ("task_id", "id")) or first_id(node.get("data"))
        if task_id is None:
            raise ResponseFormatError("Creating a Kling video: the answer has no task id.")
        return Submitted(task_id, {"model": spec.model, "action": self._action(spec)})

    def poll_call(self, task_id: str, meta: Mapping[str, Any]) -> HttpCall:
        action = meta.get("action") or "text2video"
        return HttpCall("GET", f"{BASE_PATH}/{action}/{quote(task_id, safe='')}",
                        what=f"Checking Kling task {task_id}")

    def parse_poll(self, body: Any, task_id: str, meta: Mapping[str, Any]) -> TaskSnapshot:
        node = unwrap_task_envelope(body, f"Checking Kling task {task_id}")
        if "task_status" in node:  # Kling's own answer
            snapshot = self.snapshot(task_id, node, raw=node, status_key="task_status",
                                     meta=meta)
            if snapshot.state == "failed" and not snapshot.reason:
                snapshot.reason = str(node.get("task_status_msg") or "") or None
            return snapshot
        return self.snapshot(task_id, node, raw=node, meta=meta)
