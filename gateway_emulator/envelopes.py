"""Error bodies in the gateways' own envelopes (protocol.md §2), with the request-id suffix."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse


def request_id(request: Request) -> str:
    """The id the middleware gave this request (also sent as ``X-Oneapi-Request-Id``)."""
    return str(getattr(request.state, "request_id", "") or "")


def with_request_id(request: Request, message: str) -> str:
    rid = request_id(request)
    return f"{message} (request id: {rid})" if rid else message


def openai_error(
    request: Request,
    status: int,
    message: str,
    *,
    code: Any = "",
    type_: str = "new_api_error",
    param: str | None = None,
) -> JSONResponse:
    """``{"error": {"message", "type", "param", "code"}}`` (§2.1)."""
    error = {"message": with_request_id(request, message), "type": type_, "param": param or "",
             "code": code}
    return JSONResponse({"error": error}, status_code=status)


def task_error(request: Request, status: int, code: str, message: str) -> JSONResponse:
    """``{"code", "message", "data": null}`` used by the task routes (§2.3)."""
    return JSONResponse({"code": code, "message": with_request_id(request, message), "data": None},
                        status_code=status)


def mj_error(
    request: Request, status: int, code: int, description: str, type_: str = "new_api_error"
) -> JSONResponse:
    """``{"description", "type", "code"}`` of the Midjourney relay (§2.4)."""
    return JSONResponse({"description": with_request_id(request, description), "type": type_,
                         "code": code}, status_code=status)
