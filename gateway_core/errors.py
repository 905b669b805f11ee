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
    │   │   └── BaseURLError          404 route under a base URL with a wrong path prefix
    │   ├── RequestTooLargeError      413
    │   ├── RateLimitError            429, and "负载已饱和" (saturated) in any status
    │   ├── ModelNotAvailableError    503 model_not_found: no channel serves the model (not retried)
    │   └── ServerError               500, 502, 503, 504, 520-524, HTML error pages
    ├── ResponseFormatError           a 2xx body that is not what the protocol promises
    │   ├── RefusalError              structured output refused by the model or a filter
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

import re
from collections.abc import Iterable
from typing import Any, TypeVar

from .envelopes import MAX_MESSAGE, ErrorInfo, find_error_in_body, parse_error_body
from .error_meaning import meaning, seen_route, wrong_prefix

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "BaseURLError",
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
    "NoMediaLinkError",
    "NotFoundError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimitError",
    "RefusalError",
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

_Recast = TypeVar("_Recast", bound="GatewayError")

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
_REQUEST_ID_SUFFIX = re.compile(r"\s*[(（]\s*request id:\s*([^)）\s]+)\s*[)）]\s*$", re.IGNORECASE)


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

    def recast(self, cls: type[_Recast]) -> _Recast:
        """This error as an instance of ``cls``, a subclass of its own class (a framework
        adapter's class that is also the framework's exception): a new object with every
        field, the same cause, context and traceback. The original is left as it was."""
        if not issubclass(cls, type(self)):
            raise TypeError(f"{cls.__name__} is not a subclass of {type(self).__name__}")
        twin = cls.__new__(cls, *self.args)
        twin.__dict__.update(self.__dict__)
        twin.__cause__, twin.__context__ = self.__cause__, self.__context__
        twin.__suppress_context__ = self.__suppress_context__
        return twin.with_traceback(self.__traceback__)

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

    #: For a model the gateway does not serve: the closest names it lists (when readable).
    suggestions: list[str] = []  # replaced per error, never mutated


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


class BaseURLError(EndpointNotSupportedError):
    """404 for a route the gateway should have, under a base URL with an extra path prefix
    (``…/api``, ``…/v1/v1``): the base URL is wrong, not the model or the endpoint. Decided by
    the path the gateway quotes ("Invalid URL (POST /v1/v1/chat/completions)"); the message
    shows it beside the route meant and names the prefix to remove."""


class RequestTooLargeError(APIError):
    """The request body is larger than the gateway accepts (413)."""


class RateLimitError(APIError):
    """Rate limited, or the upstream of the key's group is saturated (429)."""

    retryable = True


class ModelNotAvailableError(APIError):
    """503 model_not_found ("无可用渠道"): no channel of the key's group serves the model.

    Not retried: a relay answers it at once for a model name it does not route (a typo, a
    model the group lacks), and waiting does not change its channels. ``suggestions`` names the
    models the gateway lists that are closest to the one asked for, when they could be read.
    """


class ServerError(APIError):
    """The gateway or its upstream failed (5xx, 52x, an HTML error page)."""

    retryable = True


class ResponseFormatError(GatewayError):
    """A successful response whose body is not what the protocol promises."""


class RefusalError(ResponseFormatError, ValueError):
    """No structured answer: the model refused (OpenAI's ``refusal``, with its words in
    ``refusal``), or a content filter withheld the answer (``finish_reason`` content_filter).
    Also a ValueError, which LlamaIndex's structured programs raise on an unusable answer."""

    #: The model's own words of refusal ("" when a filter withheld the answer).
    refusal: str = ""
    #: The answer's finish_reason (``content_filter`` for a filtered answer).
    finish_reason: str | None = None


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


class NoMediaLinkError(TaskError):
    """A chat-format media model answered with text and no link (a text model under a media
    name, a question back, a refusal in words). ``partial_text`` holds the whole answer."""


# --------------------------------------------------------------------------- envelope parsing


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
    # The pattern takes the whitespace before the suffix (its leftmost match starts there).
    return message[: match.start()], match.group(1)



# --------------------------------------------------------------------------- classification

# Each kind of error (gateway_core/error_meaning.py) as its class and the advice it carries.
_KINDS: dict[str, tuple[type[APIError], str]] = {
    "quota": (QuotaExceededError,
              "The key or account has run out of quota: top up or use another key. Not retried."),
    "model_unavailable": (ModelNotAvailableError,
                          "No channel of your key's group serves this model: check the model "
                          "name (`gateway-kit models`) and the key's group. Not retried."),
    "rate_limit": (RateLimitError,
                   "The gateway is rate-limiting this key or its upstream is saturated: wait "
                   "and retry, lower concurrency, or raise max_retries."),
    "auth": (AuthenticationError,
             "The API key was refused: check api_key / GATEWAY_API_KEY and that the key is "
             "enabled."),
    "permission": (PermissionDeniedError,
                   "The key is not allowed to do this (model not enabled for its group, IP or "
                   "channel restrictions): check the key's settings on the gateway."),
    "not_implemented": (EndpointNotSupportedError,
                        "This gateway does not implement the endpoint."),
    "base_url": (BaseURLError, ""),  # said by _base_url_advice, with the paths
    "not_found": (NotFoundError, "Check the id or model name; the gateway does not know it."),
    "too_large": (RequestTooLargeError,
                  "The request body is too large for the gateway: send fewer or smaller "
                  "inputs."),
    "context": (ContextWindowExceededError,
                "The prompt is longer than the model's context window: shorten it."),
    "bad_request": (BadRequestError, "The gateway rejected the request as invalid."),
    "server": (ServerError, "The gateway or its upstream failed; retrying later may work."),
    "other": (APIError, "The gateway reported an error."),
}


def _classify(status: int, info: ErrorInfo, base_path: str) -> tuple[type[APIError], str]:
    """The error class and the advice for a gateway error."""
    cls, advice = _KINDS[meaning(status, info, base_path)]
    if cls is BaseURLError:
        advice = _base_url_advice(info.message, base_path)
    return cls, advice


def _base_url_advice(message: str, base_path: str) -> str:
    """What a route missing under a wrong prefix means: the path seen, the route meant, the fix."""
    prefix = wrong_prefix(message, base_path) or ""
    route = seen_route(message)
    seen = (f"The gateway saw {route[0]} where the route is {route[1]}: the base URL is "
            f"wrong, it adds the path prefix {prefix!r}." if route else
            f"The gateway has no such route: the base URL's path prefix {prefix!r} is probably "
            "wrong.")
    return (f"{seen} Remove {prefix!r} from base_url (relays serve /v1/... at their root: give "
            "base_url as https://host or https://host/v1).")


def error_from_response(
    status: int,
    content: bytes,
    *,
    content_type: str = "",
    request_id: str | None = None,
    secrets: Iterable[str] = (),
    what: str = "",
    info: ErrorInfo | None = None,
    base_path: str = "",
) -> APIError:
    """Build the typed error for a gateway response (non-2xx, or a 200 carrying an error).

    ``base_path`` is the path of the configured base URL (see :func:`meaning`)."""
    info = info or parse_error_body(status, content, content_type)
    secrets = tuple(secrets)
    message, suffix_id = _split_request_id(redact(info.message, secrets))
    request_id = request_id or suffix_id or info.request_id
    cls, advice = _classify(status, info, base_path)
    prefix = f"{what} failed: " if what else ""
    # Stripped again after the cut, which may end on a space: one space before the advice.
    text = f"{prefix}{message.strip()[:MAX_MESSAGE]}".rstrip()
    if not text.endswith((".", "。", "!", "?")):
        text += "."
    error = cls(
        f"{text} {advice}",
        status_code=status,
        code=info.code,
        error_type=info.error_type,
        param=info.param,
        request_id=request_id,
    )
    if cls is APIError or (info.is_html and status < 500):
        error.retryable = False
    error.gateway_message = message
    error.html_page = info.is_html
    return error
