"""A NaN or infinity inside an embedding is a typed error naming the input (issue 12), never a
vector handed to an index: JSON ``NaN`` / ``Infinity`` (Python's json accepts them) and base64
float32 values alike, in the core and both frameworks, sync and async."""

from __future__ import annotations

import asyncio
import base64
import struct
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from gateway_core import GatewayClient
from gateway_core.errors import ResponseFormatError

KEY = "sk-finite-0123456789"
TEXTS = ["first text", "second text with a problem", "third"]


def vectors(bad: str, *, b64: bool) -> list[Any]:
    values = [[0.1, 0.2, 0.3], [0.4, {"nan": float("nan"), "inf": float("inf"),
                                      "-inf": float("-inf")}[bad], 0.6], [0.7, 0.8, 0.9]]
    if b64:
        return [base64.b64encode(struct.pack("<3f", *v)).decode() for v in values]
    return values


def answer(bad: str, b64: bool) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        import json

        body = {"object": "list", "model": "m", "data": [
            {"object": "embedding", "index": i, "embedding": v}
            for i, v in enumerate(vectors(bad, b64=b64))]}
        # json.dumps writes NaN / Infinity / -Infinity, as some upstreams do
        return httpx.Response(200, content=json.dumps(body).encode(),
                              headers={"content-type": "application/json"})
    return handler


def check(error: ResponseFormatError) -> None:
    assert "input 1" in str(error)
    assert "second text" in str(error)
    assert "dimension 1" in str(error)


CASES = [(bad, b64) for bad in ("nan", "inf", "-inf") for b64 in (False, True)]


@pytest.mark.parametrize(("bad", "b64"), CASES)
def test_the_core_refuses_a_non_finite_vector(bad: str, b64: bool) -> None:
    client = GatewayClient(base_url="https://finite.example/v1", api_key=KEY,
                           http_transport=httpx.MockTransport(answer(bad, b64)))
    with pytest.raises(ResponseFormatError) as info:
        client.embed(TEXTS, model="m", encoding_format="base64" if b64 else None)
    check(info.value)
    with pytest.raises(ResponseFormatError):
        asyncio.run(client.aembed(TEXTS, model="m"))


@pytest.mark.parametrize("bad", ["nan", "inf"])
def test_both_frameworks_refuse_a_non_finite_vector(bad: str) -> None:
    from langchain_gateway import GatewayEmbeddings
    from llamaindex_gateway import GatewayEmbedding

    transport = httpx.MockTransport(answer(bad, False))
    lc = GatewayEmbeddings(model="m", base_url="https://finite.example/v1", api_key=KEY,
                           http_transport=transport)
    li = GatewayEmbedding(model_name="m", api_base="https://finite.example/v1", api_key=KEY,
                          http_transport=transport)
    for run in (lambda: lc.embed_documents(TEXTS),
                lambda: asyncio.run(lc.aembed_documents(TEXTS)),
                lambda: li.get_text_embedding_batch(TEXTS),
                lambda: asyncio.run(li.aget_text_embedding_batch(TEXTS))):
        with pytest.raises(ResponseFormatError) as info:
            run()
        check(info.value)


def test_finite_vectors_pass_untouched() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": [
            {"index": i, "embedding": [1e30, -1e-30, 0]} for i in range(3)]})

    client = GatewayClient(base_url="https://finite.example/v1", api_key=KEY,
                           http_transport=httpx.MockTransport(handler))
    assert client.embed(TEXTS, model="m").vectors[2] == [1e30, -1e-30, 0]
