"""Client CPU per chat call and per stream chunk against the framework floors (issue #18 item 4).

Usage: ``python benchmarks/probes/floors.py [ROUNDS]`` (the package on ``PYTHONPATH`` or
installed; langchain-core and llama-index-core importable). Starts ``stream_server.py`` in its
own process. Clients, all in this one warmed-up process, taking turns (the first rotates every
round): raw httpx, ``GatewayClient``; the LangChain floor (``floor_clients/langchain_floor.py``) and
``ChatGateway``; the LlamaIndex floor (``floor_clients/llamaindex_floor.py``) and ``GatewayLLM``. Per
turn: 100 chat calls, 2 streams of 2,000 chunks, ``time.process_time()`` around each. Prints
the median per unit and the ratios of each package class to its floor, as JSON and a table.
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import httpx  # noqa: E402
from _server import start_server  # noqa: E402
from stream_server import CHUNKS, MODEL, REPLY  # noqa: E402

KEY = "sk-bench-not-a-real-key"
PROMPT = "Say hello to the benchmark."
BATCH = {"chat": 100, "stream": 2}
TARGETS = [  # (client, floor, unit, limit)
    ("gw_core", "httpx", "chat", 1.15), ("gw_core", "httpx", "stream", 1.25),
    ("ChatGateway", "lc_floor", "chat", 1.10), ("ChatGateway", "lc_floor", "stream", 1.10),
    ("GatewayLLM", "li_floor", "chat", None), ("GatewayLLM", "li_floor", "stream", 1.15),
]


def _check(text: str, tokens: int | None = None) -> None:
    if tokens is None and text != REPLY:
        raise SystemExit(f"wrong reply {text!r}")
    if tokens is not None and tokens != CHUNKS:
        raise SystemExit(f"{tokens} stream tokens, expected {CHUNKS}")


def clients(root: str) -> dict[str, dict[str, Callable[[], None]]]:
    from floor_clients.langchain_floor import FloorChatModel
    from floor_clients.llamaindex_floor import FloorLLM
    from llama_index.core.base.llms.types import ChatMessage

    from gateway_core import GatewayClient
    from langchain_gateway import ChatGateway
    from llamaindex_gateway import GatewayLLM

    http = httpx.Client(headers={"Authorization": f"Bearer {KEY}"}, timeout=60.0)
    messages = [{"role": "user", "content": PROMPT}]

    def httpx_chat() -> None:
        response = http.post(f"{root}/v1/chat/completions", json={"model": MODEL,
                                                                   "messages": messages})
        response.raise_for_status()
        _check(response.json()["choices"][0]["message"]["content"])

    def httpx_stream() -> None:
        tokens = 0
        with http.stream("POST", f"{root}/v1/chat/completions", json={
                "model": MODEL, "messages": messages, "stream": True,
                "stream_options": {"include_usage": True}}) as response:
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                choices = json.loads(data).get("choices")
                if choices and choices[0]["delta"].get("content"):
                    tokens += 1
        _check("", tokens)

    core = GatewayClient(base_url=f"{root}/v1", api_key=KEY)
    lc_floor = FloorChatModel(model=MODEL, base_url=f"{root}/v1", api_key=KEY)
    lc = ChatGateway(model=MODEL, base_url=f"{root}/v1", api_key=KEY)
    li_floor = FloorLLM(model=MODEL, api_base=f"{root}/v1", api_key=KEY)
    li = GatewayLLM(model=MODEL, api_base=f"{root}/v1", api_key=KEY)
    li_messages = [ChatMessage(role="user", content=PROMPT)]

    def lc_stream(model: Any) -> Callable[[], None]:
        return lambda: _check("", sum(1 for c in model.stream(PROMPT) if c.content))

    def li_stream(model: Any) -> Callable[[], None]:
        return lambda: _check("", sum(1 for r in model.stream_chat(li_messages) if r.delta))

    return {
        "httpx": {"chat": httpx_chat, "stream": httpx_stream},
        "gw_core": {"chat": lambda: _check(core.chat(PROMPT, model=MODEL).text),
                    "stream": lambda: _check("", sum(1 for d in core.stream_chat(
                        PROMPT, model=MODEL) if d.text))},
        "lc_floor": {"chat": lambda: _check(lc_floor.invoke(PROMPT).content),
                     "stream": lc_stream(lc_floor)},
        "ChatGateway": {"chat": lambda: _check(lc.invoke(PROMPT).content),
                        "stream": lc_stream(lc)},
        "li_floor": {"chat": lambda: _check(li_floor.chat(li_messages).message.content),
                     "stream": li_stream(li_floor)},
        "GatewayLLM": {"chat": lambda: _check(li.chat(li_messages).message.content),
                       "stream": li_stream(li)},
    }


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    root = start_server()
    table = clients(root)
    names = list(table)
    for name in names:
        for unit in BATCH:
            for _ in range(3):
                table[name][unit]()
    samples: dict[str, dict[str, list[float]]] = {n: {u: [] for u in BATCH} for n in names}
    for number in range(rounds):
        order = names[number % len(names):] + names[:number % len(names)]
        for unit, batch in BATCH.items():
            per = batch * (CHUNKS if unit == "stream" else 1)
            for name in order:
                gc.collect()
                start = time.process_time()
                for _ in range(batch):
                    table[name][unit]()
                samples[name][unit].append((time.process_time() - start) / per)
    medians = {n: {u: statistics.median(v) for u, v in units.items()}
               for n, units in samples.items()}
    print(f"{'client':12} {'ms/call':>9} {'us/chunk':>9}")
    for name in names:
        print(f"{name:12} {medians[name]['chat'] * 1e3:9.3f} {medians[name]['stream'] * 1e6:9.2f}")
    ratios = []
    for client, floor, unit, limit in TARGETS:
        # the median of per-round ratios: each round's pair ran back to back
        ratio = statistics.median(a / b for a, b in zip(samples[client][unit],
                                                        samples[floor][unit], strict=False))
        ratios.append({"client": client, "floor": floor, "unit": unit,
                       "ratio": round(ratio, 3), "limit": limit})
        verdict = "" if limit is None else ("met" if ratio <= limit else "MISSED")
        print(f"{client} / {floor} per {unit}: {ratio:.3f}x (limit {limit}) {verdict}")
    print(json.dumps({"per_unit": medians, "ratios": ratios, "rounds": rounds}))


if __name__ == "__main__":
    main()
