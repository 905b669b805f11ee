"""gateway_core.rerank over httpx.MockTransport: Jina shape, tolerant parsing, splitting, errors."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from gateway_core.errors import (
    EndpointNotSupportedError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    ResponseFormatError,
)
from gateway_core.rerank import (
    RerankHit,
    arerank,
    make_rerank_call,
    parse_rerank,
    rerank,
)
from tests.unit.concurrency import ConcurrencyProbe
from tests.unit.test_embeddings_core import MockGateway

Body = dict[str, Any]


def score_of(query: str, document: Any) -> float:
    """A deterministic score: shared words, with the document's length breaking ties."""
    text = document if isinstance(document, str) else document["text"]
    shared = len(set(query.lower().split()) & set(text.lower().split()))
    return round(shared + 1 / (10 + len(text)), 6)


def jina(body: Body, *, document: str = "absent", order: str = "sorted") -> httpx.Response:
    docs = body["documents"]
    results = [{"index": i, "relevance_score": score_of(body["query"], d)}
               for i, d in enumerate(docs)]
    if order == "sorted":
        results.sort(key=lambda r: -r["relevance_score"])
    if body.get("top_n"):
        results = sorted(results, key=lambda r: -r["relevance_score"])[: body["top_n"]]
        if order == "unsorted":
            results.sort(key=lambda r: r["index"])
    for item in results:
        text = docs[item["index"]]
        if document == "string":
            item["document"] = text
        elif document == "object":
            item["document"] = {"text": text}
    return httpx.Response(200, json={"results": results, "model": body["model"],
                                     "usage": {"prompt_tokens": 7, "total_tokens": 7}},
                          headers={"X-Oneapi-Request-Id": "rid-rr"})


DOCS = ["the cat sat on the mat", "dogs bark at night", "a cat and a dog", "quantum physics"]


def test_request_is_jina_shaped() -> None:
    gateway = MockGateway(jina)
    result = rerank(gateway.transport, "cat on mat", DOCS,
                    make_rerank_call("bge-reranker-v2-m3", top_n=2))
    assert gateway.paths == ["/v1/rerank"]
    assert gateway.bodies == [{"model": "bge-reranker-v2-m3", "query": "cat on mat",
                               "documents": DOCS, "top_n": 2, "return_documents": False}]
    assert [hit.index for hit in result.hits] == [0, 2]
    assert result.hits[0].relevance_score == score_of("cat on mat", DOCS[0])
    assert result.usage == {"prompt_tokens": 7, "total_tokens": 7}
    assert result.request_ids == ["rid-rr"]
    assert result.model == "bge-reranker-v2-m3"


def test_no_top_n_ranks_everything_and_sends_none() -> None:
    gateway = MockGateway(jina)
    result = rerank(gateway.transport, "cat", DOCS, make_rerank_call("bge-reranker-v2-m3"))
    assert "top_n" not in gateway.bodies[0]
    assert sorted(hit.index for hit in result.hits) == [0, 1, 2, 3]
    scores = [hit.relevance_score for hit in result.hits]
    assert scores == sorted(scores, reverse=True)


def test_top_n_larger_than_documents_is_clamped() -> None:
    gateway = MockGateway(jina)
    result = rerank(gateway.transport, "cat", DOCS[:2], make_rerank_call("m-rerank", top_n=10))
    assert gateway.bodies[0]["top_n"] == 2
    assert len(result.hits) == 2


@pytest.mark.parametrize("document", ["absent", "string", "object"])
def test_unsorted_results_and_any_document_shape(document: str) -> None:
    gateway = MockGateway(lambda body: jina(body, document=document, order="unsorted"))
    result = rerank(gateway.transport, "cat dog", DOCS, make_rerank_call("bge-reranker-v2-m3"))
    expected = sorted(range(4), key=lambda i: -score_of("cat dog", DOCS[i]))
    assert [hit.index for hit in result.hits] == expected
    texts = [hit.document for hit in result.hits]
    assert texts == ([None] * 4 if document == "absent" else [DOCS[i] for i in expected])


def test_parse_accepts_data_key_score_key_and_bare_list() -> None:
    assert parse_rerank({"data": [{"index": 1, "score": 0.2}, {"index": 0, "score": 0.9}]},
                        2) == [RerankHit(0, 0.9), RerankHit(1, 0.2)]
    assert parse_rerank([{"index": 0, "relevance_score": 1}], 1) == [RerankHit(0, 1.0)]
    ties = parse_rerank({"results": [{"index": 1, "relevance_score": 0.5},
                                     {"index": 0, "relevance_score": 0.5}]}, 2)
    assert [hit.index for hit in ties] == [0, 1]  # ties keep input order


@pytest.mark.parametrize(("body", "match"), [
    ({"detail": "oops"}, r"no 'results' list \(found \['detail'\]\)"),
    ({"results": [{"index": 3, "relevance_score": 0.1}]}, "index 3"),
    ({"results": [{"index": True, "relevance_score": 0.1}]}, "index True"),
    ({"results": [{"index": 0, "relevance_score": 0.1}, {"index": 0, "relevance_score": 0.2}]},
     "repeats index 0"),
    ({"results": [{"index": 0, "relevance_score": "high"}]}, "no numeric relevance_score"),
    ({"results": ["x"]}, "not an object"),
])
def test_malformed_answers(body: Any, match: str) -> None:
    with pytest.raises(ResponseFormatError, match=match):
        parse_rerank(body, 2)


def test_many_documents_are_split_and_merged_by_score() -> None:
    gateway = MockGateway(jina)
    documents = [f"doc {i} " + ("cat " * (i % 7)) for i in range(250)]
    result = rerank(gateway.transport, "cat", documents, make_rerank_call("m-rerank", top_n=5))
    assert [len(b["documents"]) for b in gateway.bodies] == [100, 100, 50]
    assert [b["top_n"] for b in gateway.bodies] == [5, 5, 5]
    expected = sorted(range(250), key=lambda i: (-score_of("cat", documents[i]), i))[:5]
    assert [hit.index for hit in result.hits] == expected
    assert result.usage["total_tokens"] == 21


def test_max_documents_from_argument_or_profile() -> None:
    assert make_rerank_call("bge-reranker-v2-m3").max_documents_per_request == 100
    assert make_rerank_call("mystery").max_documents_per_request == 100
    assert make_rerank_call("m", profile={"rerank_max_documents": 8}).max_documents_per_request \
        == 8
    gateway = MockGateway(jina)
    result = rerank(gateway.transport, "cat", DOCS,
                    make_rerank_call("m", max_documents_per_request=3))
    assert [len(b["documents"]) for b in gateway.bodies] == [3, 1]
    assert sorted(hit.index for hit in result.hits) == [0, 1, 2, 3]


def test_empty_documents_send_nothing_and_bad_input_is_refused() -> None:
    gateway = MockGateway(jina)
    call = make_rerank_call("bge-reranker-v2-m3")
    assert rerank(gateway.transport, "q", [], call).hits == []
    assert gateway.bodies == []
    with pytest.raises(InvalidRequestError, match="query"):
        rerank(gateway.transport, "  ", DOCS, call)
    with pytest.raises(InvalidRequestError, match="list of strings"):
        rerank(gateway.transport, "q", "one document", call)
    with pytest.raises(InvalidRequestError, match="Document 1 is a int"):
        rerank(gateway.transport, "q", ["a", 3], call)  # type: ignore[list-item]
    with pytest.raises(InvalidRequestError, match="top_n"):
        make_rerank_call("m", top_n=0)
    with pytest.raises(InvalidRequestError, match="path"):
        make_rerank_call("m", path="v1/rerank")
    assert gateway.bodies == []


def test_object_documents_and_custom_path_and_extra_body() -> None:
    gateway = MockGateway(jina)
    call = make_rerank_call("m", path="/rerank", extra_body={"max_chunks_per_doc": 512},
                            return_documents=True)
    rerank(gateway.transport, "cat", [{"text": "a cat"}, "a dog"], call)
    assert gateway.paths == ["/rerank"]
    assert gateway.bodies[0]["documents"] == [{"text": "a cat"}, "a dog"]
    assert gateway.bodies[0]["max_chunks_per_doc"] == 512
    assert gateway.bodies[0]["return_documents"] is True


@pytest.mark.parametrize(("response"), [
    httpx.Response(404, json={"error": {"message": "Invalid URL (POST /v1/rerank)",
                                        "type": "invalid_request_error", "code": ""}}),
    httpx.Response(501, json={"error": {"message": "API not implemented",
                                        "type": "new_api_error",
                                        "code": "api_not_implemented"}}),
    httpx.Response(404, text="404 page not found", headers={"content-type": "text/plain"}),
    httpx.Response(200, text="<!doctype html><html><title>New API</title></html>",
                   headers={"content-type": "text/html"}),
])
def test_gateway_without_rerank(response: httpx.Response) -> None:
    gateway = MockGateway(lambda body: response)
    with pytest.raises(EndpointNotSupportedError, match="has no rerank endpoint") as info:
        rerank(gateway.transport, "q", DOCS, make_rerank_call("bge-reranker-v2-m3"))
    assert "JSON" not in type(info.value).__name__
    assert info.value.status_code in (404, 501, 200)


MODEL_NOT_FOUND = {"error": {"message": "The model `x` does not exist",
                             "type": "invalid_request_error", "code": "model_not_found"}}


@pytest.mark.parametrize("body", [
    MODEL_NOT_FOUND,
    {"error": {"message": "The model `x` does not exist", "type": "invalid_request_error",
               "code": ""}},
])
def test_unknown_model_404_is_not_a_missing_endpoint(body: Body) -> None:
    gateway = MockGateway(lambda request_body: httpx.Response(404, json=body))
    with pytest.raises(NotFoundError) as info:
        rerank(gateway.transport, "q", DOCS, make_rerank_call("x"))
    assert not isinstance(info.value, EndpointNotSupportedError)
    assert "no rerank endpoint" not in str(info.value)
    assert "`x`" in str(info.value) or "'x'" in str(info.value)
    assert info.value.status_code == 404
    assert info.value.code == body["error"]["code"]


async def test_async_unknown_model_404_is_not_a_missing_endpoint() -> None:
    gateway = MockGateway(lambda body: httpx.Response(404, json=MODEL_NOT_FOUND))
    gateway.use_async()
    with pytest.raises(NotFoundError, match="x") as info:
        await arerank(gateway.transport, "q", DOCS, make_rerank_call("x"))
    assert not isinstance(info.value, EndpointNotSupportedError)


def test_other_errors_pass_through_typed() -> None:
    gateway = MockGateway(lambda body: httpx.Response(
        429, json={"error": {"message": "当前分组上游负载已饱和，请稍后再试", "type": "x"}}))
    with pytest.raises(RateLimitError):
        rerank(gateway.transport, "q", DOCS, make_rerank_call("bge-reranker-v2-m3"))


async def test_async_split_runs_concurrently_and_merges() -> None:
    gateway = MockGateway(jina)
    probe = ConcurrencyProbe(expected=3)

    async def handler(request: httpx.Request) -> httpx.Response:
        await probe.hold()
        body = json.loads(request.content)
        gateway.bodies.append(body)
        return jina(body, order="unsorted")

    gateway.use_async(handler)
    documents = [f"doc {i} " + ("cat " * (i % 5)) for i in range(60)]
    call = make_rerank_call("m", top_n=4, max_documents_per_request=10, max_concurrency=3)
    result = await arerank(gateway.transport, "cat", documents, call)
    assert len(gateway.bodies) == 6
    assert probe.peak == 3
    expected = sorted(range(60), key=lambda i: (-score_of("cat", documents[i]), i))[:4]
    assert [hit.index for hit in result.hits] == expected


async def test_async_no_endpoint_and_empty() -> None:
    gateway = MockGateway(lambda body: httpx.Response(
        404, json={"error": {"message": "Invalid URL (POST /v1/rerank)", "type": "x"}}))
    gateway.use_async()
    call = make_rerank_call("bge-reranker-v2-m3", max_documents_per_request=2)
    assert (await arerank(gateway.transport, "q", [], call)).hits == []
    with pytest.raises(EndpointNotSupportedError, match="no rerank endpoint"):
        await arerank(gateway.transport, "q", DOCS, call)


def test_client_methods() -> None:
    gateway = MockGateway(jina)
    client = gateway.client()
    result = client.rerank("cat mat", DOCS, model="bge-reranker-v2-m3", top_n=1)
    assert [hit.index for hit in result.hits] == [0]


async def test_client_async_method() -> None:
    gateway = MockGateway(jina)
    gateway.use_async()
    result = await gateway.client().arerank("dog", DOCS, model="bge-reranker-v2-m3", top_n=1)
    assert len(result.hits) == 1
