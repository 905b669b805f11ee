"""GatewayRerank (LlamaIndex node postprocessor) over a mocked gateway."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from llama_index.core.callbacks import CallbackManager, CBEventType, LlamaDebugHandler
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from pydantic import ValidationError

from gateway_core.errors import EndpointNotSupportedError
from llamaindex_gateway import GatewayRerank
from tests.llamaindex_events import EventRecorder, recording
from tests.unit.test_embeddings_core import MockGateway
from tests.unit.test_rerank_core import jina, score_of

SETTINGS = {"api_base": "https://gw.example.com/v1", "api_key": "sk-unit-key-0001"}
TEXTS = ["the cat sat on the mat", "dogs bark at night", "a cat and a dog", "quantum physics"]


def nodes() -> list[NodeWithScore]:
    return [NodeWithScore(node=TextNode(text=text, id_=f"n{i}", metadata={"i": i}),
                          score=0.5 - i / 10) for i, text in enumerate(TEXTS)]


def wired(gateway: MockGateway, **kwargs: Any) -> GatewayRerank:
    reranker = GatewayRerank(**{"model": "bge-reranker-v2-m3", **SETTINGS, **kwargs})
    reranker._gateway = gateway.client()
    return reranker


@pytest.fixture
def recorder() -> Iterator[EventRecorder]:
    with recording() as events:
        yield events


def test_is_a_node_postprocessor_and_hides_the_key() -> None:
    reranker = GatewayRerank(model_name="bge-reranker-v2-m3", **SETTINGS)
    assert isinstance(reranker, BaseNodePostprocessor)
    assert reranker.model == "bge-reranker-v2-m3"
    assert "sk-unit-key-0001" not in repr(reranker)
    assert "sk-unit-key-0001" not in reranker.to_json()


def test_scores_order_top_n_and_untouched_inputs(recorder: EventRecorder) -> None:
    gateway = MockGateway(lambda body: jina(body, order="unsorted", document="string"))
    given = nodes()
    ranked = wired(gateway, top_n=2).postprocess_nodes(given, query_str="cat dog")
    assert [n.node.node_id for n in ranked] == ["n2", "n0"]
    assert ranked[0].score == score_of("cat dog", gateway.bodies[0]["documents"][2])
    assert ranked[0].node is given[2].node
    assert [n.score for n in given] == [0.5, 0.4, 0.3, 0.2]  # inputs keep their scores
    assert gateway.bodies[0]["documents"][0].startswith("i: 0")  # MetadataMode.EMBED text
    assert gateway.bodies[0]["top_n"] == 2
    names = [type(e).__name__ for e in recorder.events]
    assert names == ["ReRankStartEvent", "ReRankEndEvent"]
    start, end = recorder.events
    assert start.top_n == 2  # type: ignore[attr-defined]
    assert start.model_name == "bge-reranker-v2-m3"  # type: ignore[attr-defined]
    assert end.nodes == ranked  # type: ignore[attr-defined]


def test_callback_event_and_metadata_mode() -> None:
    debug = LlamaDebugHandler()
    gateway = MockGateway(jina)
    reranker = wired(gateway, metadata_mode="none", top_n=None,
                     callback_manager=CallbackManager([debug]))
    ranked = reranker.postprocess_nodes(nodes(), QueryBundle("quantum"))
    assert len(ranked) == 4
    assert gateway.bodies[0]["documents"] == TEXTS
    pairs = debug.get_event_pairs(CBEventType.RERANKING)
    assert len(pairs) == 1
    assert pairs[0][1].payload is not None


def test_keep_retrieval_score_copies_nodes() -> None:
    given = nodes()
    ranked = wired(MockGateway(jina), top_n=1, keep_retrieval_score=True).postprocess_nodes(
        given, query_str="quantum physics")
    assert ranked[0].node.node_id == "n3"
    assert ranked[0].node.metadata == {"i": 3, "retrieval_score": 0.2}
    assert given[3].node.metadata == {"i": 3}


def test_empty_nodes_and_missing_query(recorder: EventRecorder) -> None:
    gateway = MockGateway(jina)
    assert wired(gateway).postprocess_nodes([], query_str="q") == []
    assert gateway.bodies == []
    assert [type(e).__name__ for e in recorder.events] == ["ReRankStartEvent", "ReRankEndEvent"]
    with pytest.raises(ValueError, match="needs the query"):
        wired(gateway).postprocess_nodes(nodes())


def rerank_events(recorder: EventRecorder) -> list[str]:
    return [type(e).__name__ for e in recorder.events if type(e).__name__.startswith("ReRank")]


def test_missing_query_is_refused_before_the_start_event(recorder: EventRecorder) -> None:
    gateway = MockGateway(jina)
    with pytest.raises(ValueError, match="needs the query"):
        wired(gateway).postprocess_nodes(nodes())
    with pytest.raises(ValueError, match="needs the query"):
        wired(gateway).postprocess_nodes([])
    assert rerank_events(recorder) == []  # no ReRankStartEvent left without its end event
    assert gateway.bodies == []


async def test_async_missing_query_is_refused_before_the_start_event(
        recorder: EventRecorder) -> None:
    gateway = MockGateway(jina)
    gateway.use_async()
    with pytest.raises(ValueError, match="needs the query"):
        await wired(gateway).apostprocess_nodes(nodes())
    assert rerank_events(recorder) == []
    assert gateway.bodies == []


def test_failed_call_after_start_matches_llamaindex(recorder: EventRecorder) -> None:
    """Like llama_index.core's StructuredLLMRerank: a failing call raises, no end event."""
    gateway = MockGateway(lambda body: httpx.Response(
        404, json={"error": {"message": "Invalid URL (POST /v1/rerank)", "type": "x"}}))
    with pytest.raises(EndpointNotSupportedError):
        wired(gateway).postprocess_nodes(nodes(), query_str="q")
    assert rerank_events(recorder) == ["ReRankStartEvent"]


def test_split_requests() -> None:
    gateway = MockGateway(jina)
    ranked = wired(gateway, top_n=2, max_documents_per_request=3).postprocess_nodes(
        nodes(), query_str="cat")
    assert [len(b["documents"]) for b in gateway.bodies] == [3, 1]
    assert len(ranked) == 2


def test_gateway_without_rerank() -> None:
    gateway = MockGateway(lambda body: httpx.Response(
        404, json={"error": {"message": "Invalid URL (POST /v1/rerank)", "type": "x"}}))
    with pytest.raises(EndpointNotSupportedError, match="no rerank endpoint"):
        wired(gateway).postprocess_nodes(nodes(), query_str="q")


async def test_async_path_is_native_and_instrumented(recorder: EventRecorder) -> None:
    gateway = MockGateway(jina)
    threads: list[int] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        threads.append(threading.get_ident())
        return jina(json.loads(request.content))

    gateway.use_async(handler)
    ranked = await wired(gateway, top_n=1).apostprocess_nodes(nodes(), query_str="dogs bark")
    assert [n.node.node_id for n in ranked] == ["n1"]
    assert threads == [threading.get_ident()]
    assert [type(e).__name__ for e in recorder.events] == ["ReRankStartEvent", "ReRankEndEvent"]


@pytest.mark.parametrize("bad", [{"top_n": 0}, {"max_documents_per_request": 0},
                                 {"max_concurrency": 0}])
def test_bad_settings_fail_at_construction(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        GatewayRerank(model="bge-reranker-v2-m3", **SETTINGS, **bad)
