"""What new-api does before a request reaches a relay route: request id, auth, logging, faults.

A plain ASGI middleware (not ``BaseHTTPMiddleware``) so streamed responses pass through untouched
and a ``reset`` step can drop the connection after reading the body.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .envelopes import openai_error
from .faults import canned_response, is_stream_step, step_args, step_name
from .models import split_model
from .state import EmulatorState

_OPEN_PREFIXES = ("/_emulator", "/files/", "/mj/image/")
_MULTIPART_MODEL = re.compile(rb'name="model"\r\n(?:[^\r\n]*\r\n)*\r\n([^\r\n]*)')


class GatewayMiddleware:
    def __init__(self, app: ASGIApp, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_OPEN_PREFIXES):
            await self.app(scope, receive, send)
            return
        rid = secrets.token_hex(12)
        scope.setdefault("state", {})["request_id"] = rid
        body = await read_body(receive)
        request = Request(scope)
        model = _model_of(request, body)
        scenario, steps = _scenario(request, model)
        step = self.state.next_step(scenario, steps) if scenario and steps else None
        entry = self.state.record({
            "method": scope["method"], "path": scope["path"], "model": model,
            "scenario": scenario, "fault": step, "status": None,
            "task_flags": request.headers.get("x-emulator-task"), "at": self.state.clock(),
            "inputs": _inputs_of(request, body), "params": _params_of(request, body),
        })

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []),
                                      (b"x-oneapi-request-id", rid.encode())]
                entry["status"] = message["status"]
            await send(message)

        replay = replayer(body, receive)
        if not self._authorised(request):
            response = openai_error(request, 401, "无效的令牌", code="")
            await response(scope, replay, send_with_id)
            return
        if not self.state.admit(request.headers.get("authorization", "")[7:]):
            minutes = f"{self.state.rate_window / 60:g}"
            response = openai_error(
                request, 429, f"您已达到请求数限制：{minutes}分钟内最多请求"
                f"{self.state.rate_limit}次", code="")
            await response(scope, replay, send_with_id)
            return
        if step:
            name = step_name(step)
            if name == "reset":
                _drop_connection(scope)
                entry["status"] = "reset"
                return
            if name == "gate":  # gate:N holds requests until N of this scenario are in
                entry["held"], entry["gate_opened"] = await self.state.gate(
                    str(scenario), int(step_args(step)[0]))
            elif name in ("stall", "delay"):
                await asyncio.sleep(step_args(step)[0] if step_args(step) else 30.0)
            elif is_stream_step(name):
                scope["state"]["stream_fault"] = step
            else:
                canned = canned_response(request, step, split_model(model).base if model else "")
                if canned is not None:
                    await canned(scope, replay, send_with_id)
                    return
        await self.app(scope, replay, send_with_id)

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            return self.state.key_is_valid(header[7:])
        path = request.url.path
        secret = request.headers.get("mj-api-secret")
        if secret and "/mj/" in path:
            return self.state.key_is_valid(secret)
        api_key = request.headers.get("x-api-key")
        if api_key and ("/v1/messages" in path or "/v1/models" in path):
            return self.state.key_is_valid(api_key)
        return False


async def read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def replayer(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _model_of(request: Request, body: bytes) -> str:
    content_type = request.headers.get("content-type", "")
    if "json" in content_type and body:
        try:
            data: Any = json.loads(body)
        except ValueError:
            return ""
        model = (data.get("model") or data.get("model_name") or data.get("mv")
                 if isinstance(data, dict) else None)
        return model if isinstance(model, str) else ""
    if "multipart" in content_type:
        match = _MULTIPART_MODEL.search(body)
        return match.group(1).decode("utf-8", "replace") if match else ""
    return ""


def _inputs_of(request: Request, body: bytes) -> int | None:
    """How many texts an embeddings (or rerank) request carries: what a gateway bills by."""
    if "json" not in request.headers.get("content-type", "") or b'"input"' not in body:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    value = data.get("input") if isinstance(data, dict) else None
    return len(value) if isinstance(value, list) else (1 if isinstance(value, str) else None)


# What a body says besides its content: the log keeps these (small) fields, not the texts.
_CONTENT_FIELDS = frozenset({"messages", "input", "prompt", "documents", "query", "image",
                             "images", "tools"})
_PARAMS_LIMIT = 4096


def _params_of(request: Request, body: bytes) -> dict[str, Any] | None:
    """A JSON body's top-level fields other than its content, when they are small."""
    if "json" not in request.headers.get("content-type", "") or not body:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    params = {k: v for k, v in data.items() if k not in _CONTENT_FIELDS}
    return params if len(json.dumps(params, default=str)) <= _PARAMS_LIMIT else None


def _scenario(request: Request, model: str) -> tuple[str | None, str | None]:
    steps = request.headers.get("x-emulator-faults")
    if steps:
        return request.headers.get("x-emulator-scenario") or f"header:{steps}", steps
    faults = split_model(model).faults if model else None
    return (model, faults) if faults else (None, None)


def _drop_connection(scope: Scope) -> None:
    abort = scope.get("extensions", {}).get("emulator.abort")
    if abort is None:
        raise RuntimeError("the 'reset' fault needs the emulator's own server (python -m "
                           "gateway_emulator), which can drop connections")
    abort()
