"""Repeated ``asyncio.run()`` with one client: open descriptors, and the loop's longest stall
while a new loop's async client is made.

    PYTHONPATH=. python benchmarks/loop_lifecycle.py [--runs 40]

Point PYTHONPATH at another checkout to compare (the numbers in the issue-13 note came from
the branch and from main).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

from gateway_core import GatewayClient, GatewayConfig
from gateway_core.transport import get_transport
from gateway_emulator.testing import EmulatorProcess


def descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def leak(runs: int) -> None:
    with EmulatorProcess() as emulator:
        client = GatewayClient(base_url=emulator.base_url, api_key=emulator.api_key)

        async def burst() -> None:
            await asyncio.gather(*(client.achat("hi", model="gpt-4o-mini") for _ in range(6)))

        asyncio.run(burst())
        before = descriptors()
        for _ in range(runs):
            asyncio.run(burst())
        print(f"open descriptors: {before} after 1 run, {descriptors()} after {runs + 1} runs; "
              f"loops still holding a client: {len(client.transport._async)}")


def stall(loops: int) -> None:
    transport = get_transport(GatewayConfig(base_url="https://gw.example.com", api_key="sk-x"))
    worst_per_loop = []

    async def one() -> None:
        stop, worst = False, 0.0

        async def ticker() -> None:
            nonlocal worst
            last = time.perf_counter()
            while not stop:
                await asyncio.sleep(0)
                now = time.perf_counter()
                worst, last = max(worst, now - last), now

        task = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        if hasattr(transport, "aclient"):
            await transport.aclient()
        else:
            transport.async_client  # noqa: B018  (the older code path)
        stop = True
        await task
        worst_per_loop.append(worst * 1000)

    for _ in range(loops):
        asyncio.run(one())
    print(f"longest event-loop stall while the loop's client is made: first loop "
          f"{worst_per_loop[0]:.1f} ms, median of the next {loops - 1}: "
          f"{statistics.median(worst_per_loop[1:]):.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    leak(args.runs)
    stall(10)


if __name__ == "__main__":
    main()
