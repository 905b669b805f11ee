"""LangChain's ``rate_limiter=`` on the gateway key's shared limit.

Any LangChain chat model (ours or another provider's) accepts a ``BaseRateLimiter``; this one
paces through :mod:`gateway_core.coordination.rate_limit`, so it can be shared by every
process and machine (``backend="redis://…"``). Our own classes do not need it: give
``rate_limit=`` to their config (or set ``GATEWAY_RATE_LIMIT``) and every request of every
class is paced, tokens included.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from langchain_core.rate_limiters import BaseRateLimiter

from gateway_core.coordination.rate_limit import RateLimit, RateLimiter, key_scope, limiter_for

__all__ = ["GatewayRateLimiter"]


class GatewayRateLimiter(BaseRateLimiter):
    """A LangChain rate limiter backed by the gateway key's shared GCRA limiter.

    Instantiate:
        .. code-block:: python

            from langchain_gateway import ChatGateway
            from langchain_gateway.rate_limiters import GatewayRateLimiter

            limiter = GatewayRateLimiter(requests_per_minute=120,
                                         backend="redis://localhost:6379/0")
            llm = ChatGateway(model="gpt-4o-mini", rate_limiter=limiter)

    Args:
        requests_per_minute: The limit shared by everything using the same ``name``.
        backend: None (this process) or a ``redis://`` URL (every process and machine).
        name: What the limit belongs to (by default one shared name; pass the key, or any
            label, to keep several limits apart: it is stored only as a digest).
        burst: Requests that may go at once before pacing starts.
    """

    def __init__(self, requests_per_minute: float, *, backend: str | None = None,
                 name: str = "langchain", burst: float | None = None) -> None:
        self.limit = RateLimit(requests_per_minute=requests_per_minute, backend=backend,
                               burst=burst)
        self._scope = key_scope(name, None, self.limit)
        self._limiter: RateLimiter = limiter_for(self.limit)

    def __repr__(self) -> str:
        return f"GatewayRateLimiter({self.limit!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.limit, self._scope))

    def acquire(self, *, blocking: bool = True) -> bool:
        wait = self._limiter.reserve(self._scope, 0, only_if_free=not blocking)
        if wait is None:
            return False
        if wait > 0:
            time.sleep(wait)
        return True

    async def aacquire(self, *, blocking: bool = True) -> bool:
        limiter = self._limiter
        if self.limit.backend is None:
            wait = limiter.reserve(self._scope, 0, only_if_free=not blocking)
        else:
            wait = await asyncio.to_thread(limiter.reserve, self._scope, 0,
                                           only_if_free=not blocking)
        if wait is None:
            return False
        if wait > 0:
            await asyncio.sleep(wait)
        return True


def _rebuild(limit: RateLimit, scope: str) -> GatewayRateLimiter:
    limiter = GatewayRateLimiter.__new__(GatewayRateLimiter)
    limiter.limit, limiter._scope, limiter._limiter = limit, scope, limiter_for(limit)
    return limiter
