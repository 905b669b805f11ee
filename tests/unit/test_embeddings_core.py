"""gateway_core.embeddings over httpx.MockTransport: wire shape, batching, order, errors."""

from __future__ import annotations

import asyncio
import base64
import json
import math
from array import array
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from gateway_core import embeddings as embeddings_module
from gateway_core import transport as transport_module
from gateway_core.client import GatewayClient
from gateway_core.config import GatewayConfig
from gateway_core.embeddings import (
    EmbedCall,
    aembed,
    decode_base64_vector,
    describe_positions,
    embed,
    learned_batch_cap,
    make_embed_call,
    parse_embeddings,
    smaller_batch,
)
from gateway_core.errors import (
    BadRequestError,
    InvalidRequestError,
    QuotaExceededError,
    ResponseFormatError,
)
from gateway_core.transport import Transport
from tests.unit.concurrency import ConcurrencyProbe

Body = dict[str, Any]
Handler = Callable[[Body], httpx.Response]


class _Both(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """One plug with a handler for sync requests and one for async ones."""

    def __init__(self, sync: Callable[[httpx.Request], Any],
                 asynchronous: Callable[[httpx.Request], Any]) -> None:
        self.sync = httpx.MockTransport(sync)
        self.asynchronous = httpx.MockTransport(asynchronous)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.sync.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.asynchronous.handle_async_request(request)


class MockGateway:
    """A mocked gateway: records JSON request bodies and answers with ``handler``."""

    def __init__(self, handler: Handler, *, max_retries: int = 0) -> None:
        self.bodies: list[Body] = []
        self.paths: list[str] = []
        self.handler = handler
        config = GatewayConfig(base_url="https://gw.example.com/v1", api_key="sk-unit-key-0001",
                               max_retries=max_retries, backoff_base=0.001, backoff_max=0.001)
        self._async_handler: Callable[[httpx.Request], Any] = self._handle
        self.transport = Transport(config, http_transport=_Both(self._handle, self._route_async))

    def _handle(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":  # the model list read for a suggestion: not served here
            return httpx.Response(404, json={"error": {"message": "Invalid URL"}})
        body = json.loads(request.content)
        self.bodies.append(body)
        self.paths.append(request.url.path)
        return self.handler(body)

    def _route_async(self, request: httpx.Request) -> Any:
        return self._async_handler(request)

    def use_async(self, handler: Callable[[httpx.Request], Any] | None = None) -> None:
        """Async requests go to ``handler`` (the recording one by default)."""
        self._async_handler = handler or self._handle

    def client(self) -> GatewayClient:
        client = GatewayClient(base_url="https://gw.example.com/v1", api_key="sk-unit-key-0001")
        client.transport = self.transport
        return client


def vector_for(text: str, dims: int = 8) -> list[float]:
    """A deterministic vector whose first value identifies the text."""
    seed = sum(map(ord, text)) % 997
    return [float(seed)] + [seed / (i + 2) for i in range(dims - 1)]


def answer(body: Body, *, dims: int = 8, b64: bool = False, order: Callable[[list[Any]],
           list[Any]] | None = None, **extra: Any) -> httpx.Response:
    """What a gateway answers for ``body``."""
    inputs = body["input"]
    data = []
    for index, text in enumerate(inputs):
        vector = vector_for(text, dims)
        value: Any = base64.b64encode(array("f", vector).tobytes()).decode() if b64 else vector
        data.append({"object": "embedding", "index": index, "embedding": value})
    if order is not None:
        data = order(data)
    payload = {"object": "list", "data": data, "model": body["model"],
               "usage": {"prompt_tokens": len(inputs), "total_tokens": len(inputs)}, **extra}
    return httpx.Response(200, json=payload, headers={"X-Oneapi-Request-Id": "rid-emb"})


def error(status: int, message: str, code: str = "") -> httpx.Response:
    return httpx.Response(status, json={"error": {"message": message, "type": "new_api_error",
                                                  "code": code}})


TEXTS = [f"text number {i}" for i in range(150)]


def test_request_sends_raw_strings_and_float_format() -> None:
    gateway = MockGateway(answer)
    result = embed(gateway.transport, ["hello", "world"], make_embed_call("bge-m3"))
    assert gateway.bodies == [{"model": "bge-m3", "input": ["hello", "world"],
                               "encoding_format": "float"}]
    assert gateway.paths == ["/v1/embeddings"]
    assert result.vectors == [vector_for("hello"), vector_for("world")]
    assert result.usage == {"prompt_tokens": 2, "total_tokens": 2}
    assert result.request_ids == ["rid-emb"]
    assert result.dimension == 8


def test_dimensions_user_extra_body_and_no_format_are_passed() -> None:
    gateway = MockGateway(lambda body: answer(body, dims=4))
    call = make_embed_call("text-embedding-3-small", dimensions=4, encoding_format=None,
                           user="u1", extra_body={"input_type": "query"})
    embed(gateway.transport, ["a"], call)
    assert gateway.bodies[0] == {"model": "text-embedding-3-small", "input": ["a"],
                                 "dimensions": 4, "user": "u1", "input_type": "query"}


def test_batches_of_64_in_input_order() -> None:
    gateway = MockGateway(answer)
    result = embed(gateway.transport, TEXTS, make_embed_call("bge-m3"))
    assert [len(b["input"]) for b in gateway.bodies] == [64, 64, 22]
    assert result.vectors == [vector_for(t) for t in TEXTS]
    assert result.usage["total_tokens"] == 150
    assert len(result.request_ids) == 3


def test_profile_lowers_the_batch_size_and_explicit_size_wins() -> None:
    assert make_embed_call("text-embedding-v3").batch_size == 10  # DashScope's limit
    assert make_embed_call("qwen3-embedding-8b").batch_size == 32
    assert make_embed_call("unknown-embedder").batch_size == 64
    assert make_embed_call("text-embedding-v3", batch_size=25).batch_size == 25
    assert make_embed_call("bge-m3", profile={"embedding_batch_size": 5}).batch_size == 5
    gateway = MockGateway(answer)
    embed(gateway.transport, TEXTS[:25], make_embed_call("text-embedding-v3"))
    assert [len(b["input"]) for b in gateway.bodies] == [10, 10, 5]


def test_out_of_order_answer_is_sorted_by_index() -> None:
    gateway = MockGateway(lambda body: answer(body, order=lambda d: d[1::2] + d[0::2]))
    texts = ["alpha", "beta", "gamma", "delta", "epsilon"]
    result = embed(gateway.transport, texts, make_embed_call("bge-m3"))
    assert result.vectors == [vector_for(t) for t in texts]


def test_items_without_index_are_taken_in_answer_order() -> None:
    def handler(body: Body) -> httpx.Response:
        data = [{"embedding": vector_for(t)} for t in body["input"]]
        return httpx.Response(200, json={"data": data})

    result = embed(MockGateway(handler).transport, ["x", "y"], make_embed_call("bge-m3"))
    assert result.vectors == [vector_for("x"), vector_for("y")]
    assert result.model == "bge-m3"  # the gateway named none: the requested one


def test_base64_answer_is_decoded_whatever_was_asked() -> None:
    gateway = MockGateway(lambda body: answer(body, b64=True))
    result = embed(gateway.transport, ["hello", "world"], make_embed_call("bge-m3"))
    for got, text in zip(result.vectors, ["hello", "world"], strict=True):
        assert all(isinstance(v, float) for v in got)
        assert got == pytest.approx(vector_for(text), rel=1e-6)


def test_base64_can_be_requested() -> None:
    gateway = MockGateway(lambda body: answer(body, b64=body["encoding_format"] == "base64"))
    result = embed(gateway.transport, ["q"], make_embed_call("bge-m3", encoding_format="base64"))
    assert gateway.bodies[0]["encoding_format"] == "base64"
    assert result.vectors[0] == pytest.approx(vector_for("q"), rel=1e-6)


def test_decode_base64_vector_exact_float32_values() -> None:
    values = [0.5, -1.25, 3.0, 0.0]
    text = base64.b64encode(array("f", values).tobytes()).decode()
    assert decode_base64_vector(text) == values
    with pytest.raises(ResponseFormatError, match="whole number of float32"):
        decode_base64_vector(base64.b64encode(b"abcde").decode())
    with pytest.raises(ResponseFormatError, match="not valid base64"):
        decode_base64_vector("not base64!!")


def test_count_mismatch_is_a_clear_error() -> None:
    def handler(body: Body) -> httpx.Response:
        return httpx.Response(200, json={"data": [], "model": "m"})

    with pytest.raises(ResponseFormatError, match="returned 0 embeddings for 2 inputs") as info:
        embed(MockGateway(handler).transport, ["a", "b"], make_embed_call("bge-m3"))
    assert "did not accept the input format" in str(info.value)
    assert info.value.partial == [None, None]  # type: ignore[attr-defined]


def test_dimension_mismatches_are_errors() -> None:
    def mixed(body: Body) -> httpx.Response:
        data = [{"index": i, "embedding": [0.1] * (4 + i)} for i in range(len(body["input"]))]
        return httpx.Response(200, json={"data": data})

    with pytest.raises(ResponseFormatError, match="5-dimensional vector where 4"):
        embed(MockGateway(mixed).transport, ["a", "b"], make_embed_call("bge-m3"))
    with pytest.raises(ResponseFormatError, match="8-dimensional vector where 16"):
        embed(MockGateway(answer).transport, ["a"], make_embed_call("bge-m3", dimensions=16))
    with pytest.raises(ResponseFormatError, match="8-dimensional vector where 1024"):
        embed(MockGateway(answer).transport, ["a"], make_embed_call("bge-m3"),
              expected_dimension=1024)


@pytest.mark.parametrize(("data", "match"), [
    ([{"index": 0, "embedding": [1.0]}, {"index": 0, "embedding": [1.0]}], "repeats index 0"),
    ([{"index": 0, "embedding": [1.0]}, {"index": 5, "embedding": [1.0]}], "index 5"),
    ([{"index": 0, "embedding": [1.0]}, {"index": 1}], "no embedding vector"),
    ([{"index": 0, "embedding": [1.0]}, {"index": 1, "embedding": ["x"]}], "str values"),
    ([{"index": 0, "embedding": [1.0]}, "junk"], "not an object"),
])
def test_malformed_answers(data: list[Any], match: str) -> None:
    with pytest.raises(ResponseFormatError, match=match):
        parse_embeddings({"data": data}, 2)


def test_answer_without_data_says_what_it_found() -> None:
    with pytest.raises(ResponseFormatError, match=r"no 'data' list \(found \['object', "):
        parse_embeddings({"object": "list", "result": []}, 1)


def test_empty_list_sends_nothing() -> None:
    gateway = MockGateway(answer)
    assert embed(gateway.transport, [], make_embed_call("bge-m3")).vectors == []
    assert gateway.bodies == []


def test_empty_string_is_refused_before_sending() -> None:
    gateway = MockGateway(answer)
    with pytest.raises(InvalidRequestError, match=r"Input\(s\) 1, 3 are empty strings"):
        embed(gateway.transport, ["a", "", "b", ""], make_embed_call("bge-m3"))
    assert gateway.bodies == []


def test_empty_text_zeros_are_not_sent() -> None:
    gateway = MockGateway(answer)
    call = make_embed_call("bge-m3", empty_text="zeros")
    result = embed(gateway.transport, ["a", "", "b"], call)
    assert gateway.bodies[0]["input"] == ["a", "b"]
    assert result.vectors == [vector_for("a"), [0.0] * 8, vector_for("b")]
    only_empty = embed(gateway.transport, ["", ""], call)
    assert only_empty.vectors == [[0.0] * 1024, [0.0] * 1024]  # bge-m3 profile: 1024
    assert len(gateway.bodies) == 1
    with pytest.raises(InvalidRequestError, match="vector size is unknown"):
        embed(gateway.transport, [""], make_embed_call("mystery-model", empty_text="zeros"))


@pytest.mark.parametrize("bad", [[[1, 2, 3]], [None], [b"bytes"]])
def test_non_string_inputs_are_refused(bad: list[Any]) -> None:
    with pytest.raises(InvalidRequestError, match="not a string"):
        embed(MockGateway(answer).transport, bad, make_embed_call("bge-m3"))


def test_a_single_string_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="list of strings"):
        embed(MockGateway(answer).transport, "hello", make_embed_call("bge-m3"))


def test_lone_surrogate_names_the_input() -> None:
    with pytest.raises(InvalidRequestError, match="Input 1 is not valid UTF-8"):
        embed(MockGateway(answer).transport, ["ok", "bad \ud800"], make_embed_call("bge-m3"))


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"batch_size": 0}, "batch_size"), ({"dimensions": -1}, "dimensions"),
    ({"max_concurrency": True}, "max_concurrency"), ({"encoding_format": "int8"}, "encoding"),
    ({"empty_text": "skip"}, "empty_text"),
])
def test_bad_settings_are_refused(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidRequestError, match=match):
        make_embed_call("bge-m3", **kwargs)
    with pytest.raises(InvalidRequestError, match="model must be"):
        make_embed_call("")


def test_transport_retries_only_the_failed_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport_module.time, "sleep", lambda _s: None)
    failures = {"left": 1}

    def handler(body: Body) -> httpx.Response:
        if body["input"][0] == TEXTS[64] and failures["left"]:
            failures["left"] -= 1
            return error(429, "当前分组上游负载已饱和，请稍后再试")
        return answer(body)

    gateway = MockGateway(handler, max_retries=2)
    result = embed(gateway.transport, TEXTS, make_embed_call("bge-m3"))
    firsts = [b["input"][0] for b in gateway.bodies]
    assert firsts == [TEXTS[0], TEXTS[64], TEXTS[64], TEXTS[128]]
    assert result.vectors == [vector_for(t) for t in TEXTS]


def test_failed_batch_says_which_inputs_and_keeps_partial_results() -> None:
    def handler(body: Body) -> httpx.Response:
        if body["input"][0] == TEXTS[64]:
            return error(400, "input too long", code="invalid_request")
        return answer(body)

    gateway = MockGateway(handler)
    with pytest.raises(BadRequestError) as info:
        embed(gateway.transport, TEXTS, make_embed_call("bge-m3"))
    err = info.value
    assert "Embedding input(s) 64-127 (request 2 of 3) failed" in str(err)
    assert "Input(s) 128-149 were not sent" in str(err)
    assert "64 embedding(s) received are kept on error.partial" in str(err)
    assert err.failed_inputs == list(range(64, 150))  # type: ignore[attr-defined]
    partial = err.partial  # type: ignore[attr-defined]
    assert partial[:64] == [vector_for(t) for t in TEXTS[:64]]
    assert partial[64:] == [None] * 86
    assert len(gateway.bodies) == 2  # nothing sent after the failure


def test_quota_error_keeps_its_type() -> None:
    gateway = MockGateway(lambda body: error(403, "用户额度不足", code="insufficient_user_quota"))
    with pytest.raises(QuotaExceededError) as info:
        embed(gateway.transport, ["a"], make_embed_call("bge-m3"))
    assert info.value.failed_inputs == [0]  # type: ignore[attr-defined]
    assert "sk-unit-key-0001" not in str(info.value)


async def test_async_bounded_concurrency_and_order() -> None:
    gateway = MockGateway(answer)
    probe = ConcurrencyProbe(expected=4)

    async def handler(request: httpx.Request) -> httpx.Response:
        await probe.hold()
        body = json.loads(request.content)
        gateway.bodies.append(body)
        # Answer out of order too.
        return answer(body, order=lambda d: d[::-1])

    gateway.use_async(handler)
    texts = [f"t{i}" for i in range(12 * 8)]
    result = await aembed(gateway.transport, texts, make_embed_call("bge-m3", batch_size=8))
    assert probe.peak == 4
    assert len(gateway.bodies) == 12
    assert result.vectors == [vector_for(t) for t in texts]

    probe = ConcurrencyProbe(expected=2)
    await aembed(gateway.transport, texts,
                 make_embed_call("bge-m3", batch_size=8, max_concurrency=2))
    assert probe.peak == 2


async def test_async_failure_stops_new_batches_and_keeps_finished_ones() -> None:
    gateway = MockGateway(answer)

    async def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        gateway.bodies.append(body)
        if body["input"][0] == "t8":
            return error(400, "bad input", code="invalid_request")
        await asyncio.sleep(0.01)
        return answer(body)

    gateway.use_async(handler)
    texts = [f"t{i}" for i in range(80)]
    with pytest.raises(BadRequestError) as info:
        await aembed(gateway.transport, texts,
                     make_embed_call("bge-m3", batch_size=8, max_concurrency=2))
    err = info.value
    assert "Embedding input(s) 8-15 (request 2 of 10) failed" in str(err)
    partial = err.partial  # type: ignore[attr-defined]
    assert partial[:8] == [vector_for(t) for t in texts[:8]]  # finished in flight, kept
    assert 8 in err.failed_inputs  # type: ignore[attr-defined]
    assert len(gateway.bodies) <= 3  # nothing new started after the failure
    assert "were not sent" in str(err)


def test_describe_positions() -> None:
    assert describe_positions([0, 1, 2, 5, 7, 8]) == "0-2, 5, 7-8"
    assert describe_positions([3]) == "3"
    assert describe_positions([]) == ""
    assert describe_positions(list(range(0, 60, 2))).endswith("… (30 in all)")


def test_call_is_frozen_and_body_is_fresh() -> None:
    call = make_embed_call("bge-m3", dimensions=3)
    assert isinstance(call, EmbedCall)
    assert call.body(["x"]) == {"model": "bge-m3", "input": ["x"], "encoding_format": "float",
                                "dimensions": 3}
    with pytest.raises(AttributeError):
        call.model = "other"  # type: ignore[misc]


def test_client_methods() -> None:
    gateway = MockGateway(answer)
    client = gateway.client()
    result = client.embed(["a", "b"], model="bge-m3", dimensions=8)
    assert result.vectors == [vector_for("a"), vector_for("b")]
    assert client.embed_query("q", model="bge-m3") == vector_for("q")
    seen: list[int] = []
    client.embed(TEXTS, model="bge-m3", on_progress=seen.append, expected_dimension=8)
    assert seen == [64, 64, 22]


async def test_client_async_methods() -> None:
    gateway = MockGateway(answer)
    gateway.use_async()
    client = gateway.client()
    assert (await client.aembed(["a"], model="bge-m3")).vectors == [vector_for("a")]
    vector = await client.aembed_query("q", model="bge-m3")
    assert vector == vector_for("q")
    assert math.isclose(vector[0], vector_for("q")[0])


# --------------------------------------------------------------------------- refused batch sizes


@pytest.fixture(autouse=True)
def _forget_learned_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embeddings_module, "_LEARNED_CAPS", {})


def capped(limit: int, message: str) -> Handler:
    def handler(body: Body) -> httpx.Response:
        count = len(body["input"])
        if count > limit:
            return error(400, message.format(count=count, limit=limit), code="invalid_request")
        return answer(body)

    return handler


@pytest.mark.parametrize("message", [
    "input batch size {count} > maximum allowed batch size {limit}",  # SiliconFlow
    "batch size is invalid, it should not be larger than {limit}.",  # DashScope
    "batch size {count} exceeds the limit of {limit} inputs per request",  # the emulator
])
def test_refused_batch_size_is_split_and_remembered(message: str) -> None:
    gateway = MockGateway(capped(10, message))
    texts = [f"t{i}" for i in range(25)]
    result = embed(gateway.transport, texts, make_embed_call("mystery-embedder"))
    assert result.vectors == [vector_for(t) for t in texts]
    assert [len(b["input"]) for b in gateway.bodies] == [25, 10, 10, 5]
    assert learned_batch_cap(gateway.transport, "mystery-embedder") == 10
    gateway.bodies.clear()
    embed(gateway.transport, texts, make_embed_call("mystery-embedder"))
    assert [len(b["input"]) for b in gateway.bodies] == [10, 10, 5]  # no refusal the 2nd time


def test_batch_refusal_without_a_number_halves() -> None:
    gateway = MockGateway(capped(3, "too many inputs in this batch"))
    texts = [f"t{i}" for i in range(8)]
    result = embed(gateway.transport, texts, make_embed_call("m1", batch_size=8))
    assert result.vectors == [vector_for(t) for t in texts]
    assert [len(b["input"]) for b in gateway.bodies] == [8, 4, 2, 2, 2, 2]


def test_request_too_large_halves() -> None:
    def handler(body: Body) -> httpx.Response:
        if len(body["input"]) > 2:
            return error(413, "request body too large", code="read_request_body_failed")
        return answer(body)

    gateway = MockGateway(handler)
    result = embed(gateway.transport, ["a", "b", "c", "d"], make_embed_call("m2"))
    assert len(result.vectors) == 4
    assert [len(b["input"]) for b in gateway.bodies] == [4, 2, 2]


def test_other_bad_requests_are_not_split() -> None:
    gateway = MockGateway(lambda body: error(400, "maximum context length is 512 tokens"))
    with pytest.raises(BadRequestError):
        embed(gateway.transport, ["a", "b"], make_embed_call("m3"))
    assert len(gateway.bodies) == 1
    assert smaller_batch(BadRequestError("batch too big"), 1) is None
    assert smaller_batch(BadRequestError("maximum batch size is 50"), 64) == 50
    assert smaller_batch(BadRequestError("maximum batch size is 80"), 64) == 32


async def test_async_refused_batch_size_is_split() -> None:
    gateway = MockGateway(capped(4, "input batch size {count} > maximum allowed batch size 4"))
    gateway.use_async()
    texts = [f"t{i}" for i in range(20)]
    result = await aembed(gateway.transport, texts, make_embed_call("m4", batch_size=10))
    assert result.vectors == [vector_for(t) for t in texts]
    sizes = [len(b["input"]) for b in gateway.bodies]
    assert sum(size for size in sizes if size <= 4) == 20  # every input answered once
    assert set(sizes) <= {10, 4, 2}
    assert sizes.count(10) in (1, 2)  # a batch started after the refusal is cut at once
