"""GatewayEmbedding (LlamaIndex) over a mocked gateway."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import ValidationError

from gateway_core.errors import BadRequestError
from llamaindex_gateway import GatewayEmbedding
from tests.unit.concurrency import ConcurrencyProbe
from tests.unit.test_embeddings_core import MockGateway, answer, error, vector_for

SETTINGS = {"api_base": "https://gw.example.com/v1", "api_key": "sk-unit-key-0001"}


def wired(gateway: MockGateway, **kwargs: Any) -> GatewayEmbedding:
    embed_model = GatewayEmbedding(**{"model_name": "bge-m3", **SETTINGS, **kwargs})
    embed_model._gateway = gateway.client()
    return embed_model


def test_is_a_base_embedding_that_accepts_any_model_name() -> None:
    embed_model = GatewayEmbedding(model="BAAI/bge-m3", **SETTINGS)
    assert isinstance(embed_model, BaseEmbedding)
    assert embed_model.model_name == "BAAI/bge-m3"
    assert embed_model.base_url == "https://gw.example.com/v1"
    assert embed_model.to_payload()["model_name"] == "BAAI/bge-m3"
    for text in (repr(embed_model), embed_model.to_json(), str(embed_model.to_payload())):
        assert "sk-unit-key-0001" not in text


def test_batch_size_defaults_to_the_model_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_BASE_URL", "https://gw.example.com/v1")
    monkeypatch.setenv("GATEWAY_API_KEY", "sk-env-key-1")
    assert GatewayEmbedding(model_name="bge-m3").embed_batch_size == 64
    assert GatewayEmbedding(model_name="text-embedding-v3").embed_batch_size == 10
    assert GatewayEmbedding(model_name="qwen3-embedding-4b").embed_batch_size == 32
    assert GatewayEmbedding(model_name="bge-m3", embed_batch_size=7).embed_batch_size == 7
    assert GatewayEmbedding(model_name="bge-m3",
                            capabilities={"embedding_batch_size": 5}).embed_batch_size == 5


def test_batches_follow_embed_batch_size_and_keep_order() -> None:
    gateway = MockGateway(lambda body: answer(body, order=lambda d: d[::-1]))
    embed_model = wired(gateway, embed_batch_size=10)
    texts = [f"text {i}" for i in range(25)]
    assert embed_model.get_text_embedding_batch(texts) == [vector_for(t) for t in texts]
    assert [len(b["input"]) for b in gateway.bodies] == [10, 10, 5]
    assert all(b == {**b, "model": "bge-m3", "encoding_format": "float"} for b in gateway.bodies)


def test_query_and_text_embedding() -> None:
    gateway = MockGateway(answer)
    embed_model = wired(gateway, dimensions=8)
    assert embed_model.get_query_embedding("q") == vector_for("q")
    assert embed_model.get_text_embedding("t") == vector_for("t")
    assert gateway.bodies[0] == {"model": "bge-m3", "input": ["q"], "encoding_format": "float",
                                 "dimensions": 8}


def test_show_progress_field(capsys: pytest.CaptureFixture[str]) -> None:
    embed_model = wired(MockGateway(answer), embed_batch_size=4, show_progress=True)
    embed_model.get_text_embedding_batch([f"t{i}" for i in range(9)])
    assert "9/9" in capsys.readouterr().err


def test_errors_name_the_inputs() -> None:
    gateway = MockGateway(lambda body: error(400, "bad", code="invalid_request"))
    with pytest.raises(BadRequestError, match=r"Embedding input\(s\) 0-2 failed"):
        wired(gateway).get_text_embedding_batch(["a", "b", "c"])


async def concurrency_peak(embed_model: GatewayEmbedding, gateway: MockGateway,
                           count: int, expected: int) -> tuple[int, list[list[float]]]:
    probe = ConcurrencyProbe(expected)

    async def handler(request: httpx.Request) -> httpx.Response:
        await probe.hold()
        return answer(json.loads(request.content))

    gateway.use_async(handler)
    texts = [f"t{i}" for i in range(count)]
    vectors = await embed_model.aget_text_embedding_batch(texts)
    assert vectors == [vector_for(t) for t in texts]
    return probe.peak, vectors


async def test_async_batches_are_bounded_even_without_num_workers() -> None:
    gateway = MockGateway(answer)
    # LlamaIndex alone would start all 12 batches at once (asyncio.gather, no limit).
    peak, _ = await concurrency_peak(wired(gateway, embed_batch_size=2), gateway, 24, 4)
    assert peak == 4
    peak, _ = await concurrency_peak(wired(gateway, embed_batch_size=2, num_workers=2),
                                     gateway, 24, 2)
    assert peak == 2
    peak, _ = await concurrency_peak(wired(gateway, embed_batch_size=2, max_concurrency=3),
                                     gateway, 24, 3)
    assert peak == 3


async def test_async_query_embedding() -> None:
    gateway = MockGateway(answer)
    gateway.use_async()
    embed_model = wired(gateway)
    assert await embed_model.aget_query_embedding("q") == vector_for("q")
    assert await embed_model.aget_text_embedding("t") == vector_for("t")


@pytest.mark.parametrize("bad", [{"embed_batch_size": 0}, {"dimensions": 0},
                                 {"max_concurrency": 0}, {"encoding_format": "int8"}])
def test_bad_settings_fail_at_construction(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        GatewayEmbedding(model_name="bge-m3", **SETTINGS, **bad)
