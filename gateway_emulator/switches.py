"""Provider switches in a chat body, as the upstream behind the relay treats them.

Doubao's hybrid models (seed 000: "混合推理, 可关闭思考") read ``thinking: {"type": "enabled" |
"disabled" | "auto"}`` and refuse any other shape (Volcengine's ``InvalidParameter``); OpenAI
refuses fields it does not know (``Unrecognized request argument supplied``), and only its search
models take ``web_search_options``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .envelopes import openai_error
from .models import ModelSpec

THINKING_TYPES = ("enabled", "disabled", "auto")


def switch_refusal(request: Request, body: dict[str, Any], spec: ModelSpec | None
                   ) -> Response | None:
    """The upstream's 400 for a switch it does not take, else None."""
    if spec is None:
        return None
    for param in sorted(spec.refuses):
        if param in body:
            return openai_error(request, 400, f"Unrecognized request argument supplied: {param}",
                                code=None, type_="invalid_request_error", param=param)
    thinking = body.get("thinking")
    if spec.thinking_switch and thinking is not None and (
            not isinstance(thinking, dict) or thinking.get("type") not in THINKING_TYPES):
        return openai_error(
            request, 400, "The parameter `thinking.type` specified in the request are not "
            f"valid: {thinking!r}", code="InvalidParameter", type_="BadRequest",
            param="thinking.type")
    options = body.get("web_search_options")
    if options is not None and not isinstance(options, dict):
        return openai_error(request, 400, "Invalid type for 'web_search_options': expected an "
                            "object.", code="invalid_type", type_="invalid_request_error",
                            param="web_search_options")
    return None


def thinks(body: dict[str, Any], spec: ModelSpec | None) -> bool:
    """Whether a reasoning model shows its thinking: a hybrid model not when it was turned off."""
    if spec is None or not spec.thinking_switch:
        return True
    thinking = body.get("thinking")
    return not (isinstance(thinking, dict) and thinking.get("type") == "disabled")
