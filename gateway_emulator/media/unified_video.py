"""The "unified video format" of non-new-api relays (protocol.md §12.7).

``POST /v1/video/create`` -> ``{id: "<model>:<token>", status, status_update_time}``;
``GET /v1/video/query?id=<id exactly as returned>`` -> ``{id (without the prefix), status,
video_url, status_update_time}``. A query with the unprefixed id is refused, so a client that
reuses the query answer's id is caught. Veo models report Veo's raw statuses.
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..envelopes import task_error
from ..models import check_model
from .files import video_url
from .tasks import (
    ODD_STATUS,
    Snapshot,
    Stage,
    Task,
    base_model,
    fail_reason,
    new_task,
    request_flags,
)
from .video_common import find_video, model_field, not_exist, read_task_form, snap, validate_video

_NORMAL = {Stage.NOT_START: "pending", Stage.SUBMITTED: "pending", Stage.QUEUED: "pending",
           Stage.RUNNING: "processing", Stage.SUCCESS: "success", Stage.FAILURE: "failed"}


async def create_unified(request: Request) -> Response:
    form = await read_task_form(request)
    if isinstance(form, Response):
        return form
    fields = form.fields
    model = model_field(fields, "model")
    if not model:
        return task_error(request, 400, "missing_model", "model is required")
    refused = check_model(request, model)
    if refused is not None:
        return refused
    problem = validate_video(request, fields, "")  # sizes here are small|large|720x1280...
    if problem is not None:
        return problem
    base = base_model(model)
    prefix = "jimeng" if base.startswith("jimeng") else base
    images = fields.get("images")
    params: dict[str, Any] = {
        "images": len(images) if isinstance(images, list) else 0,
        "enhance_prompt": fields.get("enhance_prompt") is True,
        "enable_upsample": fields.get("enable_upsample") is True,
        "seconds": str(fields.get("duration") or fields.get("seconds") or "8"),
    }
    task = new_task(request, protocol="unified", model=base, prompt=str(fields["prompt"]).strip(),
                    flags=request_flags(request, model),
                    task_id=f"{prefix}:{secrets.token_hex(12)}", action="generate",
                    params=params)
    body: dict[str, Any] = {"id": task.id, "status": "pending",
                            "status_update_time": int(task.created_wall * 1000)}
    if params["enhance_prompt"]:
        body["enhanced_prompt"] = _enhanced(task)
    return JSONResponse(body)


async def query_unified(request: Request) -> Response:
    task_id = request.query_params.get("id", "")
    if not task_id:
        return task_error(request, 400, "invalid_request", "id is required")
    task = find_video(request, task_id)
    if task is None or task.protocol != "unified":
        return not_exist(request)
    state = snap(request, task)
    body: dict[str, Any] = {
        "id": task.id.split(":", 1)[1],  # the prefix is dropped here (§12.7)
        "status": ODD_STATUS if state.odd else _status(task, state),
        "video_url": video_url(request, task.id) if state.succeeded else None,
        "status_update_time": int(state.updated * 1000),
    }
    if task.params.get("enhance_prompt"):
        body["enhanced_prompt"] = _enhanced(task)
    if state.failed:
        body["fail_reason"] = fail_reason(task)
    return JSONResponse(body)


def _status(task: Task, state: Snapshot) -> str:
    if not task.model.startswith("veo"):
        return _NORMAL[state.stage]
    # Veo's raw vocabulary (§12.7)
    if state.stage is Stage.FAILURE:
        return "video_generation_failed"
    if state.stage is Stage.SUCCESS:
        return "completed"
    if state.stage is Stage.RUNNING:
        upsampling = task.params.get("enable_upsample") and state.progress >= 90
        return "video_upsampling" if upsampling else "video_generating"
    if state.stage is Stage.QUEUED and task.params.get("images"):
        return "image_downloading"
    return "pending"


def _enhanced(task: Task) -> str:
    return f"{task.prompt} (enhanced)"


def routes() -> list[BaseRoute]:
    return [
        Route("/v1/video/create", create_unified, methods=["POST"]),
        Route("/v1/video/query", query_unified, methods=["GET"]),
    ]
