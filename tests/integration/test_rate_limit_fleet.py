"""The key's limit shared by processes through a real Redis, against an emulator that enforces
new-api's per-key request limit (HTTP 429 past it)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway_core import GatewayClient
from gateway_core.coordination import RateLimit
from gateway_core.coordination.rate_limit import RedisLimiter

ROOT = Path(__file__).resolve().parents[2]
RPM = 120
SECONDS = 10.0


@pytest.fixture(scope="module")
def limited_emulator() -> Iterator[Any]:
    from gateway_emulator.testing import EmulatorProcess

    with EmulatorProcess(extra_args=["--rate-limit", str(RPM)]) as process:
        yield process


def hammer(emulator: Any, *args: str, prefix: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FLEET_BASE_URL": emulator.base_url,
           "FLEET_API_KEY": emulator.api_key, "FLEET_PREFIX": prefix}
    return subprocess.Popen([sys.executable, "-m", "tests.integration.fleet_worker", "hammer",
                             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, env=env)


@pytest.mark.slow
def test_four_processes_by_two_threads_stay_within_the_shared_limit(
        limited_emulator: Any, redis_url: str) -> None:
    limited_emulator.reset()
    prefix = uuid.uuid4().hex
    workers = [hammer(limited_emulator, str(SECONDS), "2", str(RPM), redis_url, prefix=prefix)
               for _ in range(4)]
    outputs = []
    for process in workers:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        outputs.append(out.split())
    log = limited_emulator.requests("/v1/chat/completions")
    answered = [entry for entry in log if entry["status"] == 200]
    refused = [entry for entry in log if entry["status"] == 429]
    burst = max(1, RPM // 60)
    assert refused == []
    assert sum(int(out[3]) for out in outputs) == 0  # no worker saw an error
    # Within any 10 s, the gateway saw at most the limit plus the burst (+1: a request's trip
    # over loopback may shift its arrival by a few milliseconds against the window's edge).
    times = sorted(entry["at"] for entry in answered)
    busiest = max(sum(start <= t < start + SECONDS for t in times) for start in times)
    assert busiest <= RPM * SECONDS / 60 + burst + 1
    assert busiest >= RPM * SECONDS / 60 * 0.5  # and the limit was actually used


def test_a_429_cools_every_sharer_down(redis_url: str) -> None:
    limit = RateLimit(requests_per_minute=6000, backend=redis_url, prefix=uuid.uuid4().hex)
    one, other = RedisLimiter(limit), RedisLimiter(limit)  # two processes' limiters
    assert one.reserve("key", 0) == 0.0
    one.cool_down("key", 30.0)
    wait = other.reserve("key", 0)
    assert wait is not None
    assert 29.0 < wait <= 30.0
    assert other.reserve("key", 0, only_if_free=True) is None
    assert other.reserve("elsewhere", 0) == 0.0


def test_every_class_of_both_frameworks_is_paced(gateway: Any, redis_url: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from langchain_gateway import ChatGateway, GatewayEmbeddings
    from langchain_gateway import GatewayRerank as LangChainRerank
    from llamaindex_gateway import GatewayEmbedding, GatewayLLM
    from llamaindex_gateway import GatewayRerank as LlamaIndexRerank

    prefix = uuid.uuid4().hex
    monkeypatch.setenv("GATEWAY_RATE_LIMIT", f"rpm=60000,backend={redis_url},prefix={prefix}")
    expected = RateLimit(requests_per_minute=60000, backend=redis_url, prefix=prefix)
    kw = gateway.settings()
    objects = [ChatGateway(model=gateway.chat_model, **kw),
               GatewayEmbeddings(model=gateway.embedding_model, **kw),
               LangChainRerank(model=gateway.rerank_model, **kw),
               GatewayLLM(model=gateway.chat_model, **kw),
               GatewayEmbedding(model_name=gateway.embedding_model, **kw),
               LlamaIndexRerank(model=gateway.rerank_model, **kw),
               GatewayClient(**kw)]
    for obj in objects:
        client = obj if isinstance(obj, GatewayClient) else obj.client
        assert client.transport.pacer is not None, type(obj).__name__
        assert client.transport.pacer.limit == expected, type(obj).__name__
    import redis

    store = redis.Redis.from_url(redis_url)
    before = store.keys(f"{prefix}:*")
    objects[0].invoke("paced")
    objects[3].complete("paced")
    assert len(store.keys(f"{prefix}:*")) > len(before)  # the reservations went through Redis


def test_langchain_rate_limiter_paces_any_chat_model(gateway: Any, redis_url: str) -> None:
    from langchain_gateway import ChatGateway, GatewayRateLimiter

    limiter = GatewayRateLimiter(requests_per_minute=60, burst=1, backend=redis_url,
                                 name=uuid.uuid4().hex)
    llm = ChatGateway(model=gateway.chat_model, rate_limiter=limiter, **gateway.settings())
    assert "paced" in str(llm.invoke("paced").content)
    assert limiter.acquire(blocking=False) is False  # the invoke took the only slot
    import pickle

    copy = pickle.loads(pickle.dumps(limiter))
    assert copy.acquire(blocking=False) is False  # the copy shares the same Redis limit
