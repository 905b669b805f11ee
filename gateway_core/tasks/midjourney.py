"""Midjourney through a relay's midjourney-proxy routes: ``/mj/submit/*``, ``/mj/task/{id}/fetch``.

protocol.md §13, §2.4. Submit answers ``{code, description, result: <task id>, properties}``:
code 1 (submitted), 21 (already exists) and 22 (queued) are accepted; 23 (queue full) means
nothing was accepted, so the engine may submit again after a pause; 24 is a banned prompt
(:class:`~gateway_core.errors.ContentPolicyError`, naming ``properties.bannedWord``); anything
else is an error carrying the ``description``. A fresh task has an empty ``status`` until the
gateway's poller first sees it. A finished task's ``buttons`` carry the ``customId`` of each
follow-up (U1-U4 upscales, V1-V4 variations, …), submitted with action ``"action"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ..errors import ContentPolicyError, InvalidRequestError, ResponseFormatError, TaskError
from ..media_items import MediaItem
from .base import RetrySubmit, TaskProtocol, require_mapping
from .results import is_url
from .status import parse_progress
from .types import HttpCall, Submitted, TaskSnapshot, TaskSpec

__all__ = ["ACCEPTED_CODES", "Midjourney"]

ACCEPTED_CODES = frozenset({1, 21, 22})
QUEUE_FULL = 23
BANNED = 24
_ACTIONS = ("imagine", "action", "blend", "describe", "modal", "change", "simple-change",
            "shorten", "video", "edits", "swap_face")


# How many input images each action takes (at least, at most), as midjourney-proxy reads them.
_IMAGES = {"blend": (2, 5, "two to five images"), "describe": (1, 1, "exactly one image"),
           "swap_face": (2, 2, "two images: the face, then the picture to put it in"),
           "modal": (0, 1, "at most one image: the mask of the region to redraw")}


def _check_images(action: str, count: int) -> None:
    if action not in _IMAGES:
        return
    low, high, said = _IMAGES[action]
    if not low <= count <= high:
        raise InvalidRequestError(f"Midjourney {action} takes {said}; {count} given.")


class Midjourney(TaskProtocol):
    """``midjourney``: imagine, blend, describe and follow-up actions by ``customId``."""

    name = "midjourney"
    kinds = ("image", "video")

    def validate(self, spec: TaskSpec) -> None:
        action = spec.action or "imagine"
        if action not in _ACTIONS:
            raise InvalidRequestError(f"Midjourney action must be one of {_ACTIONS}.")
        if action in ("imagine", "shorten") and not spec.prompt:
            raise InvalidRequestError("The prompt is empty: describe the image to make.")
        if action == "action" and not (spec.params.get("taskId") and spec.params.get("customId")):
            raise InvalidRequestError(
                "A Midjourney follow-up needs taskId and customId (from the finished task's "
                "buttons)."
            )
        if action == "modal" and not spec.params.get("taskId"):
            raise InvalidRequestError(
                "A Midjourney modal answers a task waiting in MODAL: pass its taskId.")
        _check_images(action, len(spec.images))

    def submit_call(self, spec: TaskSpec) -> HttpCall:
        action = spec.action or "imagine"
        body: dict[str, Any] = {}
        if action == "swap_face":  # new-api's InsightFace route, not /mj/submit
            body = {"sourceBase64": spec.images[0].as_data_uri(),
                    "targetBase64": spec.images[1].as_data_uri(), **spec.params}
            return HttpCall("POST", "/mj/insight-face/swap", json=body,
                            what="Submitting a Midjourney face swap")
        if spec.prompt:
            body["prompt"] = spec.prompt
        if action == "describe":
            body["base64"] = spec.images[0].as_data_uri()
        elif action == "modal" and spec.images:  # Vary (Region): the area to redraw
            body["maskBase64"] = spec.images[0].as_data_uri()
        elif spec.images:
            # Midjourney wants data URIs; URLs go in the prompt, as Discord users write them.
            links = [image.url for image in spec.images if image.url]
            encoded = [image.as_data_uri() for image in spec.images if not image.url]
            if encoded:
                body["base64Array"] = encoded
            if links:
                body["prompt"] = " ".join([*links, body.get("prompt", "")]).strip()
        body.update(spec.params)
        return HttpCall("POST", f"/mj/submit/{action}", json=body,
                        what=f"Submitting a Midjourney {action}")

    def parse_submit(self, body: Any, spec: TaskSpec) -> Submitted:
        node = require_mapping(body, "Submitting a Midjourney task")
        code = node.get("code")
        if not isinstance(code, (int, str)):
            code = None  # a list or object here is no submit code at all: not accepted
        description = str(node.get("description") or "").strip()
        properties = node.get("properties") if isinstance(node.get("properties"), Mapping) else {}
        if code == QUEUE_FULL:
            raise RetrySubmit(TaskError(
                f"Midjourney's queue is full (code 23): {description or 'try again later'}.",
                protocol=self.name, reason=description or "queue full", code=code,
                retryable=True,
            ))
        if code == BANNED:
            word = properties.get("bannedWord") if properties else None
            detail = f" (banned word: {word})" if word else ""
            raise ContentPolicyError(
                f"Midjourney refused the prompt{detail}: {description or 'banned prompt'}. "
                "Reword it.", protocol=self.name, reason=description or "banned prompt",
                code=code,
            )
        if code not in ACCEPTED_CODES:
            raise TaskError(
                f"Midjourney did not accept the task (code {code}): "
                f"{description or 'no description'}.",
                protocol=self.name, reason=description or None, code=code,
            )
        result = node.get("result")
        task_id = str(result).strip() if isinstance(result, (str, int)) else ""
        if not task_id:
            raise ResponseFormatError("Midjourney's submit answer has no task id ('result').")
        return Submitted(task_id, {"model": spec.model, "action": spec.action or "imagine",
                                   "code": code})

    def poll_call(self, task_id: str, meta: Mapping[str, Any]) -> HttpCall:
        return HttpCall("GET", f"/mj/task/{quote(task_id, safe='')}/fetch",
                        what=f"Checking Midjourney task {task_id}")

    def parse_poll(self, body: Any, task_id: str, meta: Mapping[str, Any]) -> TaskSnapshot:
        node = require_mapping(body, f"Checking Midjourney task {task_id}")
        status = node.get("status")
        state = self.state(status)
        extra: dict[str, Any] = {}
        buttons = [
            {key: button.get(key) for key in ("customId", "label", "emoji") if button.get(key)}
            for button in node.get("buttons") or [] if isinstance(button, Mapping)
        ]
        if buttons:
            extra["buttons"] = buttons
        properties = node.get("properties")
        if isinstance(properties, Mapping) and properties.get("finalPrompt"):
            extra["final_prompt"] = properties["finalPrompt"]
            if str(node.get("action", "")).upper() == "DESCRIBE":
                extra["text"] = properties["finalPrompt"]  # describe answers with prompts
        if node.get("promptEn"):
            extra["prompt_en"] = node["promptEn"]
        items: list[MediaItem] = []
        reason = None
        if state == "succeeded":
            items = _items(node)
        elif state == "failed":
            reason = str(node.get("failReason") or node.get("description") or "").strip() or None
        progress = parse_progress(node.get("progress"))
        return TaskSnapshot(
            task_id=task_id, protocol=self.name, state=state,
            status=None if status is None else str(status),
            progress=100 if state == "succeeded" else progress, items=items, reason=reason,
            extra=extra, raw=node, model=meta.get("model"),
        )


def _items(node: Mapping[str, Any]) -> list[MediaItem]:
    """A VIDEO task's videos first (``result.url`` is what was asked for), then its image
    (the frame it started from); an image task's image."""
    items: list[MediaItem] = []
    videos = [entry.get("url") for entry in node.get("videoUrls") or []
              if isinstance(entry, Mapping)]
    for url in [node.get("videoUrl"), *videos]:
        if is_url(url) and all(item.url != url for item in items):
            items.append(MediaItem("video", url=str(url)))
    image = node.get("imageUrl")
    if is_url(image) and all(item.url != image for item in items):
        items.append(MediaItem("image", url=str(image)))
    return items
