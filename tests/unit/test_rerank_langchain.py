"""GatewayRerank (LangChain document compressor) over a mocked gateway."""

from __future__ import annotations

import copy
import json
import threading
from typing import Any

import httpx
import pytest
from langchain_core.documents import BaseDocumentCompressor, Document
from langchain_core.runnables import RunnableLambda
from pydantic import ValidationError

from gateway_core.errors import EndpointNotSupportedError, InvalidRequestError
from langchain_gateway import GatewayRerank
from langchain_gateway.retrievers import ContextualRerankRetriever
from tests.unit.test_embeddings_core import MockGateway
from tests.unit.test_rerank_core import jina, score_of

SETTINGS = {"base_url": "https://gw.example.com/v1", "api_key": "sk-unit-key-0001"}
DOCS = [
    Document("the cat sat on the mat", id="d0", metadata={"source": "a", "tags": ["x"]}),
    Document("dogs bark at night", id="d1", metadata={"source": "b"}),
    Document("a cat and a dog", id="d2", metadata={"source": "c"}),
    Document("quantum physics", id="d3"),
]


def wired(gateway: MockGateway, **kwargs: Any) -> GatewayRerank:
    reranker = GatewayRerank(**{"model": "bge-reranker-v2-m3", **SETTINGS, **kwargs})
    reranker._gateway = gateway.client()
    return reranker


def test_is_a_compressor_and_hides_the_key() -> None:
    reranker = GatewayRerank(model="bge-reranker-v2-m3", **SETTINGS)
    assert isinstance(reranker, BaseDocumentCompressor)
    assert reranker.top_n == 3
    assert "sk-unit-key-0001" not in repr(reranker)


def test_compress_documents_returns_annotated_copies_without_touching_inputs() -> None:
    gateway = MockGateway(lambda body: jina(body, order="unsorted", document="object"))
    before = copy.deepcopy(DOCS)
    result = wired(gateway, top_n=2).compress_documents(DOCS, "cat on the mat")
    assert [doc.id for doc in result] == ["d0", "d2"]
    score = score_of("cat on the mat", DOCS[0].page_content)
    assert result[0].metadata == {"source": "a", "tags": ["x"], "relevance_score": score}
    assert result[0].page_content == DOCS[0].page_content
    assert result[0] is not DOCS[0]
    assert before == DOCS  # inputs never mutated
    assert "relevance_score" not in DOCS[0].metadata
    assert gateway.bodies[0]["documents"] == [d.page_content for d in DOCS]
    assert gateway.bodies[0]["top_n"] == 2
    assert gateway.bodies[0]["return_documents"] is False


def test_public_rerank_returns_index_and_score() -> None:
    reranker = wired(MockGateway(jina), top_n=1)
    best = reranker.rerank(["dogs bark", "cats purr"], "cats purr")
    assert best == [{"index": 1, "relevance_score": score_of("cats purr", "cats purr")}]
    everything = reranker.rerank(DOCS, "cat", top_n=None)
    assert sorted(item["index"] for item in everything) == [0, 1, 2, 3]
    assert len(reranker.rerank(DOCS, "cat", top_n=2)) == 2
    assert reranker.rerank([], "cat") == []


@pytest.mark.parametrize("documents", ["the cat sat on the mat", "", b"bytes"])
async def test_a_string_instead_of_a_list_is_refused(documents: Any) -> None:
    gateway = MockGateway(jina)
    gateway.use_async()
    reranker = wired(gateway)
    with pytest.raises(InvalidRequestError, match="list of documents"):
        reranker.rerank(documents, "cat")
    with pytest.raises(InvalidRequestError, match="list of documents"):
        await reranker.arerank(documents, "cat")
    with pytest.raises(InvalidRequestError, match="list of documents"):
        reranker.compress_documents(documents, "cat")
    with pytest.raises(InvalidRequestError, match="list of documents"):
        await reranker.acompress_documents(documents, "cat")
    assert gateway.bodies == []


def test_empty_documents_send_nothing() -> None:
    gateway = MockGateway(jina)
    assert wired(gateway).compress_documents([], "q") == []
    assert gateway.bodies == []


def test_split_requests_merge_by_score() -> None:
    gateway = MockGateway(jina)
    documents = [Document(f"doc {i} " + "cat " * (i % 4), id=str(i)) for i in range(9)]
    result = wired(gateway, top_n=3, max_documents_per_request=4).compress_documents(
        documents, "cat")
    assert [len(b["documents"]) for b in gateway.bodies] == [4, 4, 1]
    expected = sorted(range(9), key=lambda i: (-score_of("cat", documents[i].page_content), i))
    assert [doc.id for doc in result] == [str(i) for i in expected[:3]]


def test_gateway_without_rerank_says_so() -> None:
    gateway = MockGateway(lambda body: httpx.Response(
        404, json={"error": {"message": "Invalid URL (POST /v1/rerank)", "type": "x"}}))
    with pytest.raises(EndpointNotSupportedError, match="has no rerank endpoint"):
        wired(gateway).compress_documents(DOCS, "q")


async def test_acompress_is_native_async() -> None:
    gateway = MockGateway(jina)
    threads: list[int] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        threads.append(threading.get_ident())
        return jina(json.loads(request.content))

    gateway.use_async(handler)
    result = await wired(gateway, top_n=1).acompress_documents(DOCS, "dogs bark at night")
    assert [doc.id for doc in result] == ["d1"]
    assert threads == [threading.get_ident()]  # ran on the event loop, not in a worker thread
    assert await wired(gateway).acompress_documents([], "q") == []
    assert (await wired(gateway).arerank(["x y", "y"], "y", top_n=None))[0]["index"] == 1


def test_contextual_rerank_retriever() -> None:
    candidates = RunnableLambda(lambda query: list(DOCS))
    retriever = ContextualRerankRetriever(base_retriever=candidates,
                                          reranker=wired(MockGateway(jina), top_n=2))
    docs = retriever.invoke("cat dog")
    assert [doc.id for doc in docs] == ["d2", "d0"]
    assert all("relevance_score" in doc.metadata for doc in docs)
    nothing = ContextualRerankRetriever(base_retriever=RunnableLambda(lambda q: []),
                                        reranker=wired(MockGateway(jina)))
    assert nothing.invoke("q") == []


async def test_contextual_rerank_retriever_async() -> None:
    gateway = MockGateway(jina)
    gateway.use_async()
    retriever = ContextualRerankRetriever(base_retriever=RunnableLambda(lambda q: list(DOCS)),
                                          reranker=wired(gateway, top_n=1))
    docs = await retriever.ainvoke("quantum physics")
    assert [doc.id for doc in docs] == ["d3"]


@pytest.mark.parametrize("bad", [{"top_n": 0}, {"max_documents_per_request": 0},
                                 {"max_concurrency": 0}, {"top_nn": 1}])
def test_bad_settings_fail_at_construction(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        GatewayRerank(model="bge-reranker-v2-m3", **SETTINGS, **bad)
