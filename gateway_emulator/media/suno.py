"""Suno routes of new-api (protocol.md §14; errors in the task envelope, §2.3).

``POST /suno/submit/{music|lyrics}`` -> ``{"code":"success","data":"task_…"}``;
``GET /suno/fetch/{id}`` and ``POST /suno/fetch {"ids": [...]}`` -> TaskDto(s) whose ``data`` is two
clips for MUSIC (``submitted`` -> ``queued`` -> ``streaming`` -> ``complete``) or the lyrics.
Flags: ``clip-error`` (the second clip ends ``error``, the task FAILURE), ``fail`` (both clips
error), plus the generic timing flags. Flags come from the header or ``+markers`` on ``mv``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..envelopes import task_error
from .files import audio_url, image_url, video_url
from .forms import BodyError, read_form
from .tasks import (
    ODD_STATUS,
    Snapshot,
    Stage,
    Task,
    base_model,
    fail_reason,
    new_task,
    now,
    percent,
    request_flags,
    snapshot,
    store,
)

DEFAULT_MV = "chirp-v3-0"
CLIP_ERROR = "the emulator was asked to fail this clip (flag: clip-error)"
_CLIP_STATUS = {Stage.NOT_START: "submitted", Stage.SUBMITTED: "submitted",
                Stage.QUEUED: "queued", Stage.RUNNING: "streaming"}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _envelope(data: Any) -> dict[str, Any]:
    return {"code": "success", "message": "", "data": data}


async def submit(request: Request) -> Response:
    action = request.path_params["action"].upper()
    if action not in ("MUSIC", "LYRICS"):
        return task_error(request, 400, "invalid_request", f"unsupported action: {action}")
    try:
        form = await read_form(request)
    except BodyError as exc:
        return task_error(request, 400, "invalid_json", str(exc))
    body = form.fields
    prompt = _text(body.get("prompt"))
    description = _text(body.get("gpt_description_prompt"))
    if action == "LYRICS" and not prompt.strip():
        return task_error(request, 400, "invalid_request", "prompt is required")
    if action == "MUSIC" and not prompt.strip() and not description.strip():
        return task_error(request, 400, "invalid_request",
                          "prompt or gpt_description_prompt is required")
    mv = _text(body.get("mv")) or DEFAULT_MV
    params = {
        "mv": base_model(mv), "title": str(body.get("title") or ""),
        "tags": str(body.get("tags") or ""),
        "instrumental": body.get("make_instrumental") is True,
        "inspiration": bool(description.strip()),
    }
    task = new_task(request, protocol="suno", model=base_model(mv),
                    prompt=(description or prompt).strip(), flags=request_flags(request, mv),
                    action=action, params=params)
    return JSONResponse(_envelope(task.id))


def _find(request: Request, task_id: Any) -> Task | None:
    task = store(request).get(str(task_id)) if task_id else None
    return task if task is not None and task.protocol == "suno" else None


async def fetch_one(request: Request) -> Response:
    task = _find(request, request.path_params["task_id"])
    if task is None:
        return task_error(request, 400, "task_not_exist", "task_not_exist")
    return JSONResponse(_envelope(task_dto(request, task)))


async def fetch_many(request: Request) -> Response:
    try:
        form = await read_form(request)
    except BodyError as exc:
        return task_error(request, 400, "invalid_json", str(exc))
    ids = form.fields.get("ids") or []
    if not isinstance(ids, list):
        return task_error(request, 400, "invalid_request", "ids must be a list")
    action = str(form.fields.get("action") or "").upper()
    tasks = [t for t in (_find(request, i) for i in ids) if t is not None]
    return JSONResponse(_envelope([task_dto(request, t) for t in tasks
                                   if not action or t.action == action]))


def _clip_failed(task: Task, index: int) -> bool:
    return "fail" in task.flags or ("clip-error" in task.flags and index == 1)


def task_dto(request: Request, task: Task) -> dict[str, Any]:
    state = snapshot(task, now(request))
    stage = state.stage
    reason = ""
    if stage is Stage.SUCCESS and "clip-error" in task.flags and task.action == "MUSIC":
        stage, reason = Stage.FAILURE, CLIP_ERROR  # a clip error fails the task (§14)
    elif stage is Stage.FAILURE:
        reason = fail_reason(task)
    if task.action == "LYRICS":
        data: Any = _lyrics(task, state)
    else:
        data = [] if state.stage is Stage.NOT_START else [
            _clip(request, task, state, i) for i in range(2)]
    return {
        "task_id": task.id, "action": task.action,
        "status": ODD_STATUS.upper() if state.odd else stage.value,
        "fail_reason": reason, "progress": percent(state.progress),
        "submit_time": int(state.submit_time), "start_time": int(state.start_time or 0),
        "finish_time": int(state.finish_time or 0), "data": data,
    }


def _clip(request: Request, task: Task, state: Snapshot, index: int) -> dict[str, Any]:
    clip_id = f"{task.id}-{index}"
    title = task.params.get("title") or (task.prompt[:40] if task.prompt else "Untitled")
    if state.stage is Stage.SUCCESS or state.stage is Stage.FAILURE:
        status = "error" if state.failed or _clip_failed(task, index) else "complete"
    else:
        status = _CLIP_STATUS[state.stage]
    complete = status == "complete"
    streaming = status == "streaming"
    metadata: dict[str, Any] = {
        "tags": task.params.get("tags", ""), "prompt": "" if task.params.get("instrumental")
        else f"[Verse]\n{task.prompt}",
        "gpt_description_prompt": task.prompt if task.params.get("inspiration") else None,
        "type": "gen", "duration": 2.0 if complete else None,
        "error_type": None, "error_message": None,
    }
    if status == "error":
        metadata["error_type"] = "generation_failed"
        metadata["error_message"] = fail_reason(task) if state.failed else CLIP_ERROR
    audio = audio_url(request, clip_id)
    return {
        "id": clip_id, "title": title, "status": status,
        # while streaming, Suno gives a live stream URL; only a complete clip has the file
        "audio_url": audio if complete else f"{audio}?stream=1" if streaming else "",
        "video_url": video_url(request, clip_id) if complete else "",
        "image_url": image_url(request, task.prompt or clip_id, (256, 256), index)
        if complete or streaming else "",
        "image_large_url": image_url(request, task.prompt or clip_id, (512, 512), index)
        if complete else "",
        "model_name": task.model, "major_model_version": task.model.split("-")[1]
        if task.model.count("-") >= 1 else "v3",
        "metadata": metadata, "created_at": int(task.created_wall),
    }


def _lyrics(task: Task, state: Snapshot) -> dict[str, Any]:
    status = ("error" if state.failed else "complete" if state.succeeded
              else _CLIP_STATUS.get(state.stage, "submitted"))
    text = f"[Verse]\n{task.prompt}\n\n[Chorus]\n{task.prompt}" if state.succeeded else ""
    return {"id": f"{task.id}-lyrics", "title": task.prompt[:40], "text": text, "status": status}


def routes() -> list[BaseRoute]:
    return [
        Route("/suno/submit/{action}", submit, methods=["POST"]),
        Route("/suno/fetch/{task_id}", fetch_one, methods=["GET"]),
        Route("/suno/fetch", fetch_many, methods=["POST"]),
    ]
