"""Scripted failures: the responses a relay gives when something upstream goes wrong.

Steps come from ``X-Emulator-Faults`` (scenario ``X-Emulator-Scenario``) or a ``model@@steps``
suffix. Steps that replace the whole response are answered here; stream steps (``cut:N``,
``cut-close:N``, ``stall-stream:N:S``, ``malformed:N``, ``error-chunk:N``, ``close-after-done``,
``upstream-event-<name>:N``) are handed to the streaming route, which knows where its chunks
are. ``gate:N`` holds each request until N
requests of the scenario are held at once (the log says how many were), so a test can check
a client's concurrency without timing it.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response

from .envelopes import openai_error, with_request_id
from .upstreams import upstream_error, upstream_event

STREAM_STEPS = ("cut", "cut-close", "stall-stream", "malformed", "error-chunk", "close-after-done")
UPSTREAM_EVENT = "upstream-event-"
SATURATED = "当前分组上游负载已饱和，请稍后再试"

_HTML = """<!DOCTYPE html>
<html><head><title>{status} | {title}</title></head>
<body><div class="cf-error-details"><h1>Error {status}</h1><p>{title}</p>
<p>Cloudflare Ray ID: 8d2f3a1b9c0e4f21</p></div></body></html>"""


def is_stream_step(name: str) -> bool:
    """Steps the streaming route carries out where its chunks are."""
    return name in STREAM_STEPS or name.startswith(UPSTREAM_EVENT)


def step_name(step: str) -> str:
    return step.split(":", 1)[0]


def step_args(step: str) -> list[float]:
    return [float(part) for part in step.split(":")[1:]]


def canned_response(request: Request, step: str, model: str) -> Response | None:
    """The response that replaces the normal one for ``step``; None when the route serves it."""
    name = step_name(step)
    if name == "429-empty":
        return Response(status_code=429)
    if name == "429-saturated":
        return openai_error(request, 429, SATURATED, code="")
    if name == "503-model-not-found":
        return openai_error(request, 503, f"分组 default 下模型 {model or 'unknown'} "
                            "无可用渠道（distributor）", code="model_not_found")
    if name == "503-overloaded":
        return openai_error(request, 503, "system cpu overloaded", code="system_cpu_overloaded")
    if name in ("500-html", "502-html"):
        status = int(name[:3])
        title = "Internal server error" if status == 500 else "Bad gateway"
        return Response(_HTML.format(status=status, title=title), status_code=status,
                        media_type="text/html")
    if name == "500":
        return openai_error(request, 500, "bad response status code 500",
                            code="bad_response_status_code", type_="upstream_error")
    if name == "200-error":
        return openai_error(request, 200, "upstream error: invalid response", code="bad_response",
                            type_="upstream_error")
    if name == "403-quota":
        return openai_error(request, 403, "用户额度不足, 剩余额度: ＄0.000000",
                            code="insufficient_user_quota")
    if name == "401":
        return openai_error(request, 401, "无效的令牌", code="")
    if name == "not-json":
        return Response("upstream said: OK but not JSON", media_type="text/plain")
    if name.startswith("upstream-"):
        return upstream_error(request, name.removeprefix("upstream-"))
    if name == "huge":
        size = int(step_args(step)[0]) if step_args(step) else 5_000_000
        return huge_response(request, size, model)
    return None


def huge_response(request: Request, size: int, model: str) -> Response:
    """A 200 whose body is about ``size`` bytes, shaped like a chat completion."""
    body = {
        "id": "chatcmpl-huge", "object": "chat.completion", "created": 0, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "x" * size},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": size // 4,
                  "total_tokens": 1 + size // 4},
    }
    return Response(json.dumps(body), media_type="application/json")


def error_chunk(request: Request, name: str = "error-chunk") -> str:
    """A mid-stream error payload: new-api's ``{"error": ...}``, or for
    ``upstream-event-<name>`` that upstream's own envelope."""
    if name.startswith(UPSTREAM_EVENT):
        event = upstream_event(name.removeprefix(UPSTREAM_EVENT))
        if event is not None:
            return event
    return json.dumps({"error": {"message": with_request_id(request, "upstream stream error"),
                                 "type": "upstream_error", "code": "bad_response"}},
                      ensure_ascii=False)


