"""What several processes and machines share: the key's rate limit, the paid-task journal.

Each concern has one interface with an in-process default and a Redis backend (``redis`` is an
optional dependency, imported only when a ``redis://`` URL is used), so the same code runs in
one notebook and on fifty workers.
"""

from __future__ import annotations

from .per_loop import PerLoop
from .rate_limit import LocalLimiter, RateLimit, RateLimiter, RedisLimiter

__all__ = ["LocalLimiter", "PerLoop", "RateLimit", "RateLimiter", "RedisJournal",
           "RedisLimiter"]


def __getattr__(name: str) -> object:
    if name == "RedisJournal":  # its module is light, but keep the import on first use
        from .redis_journal import RedisJournal

        return RedisJournal
    raise AttributeError(f"module 'gateway_core.coordination' has no attribute {name!r}")
