"""Errors in the envelopes of the upstreams a relay passes on as they are (often with HTTP 200).

Fault steps ``upstream-<name>`` (docs/emulator-contract.md): each answers one error the way that
provider's API words it, at the status a relay in front of it is seen to use. Stream step
``upstream-event-<name>:N`` sends the same body as a stream event after N chunks. Written from the
providers' public documentation, independently of any client.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from .envelopes import request_id

__all__ = ["UPSTREAM_ERRORS", "upstream_error", "upstream_event"]

# name -> (status, body)
UPSTREAM_ERRORS: dict[str, tuple[int, Any]] = {
    # docs.anthropic.com/en/api/errors
    "anthropic-overloaded": (529, {"type": "error", "error": {
        "type": "overloaded_error", "message": "Overloaded"}}),
    "anthropic-rate-limit-200": (200, {"type": "error", "error": {
        "type": "rate_limit_error", "message": "This request would exceed the rate limit."}}),
    # ai.google.dev/gemini-api/docs/troubleshooting
    "gemini-exhausted-200": (200, {"error": {
        "code": 429, "message": "Resource has been exhausted (e.g. check quota).",
        "status": "RESOURCE_EXHAUSTED"}}),
    "gemini-bad-key": (400, {"error": {
        "code": 400, "message": "API key not valid. Please pass a valid API key.",
        "status": "INVALID_ARGUMENT"}}),
    # cloud.baidu.com/doc/WENXINWORKSHOP/s/tlmyncueh
    "baidu-qps-200": (200, {"error_code": 18, "error_msg": "Open api qps request limit reached"}),
    # help.aliyun.com/zh/model-studio/error-code
    "dashscope-key-200": (200, {"code": "InvalidApiKey", "message": "Invalid API-key provided."}),
    # Kling's common codes: 1102 = the account's balance / resource pack is used up
    "kling-balance-200": (200, {"code": 1102, "message": "账户余额不足", "data": None}),
    # docs.z.ai/api-reference/api-code
    "zhipu-concurrency": (429, {"error": {"code": "1302",
                                          "message": "您当前使用该API的并发数过高"}}),
    # new-api's own {success, message}
    "success-false-200": (200, {"success": False, "message": "该令牌额度已用尽"}),
    # FastAPI's validation error
    "fastapi-422": (422, {"detail": [{"loc": ["body", "messages"], "msg": "field required",
                                      "type": "value_error.missing"}]}),
    # FastAPI's HTTPBearer (github.com/fastapi/fastapi/pull/10232), passed on with 200
    "fastapi-auth-200": (200, {"detail": "Invalid authentication credentials"}),
    # Gemini's streamGenerateContent error, a one-item array
    # (github.com/google-gemini/gemini-cli/issues/25607)
    "gemini-denied-array-200": (200, [{"error": {
        "code": 403, "message": "The caller does not have permission",
        "status": "PERMISSION_DENIED"}}]),
    # cloud.baidu.com/doc/WENXINWORKSHOP/s/tlmyncueh: error_code 110, the page's own example
    "baidu-token-200": (200, {"error_code": 110,
                              "error_msg": "Access token invalid or no longer valid"}),
    # one-api / new-api's plain-string error field
    "openai-string-200": (200, {"error": "无效的令牌"}),
}


def upstream_event(name: str) -> str | None:
    """The body of ``upstream-<name>`` as one stream event's data (upstreams send their error
    envelope mid-stream, after the text so far), or None for an unknown name."""
    found = UPSTREAM_ERRORS.get(name)
    return None if found is None else json.dumps(found[1], ensure_ascii=False)


def upstream_error(request: Request, name: str) -> JSONResponse | None:
    """The response of fault step ``upstream-<name>``, or None for an unknown name."""
    found = UPSTREAM_ERRORS.get(name)
    if found is None:
        return None
    status, body = found
    return JSONResponse(body, status_code=status,
                        headers={"x-upstream-request-id": request_id(request)})
