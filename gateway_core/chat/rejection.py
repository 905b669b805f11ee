"""Recognise a 400 that refuses one optional request parameter, in the words real upstreams use.

Examples met in the wild: ``Unrecognized request argument supplied: parallel_tool_calls``,
``Unknown parameter: 'stream_options'``, ``Unsupported parameter: 'max_tokens' is not supported
with this model. Use 'max_completion_tokens' instead.``, ``reasoning_effort is not supported``,
``This response_format type is unavailable now`` (DeepSeek), ``Extra inputs are not permitted``
(vLLM / pydantic, with the field in ``loc``), ``参数 enable_thinking 不支持``. The error's
``param`` field is trusted first. Only parameters we actually sent, and that are optional, can
be named: dropping ``messages`` or ``tools`` would change the question.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..errors import APIError, BadRequestError, GatewayError

__all__ = ["NEVER_DROPPED", "find_rejected_param", "sent_optional_params"]

NEVER_DROPPED = frozenset({"model", "messages", "stream", "tools", "functions"})

# Nested names that stand for a top-level parameter.
_ALIASES = {
    "include_usage": "stream_options",
    "json_schema": "response_format",
    "json_object": "response_format",
    "thinking_budget": "thinking",
}
_REFUSAL_WORDS = (
    "unrecognized", "unknown", "not supported", "unsupported", "unavailable", "not permitted",
    "not allowed", "invalid parameter", "invalid argument", "invalid field", "extra inputs",
    "extra_forbidden", "does not support", "doesn't support", "not support", "is not available",
    "cannot be used", "only supported", "only the default", "不支持", "不允许", "未知参数",
    "无效参数",
)

# Names that are also ordinary words: only counted when quoted or introduced as a parameter.
_COMMON_WORDS = frozenset({
    "n", "stop", "user", "seed", "store", "metadata", "audio", "prediction", "modalities",
    "thinking", "reasoning", "verbosity", "think",
})
_BARE = r"(?<![a-z0-9_]){name}(?![a-z0-9_])"
_QUOTED = (
    r"(?:['\"`]{name}['\"`]|(?:parameter|argument|field|param|参数)s?[\s:：'\"`]+{name}"
    r"(?![a-z0-9_]))"
)


def sent_optional_params(body: Mapping[str, Any]) -> set[str]:
    """Parameters of ``body`` that may be dropped (and ``strict`` when tools carry it)."""
    names = {key for key in body if key not in NEVER_DROPPED}
    for tool in body.get("tools") or ():
        function = tool.get("function") if isinstance(tool, Mapping) else None
        if isinstance(function, Mapping) and "strict" in function:
            names.add("strict")
    response_format = body.get("response_format")
    if isinstance(response_format, Mapping):
        schema = response_format.get("json_schema")
        if isinstance(schema, Mapping) and "strict" in schema:
            names.add("strict")
    return names


def _is_refusal(error: GatewayError) -> bool:
    if isinstance(error, BadRequestError):
        return True
    # An error object inside an HTTP 200, or a relay that maps upstream 400s to another status.
    return isinstance(error, APIError) and error.status_code in (200, 400, 404, 422, 500)


def find_rejected_param(error: GatewayError, body: Mapping[str, Any]) -> str | None:
    """The optional parameter of ``body`` that ``error`` refuses, or None."""
    if not _is_refusal(error):
        return None
    candidates = sent_optional_params(body)
    if not candidates:
        return None
    message = error.gateway_message or error.message
    lowered = message.lower()
    if not any(word in lowered for word in _REFUSAL_WORDS):
        return None  # e.g. a value out of range: the caller's mistake, not an unknown field
    param = error.param
    if isinstance(param, str) and param:
        root = re.split(r"[.\[]", param, maxsplit=1)[0]
        name = _ALIASES.get(root, root)
        if name in candidates:
            return name
    best: tuple[int, str] | None = None
    names = set(candidates) | {alias for alias, target in _ALIASES.items() if target in candidates}
    for name in names:
        pattern = _QUOTED if name in _COMMON_WORDS else _BARE
        match = re.search(pattern.format(name=re.escape(name)), lowered)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), _ALIASES.get(name, name))
    if best is not None:
        return best[1]
    if "response_format" in candidates and ("response format" in lowered or "json mode" in lowered
                                             or "json schema" in lowered):
        return "response_format"
    return None
