"""GatewayEmbeddings (LangChain) over a mocked gateway."""

from __future__ import annotations

import json
import os
from typing import Any
from unittest import mock

import httpx
import pytest
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import InMemoryVectorStore
from pydantic import ValidationError

from gateway_core.errors import InvalidRequestError, ResponseFormatError
from langchain_gateway import GatewayEmbeddings
from tests.unit.concurrency import ConcurrencyProbe
from tests.unit.test_embeddings_core import MockGateway, answer, vector_for

SETTINGS = {"base_url": "https://gw.example.com/v1", "api_key": "sk-unit-key-0001"}


def wired(gateway: MockGateway, **kwargs: Any) -> GatewayEmbeddings:
    embeddings = GatewayEmbeddings(**{"model": "bge-m3", **SETTINGS, **kwargs})
    embeddings._gateway = gateway.client()
    return embeddings


def test_is_a_langchain_embeddings_and_hides_the_key() -> None:
    embeddings = GatewayEmbeddings(model="bge-m3", **SETTINGS)
    assert isinstance(embeddings, Embeddings)
    assert "sk-unit-key-0001" not in repr(embeddings)
    assert "sk-unit-key-0001" not in str(embeddings.model_dump())


def test_aliases_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    embeddings = GatewayEmbeddings(model_name="bge-m3", api_base="https://a.example/v1",
                                   api_key="sk-x-123456789", chunk_size=16,
                                   model_kwargs={"input_type": "doc"}, request_timeout=5)
    assert embeddings.model == "bge-m3"
    assert embeddings.base_url == "https://a.example/v1"
    assert embeddings.batch_size == 16
    assert embeddings.extra_body == {"input_type": "doc"}
    assert embeddings.timeout == 5
    with mock.patch.dict(os.environ, {"GATEWAY_BASE_URL": "https://env.example/v1",
                                      "GATEWAY_API_KEY": "sk-env-123456789"}):
        from_env = GatewayEmbeddings(model="bge-m3")
    assert from_env.base_url == "https://env.example/v1"
    assert from_env.api_key is not None
    assert from_env.api_key.get_secret_value() == "sk-env-123456789"
    with pytest.raises(ValidationError):
        GatewayEmbeddings(model="bge-m3", check_embedding_ctx_length=False, **SETTINGS)


def test_embed_documents_and_query() -> None:
    gateway = MockGateway(lambda body: answer(body, order=lambda d: d[::-1]))
    embeddings = wired(gateway)
    texts = [f"document {i}" for i in range(70)]
    assert embeddings.embed_documents(texts) == [vector_for(t) for t in texts]
    assert embeddings.embed_query("the query") == vector_for("the query")
    assert [len(b["input"]) for b in gateway.bodies] == [64, 6, 1]
    assert all(b["encoding_format"] == "float" for b in gateway.bodies)
    assert all(isinstance(t, str) for b in gateway.bodies for t in b["input"])


def test_settings_reach_the_wire() -> None:
    gateway = MockGateway(lambda body: answer(body, dims=8))
    embeddings = wired(gateway, dimensions=8, batch_size=2, user="u",
                       extra_body={"input_type": "query"}, encoding_format="base64")
    embeddings.embed_documents(["a", "b", "c"])
    assert gateway.bodies[0] == {"model": "bge-m3", "input": ["a", "b"], "dimensions": 8,
                                 "encoding_format": "base64", "user": "u",
                                 "input_type": "query"}
    assert len(gateway.bodies) == 2


def test_profile_batch_cap_applies() -> None:
    gateway = MockGateway(answer)
    embeddings = wired(gateway, model="text-embedding-v4")
    embeddings.embed_documents([f"t{i}" for i in range(25)])
    assert [len(b["input"]) for b in gateway.bodies] == [10, 10, 5]
    gateway.bodies.clear()
    wired(gateway, capabilities={"embedding_batch_size": 7}).embed_documents(["x"] * 8)
    assert [len(b["input"]) for b in gateway.bodies] == [7, 1]


def test_vector_size_is_remembered_across_calls() -> None:
    sizes = iter([8, 8, 4])
    gateway = MockGateway(lambda body: answer(body, dims=next(sizes)))
    embeddings = wired(gateway)
    embeddings.embed_documents(["a"])
    embeddings.embed_query("b")
    with pytest.raises(ResponseFormatError, match="4-dimensional vector where 8"):
        embeddings.embed_query("c")


def test_empty_inputs() -> None:
    gateway = MockGateway(answer)
    embeddings = wired(gateway)
    assert embeddings.embed_documents([]) == []
    with pytest.raises(InvalidRequestError, match="empty strings"):
        embeddings.embed_documents(["a", ""])
    assert gateway.bodies == []
    zeros = wired(gateway, empty_text="zeros")
    assert zeros.embed_documents(["a", ""]) == [vector_for("a"), [0.0] * 8]


def test_progress_bar(capsys: pytest.CaptureFixture[str]) -> None:
    embeddings = wired(MockGateway(answer), show_progress=True, batch_size=5)
    embeddings.embed_documents([f"t{i}" for i in range(12)])
    assert "12/12" in capsys.readouterr().err


def test_in_memory_vector_store_retrieves_by_similarity() -> None:
    def handler(body: dict[str, Any]) -> httpx.Response:
        # Two topics: vectors point one way for "cat" texts, another for the rest.
        data = [{"index": i, "embedding": [1.0, 0.1] if "cat" in t else [0.1, 1.0]}
                for i, t in enumerate(body["input"])]
        return httpx.Response(200, json={"data": data})

    embeddings = wired(MockGateway(handler))
    store = InMemoryVectorStore.from_texts(["a cat purrs", "stocks fell"], embeddings)
    assert store.similarity_search("my cat", k=1)[0].page_content == "a cat purrs"


async def test_async_is_native_and_bounded() -> None:
    gateway = MockGateway(answer)
    probe = ConcurrencyProbe(expected=3)

    async def handler(request: httpx.Request) -> httpx.Response:
        await probe.hold()
        return answer(json.loads(request.content))

    gateway.use_async(handler)
    embeddings = wired(gateway, batch_size=4, max_concurrency=3)
    texts = [f"t{i}" for i in range(40)]
    assert await embeddings.aembed_documents(texts) == [vector_for(t) for t in texts]
    assert probe.peak == 3
    assert await embeddings.aembed_query("q") == vector_for("q")


@pytest.mark.parametrize("bad", [{"batch_size": 0}, {"dimensions": -1}, {"max_concurrency": 0},
                                 {"encoding_format": "int8"}, {"empty_text": "skip"}])
def test_bad_settings_fail_at_construction(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        GatewayEmbeddings(model="bge-m3", **SETTINGS, **bad)
