"""What every new-api video route shares (protocol.md §12.1-§12.4): create validation, the
OpenAI video object, the TaskDto of poll shape 1 and each provider's raw upstream JSON.
"""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..envelopes import task_error
from ..models import check_model
from .files import root_url, video_url
from .forms import BodyError, Form, read_form
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
    provider_of,
    request_flags,
    snapshot,
    store,
    upstream_task_id,
)

VIDEO_PROTOCOLS = frozenset({"openai-videos", "generic", "kling", "unified", "chat"})
SORA_SIZES = {
    "sora-2": ("720x1280", "1280x720"),
    "sora-2-pro": ("720x1280", "1280x720", "1792x1024", "1024x1792"),
}
MAX_SECONDS = 3600
# OpenAI video status (protocol.md §12.1 ToVideoStatus): NOT_START maps to "unknown"
_OPENAI_STATUS = {Stage.NOT_START: "unknown", Stage.SUBMITTED: "queued", Stage.QUEUED: "queued",
                  Stage.RUNNING: "in_progress", Stage.SUCCESS: "completed",
                  Stage.FAILURE: "failed"}


# ---------------------------------------------------------------- create


async def read_task_form(request: Request) -> Form | Response:
    try:
        return await read_form(request)
    except BodyError as exc:
        content_type = request.headers.get("content-type", "")
        code = "invalid_multipart_form" if "multipart" in content_type else "invalid_json"
        return task_error(request, 400, code, str(exc))


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def parse_seconds(value: Any) -> float | None:
    """A positive number (int or numeric string); None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) and number > 0 else None


def validate_video(request: Request, fields: dict[str, Any], model: str,
                   *, require_prompt: bool = True) -> Response | None:
    """new-api's task validation: prompt, seconds/duration bounds, Sora sizes (§12.2)."""
    if require_prompt and not _text(fields.get("prompt")):
        return task_error(request, 400, "invalid_request", "prompt is required")
    for name in ("seconds", "duration"):
        if fields.get(name) in (None, ""):
            continue
        seconds = parse_seconds(fields[name])
        if seconds is None:
            return task_error(request, 400, "invalid_seconds",
                              f"{name} must be a positive number, got {fields[name]!r}")
        if seconds > MAX_SECONDS:
            return task_error(request, 400, "invalid_seconds",
                              f"{name} must be at most {MAX_SECONDS}")
    base = base_model(model)
    allowed = SORA_SIZES.get(base)
    size = fields.get("size")
    if allowed is not None and size not in (None, "") and size not in allowed:
        return task_error(request, 400, "invalid_size", f"{base} size is invalid")
    return None


def model_field(fields: dict[str, Any], *names: str) -> str:
    for name in names:
        value = fields.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


async def create_video_task(request: Request, protocol: str, *, model_names: tuple[str, ...] =
                            ("model",), require_prompt: bool = True, action: str = "",
                            extra: dict[str, Any] | None = None) -> Task | Response:
    """Parse, validate and store a video task; a Response when the request is refused."""
    form = await read_task_form(request)
    if isinstance(form, Response):
        return form
    fields = form.fields
    model = model_field(fields, *model_names)
    if not model:
        return task_error(request, 400, "missing_model", "model is required")
    refused = check_model(request, model)
    if refused is not None:
        return refused
    problem = validate_video(request, fields, model, require_prompt=require_prompt)
    if problem is not None:
        return problem
    flags = request_flags(request, model)
    base = base_model(model)
    images = _images(fields, form)
    params = {
        "seconds": str(fields.get("seconds") or fields.get("duration") or "4"),
        "size": str(fields.get("size") or ("720x1280" if base.startswith("sora") else "1280x720")),
        "images": images,
        **(extra or {}),
    }
    task_id = upstream_task_id(base) if "legacy" in flags and protocol != "unified" else None
    action = action or ("generate" if images else "textGenerate")
    return new_task(request, protocol=protocol, model=base, prompt=_text(fields.get("prompt")),
                    flags=flags, task_id=task_id, action=action, params=params)


def _images(fields: dict[str, Any], form: Form) -> int:
    count = len(form.uploads("input_reference", "image", "image[]", "images", "images[]"))
    for name in ("image", "images", "input_reference", "image_tail"):
        value = fields.get(name)
        if isinstance(value, str) and value:
            count += 1
        elif isinstance(value, list):
            count += sum(1 for v in value if v)
    return count


def created_response(request: Request, task: Task, body: dict[str, Any]) -> JSONResponse:
    ratios = {"seconds": parse_seconds(task.params.get("seconds")) or 4}
    return JSONResponse(body, headers={"X-New-Api-Other-Ratios": json.dumps(ratios)})


def legacy_create_body(task: Task) -> dict[str, Any]:
    """mid-2025 new-api: the provider's raw create answer plus a top-level ``task_id``."""
    family = provider_of(task.model)
    millis = int(task.created_wall * 1000)
    if family == "kling":
        raw: dict[str, Any] = {"code": 0, "message": "SUCCEED", "request_id": task.id,
                               "data": {"task_id": task.id, "task_status": "submitted",
                                        "created_at": millis, "updated_at": millis}}
    elif family == "sora":
        raw = {"id": task.id, "object": "video", "model": task.model, "status": "queued",
               "progress": 0, "created_at": int(task.created_wall)}
    else:
        raw = {"id": task.id}
    return {**raw, "task_id": task.id}


# ---------------------------------------------------------------- lookups


def find_video(request: Request, task_id: str) -> Task | None:
    task = store(request).get(task_id)
    return task if task is not None and task.protocol in VIDEO_PROTOCOLS else None


def not_exist(request: Request) -> Response:
    return task_error(request, 400, "task_not_exist", "task_not_exist")


def snap(request: Request, task: Task) -> Snapshot:
    return snapshot(task, now(request))


def proxied(task: Task) -> bool:
    """Sora and Gemini/Vertex give no URL: new-api points at its own /content proxy (§12.1)."""
    return provider_of(task.model) in ("sora", "gemini")


def result_url(request: Request, task: Task) -> str:
    if proxied(task):
        return f"{root_url(request)}/v1/videos/{task.id}/content"
    return video_url(request, task.id)


# ---------------------------------------------------------------- OpenAI video object (§12.2)


def video_object(request: Request, task: Task, state: Snapshot | None = None) -> dict[str, Any]:
    """The OpenAI video object; ``state=None`` gives the create answer (queued, 0)."""
    body: dict[str, Any] = {
        "id": task.id, "task_id": task.id, "object": "video", "model": task.model,
        "status": "queued", "progress": 0, "created_at": int(task.created_wall),
        "seconds": task.params.get("seconds", "4"), "size": task.params.get("size", ""),
    }
    if state is None:
        return body
    body["status"] = ODD_STATUS if state.odd else _OPENAI_STATUS[state.stage]
    body["progress"] = state.progress
    if state.finish_time is not None:
        body["completed_at"] = int(state.finish_time)
        body["expires_at"] = int(state.finish_time) + 86400
    if state.failed:
        body["error"] = {"message": fail_reason(task), "code": "task_failed"}
    elif state.succeeded and not proxied(task):
        body["metadata"] = {"url": video_url(request, task.id)}
    return body


# ---------------------------------------------------------------- TaskDto, poll shape 1 (§12.3)


def task_dto(request: Request, task: Task, state: Snapshot) -> dict[str, Any]:
    legacy = "legacy" in task.flags
    url = result_url(request, task)
    reason = ""
    if state.failed:
        reason = fail_reason(task)
    elif state.succeeded and legacy:
        reason = video_url(request, task.id)  # old new-api stored the URL here
    dto: dict[str, Any] = {
        "id": task.row, "created_at": int(task.created_wall), "updated_at": int(state.updated),
        "task_id": task.id, "platform": provider_of(task.model), "user_id": 1,
        "group": "default", "channel_id": 1, "quota": 0, "action": task.action,
        "status": ODD_STATUS.upper() if state.odd else state.stage.value,
        "fail_reason": reason,
        "result_url": url if state.succeeded else "",
        "submit_time": int(state.submit_time), "start_time": int(state.start_time or 0),
        "finish_time": int(state.finish_time or 0), "progress": percent(state.progress),
        "properties": {"input": task.prompt},
        "data": raw_upstream(request, task, state),
    }
    if legacy:
        del dto["result_url"]
    return dto


def envelope(data: Any) -> dict[str, Any]:
    return {"code": "success", "message": "", "data": data}


def raw_upstream(request: Request, task: Task, state: Snapshot) -> dict[str, Any]:
    """The provider's own task JSON, as new-api keeps it under ``data`` (§12.6)."""
    family = provider_of(task.model)
    url = video_url(request, task.id)
    millis = int(state.updated * 1000)
    stage = state.stage
    if family == "kling":
        status = {Stage.SUCCESS: "succeed", Stage.FAILURE: "failed",
                  Stage.RUNNING: "processing"}.get(stage, "submitted")
        data: dict[str, Any] = {"task_id": task.id, "task_status": status,
                                "task_status_msg": fail_reason(task) if state.failed else "",
                                "created_at": int(task.created_wall * 1000), "updated_at": millis}
        if state.succeeded:
            data["task_result"] = {"videos": [{"id": task.id + "-v0", "url": url,
                                               "duration": task.params.get("seconds", "5")}]}
        return {"code": 0, "message": "SUCCEED", "request_id": task.id, "data": data}
    if family == "doubao":
        status = {Stage.SUCCESS: "succeeded", Stage.FAILURE: "failed",
                  Stage.RUNNING: "running"}.get(stage, "queued")
        body: dict[str, Any] = {"id": task.id, "model": task.model, "status": status,
                                "created_at": int(task.created_wall), "updated_at": millis // 1000}
        if state.succeeded:
            body["content"] = {"video_url": url}
        if state.failed:
            body["error"] = {"code": "InternalServiceError", "message": fail_reason(task)}
        return body
    if family == "sora":
        return {"id": task.id, "object": "video", "model": task.model,
                "status": _OPENAI_STATUS[stage] if stage is not Stage.NOT_START else "queued",
                "progress": state.progress, "created_at": int(task.created_wall)}
    if family == "gemini":
        operation: dict[str, Any] = {"name": f"models/{task.model}/operations/{task.row}",
                                     "done": stage.done}
        if state.failed:
            operation["error"] = {"code": 13, "message": fail_reason(task)}
        return operation
    if family == "jimeng":
        status = ("failed" if state.failed else "done" if state.succeeded
                  else "generating" if stage is Stage.RUNNING else "in_queue")
        return {"code": 10000, "message": "Success",
                "data": {"status": status, "video_url": url if state.succeeded else ""}}
    return {"task_id": task.id, "status": stage.value.lower(),
            "url": url if state.succeeded else ""}
