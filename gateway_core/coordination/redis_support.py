"""The one place that imports ``redis`` (an optional dependency: the ``distributed`` extra)."""

from __future__ import annotations

from typing import Any

from ..errors import ConfigurationError

__all__ = ["redis_client", "redis_errors"]

_INSTALL = ("A redis:// URL needs the Redis client: pip install 'ai-gateway-kit[distributed]' "
            "(or pip install redis).")


def _module() -> Any:
    try:
        import redis
    except ImportError:
        raise ConfigurationError(_INSTALL) from None
    return redis


def redis_client(url: str) -> Any:
    """A client for ``url`` (its own connection pool, made again in a forked child by redis-py).
    """
    return _module().Redis.from_url(url, socket_connect_timeout=5, socket_timeout=10,
                                    health_check_interval=30)


def redis_errors() -> tuple[type[BaseException], ...]:
    """What redis-py raises when the server cannot be reached or answers out of turn."""
    redis = _module()
    return (redis.ConnectionError, redis.TimeoutError)
