"""W3c: the package's async embeddings, ``max_concurrency=4`` against sequential (``=1``).

Usage: ``python probes/async_embed.py ROOT DELAYED_ROOT ROUNDS BATCHES DELAYED_BATCHES`` (run.py
runs it in the peers venv). One ``aembed_documents`` of ``BATCHES x 64`` texts per measurement,
sequential and concurrent taking turns (the order alternates every round). The throughput ratio
is the median over rounds of sequential wall / concurrent wall. Four servers: nginx's canned
float and base64 answers (ROOT, as fast as nginx sends them: the issue's "that server"), and
the same answers from ``latency_server.py`` (DELAYED_ROOT), which waits before each answer as
a real gateway's upstream would.

The same is measured for raw ``httpx.AsyncClient`` (64 texts per request, up to 4 requests in
flight, stdlib json / array decoding): that is what this machine and server allow at all, so a
package ratio near the raw-httpx ratio means the package is not the limit.

Uses ``langchain_gateway.GatewayEmbeddings`` when it exists, otherwise the core function
``gateway_core.embeddings.aembed`` (the result says which). Prints one JSON object.
"""

from __future__ import annotations

import array
import asyncio
import base64
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "clients"))

from _common import API_KEY, EMBED_MODEL, TEXTS, check_vectors

ROWS = len(TEXTS)


def _check_all(vectors: list) -> None:
    for start in range(0, len(vectors), ROWS):
        check_vectors(vectors[start:start + ROWS])


def package_embedder(root: str, prefix: str, concurrency: int):
    """An async ``texts -> vectors`` callable from the package, and its label."""
    base_url = f"{root}{prefix}/v1"
    encoding = "base64" if "b64" in prefix else "float"
    try:
        from langchain_gateway import GatewayEmbeddings
    except (ImportError, AttributeError):
        GatewayEmbeddings = None  # noqa: N806
    if GatewayEmbeddings is not None:
        try:
            model = GatewayEmbeddings(model=EMBED_MODEL, base_url=base_url, api_key=API_KEY,
                                      max_concurrency=concurrency, encoding_format=encoding)
        except Exception:  # an older signature without encoding_format
            model = GatewayEmbeddings(model=EMBED_MODEL, base_url=base_url, api_key=API_KEY,
                                      max_concurrency=concurrency)
        return model.aembed_documents, "langchain_gateway.GatewayEmbeddings.aembed_documents"

    from gateway_core import GatewayClient
    from gateway_core.embeddings import aembed, make_embed_call

    transport = GatewayClient(base_url=base_url, api_key=API_KEY).transport
    call = make_embed_call(EMBED_MODEL, max_concurrency=concurrency, encoding_format=encoding)

    async def run(texts: list[str]) -> list:
        return (await aembed(transport, texts, call)).vectors

    return run, "gateway_core.embeddings.aembed"


def httpx_embedder(root: str, prefix: str, concurrency: int):
    import httpx

    client = httpx.AsyncClient(headers={"Authorization": f"Bearer {API_KEY}"}, timeout=60.0,
                               limits=httpx.Limits(max_connections=8))
    url = f"{root}{prefix}/v1/embeddings"
    b64 = "b64" in prefix

    async def one(batch: list[str]) -> list:
        response = await client.post(url, json={
            "model": EMBED_MODEL, "input": batch, "encoding_format": "base64" if b64 else "float"})
        response.raise_for_status()
        data = sorted(response.json()["data"], key=lambda item: item["index"])
        if b64:
            return [array.array("f", base64.b64decode(item["embedding"])).tolist()
                    for item in data]
        return [item["embedding"] for item in data]

    async def run(texts: list[str]) -> list:
        batches = [texts[i:i + ROWS] for i in range(0, len(texts), ROWS)]
        semaphore = asyncio.Semaphore(concurrency)

        async def guarded(batch: list[str]) -> list:
            async with semaphore:
                return await one(batch)

        results = await asyncio.gather(*(guarded(batch) for batch in batches))
        return [vector for result in results for vector in result]

    return run, "raw httpx.AsyncClient"


async def measure(make, root: str, prefix: str, rounds: int, texts: list[str]) -> dict:
    sequential, label = make(root, prefix, 1)
    concurrent, _ = make(root, prefix, 4)
    for fn in (sequential, concurrent):  # warm-up: connections, first-call imports
        _check_all(await fn(texts))
    walls: dict[str, list[float]] = {"sequential": [], "concurrent": []}
    cpus: dict[str, list[float]] = {"sequential": [], "concurrent": []}
    ratios = []
    for number in range(rounds):
        pair = [("sequential", sequential), ("concurrent", concurrent)]
        if number % 2:
            pair.reverse()
        for name, fn in pair:
            cpu0, wall0 = time.process_time(), time.perf_counter()
            vectors = await fn(texts)
            walls[name].append(time.perf_counter() - wall0)
            cpus[name].append(time.process_time() - cpu0)
            _check_all(vectors)
        ratios.append(walls["sequential"][-1] / walls["concurrent"][-1])
    return {
        "api": label,
        "calls": len(texts) // ROWS,
        "sequential_wall": statistics.median(walls["sequential"]),
        "concurrent_wall": statistics.median(walls["concurrent"]),
        "sequential_cpu": statistics.median(cpus["sequential"]),
        "concurrent_cpu": statistics.median(cpus["concurrent"]),
        "ratio": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
    }


async def amain() -> None:
    root, delayed_root = sys.argv[1].rstrip("/"), sys.argv[2].rstrip("/")
    rounds, batches, delayed_batches = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    servers = (("float", root, "", batches), ("base64", root, "/b64", batches),
               ("float, delayed", delayed_root, "", delayed_batches),
               ("base64, delayed", delayed_root, "/b64", delayed_batches))
    result = {}
    for answer, server, prefix, count in servers:
        texts = TEXTS * count
        result[answer] = {
            "package": await measure(package_embedder, server, prefix, rounds, texts),
            "httpx": await measure(httpx_embedder, server, prefix, rounds, texts),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(amain())
