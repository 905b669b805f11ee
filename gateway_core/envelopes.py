"""Reading an error out of any body a gateway, its upstream or a proxy in front of it sends.

Every envelope of the ecosystem, at any status (relays pass upstream errors on with HTTP 200),
each with its source in ``cassettes/README.md`` ("Error envelopes"):

===========================  ===================================================================
family                       shape
===========================  ===================================================================
``openai``                   ``{"error": {"message", "type", "param", "code"}}`` (new-api, Azure,
                             DeepSeek, Moonshot, Zhipu); also ``{"error": "text"}``
``anthropic``                ``{"type": "error", "error": {"type", "message"}}``
``gemini``                   ``{"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message"}}``
                             (also as a one-item array, ``streamGenerateContent``)
``baidu``                    ``{"error_code": 18, "error_msg": "Open api qps request limit…"}``
``code``                     ``{"code": 1102 | "InvalidApiKey", "msg" | "message": …}`` with a code
                             that does not mean success (Qwen/DashScope, Kling, Chinese relays)
``success``                  ``{"success": false, "message": …}``
``fastapi``                  ``{"detail": "text" | [{"loc", "msg", "type"}, …]}`` (in a 2xx body
                             only when ``detail`` is its one field)
``bare``                     ``message`` / ``msg`` / ``err`` / ``description`` alone (non-2xx only)
===========================  ===================================================================

On a 2xx body only unambiguous markers count: a normal answer (a completion, an embedding list,
a task with ``code: 0`` / ``"success"`` and its ``data``) is never taken for an error. The body
decides what it is, not its Content-Type (:mod:`gateway_core.bodies`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .bodies import body_kind, body_text

__all__ = ["ErrorInfo", "find_error_in_body", "parse_error_body"]

MAX_MESSAGE = 600
#: The ``error_type`` given to FastAPI's validation errors (``detail`` as a list of ``loc``).
VALIDATION_ERROR = "request_validation_error"
_MAX_CODE = 120
_HTML_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_META_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_-]+)", re.IGNORECASE)
_CHALLENGE_MARKERS = (b"just a moment", b"cf-chl", b"challenge-platform", b"attention required",
                      b"cf-browser-verification", b"captcha")
# Codes that mean success in the task and "code/msg" envelopes (Kling 0, new-api "success",
# Chinese relays 200 / "ok"); Midjourney's 1 (submitted) and 21/22 never carry "msg"/"message".
_SUCCESS_CODES = frozenset({0, 200, "0", "200", "success", "SUCCESS", "ok", "OK", "Success"})
_SUCCESS_WORDS = ("success", "succeed", "成功", "ok")


@dataclass(frozen=True)
class ErrorInfo:
    """What could be read out of an error body, whatever its envelope."""

    message: str
    code: Any = None
    error_type: str | None = None
    param: str | None = None
    request_id: str | None = None
    is_html: bool = False
    #: The envelope it came in (see the module's table); None when there was none.
    family: str | None = None
    #: A gRPC-style status name (Gemini's ``RESOURCE_EXHAUSTED``, ``PERMISSION_DENIED`` …).
    status_name: str | None = None
    #: What an HTML page usually means (a web front end, a Cloudflare challenge).
    html_hint: str | None = None

    def __post_init__(self) -> None:
        # Bodies are untrusted: a code or type that is a list or an object must not reach the
        # classifier (which hashes codes) or an exception's fields as anything but text.
        if self.code is not None and not isinstance(self.code, (str, int, float)):
            object.__setattr__(self, "code", text_of(self.code)[:_MAX_CODE])
        if self.error_type is not None and not isinstance(self.error_type, str):
            object.__setattr__(self, "error_type", text_of(self.error_type)[:_MAX_CODE])
        if self.status_name is not None and not isinstance(self.status_name, str):
            object.__setattr__(self, "status_name", None)


def text_of(value: Any) -> str:
    """A body value as text (JSON for anything that is not a string)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def find_error_in_body(body: Any) -> ErrorInfo | None:
    """The error a decoded JSON body describes, or None if it describes success.

    Used for 2xx bodies (and stream events) as well as for error statuses, so only markers that
    cannot be part of a successful answer count.
    """
    if isinstance(body, list) and body and isinstance(body[0], Mapping):
        # Gemini's streamGenerateContent answers an error as a one-item JSON array.
        return find_error_in_body(body[0]) if "error" in body[0] else None
    if not isinstance(body, Mapping):
        return None
    if len(body) == 1 and body.get("detail"):
        # FastAPI's {"detail": …} alone: no answer, chunk or task is only that, at any status.
        return _fastapi(body["detail"])
    error = body.get("error")
    if isinstance(error, Mapping) and error:
        return _error_object(body, error)
    if isinstance(error, str) and error:
        return ErrorInfo(message=error, code=body.get("code"), error_type=_str(body.get("type")),
                         family="openai")
    if "error_code" in body and body.get("error_code") not in (0, "0", None):
        return ErrorInfo(message=text_of(body.get("error_msg") or body.get("error_code")),
                         code=body.get("error_code"), family="baidu")
    if body.get("success") is False:
        return ErrorInfo(message=text_of(body.get("message") or body.get("msg")
                                         or "the gateway reported failure"),
                         code=body.get("code"), family="success")
    return _code_and_message(body)


def _error_object(body: Mapping[str, Any], error: Mapping[str, Any]) -> ErrorInfo:
    message = error.get("message") or error.get("msg") or error.get("detail") or ""
    status_name = _str(error.get("status"))
    outer = body.get("type")
    family = "anthropic" if outer == "error" else "gemini" if status_name else "openai"
    return ErrorInfo(
        message=text_of(message) if message else text_of(dict(error)),
        code=error.get("code"),
        error_type=error.get("type") or (outer if isinstance(outer, str) and outer != "error"
                                         else None),
        param=error.get("param") if isinstance(error.get("param"), str) else None,
        family=family,
        status_name=status_name,
    )


def _code_and_message(body: Mapping[str, Any]) -> ErrorInfo | None:
    """``{"code": N, "msg"|"message": …}`` whose code does not mean success and that carries no
    result (``data``): Qwen/DashScope, Kling and most Chinese relays' own errors."""
    if "code" not in body:
        return None
    code = body.get("code")
    message = body.get("msg") or body.get("message")
    if not isinstance(code, (int, str)) or isinstance(code, bool) or not message:
        return None
    if code in _SUCCESS_CODES:
        return None
    if body.get("data") not in (None, "", [], {}):
        return None
    text = text_of(message)
    if text.strip().lower() in _SUCCESS_WORDS:
        return None
    return ErrorInfo(message=text, code=code, error_type=_str(body.get("type")), family="code",
                     request_id=_str(body.get("request_id")))


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _fastapi(detail: Any) -> ErrorInfo:
    # A list of {loc, msg} is FastAPI's request validation error (its 422), whatever the status.
    validation = isinstance(detail, list) and any(
        isinstance(item, Mapping) and "loc" in item for item in detail)
    return ErrorInfo(message=_detail(detail), family="fastapi",
                     error_type=VALIDATION_ERROR if validation else None)


def _detail(detail: Any) -> str:
    """FastAPI's ``detail``: a string, or a list of ``{"loc", "msg"}`` made readable."""
    if not isinstance(detail, list):
        return text_of(detail)
    parts = []
    for item in detail:
        if isinstance(item, Mapping) and item.get("msg"):
            where = item.get("loc")
            place = ".".join(str(p) for p in where) if isinstance(where, list) else ""
            parts.append(f"{place}: {text_of(item['msg'])}" if place else text_of(item["msg"]))
        else:
            parts.append(text_of(item))
    return "; ".join(parts)


def _bare_message(body: Mapping[str, Any]) -> ErrorInfo | None:
    """What a non-2xx body says when it has no envelope: a lone message-like field."""
    if body.get("detail"):
        return _fastapi(body["detail"])
    for key in ("message", "msg", "err", "error_msg", "description"):
        value = body.get(key)
        if value:
            code = body.get("code")
            return ErrorInfo(
                message=text_of(value),
                code=None if code in ("success", 0, 1, True) else code,
                error_type=_str(body.get("type")),
                family="bare",
            )
    header = body.get("header")
    if isinstance(header, Mapping) and header.get("message"):
        return ErrorInfo(message=text_of(header["message"]), code=header.get("code"),
                         family="bare")
    return None


def _page_charset(page: bytes, content_type: str) -> str:
    """The Content-Type with a charset: its own, else the page's ``<meta charset>`` (Chinese
    front ends often declare GBK only there)."""
    if "charset=" in content_type.lower():
        return content_type
    declared = _META_CHARSET.search(page[:4096])
    return f"text/html; charset={declared.group(1).decode('ascii')}" if declared else content_type


def _html_page(page: bytes, content_type: str, status: int) -> ErrorInfo:
    title_match = _HTML_TITLE.search(page)
    title = (body_text(title_match.group(1), _page_charset(page, content_type)).strip()
             if title_match else "")
    title = re.sub(r"\s+", " ", title)[:200]
    lowered = page[:20_000].lower()
    if any(marker in lowered for marker in _CHALLENGE_MARKERS):
        hint = ("a Cloudflare (or other WAF) challenge page: the site blocks scripted clients "
                "from this network; ask the gateway's operator to allow API traffic, or use "
                "another network or the site's API domain")
    elif status >= 500:
        hint = ("an error page of a proxy in front of the gateway (Cloudflare, nginx): the "
                "gateway behind it is down or overloaded")
    else:
        hint = ("usually the base URL points at the site's web front end instead of its API: "
                "use the address its docs give for API calls (new-api serves them under /v1)")
    where = f" ({title})" if title else ""
    return ErrorInfo(message=f"An HTML page came back{where} instead of a JSON answer: {hint}.",
                     is_html=True, html_hint=hint)


def parse_error_body(status: int, content: bytes, content_type: str = "") -> ErrorInfo:
    """Read an error out of any body a gateway (or a proxy in front of it) may send."""
    stripped = content.strip()
    if not stripped:
        return ErrorInfo(message=f"The gateway answered HTTP {status} with an empty body.")
    if body_kind(stripped[:64]) == "html":  # the body decides, not its label
        return _html_page(stripped, content_type, status)
    text = body_text(stripped, content_type)
    try:
        body = json.loads(text)
    except ValueError:
        return ErrorInfo(message=text[:MAX_MESSAGE])
    if isinstance(body, str):
        return ErrorInfo(message=body[:MAX_MESSAGE])
    found = find_error_in_body(body) or (
        _bare_message(body) if isinstance(body, Mapping) else None)
    if found is not None:
        return found
    return ErrorInfo(message=text_of(body)[:MAX_MESSAGE])
