"""Kling official-format routes of new-api (protocol.md §12.4).

``POST /kling/v1/videos/{text2video|image2video}`` with a Kling-native body (``model_name`` or
``model``) -> the OpenAI video object (not Kling's ``{code:0,data:{task_id}}``; flag ``legacy``
gives that raw answer with the upstream id). Poll ``GET /kling/v1/videos/{kind}/{id}`` -> poll
shape 1 with the raw Kling JSON under ``data.data``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..envelopes import task_error
from .video_common import (
    create_video_task,
    created_response,
    envelope,
    find_video,
    legacy_create_body,
    not_exist,
    read_task_form,
    snap,
    task_dto,
    video_object,
)

KINDS = ("text2video", "image2video")


async def create_kling(request: Request) -> Response:
    kind = request.path_params["kind"]
    if kind not in KINDS:
        return task_error(request, 404, "invalid_request", f"unknown Kling route: {kind}")
    if kind == "image2video":
        form = await read_task_form(request)
        if isinstance(form, Response):
            return form
        if not form.fields.get("image"):
            return task_error(request, 400, "invalid_request", "image is required")
    task = await create_video_task(
        request, "kling", model_names=("model_name", "model"),
        require_prompt=kind == "text2video",
        action="generate" if kind == "image2video" else "textGenerate",
        extra={"kling_kind": kind})
    if isinstance(task, Response):
        return task
    if "legacy" in task.flags:
        return created_response(request, task, legacy_create_body(task))
    return created_response(request, task, video_object(request, task))


async def fetch_kling(request: Request) -> Response:
    if request.path_params["kind"] not in KINDS:
        return task_error(request, 404, "invalid_request", "unknown Kling route")
    task = find_video(request, request.path_params["task_id"])
    if task is None:
        return not_exist(request)
    return JSONResponse(envelope(task_dto(request, task, snap(request, task))))


def routes() -> list[BaseRoute]:
    return [
        Route("/kling/v1/videos/{kind}", create_kling, methods=["POST"]),
        Route("/kling/v1/videos/{kind}/{task_id}", fetch_kling, methods=["GET"]),
    ]
