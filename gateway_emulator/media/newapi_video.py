"""new-api's generic video format: ``/v1/video/generations`` (protocol.md §12.3).

Create -> the OpenAI video object (flag ``legacy``: the provider's raw answer plus ``task_id``,
with the upstream id). Poll ``GET /v1/video/generations/{id}`` in shape 1 (TaskDto envelope,
default), shape 2 (flag ``shape2``: ``{code, data: {task_id, status, url, format}}``) or shape 3
(flag ``shape3``: flat). The shape flags may be given at create or on the poll itself.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from .tasks import ODD_STATUS, Snapshot, Stage, Task, fail_reason, header_flags
from .video_common import (
    create_video_task,
    created_response,
    envelope,
    find_video,
    legacy_create_body,
    not_exist,
    result_url,
    snap,
    task_dto,
    video_object,
)

_SIMPLE_STATUS = {Stage.SUCCESS: "succeeded", Stage.FAILURE: "failed", Stage.QUEUED: "queued",
                  Stage.SUBMITTED: "queued"}  # else "processing" (§12.1 simplified mapping)
_DOC_STATUS = {Stage.NOT_START: "queued", Stage.SUBMITTED: "queued", Stage.QUEUED: "queued",
               Stage.RUNNING: "in_progress", Stage.SUCCESS: "completed", Stage.FAILURE: "failed"}


async def create_generation(request: Request) -> Response:
    task = await create_video_task(request, "generic")
    if isinstance(task, Response):
        return task
    if "legacy" in task.flags:
        return created_response(request, task, legacy_create_body(task))
    return created_response(request, task, video_object(request, task))


async def fetch_generation(request: Request) -> Response:
    task = find_video(request, request.path_params["task_id"])
    if task is None:
        return not_exist(request)
    state = snap(request, task)
    flags = task.flags | header_flags(request)
    if "shape3" in flags:
        return JSONResponse(_shape3(request, task, state))
    if "shape2" in flags:
        return JSONResponse(envelope(_shape2(request, task, state)))
    return JSONResponse(envelope(task_dto(request, task, state)))


def _error(task: Task, state: Snapshot) -> dict[str, Any] | None:
    return {"message": fail_reason(task), "code": "task_failed"} if state.failed else None


def _shape2(request: Request, task: Task, state: Snapshot) -> dict[str, Any]:
    """The Gemini/Vertex realtime path of new-api (and some forks for every provider)."""
    return {
        "task_id": task.id,
        "status": ODD_STATUS if state.odd else _SIMPLE_STATUS.get(state.stage, "processing"),
        "url": result_url(request, task) if state.succeeded else "",
        "format": "mp4", "metadata": None, "error": _error(task, state),
    }


def _shape3(request: Request, task: Task, state: Snapshot) -> dict[str, Any]:
    """The flat shape of new-api's docs / relay.json."""
    width, _, height = str(task.params.get("size", "1280x720")).partition("x")
    seconds = task.params.get("seconds", "4")
    return {
        "task_id": task.id,
        "status": ODD_STATUS if state.odd else _DOC_STATUS[state.stage],
        "url": result_url(request, task) if state.succeeded else "",
        "format": "mp4",
        "metadata": {"duration": _number(seconds), "fps": 24, "width": _number(width),
                     "height": _number(height), "seed": task.row},
        "error": _error(task, state),
    }


def _number(text: Any) -> int:
    try:
        return int(float(text))
    except (TypeError, ValueError):
        return 0


def routes() -> list[BaseRoute]:
    return [
        Route("/v1/video/generations", create_generation, methods=["POST"]),
        Route("/v1/video/generations/{task_id}", fetch_generation, methods=["GET"]),
    ]
