"""Balance endpoints (protocol.md §15) and the models list (§3).

``X-Emulator-Balance``: ``oneapi`` (no ``/api/usage/token/``: 404, billing pair only),
``error`` (the billing pair answers HTTP 200 with an error body, like a DB failure),
``unlimited`` (an unlimited token). ``X-Emulator-Models-Shape``: ``newapi`` (default),
``oneapi`` or ``failure``.
"""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .envelopes import openai_error
from .models import CATALOG

QUOTA_PER_UNIT = 500_000  # new-api: raw quota units per US dollar
GRANTED = 5_000_000
USED = 1_234_567


async def token_usage(request: Request) -> Response:
    mode = request.headers.get("x-emulator-balance", "")
    if mode == "oneapi":
        return openai_error(request, 404, "Invalid URL (GET /api/usage/token/)",
                            type_="invalid_request_error")
    unlimited = mode == "unlimited"
    return JSONResponse({"code": True, "message": "ok", "data": {
        "object": "token_usage", "name": "emulator", "total_granted": GRANTED,
        "total_used": USED, "total_available": GRANTED - USED, "unlimited_quota": unlimited,
        "model_limits": {}, "model_limits_enabled": False, "expires_at": 0}})


async def billing_subscription(request: Request) -> Response:
    if request.headers.get("x-emulator-balance") == "error":
        return openai_error(request, 200, "database error: could not read the token",
                            type_="upstream_error")
    limit = 100000000 if request.headers.get("x-emulator-balance") == "unlimited" else (
        GRANTED / QUOTA_PER_UNIT)
    return JSONResponse({"object": "billing_subscription", "has_payment_method": True,
                         "soft_limit_usd": limit, "hard_limit_usd": limit,
                         "system_hard_limit_usd": limit, "access_until": 0})


async def billing_usage(request: Request) -> Response:
    if request.headers.get("x-emulator-balance") == "error":
        return openai_error(request, 200, "database error: could not read usage",
                            type_="upstream_error")
    return JSONResponse({"object": "list", "total_usage": USED / QUOTA_PER_UNIT * 100})


async def list_models(request: Request) -> Response:
    shape = request.headers.get("x-emulator-models-shape", "newapi")
    created = int(time.time()) - 86_400
    if shape == "failure":
        return JSONResponse({"success": False, "message": "get user group failed"})
    if shape == "oneapi":
        data = [{"id": s.id, "object": "model", "created": created, "owned_by": s.owned_by,
                 "permission": [], "root": s.id, "parent": None} for s in CATALOG.values()]
        return JSONResponse({"object": "list", "data": data})
    data = [{"id": s.id, "object": "model", "created": created, "owned_by": s.owned_by,
             "supported_endpoint_types": list(s.endpoint_types)} for s in CATALOG.values()]
    return JSONResponse({"success": True, "object": "list", "data": data})


async def retrieve_model(request: Request) -> Response:
    name = request.path_params["model"]
    spec = CATALOG.get(name)
    if spec is None:  # new-api answers HTTP 200 with an error body here (§2.1 b)
        return JSONResponse({"error": {"message": f"The model '{name}' does not exist",
                                       "type": "invalid_request_error", "param": "model",
                                       "code": "model_not_found"}})
    return JSONResponse({"id": spec.id, "object": "model", "created": 0,
                         "owned_by": spec.owned_by})
