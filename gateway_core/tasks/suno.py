"""Suno through new-api: ``POST /suno/submit/{music|lyrics}``, ``GET /suno/fetch/{id}``.

protocol.md §14. The submit answers ``{"code": "success", "data": "<task id>"}``; the fetch
answers ``{"code": "success", "data": TaskDto}`` whose ``data`` holds the clips. A clip is only
trusted when its status is ``complete`` (``streaming`` clips already have an ``audio_url`` that
is not final). The task may end FAILURE while one of its clips completed: the complete clip is
delivered (it was paid for) and the failed clip's reason is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from ..errors import InvalidRequestError, ResponseFormatError, TaskError
from ..media_items import MediaItem
from .base import TaskProtocol, error_reason, require_mapping
from .newapi_video import unwrap_task_envelope
from .results import is_url
from .status import TaskState, parse_progress
from .types import HttpCall, Submitted, TaskSnapshot, TaskSpec

__all__ = ["Suno"]

# Custom mode (the prompt is the lyrics): a style, a title, lyrics, or continuing a clip.
_CUSTOM_KEYS = ("tags", "title", "lyrics", "continue_clip_id")


class Suno(TaskProtocol):
    """``suno``: songs (``music``, default) and lyrics (``lyrics``)."""

    name = "suno"
    kinds = ("audio",)
    status_overrides: ClassVar[Mapping[str, TaskState]] = {"UNKNOWN": "running"}

    def validate(self, spec: TaskSpec) -> None:
        action = spec.action or "music"
        if action not in ("music", "lyrics"):
            raise InvalidRequestError("Suno action must be 'music' or 'lyrics'.")
        if not (spec.prompt or spec.params.get("lyrics") or spec.params.get("prompt")):
            raise InvalidRequestError("The prompt is empty: describe the song to make.")

    def submit_call(self, spec: TaskSpec) -> HttpCall:
        action = spec.action or "music"
        params = dict(spec.params)
        body: dict[str, Any] = {}
        if action == "lyrics":
            body["prompt"] = spec.prompt
        elif any(key in params for key in _CUSTOM_KEYS):
            # Custom mode: the prompt is the lyrics, with a style (tags) and a title.
            body["prompt"] = params.pop("lyrics", None) or spec.prompt
        else:
            # Inspiration mode: Suno writes the lyrics from a description.
            body["gpt_description_prompt"] = spec.prompt
        if spec.model and action == "music":
            body["mv"] = spec.model
        body.update(params)
        return HttpCall("POST", f"/suno/submit/{action}", json=body,
                        what=f"Submitting a Suno {action} task")

    def parse_submit(self, body: Any, spec: TaskSpec) -> Submitted:
        node = require_mapping(body, "Submitting a Suno task")
        code = node.get("code")
        data = node.get("data")
        if code not in (None, "success") or not data:
            message = str(node.get("message") or code or "no task id")
            raise TaskError(f"Suno did not accept the task: {message}.", protocol=self.name,
                            reason=message, code=code)
        if isinstance(data, Mapping):
            data = data.get("task_id") or data.get("id")
        if not isinstance(data, (str, int)) or not str(data).strip():
            raise ResponseFormatError("Suno's submit answer has no task id in 'data'.")
        return Submitted(str(data).strip(), {"model": spec.model, "action": spec.action or "music"})

    def poll_call(self, task_id: str, meta: Mapping[str, Any]) -> HttpCall:
        return HttpCall("GET", f"/suno/fetch/{quote(task_id, safe='')}",
                        what=f"Checking Suno task {task_id}")

    def parse_poll(self, body: Any, task_id: str, meta: Mapping[str, Any]) -> TaskSnapshot:
        node = unwrap_task_envelope(body, f"Checking Suno task {task_id}")
        status = node.get("status")
        state = self.state(status)
        clips_data = node.get("data")
        extra: dict[str, Any] = {}
        items: list[MediaItem] = []
        failed_clips: list[str] = []
        if isinstance(clips_data, Mapping) and "text" in clips_data:  # lyrics
            extra["lyrics"] = clips_data.get("text")
            if clips_data.get("title"):
                extra["title"] = clips_data["title"]
        elif isinstance(clips_data, list):
            for clip in clips_data:
                if not isinstance(clip, Mapping):
                    continue
                clip_state = self.state(clip.get("status"))
                if clip.get("status") == "complete" and is_url(clip.get("audio_url")):
                    items.append(_clip_item(clip))
                elif clip_state == "failed":
                    failed_clips.append(_clip_reason(clip))
        reason = None
        if state in ("succeeded", "failed"):
            if items:
                state = "succeeded"
                if failed_clips:
                    reason = "some clips failed: " + "; ".join(failed_clips)
            elif state == "succeeded" and (meta.get("action") or "music") == "music":
                state = "failed"
                reason = "the task finished without a complete clip"
            if state == "failed":
                reason = (error_reason(node) or "; ".join(failed_clips) or reason
                          or "no reason given")
        progress = parse_progress(node.get("progress"))
        return TaskSnapshot(
            task_id=task_id, protocol=self.name, state=state,
            status=None if status is None else str(status), progress=progress, items=items,
            reason=reason, extra=extra, raw=node, model=meta.get("model"),
        )


def _clip_item(clip: Mapping[str, Any]) -> MediaItem:
    metadata = clip.get("metadata") if isinstance(clip.get("metadata"), Mapping) else {}
    extra = {key: clip[key] for key in ("id", "title", "image_url", "image_large_url",
                                        "video_url", "model_name") if clip.get(key)}
    for key in ("duration", "tags", "prompt"):
        if metadata and metadata.get(key):
            extra[key] = metadata[key]
    return MediaItem("audio", url=str(clip["audio_url"]), extra=extra)


def _clip_reason(clip: Mapping[str, Any]) -> str:
    metadata = clip.get("metadata") if isinstance(clip.get("metadata"), Mapping) else {}
    message = (metadata or {}).get("error_message") or (metadata or {}).get("error_type")
    return f"clip {clip.get('id', '?')}: {message or clip.get('status')}"


def continuation(clip_id: str, at: float, tags: str | None, title: str | None
                 ) -> dict[str, Any]:
    """The body fields that continue clip ``clip_id`` from second ``at`` (custom mode)."""
    if not isinstance(clip_id, str) or not clip_id.strip():
        raise InvalidRequestError("continue_song needs the id of the clip to continue.")
    if isinstance(at, bool) or not isinstance(at, (int, float)) or not 0 <= at < 3600:
        raise InvalidRequestError(
            f"at must be the second of the clip to continue from, not {at!r}.")
    extra = {k: v for k, v in (("tags", tags), ("title", title)) if v is not None}
    return {"continue_clip_id": clip_id, "continue_at": at, **extra}


def fetch_call(ids: list[str]) -> HttpCall:
    """``POST /suno/fetch {"ids": [...]}``: several Suno tasks in one request."""
    return HttpCall("POST", "/suno/fetch", json={"ids": ids},
                    what=f"Checking {len(ids)} Suno task(s)")


def parse_fetched(body: Any) -> list[TaskSnapshot]:
    """The snapshots of a batch fetch, in the gateway's order."""
    node = require_mapping(body, "Checking Suno tasks")
    data = node.get("data")
    if node.get("code") not in (None, "success") or not isinstance(data, list):
        raise ResponseFormatError(
            f"Suno's batch fetch did not answer a list of tasks: {str(body)[:200]!r}.")
    protocol = Suno()
    snapshots = []
    for dto in data:
        task_id = str(dto.get("task_id") or "") if isinstance(dto, Mapping) else ""
        snapshots.append(protocol.parse_poll({"code": "success", "data": dto}, task_id, {}))
    return snapshots
