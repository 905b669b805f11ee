"""The key's rate limit, shared by every thread, process and machine that uses the key.

A relay key has a requests-per-minute and a tokens-per-minute ceiling. Each process pacing
itself sends N times the limit from N workers; this paces them together.

Algorithm: GCRA (the generic cell rate algorithm, a leaky bucket kept as one number per limit,
the "theoretical arrival time"). Why GCRA rather than a sliding window: one value per limit and
key (a sliding window keeps every request's timestamp), O(1) per request, exact at any rate
(no window edges that let 2x the limit through around a boundary), an explicit burst, and it
computes *when* a request may go, so a worker sleeps exactly that long instead of polling.
Each request reserves its slot (the time moves on even when the caller must wait), so callers
queue fairly in arrival order and the sum never exceeds the rate.

Two limits per scope (requests, tokens), reserved together atomically; a shared cool-down
after a 429 (``Retry-After`` when the gateway sends one) holds every worker back at once.
Backends: :class:`LocalLimiter` (in-process, the default) and :class:`RedisLimiter`
(``backend="redis://…"``: one Lua script, the Redis server's clock, so the machines' clocks
need not agree).
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigurationError

__all__ = ["LocalLimiter", "RateLimit", "RateLimiter", "RedisLimiter", "limiter_for"]


@dataclass(frozen=True)
class RateLimit:
    """What the key allows (``GatewayConfig(rate_limit=RateLimit(...))``).

    Args:
        requests_per_minute: Requests per minute for the key (None: no request limit).
        tokens_per_minute: Tokens per minute (estimated from the request, corrected from the
            answer's ``usage``); None: no token limit.
        per_model: Count each model apart (relays that limit per model).
        burst: Requests that may go at once before pacing starts (default: one second's worth,
            at least 1). Tokens get the same share of their limit.
        backend: None for this process only; a ``redis://`` URL to share with every process
            and machine using it.
        cool_down: Seconds every sharer waits after a 429 without ``Retry-After``.
        prefix: Redis key prefix.
    """

    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None
    per_model: bool = False
    burst: float | None = None
    backend: str | None = None
    cool_down: float = 2.0
    prefix: str = "gateway-kit:rate"

    def __post_init__(self) -> None:
        for name in ("requests_per_minute", "tokens_per_minute", "burst"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(
                    value, (int, float)) or not math.isfinite(value) or value <= 0):
                raise ConfigurationError(f"rate_limit {name} must be a positive number or None, "
                                         f"not {value!r}.")
        if self.requests_per_minute is None and self.tokens_per_minute is None:
            raise ConfigurationError(
                "rate_limit needs requests_per_minute and/or tokens_per_minute.")
        if self.backend is not None and not self.backend.startswith(
                ("redis://", "rediss://", "unix://")):
            raise ConfigurationError(
                f"rate_limit backend must be None or a redis:// URL, not {self.backend!r}.")

    def __repr__(self) -> str:
        backend = self.backend
        if backend and "@" in backend:  # a Redis password never shows
            scheme, _, rest = backend.partition("://")
            backend = f"{scheme}://***@{rest.rpartition('@')[2]}"
        return (f"RateLimit(requests_per_minute={self.requests_per_minute}, "
                f"tokens_per_minute={self.tokens_per_minute}, per_model={self.per_model}, "
                f"backend={backend!r})")

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        """From ``GATEWAY_RATE_LIMIT``: ``rpm=120,tpm=90000,per_model=1,backend=redis://h/0``."""
        names = {"rpm": "requests_per_minute", "tpm": "tokens_per_minute",
                 "per_model": "per_model", "burst": "burst", "backend": "backend",
                 "cool_down": "cool_down", "prefix": "prefix"}
        values: dict[str, Any] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, _, value = part.partition("=")
            field = names.get(name.strip())
            if field is None:
                raise ConfigurationError(
                    f"Unknown rate limit setting {name!r} in {text!r}; use "
                    "rpm=, tpm=, per_model=, burst=, backend=, cool_down=, prefix=.")
            value = value.strip()
            if field == "per_model":
                values[field] = value.lower() in ("1", "true", "yes", "on")
            elif field in ("backend", "prefix"):
                values[field] = value
            else:
                try:
                    values[field] = float(value)
                except ValueError:
                    raise ConfigurationError(
                        f"Rate limit setting {name}={value!r} is not a number.") from None
        return cls(**values)

    def limits(self) -> list[tuple[str, float, float]]:
        """(dimension, seconds per unit, burst tolerance in seconds) for each set limit."""
        out = []
        burst_share = None
        if self.requests_per_minute is not None:
            per_unit = 60.0 / self.requests_per_minute
            burst = self.burst or max(1.0, self.requests_per_minute / 60.0)
            burst_share = burst / self.requests_per_minute
            out.append(("requests", per_unit, burst * per_unit))
        if self.tokens_per_minute is not None:
            per_unit = 60.0 / self.tokens_per_minute
            share = burst_share if burst_share is not None else 1.0 / 60.0
            out.append(("tokens", per_unit, share * 60.0))
        return out


def key_scope(secret: str, model: str | None, limit: RateLimit) -> str:
    """The limiter's name for a key (a digest: the key itself never leaves this process)."""
    digest = hashlib.sha256(secret.encode()).hexdigest()[:20]
    return f"{digest}:{model}" if limit.per_model and model else digest


def gcra_start(tat: float, now: float, cool: float, cost: float, per_unit: float,
               tolerance: float) -> tuple[float, float]:
    """(when the request may start, the new theoretical arrival time) for one limit.

    A reservation: the new time is kept even when the caller must wait, so later callers queue
    behind. A request larger than the burst goes as soon as the bucket is empty.
    """
    floor = max(now, cool)
    base = max(tat, floor)
    new_tat = base + cost * per_unit
    start = max(floor, new_tat - tolerance) if cost * per_unit <= tolerance else base
    return start, new_tat


class RateLimiter:
    """The interface: reserve a slot (how long to wait), report a 429, correct token use."""

    def reserve(self, scope: str, tokens: int, *, only_if_free: bool = False) -> float | None:
        """Seconds to wait before sending one request of ``tokens`` (estimated) tokens.

        ``only_if_free``: reserve only if it may go now; otherwise reserve nothing and return
        None (LangChain's non-blocking ``acquire``).
        """
        raise NotImplementedError

    def cool_down(self, scope: str, seconds: float) -> None:
        """The gateway answered 429: nobody sharing ``scope`` sends for ``seconds``."""
        raise NotImplementedError

    def correct(self, scope: str, tokens: int) -> None:
        """Add (or give back, if negative) tokens once the answer's usage is known."""
        raise NotImplementedError


class LocalLimiter(RateLimiter):
    """GCRA in this process (threads and event loops share it; a forked child starts anew)."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._limits = limit.limits()
        self._clock = clock
        self._tat: dict[tuple[str, str], float] = {}
        self._cool: dict[str, float] = {}
        self._lock = threading.Lock()

    def __reduce__(self) -> tuple[Any, ...]:
        return (LocalLimiter, (self.limit,))

    def reserve(self, scope: str, tokens: int, *, only_if_free: bool = False) -> float | None:
        costs = {"requests": 1.0, "tokens": float(max(tokens, 0))}
        with self._lock:
            now = self._clock()
            cool = self._cool.get(scope, 0.0)
            plans = [(dimension, *gcra_start(self._tat.get((scope, dimension), now), now, cool,
                                             costs[dimension], per_unit, tolerance))
                     for dimension, per_unit, tolerance in self._limits]
            start = max([now, cool, *(plan[1] for plan in plans)])
            if only_if_free and start > now:
                return None
            for dimension, _, new_tat in plans:
                self._tat[(scope, dimension)] = new_tat
            return start - now

    def cool_down(self, scope: str, seconds: float) -> None:
        with self._lock:
            until = self._clock() + seconds
            self._cool[scope] = max(self._cool.get(scope, 0.0), until)

    def correct(self, scope: str, tokens: int) -> None:
        with self._lock:
            for dimension, per_unit, _ in self._limits:
                if dimension == "tokens" and (scope, dimension) in self._tat:
                    self._tat[(scope, dimension)] += tokens * per_unit


_RESERVE = r"""
-- KEYS: cool-down key, then one TAT key per limit; ARGV: only_if_free, then per limit:
-- cost, seconds per unit, tolerance. Times in seconds from the server's clock.
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local cool = tonumber(redis.call('GET', KEYS[1]) or '0')
local floor = math.max(now, cool)
local start = floor
local tats = {}
for i = 2, #KEYS do
  local j = 2 + (i - 2) * 3
  local cost, per, tol = tonumber(ARGV[j]), tonumber(ARGV[j + 1]), tonumber(ARGV[j + 2])
  local base = math.max(tonumber(redis.call('GET', KEYS[i]) or '0'), floor)
  local new = base + cost * per
  local s = base
  if cost * per <= tol then s = math.max(floor, new - tol) end
  if s > start then start = s end
  tats[i] = {new, tol}
end
if ARGV[1] == '1' and start > now then return '-1' end
for i = 2, #KEYS do
  local ttl = math.ceil((tats[i][1] - now + tats[i][2]) * 1000) + 1000
  redis.call('SET', KEYS[i], string.format('%.6f', tats[i][1]), 'PX', ttl)
end
return string.format('%.6f', start - now)
"""
_COOL = r"""
local t = redis.call('TIME')
local until_ = tonumber(t[1]) + tonumber(t[2]) / 1e6 + tonumber(ARGV[1])
local old = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > old then
  redis.call('SET', KEYS[1], string.format('%.6f', until_), 'PX',
             math.ceil(tonumber(ARGV[1]) * 1000) + 1000)
end
return 1
"""
_CORRECT = r"""
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
redis.call('SET', KEYS[1], string.format('%.6f', tonumber(v) + tonumber(ARGV[1])), 'PX',
           math.max(ttl, 1000))
return 1
"""


class RedisLimiter(RateLimiter):
    """GCRA in Redis: one atomic script per request, shared by every process and machine."""

    def __init__(self, limit: RateLimit, client: Any = None) -> None:
        assert limit.backend is not None
        self.limit = limit
        self._limits = limit.limits()
        self._client = client
        self._scripts: dict[str, Any] = {}

    def __reduce__(self) -> tuple[Any, ...]:
        return (RedisLimiter, (self.limit,))

    def _script(self, name: str, source: str, keys: list[str], args: list[Any]) -> Any:
        from .redis_support import redis_client

        if self._client is None:
            assert self.limit.backend is not None
            self._client = redis_client(self.limit.backend)
        script = self._scripts.get(name)
        if script is None:
            script = self._scripts[name] = self._client.register_script(source)
        return script(keys=keys, args=args)

    def _key(self, scope: str, what: str) -> str:
        return f"{self.limit.prefix}:{scope}:{what}"

    def reserve(self, scope: str, tokens: int, *, only_if_free: bool = False) -> float | None:
        costs = {"requests": 1.0, "tokens": float(max(tokens, 0))}
        keys = [self._key(scope, "cool")] + [self._key(scope, d) for d, _, _ in self._limits]
        args: list[Any] = ["1" if only_if_free else "0"]
        for dimension, per_unit, tolerance in self._limits:
            args += [repr(costs[dimension]), repr(per_unit), repr(tolerance)]
        wait = float(self._script("reserve", _RESERVE, keys, args))
        return None if wait < 0 else wait

    def cool_down(self, scope: str, seconds: float) -> None:
        self._script("cool", _COOL, [self._key(scope, "cool")], [repr(seconds)])

    def correct(self, scope: str, tokens: int) -> None:
        for dimension, per_unit, _ in self._limits:
            if dimension == "tokens":
                self._script("correct", _CORRECT, [self._key(scope, dimension)],
                             [repr(tokens * per_unit)])


_LOCAL: dict[RateLimit, LocalLimiter] = {}
_LOCAL_LOCK = threading.Lock()


def limiter_for(limit: RateLimit) -> RateLimiter:
    """The limiter of ``limit``: one per process for the in-process backend (every transport
    with this limit shares it), a Redis client otherwise."""
    if limit.backend is not None:
        return RedisLimiter(limit)
    with _LOCAL_LOCK:
        limiter = _LOCAL.get(limit)
        if limiter is None:
            limiter = _LOCAL[limit] = LocalLimiter(limit)
        return limiter


def _after_fork_in_child() -> None:
    # A child paces itself anew (sharing across processes is the Redis backend's job), and
    # must not wait on a lock a parent's thread held at fork time.
    global _LOCAL_LOCK
    _LOCAL_LOCK = threading.Lock()
    _LOCAL.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
