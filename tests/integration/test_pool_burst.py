"""A burst of requests while connections sit idle: one connection each, no queue (issue #18).

httpcore's own pool gives the first idle connection to every request of a burst; all but one
fail with ``ConnectionNotAvailable`` and run the pool's pass again, so a burst of 40 requests
over 5 idle connections costs about 200 passes and the last requests wait for the others. With
``gateway_core.pool`` each request costs two passes (when it asks, when its response closes).
Counted, not timed, over real HTTP to the emulator.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from gateway_core import GatewayClient, pool
from gateway_core.config import GatewayConfig
from gateway_core.transport import Transport

pytestmark = pytest.mark.usefixtures("emulator")

IDLE = 5
BURST = 40


@pytest.fixture
def passes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every run of the pools' pass, as the number of requests waiting at that moment."""
    runs: list[int] = []
    original = pool.hand_out

    def counted(connections: Any, requests: Any, *args: Any, **options: Any) -> Any:
        runs.append(sum(r.connection is None for r in requests))
        return original(connections, requests, *args, **options)

    monkeypatch.setattr(pool, "hand_out", counted)
    return runs


def burst_client(gateway: Any, tag: str) -> GatewayClient:
    # a distinct header makes a distinct config, hence a pool of its own
    return GatewayClient(**gateway.settings(headers={"X-Pool-Test": tag},
                                            max_keepalive_connections=IDLE))


def idle_count(pool_: Any) -> int:
    return sum(connection.is_idle() for connection in pool_.connections)


async def test_a_burst_over_idle_connections_never_retries(gateway: Any,
                                                           passes: list[int]) -> None:
    client = burst_client(gateway, "async")

    async def one(i: int) -> str:
        return "".join([d.text async for d in client.astream_chat(f"burst {i}",
                                                                  model=gateway.chat_model)])

    # leaves up to IDLE idle connections (fewer if one stream ended before another began)
    await asyncio.gather(*(one(i) for i in range(IDLE)))
    http = await client.transport.aclient()
    pool_ = http._transport._pool  # type: ignore[attr-defined]
    assert isinstance(pool_, pool.AsyncGatewayPool)
    assert 1 <= idle_count(pool_) <= IDLE
    passes.clear()
    texts = await asyncio.gather(*(one(i) for i in range(BURST)))
    assert all(f"burst {i}" in text for i, text in enumerate(texts))
    assert len(passes) <= 2 * BURST, f"{len(passes)} passes: requests were sent back to wait"
    assert idle_count(pool_) == IDLE
    await client.transport.aclose()


def test_threads_over_idle_connections_never_retry(gateway: Any, passes: list[int]) -> None:
    client = burst_client(gateway, "threads")

    def one(i: int) -> str:
        return client.chat(f"burst {i}", model=gateway.chat_model).text

    with ThreadPoolExecutor(IDLE) as warm:
        list(warm.map(one, range(IDLE)))
    pool_ = client.transport.sync_client._transport._pool  # type: ignore[attr-defined]
    assert isinstance(pool_, pool.GatewayPool)
    assert 1 <= idle_count(pool_) <= IDLE
    passes.clear()
    with ThreadPoolExecutor(20) as threads:
        texts = list(threads.map(one, range(BURST)))
    assert all(f"burst {i}" in text for i, text in enumerate(texts))
    assert len(passes) <= 2 * BURST, f"{len(passes)} passes: requests were sent back to wait"
    assert 0 < idle_count(pool_) <= IDLE


def test_a_proxy_keeps_httpx_own_pool() -> None:
    transport = Transport(GatewayConfig(base_url="http://127.0.0.1:9/v1", api_key="sk-test",
                                        proxy="http://127.0.0.1:8"))
    mounted = transport.sync_client._transport_for_url(httpx.URL("http://127.0.0.1:9/v1"))
    assert not isinstance(mounted._pool, pool.GatewayPool)  # type: ignore[attr-defined]
