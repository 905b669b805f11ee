"""Midjourney proxy routes of new-api (protocol.md §13; errors §2.4).

Submit ``/mj/submit/{imagine,blend,describe,shorten,action,modal,change,simple-change,video,edits}``
(also under ``/mj-fast``, ``/mj-relax``, ``/mj-turbo``) -> ``{code, description, result,
properties}``; fetch ``/mj/task/{id}/fetch``, ``POST /mj/task/list-by-condition``,
``/mj/task/{id}/image-seed``; images at ``/mj/image/{id}`` (no auth).

A fresh task has status ``""`` and progress ``"0%"`` (as through new-api), then ``SUBMITTED``,
``IN_PROGRESS`` with ``"N%"`` (``imageUrl`` a preview with ``?rand=``), then ``SUCCESS`` with
``imageUrl`` and ``buttons`` whose ``customId`` drive ``/mj/submit/action``. Flags come from the
``X-Emulator-Task`` header: ``banned`` (code 24), ``queue-full`` (code 23), ``queued`` (code 22),
and the generic task flags. ``MJ::CustomZoom`` buttons open a MODAL task (code 21) that runs
after ``/mj/submit/modal``.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..envelopes import mj_error, openai_error
from .files import png_bytes, root_url, seed_of, video_url
from .tasks import (
    ODD_STATUS,
    Snapshot,
    Stage,
    Task,
    digits,
    fail_reason,
    header_flags,
    new_task,
    now,
    percent,
    snapshot,
    store,
)

MODES = ("", "/mj-fast", "/mj-relax", "/mj-turbo")
GRID_ACTIONS = {"IMAGINE", "VARIATION", "REROLL", "BLEND", "HIGH_VARIATION", "LOW_VARIATION",
                "PAN", "ZOOM", "CUSTOM_ZOOM", "EDITS"}
_SIMPLE_CHANGE = re.compile(r"^\s*(\S+)\s+([UuVv])([1-4])\s*$|^\s*(\S+)\s+([Rr])\s*$")


@dataclass(frozen=True)
class Submitted:
    code: int
    description: str
    task: Task


# ---------------------------------------------------------------- helpers


def _ok(code: int, description: str, result: Any, properties: dict[str, Any] | None = None
        ) -> Response:
    return JSONResponse({"code": code, "description": description, "result": result,
                         "properties": properties or {}})


def _refuse(request: Request, description: str) -> Response:
    """A request error: code 4 with HTTP 400 (§2.4, §13)."""
    return mj_error(request, 400, 4, description)


async def _body(request: Request) -> dict[str, Any] | Response:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return _refuse(request, "read_request_body_failed")
    return data if isinstance(data, dict) else _refuse(request, "read_request_body_failed")


def _mj_id(request: Request) -> str:
    tasks = store(request)
    while True:
        candidate = str(int(time.time() * 1000)) + digits(3)
        if tasks.get(candidate) is None:
            return candidate


def _find(request: Request, task_id: Any) -> Task | None:
    task = store(request).get(str(task_id)) if task_id else None
    return task if task is not None and task.protocol == "midjourney" else None


def _message_hash(task: Task) -> str:
    return str(uuid.UUID(bytes=hashlib.sha1(task.id.encode()).digest()[:16]))


def _create(request: Request, action: str, prompt: str, body: dict[str, Any], *,
            parent: Task | None = None, custom_id: str = "", modal: bool = False,
            extra: dict[str, Any] | None = None) -> Task:
    flags = header_flags(request) | (parent.flags - {"banned", "queue-full", "queued"}
                                     if parent else frozenset())
    params = {"botType": body.get("botType") or (parent.params.get("botType") if parent else None)
              or "MID_JOURNEY", "state": body.get("state") or "", "customId": custom_id,
              **(extra or {})}
    task = new_task(request, protocol="midjourney", model="midjourney", prompt=prompt,
                    flags=flags, task_id=_mj_id(request), action=action, params=params,
                    parent=parent.id if parent else None)
    task.waiting_modal = modal
    return task


def _submitted(task: Task, code: int = 1, description: str = "提交成功") -> Response:
    properties: dict[str, Any] = {"discordChannelId": "emulator", "discordInstanceId": "emulator"}
    if task.waiting_modal:
        properties.update({"status": "MODAL", "finalPrompt": task.prompt})
    if code == 22:
        properties["numberOfQueues"] = 1
    return _ok(code, description, task.id, properties)


# ---------------------------------------------------------------- submit


async def submit(request: Request) -> Response:
    action = request.path_params["action"].lower()
    handler = _SUBMITS.get(action)
    if handler is None:
        return openai_error(request, 404, f"Invalid URL ({request.method} {request.url.path})",
                            type_="invalid_request_error")
    body = await _body(request)
    if isinstance(body, Response):
        return body
    flags = header_flags(request)
    if action not in ("action", "modal", "change", "simple-change"):
        gate = _gate(request, flags, body)
        if gate is not None:
            return gate
    response = handler(request, body)
    if isinstance(response, Task):
        if "queued" in flags:
            return _submitted(response, 22, "排队中，前面还有1个任务")
        return _submitted(response)
    return response


def _gate(request: Request, flags: frozenset[str], body: dict[str, Any]) -> Response | None:
    """Submit refusals by the upstream proxy: queue full (23) and banned prompt (24)."""
    if "queue-full" in flags:
        return _ok(23, "队列已满，请稍后尝试", None,
                   {"discordInstanceId": "emulator", "numberOfQueues": 10})
    if "banned" in flags:
        prompt = str(body.get("prompt") or "")
        word = prompt.split()[0] if prompt.split() else "prompt"
        return _ok(24, "可能包含敏感词", None, {"promptEn": prompt, "bannedWord": word})
    return None


def _imagine(request: Request, body: dict[str, Any]) -> Task | Response:
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return _refuse(request, "prompt_is_required")
    images = body.get("base64Array") or []
    return _create(request, "IMAGINE", prompt.strip(), body,
                   extra={"images": len(images) if isinstance(images, list) else 0})


def _blend(request: Request, body: dict[str, Any]) -> Task | Response:
    images = body.get("base64Array")
    if not isinstance(images, list) or not 2 <= len(images) <= 5:
        return _refuse(request, "base64Array must hold 2 to 5 images")
    dimensions = body.get("dimensions") or "SQUARE"
    if dimensions not in ("PORTRAIT", "SQUARE", "LANDSCAPE"):
        return _refuse(request, "dimensions must be PORTRAIT, SQUARE or LANDSCAPE")
    return _create(request, "BLEND", f"blend of {len(images)} images", body,
                   extra={"images": len(images), "dimensions": dimensions})


def _describe(request: Request, body: dict[str, Any]) -> Task | Response:
    image = body.get("base64")
    if not isinstance(image, str) or not image.startswith("data:image/"):
        return _refuse(request, "base64 must be a data:image/...;base64 URI")
    return _create(request, "DESCRIBE", "", body, extra={"images": 1})


def _shorten(request: Request, body: dict[str, Any]) -> Task | Response:
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return _refuse(request, "prompt_is_required")
    return _create(request, "SHORTEN", prompt.strip(), body)


def _video(request: Request, body: dict[str, Any]) -> Task | Response:
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return _refuse(request, "prompt_is_required")
    return _create(request, "VIDEO", prompt.strip(), body)


def _edits(request: Request, body: dict[str, Any]) -> Task | Response:
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return _refuse(request, "prompt_is_required")
    return _create(request, "EDITS", prompt.strip(), body)


def _swap(request: Request, body: dict[str, Any]) -> Task | Response:
    if not body.get("sourceBase64") or not body.get("targetBase64"):
        return _refuse(request, "sourceBase64 and targetBase64 are required")
    return _create(request, "SWAP_FACE", "", body)


def _action(request: Request, body: dict[str, Any]) -> Task | Response:
    if not body.get("taskId"):
        return _refuse(request, "task_id_is_required")
    custom_id = body.get("customId")
    if not isinstance(custom_id, str) or not custom_id:
        return _refuse(request, "customId is required")
    return _follow_up(request, body, str(body["taskId"]), custom_id)


def _change(request: Request, body: dict[str, Any]) -> Task | Response:
    if not body.get("taskId"):
        return _refuse(request, "task_id_is_required")
    kind = str(body.get("action") or "").upper()
    index = body.get("index")
    prefix = {"UPSCALE": "MJ::JOB::upsample::", "VARIATION": "MJ::JOB::variation::"}.get(kind)
    if kind == "REROLL":
        return _follow_up(request, body, str(body["taskId"]), "MJ::JOB::reroll::0::", prefix=True)
    if prefix is None or index not in (1, 2, 3, 4):
        return _refuse(request, "action must be UPSCALE|VARIATION (index 1-4) or REROLL")
    return _follow_up(request, body, str(body["taskId"]), f"{prefix}{index}::", prefix=True)


def _simple_change(request: Request, body: dict[str, Any]) -> Task | Response:
    match = _SIMPLE_CHANGE.match(str(body.get("content") or ""))
    if match is None:
        return _refuse(request, "content must look like '<taskId> U1..U4|V1..V4|R'")
    if match.group(1):
        task_id, letter, index = match.group(1), match.group(2).upper(), match.group(3)
        kind = "upsample" if letter == "U" else "variation"
        return _follow_up(request, body, task_id, f"MJ::JOB::{kind}::{index}::", prefix=True)
    return _follow_up(request, body, match.group(4), "MJ::JOB::reroll::0::", prefix=True)


def _modal(request: Request, body: dict[str, Any]) -> Task | Response:
    task = _find(request, body.get("taskId"))
    if task is None:
        return _refuse(request, "task_not_found")
    if not task.waiting_modal:
        return _refuse(request, "task_status_not_modal")
    if isinstance(body.get("prompt"), str) and body["prompt"].strip():
        task.prompt = body["prompt"].strip()
    task.created = now(request)
    task.created_wall = time.time()
    task.waiting_modal = False
    return _ok(1, "提交成功", task.id, {"discordInstanceId": "emulator"})


def _follow_up(request: Request, body: dict[str, Any], parent_id: str, custom_id: str, *,
               prefix: bool = False) -> Task | Response:
    parent = _find(request, parent_id)
    if parent is None:
        return _refuse(request, "task_not_found")
    state = snapshot(parent, now(request))
    if not state.succeeded:
        return _refuse(request, "task_status_not_success")
    ids = [b["customId"] for b in _buttons(parent)]
    matches = [c for c in ids if c.startswith(custom_id)] if prefix else [
        c for c in ids if c == custom_id]
    if not matches:
        return _refuse(request, f"customId {custom_id!r} is not a button of task {parent.id}")
    chosen = matches[0]
    action, extra = _action_of(chosen, parent)
    if action == "CUSTOM_ZOOM":
        task = _create(request, action, parent.prompt, body, parent=parent, custom_id=chosen,
                       modal=True, extra=extra)
        return _submitted(task, 21, "窗口等待")
    return _create(request, action, extra.pop("prompt", parent.prompt), body, parent=parent,
                   custom_id=chosen, extra=extra)


def _action_of(custom_id: str, parent: Task) -> tuple[str, dict[str, Any]]:
    parts = custom_id.split("::")
    if custom_id.startswith("MJ::JOB::"):
        kind = parts[2]
        index = int(parts[3]) if parts[3].isdigit() else 0
        name = {"upsample": "UPSCALE", "variation": "VARIATION", "reroll": "REROLL",
                "high_variation": "HIGH_VARIATION", "low_variation": "LOW_VARIATION"}.get(kind)
        return name or "PAN", {"index": index}
    if custom_id.startswith("MJ::Outpaint::"):
        return "ZOOM", {}
    if custom_id.startswith("MJ::CustomZoom::"):
        return "CUSTOM_ZOOM", {}
    if custom_id.startswith(("MJ::Job::PicReader::", "MJ::Job::PromptAnalyzer::")):
        index = int(parts[-1]) if parts[-1].isdigit() else 1
        return "IMAGINE", {"prompt": _options(parent)[index - 1]}
    return "DESCRIBE", {}  # MJ::Picreader::Retry


_SUBMITS = {
    "imagine": _imagine, "blend": _blend, "describe": _describe, "shorten": _shorten,
    "action": _action, "modal": _modal, "change": _change, "simple-change": _simple_change,
    "video": _video, "edits": _edits, "swap_face": _swap,
}


# ---------------------------------------------------------------- task objects


def _options(task: Task) -> list[str]:
    """Describe / shorten results: four prompts built from the task, not from recognition."""
    base = task.prompt or f"an image, style {seed_of(task.id)[:6]}"
    return [f"{base}, variant {i}" for i in range(1, 5)]


def _buttons(task: Task) -> list[dict[str, Any]]:
    h = _message_hash(task)

    def button(custom_id: str, label: str = "", emoji: str = "", style: int = 2
               ) -> dict[str, Any]:
        return {"customId": custom_id, "emoji": emoji, "label": label, "type": 2, "style": style}

    if task.action in GRID_ACTIONS:
        return ([button(f"MJ::JOB::upsample::{i}::{h}", f"U{i}") for i in range(1, 5)]
                + [button(f"MJ::JOB::reroll::0::{h}::SOLO", emoji="🔄")]
                + [button(f"MJ::JOB::variation::{i}::{h}", f"V{i}") for i in range(1, 5)])
    if task.action == "UPSCALE":
        return [button(f"MJ::JOB::high_variation::1::{h}::SOLO", "Vary (Strong)", "🪄"),
                button(f"MJ::JOB::low_variation::1::{h}::SOLO", "Vary (Subtle)", "🪄"),
                button(f"MJ::Outpaint::50::1::{h}::SOLO", "Zoom Out 2x", "🔍"),
                button(f"MJ::CustomZoom::{h}", "Custom Zoom", "🔍"),
                button(f"MJ::JOB::pan_left::1::{h}::SOLO", emoji="⬅️"),
                button(f"MJ::JOB::pan_right::1::{h}::SOLO", emoji="➡️")]
    if task.action in ("DESCRIBE", "SHORTEN"):
        kind = "PicReader" if task.action == "DESCRIBE" else "PromptAnalyzer"
        return ([button(f"MJ::Job::{kind}::{i}", emoji=f"{i}\ufe0f\u20e3") for i in range(1, 5)]
                + ([button("MJ::Picreader::Retry", emoji="🔄")]
                   if task.action == "DESCRIBE" else []))
    return []


def _status(task: Task, state: Snapshot) -> tuple[str, str]:
    if task.waiting_modal:
        return "MODAL", "0%"
    if state.odd:
        return ODD_STATUS.upper(), percent(state.progress)
    if state.stage is Stage.NOT_START:
        return "", "0%"  # through new-api, before the poller's first update
    if state.stage in (Stage.SUBMITTED, Stage.QUEUED):
        return "SUBMITTED", "0%"
    return state.stage.value, percent(state.progress)


def task_view(request: Request, task: Task) -> dict[str, Any]:
    state = snapshot(task, now(request))
    status, progress = _status(task, state)
    image = f"{root_url(request)}/mj/image/{task.id}"
    if state.succeeded:
        image_url = image
    elif state.stage is Stage.RUNNING and not task.waiting_modal:
        image_url = f"{image}?rand={state.progress}"
    else:
        image_url = ""
    done = state.succeeded and not task.waiting_modal
    final_prompt = task.prompt
    prompt = task.prompt
    if task.action in ("DESCRIBE", "SHORTEN") and done:
        final_prompt = "\n\n".join(f"{i}\ufe0f\u20e3 {p}" for i, p in enumerate(_options(task), 1))
        prompt = final_prompt
    video = video_url(request, f"mj-{task.id}") if task.action == "VIDEO" and done else ""
    millis = int(state.submit_time * 1000)
    return {
        "id": task.id, "action": task.action, "customId": task.params.get("customId", ""),
        "botType": task.params.get("botType", "MID_JOURNEY"), "prompt": prompt,
        "promptEn": prompt, "description": "提交成功", "state": task.params.get("state", ""),
        "submitTime": millis,
        "startTime": int(state.start_time * 1000) if state.start_time else 0,
        "finishTime": int(state.finish_time * 1000) if state.finish_time else 0,
        "imageUrl": image_url, "videoUrl": video, "videoUrls": [{"url": video}] if video else [],
        "status": status, "progress": progress,
        "failReason": fail_reason(task) if state.failed and not task.waiting_modal else "",
        "buttons": _buttons(task) if done else [], "maskBase64": "",
        "properties": {"finalPrompt": final_prompt, "finalZhPrompt": ""},
    }


# ---------------------------------------------------------------- fetch routes


async def fetch(request: Request) -> Response:
    task = _find(request, request.path_params["task_id"])
    if task is None:
        return _refuse(request, "task_not_found")
    return JSONResponse(task_view(request, task))


async def list_by_condition(request: Request) -> Response:
    body = await _body(request)
    if isinstance(body, Response):
        return body
    ids = body.get("ids") or []
    if not isinstance(ids, list):
        return _refuse(request, "ids must be a list")
    tasks = [t for t in (_find(request, i) for i in ids) if t is not None]
    return JSONResponse([task_view(request, t) for t in tasks])


async def image_seed(request: Request) -> Response:
    task = _find(request, request.path_params["task_id"])
    if task is None:
        return _refuse(request, "task_not_found")
    if not snapshot(task, now(request)).succeeded or task.waiting_modal:
        return _refuse(request, "task_status_not_success")
    return _ok(1, "成功", str(int(seed_of(task.id), 16) % 4_294_967_295))


async def image(request: Request) -> Response:
    task = _find(request, request.path_params["task_id"])
    if task is None:
        return Response("not found", status_code=404, media_type="text/plain")
    root = task
    while root.parent and (found := _find(request, root.parent)) is not None:
        root = found
    grid = task.action in GRID_ACTIONS
    width, height = {"PORTRAIT": (384, 512), "LANDSCAPE": (512, 384)}.get(
        str(task.params.get("dimensions")), (512, 512))
    body = png_bytes(width, height, seed_of(root.prompt or root.id), variant=task.row, grid=grid)
    return Response(body, media_type="image/png",
                    headers={"Cache-Control": "public, max-age=86400"})


def routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = [Route("/mj/image/{task_id}", image, methods=["GET", "HEAD"])]
    for mode in MODES:
        routes += [
            Route(f"{mode}/mj/submit/{{action}}", submit, methods=["POST"]),
            Route(f"{mode}/mj/insight-face/swap", _swap_route, methods=["POST"]),
            Route(f"{mode}/mj/task/{{task_id}}/fetch", fetch, methods=["GET"]),
            Route(f"{mode}/mj/task/{{task_id}}/image-seed", image_seed, methods=["GET"]),
            Route(f"{mode}/mj/task/list-by-condition", list_by_condition, methods=["POST"]),
        ]
    return routes


async def _swap_route(request: Request) -> Response:
    request.path_params["action"] = "swap_face"
    return await submit(request)
