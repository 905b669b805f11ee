"""OpenAI/Sora video format: ``/v1/videos`` (protocol.md §12.2).

Create (multipart or JSON) -> the OpenAI video object with a ``task_`` id; poll
``GET /v1/videos/{id}``; download ``GET /v1/videos/{id}/content`` (the MP4, or JSON ``{url}`` with
the ``content-json`` flag); remix ``POST /v1/videos/{id}/remix``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..envelopes import task_error, with_request_id
from .files import mp4_bytes, png_bytes, seed_of, video_url
from .tasks import Stage, header_flags, new_task
from .video_common import (
    create_video_task,
    created_response,
    find_video,
    not_exist,
    read_task_form,
    snap,
    video_object,
)


async def create_video(request: Request) -> Response:
    task = await create_video_task(request, "openai-videos")
    if isinstance(task, Response):
        return task
    return created_response(request, task, video_object(request, task))


async def retrieve_video(request: Request) -> Response:
    task = find_video(request, request.path_params["task_id"])
    if task is None:
        return not_exist(request)
    return JSONResponse(video_object(request, task, snap(request, task)))


def _proxy_error(request: Request, status: int, message: str, type_: str) -> Response:
    """The content proxy's own envelope: ``{"error": {"message", "type"}}`` (§2.3)."""
    return JSONResponse({"error": {"message": with_request_id(request, message), "type": type_}},
                        status_code=status)


async def video_content(request: Request) -> Response:
    task = find_video(request, request.path_params["task_id"])
    if task is None:
        return _proxy_error(request, 404, "Task not found", "invalid_request_error")
    state = snap(request, task)
    if state.stage is not Stage.SUCCESS:
        return _proxy_error(request, 400, "Task is not completed yet, current status: "
                            f"{state.stage.value}", "invalid_request_error")
    variant = request.query_params.get("variant", "video")
    if "content-json" in task.flags | header_flags(request):
        return JSONResponse({"url": video_url(request, task.id)})
    headers = {"Cache-Control": "public, max-age=86400"}
    if variant == "video":
        return Response(mp4_bytes(), media_type="video/mp4", headers=headers)
    if variant in ("thumbnail", "spritesheet"):
        return Response(png_bytes(320, 180, seed_of(task.prompt)), media_type="image/png",
                        headers=headers)
    return _proxy_error(request, 400, f"unsupported variant: {variant}", "invalid_request_error")


async def remix_video(request: Request) -> Response:
    origin = find_video(request, request.path_params["task_id"])
    if origin is None:
        return not_exist(request)
    form = await read_task_form(request)
    if isinstance(form, Response):
        return form
    prompt = form.fields.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return task_error(request, 400, "invalid_request", "prompt is required")
    params: dict[str, Any] = {**origin.params, "remix_of": origin.id}
    task = new_task(request, protocol=origin.protocol, model=origin.model, prompt=prompt.strip(),
                    flags=origin.flags | header_flags(request), action="remix", params=params)
    return created_response(request, task, video_object(request, task))


def routes() -> list[BaseRoute]:
    return [
        Route("/v1/videos", create_video, methods=["POST"]),
        Route("/v1/videos/{task_id}", retrieve_video, methods=["GET"]),
        Route("/v1/videos/{task_id}/content", video_content, methods=["GET"]),
        Route("/v1/videos/{task_id}/remix", remix_video, methods=["POST"]),
    ]
