"""Errors raised by ai-gateway-kit, and the parsing of every error envelope gateways send.

The hierarchy::

    GatewayError                      base of everything this package raises
    ├── ConfigurationError            bad settings, found before any request (also a ValueError)
    ├── InvalidRequestError           bad input found before any request (also a ValueError)
    ├── TransportError                no usable HTTP response
    │   ├── GatewayConnectionError    connect failed / connection dropped
    │   └── GatewayTimeoutError       connect or read timeout
    │       └── DeadlineExceededError the call's overall deadline passed (a stream's too)
    ├── APIError                      the gateway answered with an error (any status, even 200)
    │   ├── BadRequestError           400 / 422
    │   │   ├── UnsupportedParameterError   400 naming a parameter the model or relay rejects
    │   │   └── ContextWindowExceededError  the prompt is longer than the model accepts
    │   ├── AuthenticationError       401
    │   ├── PermissionDeniedError     403
    │   │   └── QuotaExceededError    403 insufficient quota (never retried)
    │   ├── NotFoundError             404
    │   ├── EndpointNotSupportedError 404 route / 501 api_not_implemented (e.g. no /v1/rerank)
    │   ├── RequestTooLargeError      413
    │   ├── RateLimitError            429, and "负载已饱和" (saturated) in any status
    │   ├── ModelNotAvailableError    503 model_not_found: no channel serves the model right now
    │   └── ServerError               500, 502, 503, 504, 520-524, HTML error pages
    ├── ResponseFormatError           a 2xx body that is not what the protocol promises
    │   └── ResponseTooLargeError     a body beyond max_response_bytes (reading stopped there)
    ├── StreamError                   a stream that broke after it started
    │   └── IncompleteStreamError     ended without finish_reason; carries the partial output
    └── TaskError                     an async media task failed (task id, protocol, reason)
        ├── TaskTimeoutError          still not finished at the overall timeout
        └── ContentPolicyError        the prompt or image was refused by moderation

Every error carries ``status_code``, ``code`` (the gateway's), ``error_type``, ``request_id``
(``X-Oneapi-Request-Id``, or the ``(request id: …)`` suffix moved out of the message) and
``retryable``. Messages say what to do. No message, repr or attribute holds the API key:
``redact`` removes it from any text that came back from the gateway.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .bodies import body_kind, body_text

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ContentPolicyError",
    "ContextWindowExceededError",
    "DeadlineExceededError",
    "EndpointNotSupportedError",
    "ErrorInfo",
    "GatewayConnectionError",
    "GatewayError",
    "GatewayTimeoutError",
    "IncompleteStreamError",
    "InvalidRequestError",
    "ModelNotAvailableError",
    "NotFoundError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimitError",
    "RequestTooLargeError",
    "ResponseFormatError",
    "ServerError",
    "StreamError",
    "TaskError",
    "TaskTimeoutError",
    "TransportError",
    "UnsupportedParameterError",
    "error_from_response",
    "find_error_in_body",
    "parse_error_body",
    "redact",
]

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
_REQUEST_ID_SUFFIX = re.compile(r"\s*[(（]\s*request id:\s*([^)）\s]+)\s*[)）]\s*$", re.IGNORECASE)
_HTML_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
# Never retried, whatever the message says ("请稍后再试" is
# also how relays word a disabled group or a refused key).
_NEVER_RETRIED = frozenset({400, 401, 403, 404, 413, 422})
_SATURATION_MARKERS = ("负载已饱和", "saturated", "请稍后再试", "too many requests", "rate limit")
_QUOTA_CODES = frozenset(
    {"insufficient_user_quota", "pre_consume_token_quota_failed", "insufficient_quota",
     "quota_not_enough"}
)
_QUOTA_MARKERS = (
    "额度不足", "余额不足", "insufficient quota", "insufficient_quota", "quota exceeded",
)
_CONTEXT_MARKERS = (
    "context_length_exceeded", "maximum context length", "context window", "prompt is too long",
    "input is too long", "too many tokens",
)
_NOT_IMPLEMENTED_CODES = frozenset({"api_not_implemented", "not_implemented"})
_MAX_MESSAGE = 600
_MAX_CODE = 120


class GatewayError(Exception):
    """Base class for every error raised by ai-gateway-kit.

    Every field is declared here, one meaning each (httpx's exceptions are the model); an
    error that has no value for a field keeps the class default.
    """

    retryable: bool = False
    #: The gateway's own words (redacted, without our advice); None when the error is ours.
    gateway_message: str | None = None
    #: How many attempts the call made before it raised (1: it was not retried).
    attempts: int = 1
    #: Whether the request body may have reached the gateway. False only when it certainly did
    #: not (no connection, bad input): a paid create that failed so may be sent again.
    body_sent: bool = True
    #: What a broken stream had delivered before it broke (empty for other errors).
    partial_text: str = ""
    partial_reasoning: str = ""
    partial_tool_calls: list[dict[str, Any]] = []  # replaced per error, never mutated
    #: Seconds the gateway asked to wait before trying again (``Retry-After``,
    #: ``retry-after-ms``), when it said; the call did not wait that long itself.
    retry_after: float | None = None
    #: True when the body was an HTML page (a web front end, a proxy's error or challenge
    #: page), not an answer of the API.
    html_page: bool = False
    #: The partial answer in the caller's own type (LangChain ``AIMessageChunk``, LlamaIndex
    #: ``ChatResponse``), when a framework adapter raised the error; else None.
    partial: Any = None

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: Any = None,
        error_type: str | None = None,
        param: str | None = None,
        request_id: str | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code
        self.error_type = error_type
        self.param = param
        self.request_id = request_id
        if retryable is not None:
            self.retryable = retryable

    def __str__(self) -> str:
        details = []
        if self.status_code is not None:
            details.append(f"HTTP {self.status_code}")
        if self.code not in (None, ""):
            details.append(f"code={self.code}")
        if self.request_id:
            details.append(f"request id {self.request_id}")
        return f"{self.message} [{', '.join(details)}]" if details else self.message

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}({self.message!r}, status_code={self.status_code!r}, code={self.code!r})"


class ConfigurationError(GatewayError, ValueError):
    """Settings that cannot work (missing key, bad base URL, insecure http)."""

    body_sent = False


class InvalidRequestError(GatewayError, ValueError):
    """Input rejected before anything was sent (empty prompt, unreadable file, absurd size)."""

    body_sent = False


class TransportError(GatewayError):
    """No usable HTTP response arrived."""

    retryable = True


class GatewayConnectionError(TransportError):
    """The connection could not be made, or dropped before a response."""


class GatewayTimeoutError(TransportError):
    """A connect, read or overall deadline ran out."""


class DeadlineExceededError(GatewayTimeoutError):
    """The call's overall ``deadline`` passed: before a retry, or while a stream was still
    running (``partial_text`` then holds what it had delivered). Not retried."""

    retryable = False


class APIError(GatewayError):
    """The gateway answered with an error."""


class BadRequestError(APIError):
    """The gateway or its upstream rejected the request as invalid (400/422)."""


class UnsupportedParameterError(BadRequestError):
    """A 400 that names an optional parameter the model or relay does not accept."""


class ContextWindowExceededError(BadRequestError):
    """The prompt does not fit the model's context window."""


class AuthenticationError(APIError):
    """The API key was refused (401)."""


class PermissionDeniedError(APIError):
    """The key may not do this (403): model not allowed for the group, channel pinning, …"""


class QuotaExceededError(PermissionDeniedError):
    """The key or account has no quota left (403). Never retried."""


class NotFoundError(APIError):
    """The resource does not exist (404), e.g. an unknown task id."""


class EndpointNotSupportedError(APIError):
    """The gateway does not implement this endpoint (404 route not found, 501)."""


class RequestTooLargeError(APIError):
    """The request body is larger than the gateway accepts (413)."""


class RateLimitError(APIError):
    """Rate limited, or the upstream of the key's group is saturated (429)."""

    retryable = True


class ModelNotAvailableError(APIError):
    """503 model_not_found: no channel of the key's group serves the model at the moment."""

    retryable = True


class ServerError(APIError):
    """The gateway or its upstream failed (5xx, 52x, an HTML error page)."""

    retryable = True


class ResponseFormatError(GatewayError):
    """A successful response whose body is not what the protocol promises."""


class ResponseTooLargeError(ResponseFormatError):
    """A response body larger than ``max_response_bytes``; the connection was dropped."""


class StreamError(GatewayError):
    """A stream broke after it had started."""


class IncompleteStreamError(StreamError):
    """The stream ended without a ``finish_reason``: the answer may be cut off.

    ``partial_text``, ``partial_reasoning`` and ``partial_tool_calls`` hold everything received,
    so nothing is lost; ``partial`` holds the adapter-level partial result when there is one.
    """

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        partial_text: str = "",
        partial_reasoning: str = "",
        partial_tool_calls: list[dict[str, Any]] | None = None,
        partial: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.partial_text = partial_text
        self.partial_reasoning = partial_reasoning
        self.partial_tool_calls = partial_tool_calls or []
        self.partial = partial


class TaskError(GatewayError):
    """An asynchronous media task failed. ``task_id`` is kept so the paid work is not lost."""

    def __init__(
        self,
        message: str,
        *,
        task_id: str | None = None,
        protocol: str | None = None,
        reason: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.task_id = task_id
        self.protocol = protocol
        self.reason = reason


class TaskTimeoutError(TaskError):
    """The task was still running when the overall timeout ran out (it may still finish)."""

    retryable = False


class ContentPolicyError(TaskError):
    """The gateway or provider refused the prompt or input image (moderation)."""


# --------------------------------------------------------------------------- envelope parsing


@dataclass(frozen=True)
class ErrorInfo:
    """What could be read out of an error body, whatever its envelope."""

    message: str
    code: Any = None
    error_type: str | None = None
    param: str | None = None
    request_id: str | None = None
    is_html: bool = False

    def __post_init__(self) -> None:
        # Bodies are untrusted: a code or type that is a list or an object must not reach the
        # classifier (which hashes codes) or an exception's fields as anything but text.
        if self.code is not None and not isinstance(self.code, (str, int, float)):
            object.__setattr__(self, "code", _text(self.code)[:_MAX_CODE])
        if self.error_type is not None and not isinstance(self.error_type, str):
            object.__setattr__(self, "error_type", _text(self.error_type)[:_MAX_CODE])


def redact(text: str, secrets: Iterable[str]) -> str:
    """Remove every secret (and its ``sk-``-less form) from ``text``."""
    for secret in secrets:
        if not secret:
            continue
        text = text.replace(secret, "***")
        bare = secret[3:] if secret.startswith("sk-") else ""
        if len(bare) >= 8:
            text = text.replace(bare, "***")
    return text


def _split_request_id(message: str) -> tuple[str, str | None]:
    match = _REQUEST_ID_SUFFIX.search(message)
    if not match:
        return message, None
    return message[: match.start()].rstrip(), match.group(1)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _outer_type(body: Mapping[str, Any]) -> str | None:
    outer = body.get("type")
    return outer if isinstance(outer, str) and outer != "error" else None


def find_error_in_body(body: Any) -> ErrorInfo | None:
    """Return the error described by a decoded JSON body, or None if it describes success.

    Knows the OpenAI/new-api envelope, Anthropic's, the task envelope ``{code,message,data}``,
    Midjourney's ``{code,description}``, ``{"success": false}`` and bare strings under
    ``message|msg|err|error_msg|detail``. Used both for non-2xx bodies and for HTTP 200 bodies,
    where only an unambiguous error marker counts.
    """
    if not isinstance(body, Mapping):
        return None
    error = body.get("error")
    if isinstance(error, Mapping) and error:
        message = error.get("message") or error.get("msg") or error.get("detail") or ""
        return ErrorInfo(
            message=_text(message) if message else _text(dict(error)),
            code=error.get("code"),
            error_type=error.get("type") or _outer_type(body),
            param=error.get("param") if isinstance(error.get("param"), str) else None,
        )
    if isinstance(error, str) and error:
        return ErrorInfo(message=error, code=body.get("code"), error_type=body.get("type"))
    if body.get("success") is False:
        return ErrorInfo(message=_text(body.get("message") or "the gateway reported failure"),
                         code=body.get("code"))
    return None


def _bare_message(body: Mapping[str, Any]) -> ErrorInfo | None:
    for key in ("message", "msg", "err", "error_msg", "detail", "description"):
        value = body.get(key)
        if value:
            code = body.get("code")
            return ErrorInfo(
                message=_text(value),
                code=None if code in ("success", 0, 1, True) else code,
                error_type=body.get("type") if isinstance(body.get("type"), str) else None,
            )
    header = body.get("header")
    if isinstance(header, Mapping) and header.get("message"):
        return ErrorInfo(message=_text(header["message"]), code=header.get("code"))
    return None


def parse_error_body(status: int, content: bytes, content_type: str = "") -> ErrorInfo:
    """Read an error out of any body a gateway (or a proxy in front of it) may send."""
    stripped = content.strip()
    if not stripped:
        return ErrorInfo(message=f"The gateway answered HTTP {status} with an empty body.")
    if body_kind(stripped[:64]) == "html":  # the body decides, not its label
        title_match = _HTML_TITLE.search(stripped)
        title = body_text(title_match.group(1), content_type).strip() if title_match else ""
        title = re.sub(r"\s+", " ", title)[:200]
        where = f" ({title})" if title else ""
        return ErrorInfo(
            message=(
                f"The gateway, or a proxy in front of it such as Cloudflare, returned an HTML "
                f"error page{where} instead of JSON."
            ),
            is_html=True,
        )
    try:
        body = json.loads(body_text(stripped, content_type))
    except ValueError:
        text = body_text(stripped, content_type)
        return ErrorInfo(message=text[:_MAX_MESSAGE])
    if isinstance(body, str):
        return ErrorInfo(message=body[:_MAX_MESSAGE])
    if isinstance(body, Mapping):
        found = find_error_in_body(body) or _bare_message(body)
        if found is not None:
            return found
    return ErrorInfo(message=_text(body)[:_MAX_MESSAGE])


# --------------------------------------------------------------------------- classification


def _is_saturation(message: str) -> bool:
    lowered = message.lower()
    return any(marker in lowered for marker in _SATURATION_MARKERS)


def _is_quota(code: Any, message: str) -> bool:
    lowered = message.lower()
    return (isinstance(code, str) and code in _QUOTA_CODES) or any(
        marker in lowered for marker in _QUOTA_MARKERS
    )


def _is_context_overflow(code: Any, message: str) -> bool:
    lowered = message.lower()
    return code == "context_length_exceeded" or any(m in lowered for m in _CONTEXT_MARKERS)


def _classify(status: int, info: ErrorInfo) -> tuple[type[APIError], str]:
    """Pick the error class and the advice for a gateway error, by status and by meaning."""
    code, message = info.code, info.message
    if _is_quota(code, message):
        return QuotaExceededError, (
            "The key or account has run out of quota: top up or use another key. Not retried."
        )
    if code == "model_not_found" and status in (503, 200):
        return ModelNotAvailableError, (
            "No channel of your key's group serves this model right now: check the model name "
            "(`gateway-kit models`) and the key's group, or retry later."
        )
    if status == 429 or (status not in _NEVER_RETRIED and _is_saturation(message)):
        return RateLimitError, (
            "The gateway is rate-limiting this key or its upstream is saturated: wait and retry, "
            "lower concurrency, or raise max_retries."
        )
    if status == 401:
        return AuthenticationError, (
            "The API key was refused: check api_key / GATEWAY_API_KEY and that the key is enabled."
        )
    if status == 403:
        return PermissionDeniedError, (
            "The key is not allowed to do this (model not enabled for its group, IP or channel "
            "restrictions): check the key's settings on the gateway."
        )
    if status == 501 or code in _NOT_IMPLEMENTED_CODES:
        return EndpointNotSupportedError, "This gateway does not implement the endpoint."
    if status == 404:
        if info.error_type == "invalid_request_error" and "route" in message.lower():
            return EndpointNotSupportedError, "This gateway does not implement the endpoint."
        return NotFoundError, "Check the id or model name; the gateway does not know it."
    if status == 413:
        return RequestTooLargeError, (
            "The request body is too large for the gateway: send fewer or smaller inputs."
        )
    if status in (400, 422):
        if _is_context_overflow(code, message):
            return ContextWindowExceededError, (
                "The prompt is longer than the model's context window: shorten it."
            )
        return BadRequestError, "The gateway rejected the request as invalid."
    if status in RETRYABLE_STATUSES or status >= 500:
        return ServerError, "The gateway or its upstream failed; retrying later may work."
    return APIError, "The gateway reported an error."


def error_from_response(
    status: int,
    content: bytes,
    *,
    content_type: str = "",
    request_id: str | None = None,
    secrets: Iterable[str] = (),
    what: str = "",
    info: ErrorInfo | None = None,
) -> APIError:
    """Build the typed error for a gateway response (non-2xx, or a 200 carrying an error)."""
    info = info or parse_error_body(status, content, content_type)
    secrets = tuple(secrets)
    message, suffix_id = _split_request_id(redact(info.message, secrets))
    request_id = request_id or suffix_id
    cls, advice = _classify(status, info)
    prefix = f"{what} failed: " if what else ""
    text = f"{prefix}{message.strip()[:_MAX_MESSAGE]}"
    if not text.rstrip().endswith((".", "。", "!", "?")):
        text = text.rstrip() + "."
    error = cls(
        f"{text} {advice}",
        status_code=status,
        code=info.code,
        error_type=info.error_type,
        param=info.param,
        request_id=request_id,
    )
    if cls is APIError:
        error.retryable = False
    if info.is_html and status < 500:
        error.retryable = False
    error.gateway_message = message
    error.html_page = info.is_html
    return error
