"""The rate limiter's arithmetic (GCRA) with an injected clock, its settings, and its plumbing."""

from __future__ import annotations

import pickle
import uuid
from typing import Any

import pytest

from gateway_core import GatewayConfig
from gateway_core.coordination.pacing import Pacer, estimate_tokens
from gateway_core.coordination.rate_limit import LocalLimiter, RateLimit, gcra_start, key_scope
from gateway_core.errors import ConfigurationError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_requests_are_paced_after_the_burst_and_queue_in_order() -> None:
    clock = Clock()
    limiter = LocalLimiter(RateLimit(requests_per_minute=120), clock=clock)  # burst 2, 0.5 s
    waits = [limiter.reserve("k", 0) for _ in range(6)]
    assert waits == [0.0, 0.0, 0.5, 1.0, 1.5, 2.0]
    clock.now += 10  # idle: the bucket refills, but only up to the burst
    assert [limiter.reserve("k", 0) for _ in range(3)] == [0.0, 0.0, 0.5]


def test_sent_over_any_window_stays_within_rate_plus_burst() -> None:
    clock = Clock()
    limiter = LocalLimiter(RateLimit(requests_per_minute=120), clock=clock)
    starts = []
    for _ in range(200):
        wait = limiter.reserve("k", 0)
        assert wait is not None
        starts.append(clock.now + wait)
    for first in starts:
        in_window = sum(first <= s < first + 10 for s in starts)
        assert in_window <= 20 + 2


def test_scopes_are_apart_and_per_model_counts_each_model() -> None:
    clock = Clock()
    limit = RateLimit(requests_per_minute=60, burst=1, per_model=True)
    limiter = LocalLimiter(limit, clock=clock)
    a, b = key_scope("sk-1", "gpt-4o", limit), key_scope("sk-1", "claude", limit)
    assert a != b
    assert "sk-1" not in a
    assert [limiter.reserve(a, 0), limiter.reserve(b, 0), limiter.reserve(a, 0)] == [0, 0, 1.0]
    assert key_scope("sk-1", "x", RateLimit(requests_per_minute=1)) == key_scope(
        "sk-1", None, RateLimit(requests_per_minute=1))


def test_tokens_limit_and_correction() -> None:
    clock = Clock()
    limiter = LocalLimiter(RateLimit(tokens_per_minute=6000), clock=clock)  # 100/s, burst 100
    assert limiter.reserve("k", 100) == 0.0
    assert limiter.reserve("k", 100) == pytest.approx(1.0)
    limiter.correct("k", -150)  # the answers used 50 tokens fewer each
    assert limiter.reserve("k", 100) == pytest.approx(0.5)
    assert limiter.reserve("k", 10_000) == pytest.approx(1.5)  # larger than the burst: waits
    # for the queue, not forever


def test_cool_down_holds_everyone_then_releases_in_order() -> None:
    clock = Clock()
    limiter = LocalLimiter(RateLimit(requests_per_minute=120), clock=clock)
    limiter.cool_down("k", 5.0)
    assert [limiter.reserve("k", 0) for _ in range(3)] == [5.0, 5.0, 5.5]
    assert limiter.reserve("other", 0) == 0.0


def test_only_if_free_reserves_nothing_when_it_would_wait() -> None:
    clock = Clock()
    limiter = LocalLimiter(RateLimit(requests_per_minute=60, burst=1), clock=clock)
    assert limiter.reserve("k", 0, only_if_free=True) == 0.0
    assert limiter.reserve("k", 0, only_if_free=True) is None
    assert limiter.reserve("k", 0) == 1.0  # the refused try took nothing


def test_gcra_start_is_the_one_rule() -> None:
    assert gcra_start(tat=0, now=10, cool=0, cost=1, per_unit=1, tolerance=2) == (10, 11)
    assert gcra_start(tat=13, now=10, cool=0, cost=1, per_unit=1, tolerance=2) == (12, 14)
    assert gcra_start(tat=0, now=10, cool=20, cost=1, per_unit=1, tolerance=2) == (20, 21)


@pytest.mark.parametrize(("text", "expected"), [
    ("rpm=120", RateLimit(requests_per_minute=120)),
    ("rpm=60, tpm=90000,per_model=1", RateLimit(60, 90000, per_model=True)),
    ("tpm=1000,backend=redis://h:6379/0,cool_down=5",
     RateLimit(tokens_per_minute=1000, backend="redis://h:6379/0", cool_down=5)),
])
def test_parse(text: str, expected: RateLimit) -> None:
    assert RateLimit.parse(text) == expected


@pytest.mark.parametrize(("kwargs", "message"), [
    ({}, "requests_per_minute and/or tokens_per_minute"),
    ({"requests_per_minute": 0}, "positive number"),
    ({"requests_per_minute": float("nan")}, "positive number"),
    ({"requests_per_minute": True}, "positive number"),
    ({"requests_per_minute": 1, "backend": "memcached://x"}, "redis:// URL"),
])
def test_bad_limits_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        RateLimit(**kwargs)
    with pytest.raises(ConfigurationError, match="Unknown rate limit setting 'rps'"):
        RateLimit.parse("rps=3")


def test_config_takes_every_form_and_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    base = {"base_url": "https://gw.example.com", "api_key": "sk-x"}
    limit = RateLimit(requests_per_minute=30)
    assert GatewayConfig(**base, rate_limit=limit).rate_limit == limit
    assert GatewayConfig(**base, rate_limit="rpm=30").rate_limit == limit
    assert GatewayConfig(**base, rate_limit={"requests_per_minute": 30}).rate_limit == limit
    assert GatewayConfig(**base).rate_limit is None
    monkeypatch.setenv("GATEWAY_RATE_LIMIT", "rpm=30")
    assert GatewayConfig(**base).rate_limit == limit
    with pytest.raises(ConfigurationError, match="rate_limit must be"):
        GatewayConfig(**base, rate_limit=30)
    config = GatewayConfig(**base, rate_limit="rpm=30")
    assert pickle.loads(pickle.dumps(config)) == config
    assert hash(config) == hash(GatewayConfig(**base, rate_limit=limit))


def test_a_redis_password_never_shows() -> None:
    limit = RateLimit(requests_per_minute=1, backend="redis://:hunter2@redis.internal:6379/0")
    assert "hunter2" not in repr(limit)
    assert "redis.internal" in repr(limit)


def test_pacer_estimates_and_reports() -> None:
    assert estimate_tokens({"model": "m", "messages": [{"role": "user", "content": "x" * 400}],
                            "max_tokens": 50}) > 150
    assert estimate_tokens(None) == 1
    limit = RateLimit(requests_per_minute=60, burst=1, cool_down=3)
    pacer = Pacer(limit, f"sk-pacer-{uuid.uuid4().hex}")  # a fresh scope on every run
    first = pacer.before({"model": "m"})
    assert first.wait == 0
    pacer.after(first, 429, None, b"")  # no Retry-After: the limit's cool_down
    assert pacer.before({"model": "m"}).wait >= 2.9
