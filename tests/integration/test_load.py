"""Load over loopback: many concurrent streams, many sequential calls, flat memory, no leaks.

Bounded in count and time (a few seconds each against the emulator). The figures checked are
structural (errors, descriptors, RSS growth), never timings.
"""

from __future__ import annotations

import asyncio
import gc
import os
from typing import Any

import pytest

from gateway_core import GatewayClient

pytestmark = pytest.mark.usefixtures("emulator")


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def fresh_client(gateway: Any, tag: str) -> GatewayClient:
    # a distinct header makes a distinct config, hence its own connection pool to measure
    return GatewayClient(**gateway.settings(headers={"X-Load-Test": tag}))


async def test_200_concurrent_streams(gateway: Any) -> None:
    before = open_descriptors()
    client = fresh_client(gateway, "streams")

    async def one(i: int) -> str:
        stream = client.astream_chat(f"stream number {i} of two hundred", model=gateway.chat_model)
        text = "".join([delta.text async for delta in stream])
        assert stream.result is not None
        assert stream.result.finish_reason == "stop"
        return text

    texts = await asyncio.gather(*(one(i) for i in range(200)))
    assert all(f"stream number {i} " in text for i, text in enumerate(texts))
    # every connection is back in the pool or closed: at most the keep-alive pool stays open
    keepalive = client.config.max_keepalive_connections
    assert keepalive is not None
    assert open_descriptors() - before <= keepalive + 2
    await client.transport.aclose()
    assert open_descriptors() - before <= 2


def test_2000_sequential_calls_without_leaks(gateway: Any) -> None:
    client = fresh_client(gateway, "sequential")
    client.chat("warm up", model=gateway.chat_model)
    before = open_descriptors()
    for i in range(2000):
        result = client.chat(f"call {i}", model=gateway.chat_model)
        assert result.text.endswith(f"call {i}")
    assert open_descriptors() - before <= 1  # one keep-alive connection, reused


@pytest.mark.slow
def test_memory_is_flat_across_10000_calls(gateway: Any) -> None:
    client = fresh_client(gateway, "memory")
    for i in range(1000):  # warm-up: caches, pools and allocator arenas settle
        client.chat(f"warm {i}", model=gateway.chat_model)
    gc.collect()
    start = rss_mib()
    for i in range(9000):
        client.chat(f"call {i}", model=gateway.chat_model)
    gc.collect()
    growth = rss_mib() - start
    assert growth < 8, f"RSS grew by {growth:.1f} MiB over 9,000 calls"
