"""Every response parser against arbitrary JSON: the package's own errors, or a result.

A gateway can answer anything (a proxy's HTML, a half-upgraded fork's new shape, garbage). No
parser may fail with a KeyError, TypeError or AttributeError on it: the caller must get a
:class:`~gateway_core.errors.GatewayError` it can catch and act on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway_core.account import parse_billing, parse_token_usage
from gateway_core.catalog import parse_models
from gateway_core.chat.response import parse_choices, parse_completion
from gateway_core.chat.stream import StreamAccumulator
from gateway_core.errors import GatewayError, error_from_response, parse_error_body
from gateway_core.sse import SSEDecoder

_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(
    max_size=20)
_KEYS = st.sampled_from([
    "choices", "message", "delta", "content", "tool_calls", "function", "arguments", "index",
    "id", "name", "usage", "prompt_tokens", "completion_tokens", "total_tokens", "error",
    "finish_reason", "reasoning_content", "reasoning", "data", "code", "message", "type",
    "success", "supported_endpoint_types", "object", "total_granted", "total_used",
    "hard_limit_usd", "total_usage", "role", "text", "status",
]) | st.text(max_size=8)
JSON = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(_KEYS, inner, max_size=6), max_leaves=30)


def tolerated(parse: Callable[[], Any]) -> None:
    try:
        parse()
    except GatewayError:
        pass


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_completion_parsers(body: Any) -> None:
    tolerated(lambda: parse_completion(body))
    tolerated(lambda: parse_choices(body))


@settings(max_examples=300, deadline=None)
@given(st.lists(JSON, max_size=6))
def test_stream_accumulator(chunks: list[Any]) -> None:
    accumulator = StreamAccumulator()

    def run() -> None:
        for chunk in chunks:
            accumulator.feed(json.dumps(chunk))
        accumulator.flush()
        accumulator.finish()

    tolerated(run)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=6))
def test_stream_accumulator_non_json_lines(lines: list[str]) -> None:
    accumulator = StreamAccumulator()
    tolerated(lambda: [accumulator.feed(line) for line in lines])


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_catalog_and_account_parsers(body: Any) -> None:
    tolerated(lambda: parse_models(body))
    tolerated(lambda: parse_token_usage(body))
    tolerated(lambda: parse_billing(body, body))


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=100, max_value=599), JSON | st.binary(max_size=60))
def test_error_parsing_never_raises(status: int, body: Any) -> None:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    info = parse_error_body(status, content, "application/json")
    assert isinstance(info.message, str)
    error = error_from_response(status, content, content_type="application/json",
                                secrets=("sk-fuzz-secret",))
    assert isinstance(error, GatewayError)
    assert "sk-fuzz-secret" not in str(error)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_sse_decoder_takes_any_bytes(data: bytes) -> None:
    decoder = SSEDecoder()
    for event in [*decoder.feed(data), *decoder.flush()]:
        assert isinstance(event.data, str)
