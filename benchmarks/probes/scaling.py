"""How each text path grows with its input (issue #18 items 1 and 6, issue #12 item 10).

Usage: ``python benchmarks/probes/scaling.py`` (no server). For every path and input shape,
adversarial ones included, the best of several ``time.process_time()`` runs at 2k to 200k
characters (1x-100x; whitespace splitting in pieces, 3k-300k), then the log-log slope over
20k-200k (1.0 is linear, 2.0 quadratic) and the checks of the issue's targets at the largest
size. Prints a table and one JSON line.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from gateway_core.chat.media import extract_media_links
from gateway_core.chat.reasoning import ThinkSplitter
from gateway_core.chat.stream import StreamAccumulator
from gateway_core.chat.structured import parse_json_text
from gateway_core.chat.toolcalls import ToolCallAssembler
from gateway_core.errors import ResponseFormatError
from gateway_core.sse import SSEDecoder

SIZES = [2_000, 6_000, 20_000, 60_000, 200_000]
SLOPE_FROM = 20_000


def _json(text: str) -> Any:
    try:
        return parse_json_text(text)
    except ResponseFormatError:
        return None


def _think(pieces: list[str]) -> None:
    splitter = ThinkSplitter()
    for piece in pieces:
        splitter.feed(piece)
    splitter.flush()


def _assemble(items: list[dict[str, Any]]) -> None:
    assembler = ToolCallAssembler()
    for item in items:
        assembler.feed([item])
    assembler.finish()


def _tool_items(n: int, with_id: bool) -> list[dict[str, Any]]:
    text = json.dumps({"rows": [{"k": i, "v": "x" * 7} for i in range(n // 24)]})
    pieces = [text[i:i + 16] for i in range(0, len(text), 16)]
    items: list[dict[str, Any]] = []
    for number, piece in enumerate(pieces):
        function = {"arguments": piece}
        if not with_id or number == 0:
            function["name"] = "f"
        item: dict[str, Any] = {"index": 0, "function": function}
        if with_id and number == 0:
            item["id"] = "call_1"
        items.append(item)
    return items


def _chunk(content: str) -> str:
    return json.dumps({"model": "m", "choices": [{"index": 0, "delta": {"content": content}}]})


def _decode(raw: bytes) -> None:
    decoder = SSEDecoder()
    for i in range(0, len(raw), 7):
        decoder.feed(raw[i:i + 7])
    decoder.flush()


def _accumulate(events: list[str]) -> None:
    accumulator = StreamAccumulator()
    for data in events:
        accumulator.feed(data)
    accumulator.finish() if accumulator.finish_reason else None


PATHS: dict[str, tuple[Callable[[int], Any], Callable[[Any], Any]]] = {
    "JSON repair: 'x {' * n + '}'": (lambda n: "x {" * (n // 3) + "}", _json),
    "JSON repair: unclosed fence": (lambda n: "```json\n" + " \n" * (n // 2), _json),
    "JSON repair: '{' * n + '}'": (lambda n: "{" * n + "}", _json),
    "JSON repair: '[' * n": (lambda n: "[" * n, _json),
    "JSON repair: '{x}' * n": (lambda n: "{x}" * (n // 3), _json),
    "JSON repair: prose then JSON": (
        lambda n: "a word, {name}; " * (n // 16) + '{"answer": [1, {"b": "}"}]}', _json),
    "media links: '[' * n after a link": (
        lambda n: "![i](https://a.example/b.png) " + "[" * n, extract_media_links),
    "media links: '[a](http://' * n": (lambda n: "[a](http://" * (n // 11), extract_media_links),
    "media links: many links": (
        lambda n: "![i](https://a.example/b.png) " * (n // 30), extract_media_links),
    "think: whitespace pieces before": (lambda n: [" "] * (n * 3 // 2) + ["x"], _think),
    "think: whitespace pieces inside": (
        lambda n: ["<think>", "a", *[" "] * (n * 3 // 2), "b", "</think>", "x"], _think),
    "tool calls: 16-byte fragments": (lambda n: _tool_items(n, True), _assemble),
    "tool calls: name repeated, no id": (lambda n: _tool_items(n, False), _assemble),
    "SSE decoder: 7-byte reads": (
        lambda n: "".join(f"data: {_chunk('tok ')}\n\n" for _ in range(n // 80)).encode(),
        _decode),
    "stream accumulator: text chunks": (lambda n: [_chunk("tok ")] * (n // 80), _accumulate),
}
TARGETS = {"JSON repair": 0.050, "media links": 0.020, "think: whitespace": 0.300}


def best(work: Callable[[], Any], runs: int) -> float:
    result = float("inf")
    for _ in range(runs):
        start = time.process_time()
        work()
        result = min(result, time.process_time() - start)
    return max(result, 1e-7)


def slope(points: list[tuple[int, float]]) -> float:
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return (sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
            / sum((x - mx) ** 2 for x in xs))


def main() -> None:
    rows = []
    print(f"{'path':40} " + " ".join(f"{n // 1000:>6}k" for n in SIZES) + "  slope  target")
    for name, (make, run) in PATHS.items():
        run(make(SIZES[0]))  # warm up
        times = []
        for size in SIZES:
            data = make(size)
            times.append(best(lambda data=data, run=run: run(data), 5 if size < 60_000 else 3))
        fit = slope([(n, t) for n, t in zip(SIZES, times, strict=True) if n >= SLOPE_FROM])
        limit = next((v for k, v in TARGETS.items() if name.startswith(k)), None)
        verdict = "" if limit is None else (
            f"{'met' if times[-1] <= limit else 'MISSED'} (<= {limit * 1e3:.0f} ms)")
        rows.append({"path": name, "ms": [round(t * 1e3, 3) for t in times],
                     "slope": round(fit, 2), "limit_ms": None if limit is None else limit * 1e3,
                     "met": None if limit is None else times[-1] <= limit})
        print(f"{name:40} " + " ".join(f"{t * 1e3:7.1f}" for t in times)
              + f"  {fit:5.2f}  {verdict}")
    print("(ms of CPU per run; think sizes are 1.5x the column in pieces: 300k at 200k)")
    print(json.dumps({"sizes": SIZES, "rows": rows}))


if __name__ == "__main__":
    main()
