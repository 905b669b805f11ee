"""Many concurrent streams on one gateway (issue #18 item 3): wall and CPU against raw httpx.

Usage: ``python benchmarks/probes/concurrency.py [ROUNDS] [N ...]`` (default 3 rounds of 1,
100 and 500 streams). Starts ``stream_server.py``, whose ``/spread`` route spreads each stream
(100 chunks) over about one second, as a gateway relaying a generating upstream does. Per round
and per N, in turn (the first rotates): raw ``httpx.AsyncClient`` (limits lifted, hand-parsed
SSE), ``GatewayClient.astream_chat`` (default pool, and with no keep-alive cap), the LlamaIndex
floor (``floor_clients/llamaindex_floor.py``: a minimal ``LLM`` on raw httpx) and
``GatewayLLM.astream_chat``, each gathering N streams in one event loop. Prints wall and CPU per run, the medians of the per-round ratios to raw
httpx, and the CPU per chunk at N against N=1.
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import httpx  # noqa: E402
from _server import start_server  # noqa: E402
from stream_server import MODEL, SPREAD_CHUNKS  # noqa: E402

KEY = "sk-bench-not-a-real-key"
PROMPT = "Say hello to the benchmark."


def runners(root: str) -> dict[str, Callable[[], Awaitable[int]]]:
    from floor_clients.llamaindex_floor import FloorLLM
    from llama_index.core.base.llms.types import ChatMessage

    from gateway_core import GatewayClient
    from llamaindex_gateway import GatewayLLM

    base = f"{root}/spread/v1"
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    raw_clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}
    core = GatewayClient(base_url=base, api_key=KEY)
    # no keep-alive cap: every connection of a burst stays idle in the pool afterwards
    uncapped = GatewayClient(base_url=base, api_key=KEY, max_keepalive_connections=None)
    llm = GatewayLLM(model=MODEL, api_base=base, api_key=KEY)
    floor_llm = FloorLLM(model=MODEL, api_base=base, api_key=KEY)
    li_messages = [ChatMessage(role="user", content=PROMPT)]

    async def raw() -> int:
        loop = asyncio.get_running_loop()
        client = raw_clients.get(loop)
        if client is None:
            client = raw_clients[loop] = httpx.AsyncClient(
                headers={"Authorization": f"Bearer {KEY}"}, timeout=60.0, limits=limits)
        tokens = 0
        async with client.stream("POST", f"{base}/chat/completions", json={
                "model": MODEL, "messages": [{"role": "user", "content": PROMPT}],
                "stream": True}) as response:
            async for line in response.aiter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                choices = json.loads(data).get("choices")
                if choices and choices[0]["delta"].get("content"):
                    tokens += 1
        return tokens

    async def gateway_client() -> int:
        return sum([1 async for d in core.astream_chat(PROMPT, model=MODEL) if d.text])

    async def gateway_uncapped() -> int:
        return sum([1 async for d in uncapped.astream_chat(PROMPT, model=MODEL) if d.text])

    async def gateway_llm() -> int:
        return sum([1 async for r in await llm.astream_chat(li_messages) if r.delta])

    async def li_floor() -> int:
        return sum([1 async for r in await floor_llm.astream_chat(li_messages) if r.delta])

    return {"httpx": raw, "GatewayClient": gateway_client, "GatewayClient/nocap": gateway_uncapped,
            "li_floor": li_floor, "GatewayLLM": gateway_llm}


async def _gather(run: Callable[[], Awaitable[int]], count: int) -> None:
    counts = await asyncio.gather(*(run() for _ in range(count)))
    if any(c != SPREAD_CHUNKS for c in counts):
        raise SystemExit(f"wrong token counts: {sorted(set(counts))}")


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    sizes = [int(n) for n in sys.argv[2:]] or [1, 100, 500]
    root = start_server()
    table = runners(root)
    names = list(table)
    loop = asyncio.new_event_loop()
    for name in names:  # warm up: imports, first connections
        loop.run_until_complete(_gather(table[name], 2))
    samples: dict[tuple[str, int], list[tuple[float, float]]] = {}
    for number in range(rounds):
        for count in sizes:
            order = names[number % len(names):] + names[:number % len(names)]
            for name in order:
                gc.collect()
                wall, cpu = time.monotonic(), time.process_time()
                loop.run_until_complete(_gather(table[name], count))
                samples.setdefault((name, count), []).append(
                    (time.monotonic() - wall, time.process_time() - cpu))
    result: dict[str, dict] = {}
    print(f"{'client':14} {'N':>4} {'wall s':>8} {'cpu s':>8} {'us/chunk':>9} "
          f"{'wall x httpx':>12} {'cpu x httpx':>11} {'chunk cpu x N=1':>15}")
    for count in sizes:
        for name in names:
            runs = samples[(name, count)]
            base = samples[("httpx", count)]
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            per_chunk = cpu / (count * SPREAD_CHUNKS)
            wall_x = statistics.median(r[0] / b[0] for r, b in zip(runs, base, strict=False))
            cpu_x = statistics.median(r[1] / b[1] for r, b in zip(runs, base, strict=False))
            single = samples.get((name, 1))
            chunk_x = (per_chunk / (statistics.median(r[1] for r in single) / SPREAD_CHUNKS)
                       if single else None)
            result[f"{name}@{count}"] = {"wall": wall, "cpu": cpu, "us_per_chunk": per_chunk * 1e6,
                                         "wall_x_httpx": wall_x, "cpu_x_httpx": cpu_x,
                                         "chunk_cpu_x_single": chunk_x}
            print(f"{name:14} {count:4d} {wall:8.3f} {cpu:8.3f} {per_chunk * 1e6:9.1f} "
                  f"{wall_x:12.2f} {cpu_x:11.2f} "
                  f"{'' if chunk_x is None else f'{chunk_x:.2f}':>15}")
    for count in sizes:  # the LlamaIndex class against the framework's own floor
        pairs = list(zip(samples[("GatewayLLM", count)], samples[("li_floor", count)],
                         strict=False))
        wall_x = statistics.median(r[0] / b[0] for r, b in pairs)
        cpu_x = statistics.median(r[1] / b[1] for r, b in pairs)
        result[f"GatewayLLM/li_floor@{count}"] = {"wall_x": wall_x, "cpu_x": cpu_x}
        print(f"GatewayLLM / li_floor at {count}: wall {wall_x:.2f}x, cpu {cpu_x:.2f}x")
    print(json.dumps({"concurrency": result, "rounds": rounds}))


if __name__ == "__main__":
    main()
