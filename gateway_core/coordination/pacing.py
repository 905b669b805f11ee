"""Where the transport meets the rate limiter: one ticket per attempt, before and after.

Before an attempt: estimate its tokens, reserve a slot, sleep what the limiter says. After:
a 429 starts the shared cool-down (``Retry-After`` when sent), and a JSON answer's ``usage``
corrects the token estimate. If the limiter's Redis cannot be reached, requests are paced by
this process alone (logged once) rather than failing: the gateway's own limit still protects
the key, and a chat must not fail because the pacing store is down.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from .rate_limit import LocalLimiter, RateLimit, RateLimiter, key_scope, limiter_for

__all__ = ["Pacer", "Ticket"]

logger = logging.getLogger("gateway_core")
_TEXT_FIELDS = ("messages", "input", "prompt", "query", "documents")


@dataclass(frozen=True)
class Ticket:
    """One attempt's reservation."""

    scope: str
    tokens: int
    wait: float


def estimate_tokens(body: Any) -> int:
    """A cheap upper-leaning estimate: ~4 bytes of JSON text per token, plus the output cap."""
    if not isinstance(body, dict):
        return 1
    size = sum(len(json.dumps(body[name], ensure_ascii=False, default=str))
               for name in _TEXT_FIELDS if name in body)
    output = body.get("max_completion_tokens") or body.get("max_tokens") or 0
    return max(1, size // 4 + (output if isinstance(output, int) else 0))


def _usage_tokens(content: bytes) -> int | None:
    if b'"usage"' not in content:
        return None
    try:
        usage = json.loads(content).get("usage")
    except (ValueError, AttributeError):
        return None
    total = usage.get("total_tokens") if isinstance(usage, dict) else None
    return total if isinstance(total, int) else None


class Pacer:
    """The rate limit of one transport's key."""

    def __init__(self, limit: RateLimit, secret: str) -> None:
        self.limit = limit
        self._secret = secret
        self._limiter: RateLimiter = limiter_for(limit)
        self._fallback: RateLimiter | None = None
        self.shared = limit.backend is not None
        """True when reserving talks to Redis (the async path does it off the event loop)."""
        self._errors: tuple[type[BaseException], ...] = ()
        if self.shared:
            from .redis_support import redis_errors

            self._errors = redis_errors()

    def __repr__(self) -> str:
        return f"Pacer({self.limit!r})"

    def _degraded(self, error: BaseException) -> RateLimiter:
        if self._fallback is None:
            logger.warning("The rate limiter's Redis cannot be reached (%s); pacing this "
                           "process alone until it is back.", type(error).__name__)
            self._fallback = LocalLimiter(self.limit)
        return self._fallback

    def before(self, body: Any) -> Ticket:
        model = body.get("model") if isinstance(body, dict) else None
        scope = key_scope(self._secret, model if isinstance(model, str) else None, self.limit)
        tokens = estimate_tokens(body) if self.limit.tokens_per_minute else 0
        try:
            wait = self._limiter.reserve(scope, tokens)
        except self._errors as error:  # Redis unreachable: see the module docstring
            wait = self._degraded(error).reserve(scope, tokens)
        return Ticket(scope, tokens, wait or 0.0)

    def after(self, ticket: Ticket, status: int, retry_after: float | None,
              content: bytes) -> None:
        try:
            if status == 429:
                self._limiter.cool_down(ticket.scope, retry_after or self.limit.cool_down)
            elif self.limit.tokens_per_minute and 200 <= status < 300:
                used = _usage_tokens(content)
                if used is not None and used != ticket.tokens:
                    self._limiter.correct(ticket.scope, used - ticket.tokens)
        except self._errors as error:  # pacing is advice; never fail the answer over it
            self._degraded(error)
