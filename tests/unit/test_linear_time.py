"""Every text path costs time linear in its input, adversarial input included (issues #12, #18).

Each test times one parser on an input and on one ten times larger, as CPU time in this process
(the best of several runs), and allows the larger 15x the smaller: half again the cost of linear
growth, far below quadratic growth (100x), so a loaded machine cannot turn them red while a
quadratic path always does. A failed comparison is measured again (three trials in all)
before the test fails: a burst of load can inflate one trial, not three.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from gateway_core.chat.media import extract_media_links
from gateway_core.chat.reasoning import ThinkSplitter, split_think
from gateway_core.chat.stream import StreamAccumulator
from gateway_core.chat.structured import parse_json_text
from gateway_core.chat.toolcalls import ToolCallAssembler
from gateway_core.errors import ResponseFormatError
from gateway_core.sse import SSEDecoder

GROWTH = 10
ALLOWED = 15.0  # linear is 10x, quadratic 100x


def _best_cpu(work: Callable[[], Any], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
    return max(best, 1e-6)


def assert_linear(make: Callable[[int], Any], run: Callable[[Any], Any], size: int,
                  allowed: float = ALLOWED) -> None:
    small, large = make(size), make(size * GROWTH)
    run(small)  # warm up: imports, regex compilation, caches
    ratios = []
    for _ in range(3):
        ratio = _best_cpu(lambda: run(large), 3) / _best_cpu(lambda: run(small), 5)
        if ratio <= allowed:
            return
        ratios.append(round(ratio, 1))
    pytest.fail(f"{GROWTH}x the input cost {ratios}x the time (allowed {allowed}x): not linear")


def _tolerant(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    def run(text: str) -> Any:
        try:
            return parse(text)
        except ResponseFormatError:
            return None
    return run


# ----------------------------------------------------------------------------- JSON repair

JSON_INPUTS: dict[str, Callable[[int], str]] = {
    "openers then a closer": lambda n: "x {" * (n // 3) + "}",
    "unclosed fence": lambda n: "```json\n" + " \n" * (n // 2),
    "many fences": lambda n: "```x```" * (n // 7),
    "braces": lambda n: "{" * n + "}",
    "brackets": lambda n: "[" * n,
    "placeholders": lambda n: "{x}" * (n // 3),
    "broken arrays": lambda n: "[1x]" * (n // 4),
    "unclosed strings": lambda n: '{"a' * (n // 3) + "}",
    "prose then JSON": lambda n: "a word, {name}; " * (n // 16) + '{"answer": [1, {"b": "}"}]}',
}


# A run of openers keeps one position per character (memory-bound): measured 11x for 10x in a
# fresh interpreter, 15.5-16.5x inside a test process holding much more memory. It starts
# larger and is allowed 20x, still a fifth of quadratic growth.
JSON_SIZES = {"braces": (200_000, 20.0)}


@pytest.mark.parametrize("shape", list(JSON_INPUTS))
def test_json_repair_is_linear(shape: str) -> None:
    size, allowed = JSON_SIZES.get(shape, (20_000, ALLOWED))
    assert_linear(JSON_INPUTS[shape], _tolerant(parse_json_text), size, allowed)


def test_json_repair_answers_are_right_on_large_inputs() -> None:
    text = JSON_INPUTS["prose then JSON"](200_000)
    assert parse_json_text(text) == {"answer": [1, {"b": "}"}]}
    with pytest.raises(ResponseFormatError, match="does not contain JSON"):
        parse_json_text("[" * 1000)
    with pytest.raises(ResponseFormatError, match="nested deeper"):
        parse_json_text("[" * 100_000 + "]" * 100_000)


# ----------------------------------------------------------------------------- media links

LINK_INPUTS: dict[str, Callable[[int], str]] = {
    "brackets after a link": lambda n: "![i](https://a.example/b.png) " + "[" * n,
    "unclosed links": lambda n: "[a](http://" * (n // 11),
    "unclosed titles": lambda n: '[a](http://x.example/v.mp4 "' * (n // 28),
    "backticks": lambda n: "http " + "`x" * (n // 2),
    "many links": lambda n: "![i](https://a.example/b.png) " * (n // 30),
}


@pytest.mark.parametrize("shape", list(LINK_INPUTS))
def test_media_link_extraction_is_linear(shape: str) -> None:
    assert_linear(LINK_INPUTS[shape], extract_media_links, 20_000)


# ----------------------------------------------------------------------------- <think>


def _split_pieces(pieces: list[str]) -> str:
    splitter = ThinkSplitter()
    out = [splitter.feed(piece)[0] for piece in pieces]
    out.append(splitter.flush()[0])
    return "".join(out)


THINK_INPUTS: dict[str, Callable[[int], list[str]]] = {
    "whitespace before": lambda n: [" "] * n + ["answer"],
    "whitespace inside": lambda n: ["<think>", "a"] + [" "] * n + ["b", "</think>", "x"],
    "whitespace after": lambda n: ["<think>", "a", "</think>"] + ["\n"] * n + ["x"],
    "partial tags": lambda n: ["<think>"] + ["</thi"] * (n // 5) + ["</think>x"],
}


@pytest.mark.parametrize("shape", list(THINK_INPUTS))
def test_think_splitting_is_linear(shape: str) -> None:
    assert_linear(THINK_INPUTS[shape], _split_pieces, 20_000)


def test_think_splitting_of_a_whole_text_is_linear() -> None:
    assert_linear(lambda n: "<think>" + " \n" * n + "</think>" + "x" * n, split_think, 20_000)


# ----------------------------------------------------------------------------- tool calls


def _assemble(items: list[dict[str, Any]]) -> int:
    assembler = ToolCallAssembler()
    for item in items:
        assembler.feed([item])
    return len(assembler.finish()[0].arguments)


def _fragments(text: str, size: int = 16) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


def _arguments(n: int) -> str:
    return json.dumps({"rows": [{"k": i, "v": "x" * 7} for i in range(n // 24)]})


def _openai_style(n: int) -> list[dict[str, Any]]:
    pieces = _fragments(_arguments(n))
    first = {"index": 0, "id": "call_1", "function": {"name": "f", "arguments": pieces[0]}}
    return [first] + [{"index": 0, "function": {"arguments": p}} for p in pieces[1:]]


def _name_repeated(pieces: list[str]) -> list[dict[str, Any]]:
    # Each fragment that begins with "{" makes the assembler ask whether the arguments so far
    # are complete (a next call at the same index?).
    return [{"index": 0, "function": {"name": "f", "arguments": p}} for p in pieces]


TOOL_INPUTS: dict[str, Callable[[int], list[dict[str, Any]]]] = {
    "16-byte fragments": _openai_style,
    "name repeated without id": lambda n: _name_repeated(
        ['{"rows": [{"k": 1}'] + [", ", '{"k": 1}'] * (n // 10) + ["]}"]),
}
ADVERSARIAL_TOOL_INPUTS = {
    # after every fragment the text ends in "}" and the next begins with "{"
    "objects without commas": lambda n: _name_repeated(
        ['{"rows": ['] + ['{"k": 1}'] * (n // 8) + ["]}"]),
}


@pytest.mark.parametrize("shape", [*TOOL_INPUTS, *ADVERSARIAL_TOOL_INPUTS])
def test_tool_call_assembly_is_linear(shape: str) -> None:
    make = TOOL_INPUTS.get(shape) or ADVERSARIAL_TOOL_INPUTS[shape]
    assert_linear(make, _assemble, 20_000)


def test_large_assembled_calls_parse() -> None:
    for make in TOOL_INPUTS.values():
        assembler = ToolCallAssembler()
        for item in make(100_000):
            assembler.feed([item])
        (call,) = assembler.finish()
        assert call.error is None
        assert call.args is not None
        assert call.args["rows"]


# ----------------------------------------------------------------------------- SSE, stream


def _chunk(content: str) -> str:
    return json.dumps({"model": "m", "choices": [{"index": 0, "delta": {"content": content}}]})


def _sse_bytes(n: int) -> bytes:
    return "".join(f"data: {_chunk('tok ')}\n\n" for _ in range(n // 80)).encode()


def _decode(pieces: list[bytes]) -> int:
    decoder = SSEDecoder()
    count = sum(len(decoder.feed(piece)) for piece in pieces)
    return count + len(decoder.flush())


SSE_INPUTS: dict[str, Callable[[int], list[bytes]]] = {
    "events in 7-byte reads": lambda n: [
        raw[i:i + 7] for raw in [_sse_bytes(n)] for i in range(0, len(raw), 7)
    ],
    "one long line in small reads": lambda n: [b"data: "] + [b"x" * 16] * (n // 16) + [b"\n\n"],
}


@pytest.mark.parametrize("shape", list(SSE_INPUTS))
def test_sse_decoding_is_linear(shape: str) -> None:
    assert_linear(SSE_INPUTS[shape], _decode, 20_000)


def _accumulate(events: list[str]) -> int:
    accumulator = StreamAccumulator()
    for data in events:
        accumulator.feed(data)
    return len(accumulator.text) + len(accumulator.reasoning)


STREAM_INPUTS: dict[str, Callable[[int], list[str]]] = {
    "text chunks": lambda n: [_chunk("tok ")] * (n // 80),
    "think chunks": lambda n: [_chunk("<think>"), *[_chunk(" ")] * (n // 80), _chunk("</think>x")],
}


@pytest.mark.parametrize("shape", list(STREAM_INPUTS))
def test_stream_accumulation_is_linear(shape: str) -> None:
    assert_linear(STREAM_INPUTS[shape], _accumulate, 80_000)
