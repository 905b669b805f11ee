"""Every response parser against arbitrary JSON: the package's own errors, or a result.

A gateway can answer anything (a proxy's HTML, a half-upgraded fork's new shape, garbage). No
parser may fail with a KeyError, TypeError or AttributeError on it: the caller must get a
:class:`~gateway_core.errors.GatewayError` it can catch and act on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from gateway_core.account import parse_billing, parse_token_usage
from gateway_core.catalog import parse_models
from gateway_core.chat.request import normalize_tool_choice, normalize_tools, prepare_messages
from gateway_core.chat.response import parse_choices, parse_completion
from gateway_core.chat.stream import StreamAccumulator
from gateway_core.config import GatewayConfig
from gateway_core.embeddings import _start as embeddings_start
from gateway_core.embeddings import make_embed_call, parse_embeddings
from gateway_core.errors import GatewayError, error_from_response, parse_error_body
from gateway_core.images import ImageCall, parse_image_response
from gateway_core.profiles import resolve_profile
from gateway_core.rerank import _start as rerank_start
from gateway_core.rerank import make_rerank_call, parse_rerank
from gateway_core.sse import SSEDecoder
from gateway_core.tasks.registry import PROTOCOL_NAMES, get_protocol
from gateway_core.tasks.results import find_result_urls
from gateway_core.tasks.specs import make_spec
from gateway_core.tasks.status import parse_progress
from gateway_core.transport import Transport

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


@settings(deadline=None)
@given(JSON)
def test_completion_parsers(body: Any) -> None:
    tolerated(lambda: parse_completion(body))
    tolerated(lambda: parse_choices(body))


@settings(deadline=None)
@given(st.lists(JSON, max_size=6))
def test_stream_accumulator(chunks: list[Any]) -> None:
    accumulator = StreamAccumulator()

    def run() -> None:
        for chunk in chunks:
            accumulator.feed(json.dumps(chunk))
        accumulator.flush()
        accumulator.finish()

    tolerated(run)


@settings(deadline=None)
@given(st.lists(st.text(max_size=40), max_size=6))
def test_stream_accumulator_non_json_lines(lines: list[str]) -> None:
    accumulator = StreamAccumulator()
    tolerated(lambda: [accumulator.feed(line) for line in lines])


@settings(deadline=None)
@given(JSON)
@example([{"id": "m", "supported_endpoint_types": True}])  # found by `make fuzz`
def test_catalog_and_account_parsers(body: Any) -> None:
    tolerated(lambda: parse_models(body))
    tolerated(lambda: parse_token_usage(body))
    tolerated(lambda: parse_billing(body, body))


@settings(deadline=None)
@given(st.integers(min_value=100, max_value=599), JSON | st.binary(max_size=60))
@example(status=100, body={"code": [], "message": True})  # found by a random CI draw
def test_error_parsing_never_raises(status: int, body: Any) -> None:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    info = parse_error_body(status, content, "application/json")
    assert isinstance(info.message, str)
    error = error_from_response(status, content, content_type="application/json",
                                secrets=("sk-fuzz-secret",))
    assert isinstance(error, GatewayError)
    assert "sk-fuzz-secret" not in str(error)


@settings(deadline=None)
@given(st.binary(max_size=200))
def test_sse_decoder_takes_any_bytes(data: bytes) -> None:
    decoder = SSEDecoder()
    for event in [*decoder.feed(data), *decoder.flush()]:
        assert isinstance(event.data, str)


@settings(deadline=None)
@given(JSON, st.integers(min_value=0, max_value=4))
def test_embedding_rerank_and_image_parsers(body: Any, count: int) -> None:
    tolerated(lambda: parse_embeddings(body, count))
    tolerated(lambda: parse_rerank(body, count))
    tolerated(lambda: parse_image_response(body))


_SPECS = [make_spec(kind="video", model="m", prompt="p"),
          make_spec(kind="image", model="mj", prompt="p", action="imagine"),
          make_spec(kind="audio", model="suno", prompt="p", action="music")]


@settings(deadline=None)
@given(st.sampled_from([n for n in PROTOCOL_NAMES if n not in ("auto", "chat")]),
       st.sampled_from(_SPECS), JSON)
@example("midjourney", _SPECS[0], {"code": []})  # found by `make fuzz`
def test_task_protocol_parsers(protocol_name: str, spec: Any, body: Any) -> None:
    protocol = get_protocol(protocol_name)
    tolerated(lambda: protocol.parse_submit(body, spec))
    tolerated(lambda: protocol.parse_poll(body, "task-1", {}))
    assert all(isinstance(url, str) for url in find_result_urls(body, succeeded=True))
    progress = parse_progress(body)
    assert progress is None or 0 <= progress <= 100


@settings(deadline=None)
@given(st.lists(st.sampled_from(["https://", "h.io/", "v.mp4", "a.png", "[", "](", ")", "!", "<",
                                  ">", "\n", " ", "失败", "progress 40%", "id: ", "`", "?x=1"])
                | st.text(max_size=8), max_size=40).map("".join), st.sampled_from(_SPECS[:2]))
def test_chat_media_reads_any_answer_text(text: str, spec: Any) -> None:
    snapshot = get_protocol("chat").finish(text, "chatcmpl-1", spec)
    assert snapshot.state in ("succeeded", "failed")
    assert snapshot.state == "failed" or snapshot.items


@settings(deadline=None)
@given(st.lists(JSON, max_size=4), st.lists(JSON, max_size=3), JSON)
@example([{"role": ["user"], "content": "x"}], [], None)
@example([{"role": "user", "content": "x"}],
         [{"type": "function", "function": {"name": "f", "parameters": True}}], None)
def test_user_messages_and_tools_are_checked_not_crashed_on(
    messages: list[Any], tools: list[Any], choice: Any
) -> None:
    """What a caller passes gets InvalidRequestError, never a TypeError from inside the package."""
    profile = resolve_profile("gpt-4o")
    tolerated(lambda: prepare_messages(messages, profile))
    tolerated(lambda: normalize_tool_choice(choice, normalize_tools(tools)))


_ARG = JSON | st.binary(max_size=8)
_TRANSPORT = Transport(GatewayConfig(base_url="http://127.0.0.1:9", api_key="sk-fuzz-secret"))


@settings(deadline=None)
@given(_ARG, _ARG, _ARG, _ARG, _ARG, _ARG)
def test_media_arguments_are_checked_not_crashed_on(
    model: Any, prompt: Any, seconds: Any, size: Any, ratio: Any, n: Any
) -> None:
    tolerated(lambda: make_spec(kind="video", model=model, prompt=prompt, seconds=seconds,
                                size=size, aspect_ratio=ratio))
    tolerated(lambda: ImageCall.make(model, n=n, size=size))
    tolerated(lambda: make_embed_call(model, dimensions=n, batch_size=seconds))
    tolerated(lambda: make_rerank_call(model, top_n=n, max_documents_per_request=seconds))


@settings(deadline=None)
@given(_ARG, _ARG)
def test_embedding_and_rerank_inputs_are_checked_not_crashed_on(texts: Any, query: Any) -> None:
    embed_call = make_embed_call("bge-m3")
    tolerated(lambda: embeddings_start(_TRANSPORT, texts, embed_call, None))
    tolerated(lambda: rerank_start(query, texts, make_rerank_call("bge-reranker")))

