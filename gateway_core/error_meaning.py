"""What a gateway error means, from its status, its envelope's codes and its words.

:func:`meaning` names one of a few kinds (quota, rate limit, auth, …); ``errors.py`` maps each
kind to its exception class and advice, and retries follow the class. The HTTP status decides
first; an error carried in a 2xx body (relays pass upstream errors on with 200) takes its status
from the envelope: an HTTP-like code in the body, Anthropic's error type, Gemini's status name,
Baidu's and Zhipu's documented codes, and at last the words, in English and Chinese.
"""

from __future__ import annotations

import re
from typing import Any

from .envelopes import VALIDATION_ERROR, ErrorInfo

__all__ = ["NEVER_RETRIED", "effective_status", "is_saturation", "meaning", "seen_route",
           "wrong_prefix"]

# Never retried, whatever the message says ("请稍后再试" is also how relays word a disabled group
# or a refused key).
NEVER_RETRIED = frozenset({400, 401, 403, 404, 413, 422})
# Rate-limit words that count at any status but 400/401/403/404/413/422; "请稍后再试" ("try
# again later") only there, not as the class of an error inside a 200.
_SATURATION_WORDS = ("负载已饱和", "saturated", "too many requests", "rate limit")
_SATURATION = (*_SATURATION_WORDS, "请稍后再试")
_QUOTA_CODES = frozenset({"insufficient_user_quota", "pre_consume_token_quota_failed",
                          "insufficient_quota", "quota_not_enough", "billing_error",
                          "arrearage", "Arrearage"})
_QUOTA_WORDS = ("额度不足", "余额不足", "欠费", "配额已用尽", "额度已用尽", "insufficient quota",
                "insufficient_quota", "quota exceeded", "exceeded your current quota",
                "insufficient balance", "account is in arrears", "credit balance is too low")
# "配额" (quota) also names rate quotas ("QPM 配额超限"): quota only without a word of rate.
_RATE_QUOTA_WORDS = ("频率", "频繁", "qps", "qpm", "rpm", "tpm", "每分钟", "每秒", "并发", "限流")
_MODEL_WORDS = ("无可用渠道", "no available channel", "no available model")
_CONTEXT_WORDS = ("context_length_exceeded", "maximum context length", "context window",
                  "prompt is too long", "input is too long", "too many tokens",
                  "tokens_too_long", "characters_too_long")
_NOT_IMPLEMENTED_CODES = frozenset({"api_not_implemented", "not_implemented"})
# "令牌" (token) alone also counts tokens of text ("令牌数"): only its states of refusal.
_AUTH_WORDS = ("无效的令牌", "令牌无效", "令牌已过期", "令牌过期", "令牌已失效", "令牌已被禁用",
               "令牌状态不可用", "令牌不存在", "令牌验证失败", "令牌错误", "鉴权", "认证失败",
               "未授权", "api key 无效",
               "invalid api key", "invalid api-key", "incorrect api key", "api key not valid",
               "invalid_api_key", "unauthorized", "unauthenticated", "authentication failed",
               "not authenticated", "authentication credentials")
# Words that name a class when the status cannot (an error inside a 2xx body).
_WORD_STATUSES: tuple[tuple[int, tuple[str, ...]], ...] = (
    # "频率" alone is also an audio sample rate ("采样频率"): only a rate of requests counts.
    (429, (*_SATURATION_WORDS, "限流", "频繁", "请求频率", "调用频率", "访问频率", "频率超限",
           "频率过高", "频率太", "频率限制", "rate_limit", "qps", "concurrency")),
    (401, _AUTH_WORDS),
    (403, ("无权", "没有权限", "permission denied", "forbidden", "not allowed")),
    (400, ("参数错误", "参数无效", "invalid parameter", "invalid_parameter", "invalidparameter",
           "invalid argument", "invalid_argument", "invalid request", "bad request")),
    (500, ("服务器内部错误", "内部错误", "系统繁忙", "服务繁忙", "internal error",
           "internal server error", "overloaded", "service unavailable", "上游", "负载")),
)
# Anthropic's error types (docs.anthropic.com/en/api/errors).
_TYPE_STATUSES = {
    "invalid_request_error": 400, "authentication_error": 401, "permission_error": 403,
    "not_found_error": 404, "request_too_large": 413, "rate_limit_error": 429,
    "api_error": 500, "overloaded_error": 503,
    VALIDATION_ERROR: 422,  # FastAPI's detail list (envelopes.py)
}
# gRPC status names Gemini puts in ``error.status`` (ai.google.dev/gemini-api/docs/troubleshooting).
_STATUS_NAMES = {
    "INVALID_ARGUMENT": 400, "FAILED_PRECONDITION": 400, "OUT_OF_RANGE": 400,
    "UNAUTHENTICATED": 401, "PERMISSION_DENIED": 403, "NOT_FOUND": 404,
    "RESOURCE_EXHAUSTED": 429, "UNIMPLEMENTED": 501, "INTERNAL": 500, "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504, "ABORTED": 503,
}
# Baidu Qianfan's ``error_code`` (cloud.baidu.com/doc/WENXINWORKSHOP/s/tlmyncueh).
_BAIDU_CODES = {1: 500, 2: 503, 3: 501, 4: 429, 6: 403, 13: 401, 14: 401, 17: 402, 18: 429,
                19: 402, 110: 401, 111: 401, 336100: 503, 336501: 429, 336502: 429}
# Four-digit codes where Zhipu (docs.z.ai/api-reference/api-code) and Kling
# (app.klingai.com/global/dev/document-api/apiReference/commonInfo) agree; 1304 differs, left out.
_PROVIDER_CODES = {"1000": 401, "1001": 401, "1002": 401, "1003": 401, "1004": 401,
                   "1101": 402, "1102": 402, "1103": 403, "1113": 402, "1200": 400,
                   "1201": 400, "1203": 404, "1210": 400, "1211": 404, "1213": 400,
                   "1214": 400, "1220": 403, "1261": 400, "1301": 400, "1302": 429,
                   "1303": 429, "1305": 429, "5000": 500, "5001": 503, "5002": 504}
# Named codes of Alibaba's DashScope (Qwen) and similar APIs, by the part before a dot
# (help.aliyun.com/zh/model-studio/error-code): Throttling.RateQuota, Arrearage, …
_NAMED_CODES = {"invalidapikey": 401, "accessdenied": 403, "throttling": 429,
                "arrearage": 402, "invalidparameter": 400, "datainspectionfailed": 400,
                "internalerror": 500, "modelnotfound": 404, "api_key_invalid": 401}
_ROUTE_MISSING = re.compile(r"invalid url|route .*not found|no route|page not found|unknown route",
                            re.IGNORECASE)
# The request line a relay quotes in its "Invalid URL (POST /v1/v1/chat/completions)".
_SEEN_PATH = re.compile(r"\b(?:GET|POST|PUT|PATCH|DELETE)\s+(/[^\s)）?]*)")
_API_ROOT = "/v1/"


def is_saturation(message: str) -> bool:
    lowered = message.lower()
    return any(marker in lowered for marker in _SATURATION)


def _is_quota(info: ErrorInfo) -> bool:
    lowered = info.message.lower()
    code = info.code
    return ((isinstance(code, str) and code in _QUOTA_CODES)
            or info.error_type in _QUOTA_CODES
            or any(word in lowered for word in _QUOTA_WORDS)
            or ("配额" in lowered and not _has_words(lowered, _RATE_QUOTA_WORDS)))


def _code_status(info: ErrorInfo) -> int | None:
    """The status an envelope's own code or type stands for, if it says."""
    code = info.code
    if info.family == "baidu" and isinstance(code, int):
        return _BAIDU_CODES.get(code)
    if isinstance(code, (int, str)) and str(code) in _PROVIDER_CODES:
        return _PROVIDER_CODES[str(code)]
    if isinstance(code, str) and code.split(".", 1)[0].lower() in _NAMED_CODES:
        return _NAMED_CODES[code.split(".", 1)[0].lower()]
    if isinstance(code, int) and not isinstance(code, bool) and 400 <= code < 600:
        return code
    if isinstance(code, str) and code.isdigit() and 400 <= int(code) < 600:
        return int(code)
    if info.status_name in _STATUS_NAMES:
        return _STATUS_NAMES[info.status_name]
    return _TYPE_STATUSES.get(info.error_type or "")


def _has_words(message: str, words: tuple[str, ...]) -> bool:
    lowered = message.lower()
    return any(word in lowered for word in words)


def _word_status(message: str) -> int | None:
    for status, words in _WORD_STATUSES:
        if _has_words(message, words):
            return status
    return None


def effective_status(status: int, info: ErrorInfo) -> int:
    """The HTTP status, or for an error inside a 2xx (or 1xx) body the one its envelope or
    words stand for (a 2xx with no hint stays as it is)."""
    if status >= 400:
        return status
    return _code_status(info) or _word_status(info.message) or status


def _is_model_unavailable(status: int, info: ErrorInfo) -> bool:
    lowered = info.message.lower()
    if info.code == "model_not_found" and status in (503, 200):
        return True
    # "无可用渠道" at any status (relays answer it with 503, 200, 404 or 400): OpenAI's own 404
    # model_not_found ("does not exist") stays a NotFoundError.
    return any(word in lowered for word in _MODEL_WORDS)


def _missing_route(status: int, info: ErrorInfo) -> bool:
    return status == 404 and info.code not in ("model_not_found",) and bool(
        _ROUTE_MISSING.search(info.message))


def meaning(status: int, info: ErrorInfo, base_path: str = "") -> str:
    """The kind of error: ``quota``, ``model_unavailable``, ``rate_limit``, ``auth``,
    ``permission``, ``not_implemented``, ``base_url``, ``not_found``, ``too_large``,
    ``context``, ``bad_request``, ``server`` or ``other``.

    ``base_path`` is the path part of the configured base URL: a missing route under a prefix
    (``/api``, a second ``/v1``) means that prefix is wrong, not that the endpoint is missing.
    """
    if _is_quota(info):
        return "quota"
    effective = effective_status(status, info)
    if _is_model_unavailable(effective, info):
        return "model_unavailable"
    if effective == 402:
        return "quota"
    if effective == 429 or (effective not in NEVER_RETRIED and is_saturation(info.message)):
        return "rate_limit"
    return _by_status(effective, info, base_path)


def _by_status(status: int, info: ErrorInfo, base_path: str) -> str:
    simple = {401: "auth", 403: "permission", 413: "too_large"}
    if status in simple:
        return simple[status]
    if status == 501 or info.code in _NOT_IMPLEMENTED_CODES:
        return "not_implemented"
    if status == 404:
        if _missing_route(status, info):
            return "base_url" if wrong_prefix(info.message, base_path) else "not_implemented"
        return "not_found"
    if status in (400, 422):
        if _is_context(info):
            return "context"
        # Gemini answers a bad key with 400 INVALID_ARGUMENT "API key not valid".
        return "auth" if _has_words(info.message, _AUTH_WORDS) else "bad_request"
    if status >= 500 or status == 408:
        return "server"
    return "other"


def _is_context(info: ErrorInfo) -> bool:
    lowered = info.message.lower()
    code: Any = info.code
    return code == "context_length_exceeded" or any(w in lowered for w in _CONTEXT_WORDS)


def wrong_prefix(message: str, base_path: str = "") -> str | None:
    """The path prefix that made a route missing, when it shows; else None.

    The path the gateway quotes decides: ``/v1/rerank`` is the route itself (the gateway lacks
    the endpoint), ``/v1/v1/chat/completions`` or ``/api/v1/…`` carry an extra prefix (the base
    URL is wrong). Without a quoted ``/v1/`` path, a prefix in the configured base URL is the
    likely culprit.
    """
    route = seen_route(message)
    if route is None:
        return base_path.rstrip("/") or None
    line, meant = route
    return line.split()[1].removesuffix(meant) or None


def seen_route(message: str) -> tuple[str, str] | None:
    """The request line a missing-route message quotes and the route it meant, e.g.
    ``("POST /v1/v1/chat/completions", "/v1/chat/completions")``."""
    seen = _SEEN_PATH.search(message)
    if seen is None or _API_ROOT not in seen.group(1):
        return None
    path = seen.group(1)
    return seen.group(0), path[path.rfind(_API_ROOT):]
