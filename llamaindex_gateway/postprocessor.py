"""GatewayRerank: a LlamaIndex node postprocessor over a relay gateway's ``/v1/rerank``.

The Jina-shape request, tolerant parsing, splitting and the "no rerank endpoint" error live in
:mod:`gateway_core.rerank`; this module adapts them to nodes, with LlamaIndex's ReRank
instrumentation events and callbacks.
"""

from __future__ import annotations

from typing import Any, ClassVar

from llama_index.core.bridge.pydantic import Field
from llama_index.core.callbacks import CBEventType, EventPayload
from llama_index.core.instrumentation import get_dispatcher  # type: ignore[attr-defined]
from llama_index.core.instrumentation.events.rerank import ReRankEndEvent, ReRankStartEvent
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle

from gateway_core.rerank import RERANK_PATH, RerankCall, RerankResult, arerank, make_rerank_call
from gateway_core.rerank import rerank as core_rerank

from ._connection import GatewayConnection

__all__ = ["GatewayRerank"]

dispatcher = get_dispatcher(__name__)


class GatewayRerank(GatewayConnection, BaseNodePostprocessor):
    """Reranking node postprocessor for relay gateways that serve ``/v1/rerank`` (new-api).

    Sends the Jina rerank shape, maps results back by ``index`` and re-sorts them by score
    whatever order the gateway used (``document`` absent, a string or ``{"text"}`` are all
    fine); more nodes than one request may carry are split and merged by score. Returns new
    ``NodeWithScore`` objects whose ``score`` is the relevance score (the input list and its
    scores are left alone). Emits ``ReRankStartEvent`` / ``ReRankEndEvent`` and the
    ``RERANKING`` callback event. Native async (``apostprocess_nodes``, used by async query
    engines). A gateway without rerank (one-api) raises ``EndpointNotSupportedError``.

    Setup:
        .. code-block:: bash

            pip install "ai-gateway-kit[llamaindex]"
            export GATEWAY_BASE_URL="https://your-gateway.example.com/v1"
            export GATEWAY_API_KEY="sk-..."

    Instantiate:
        .. code-block:: python

            from llamaindex_gateway import GatewayRerank

            reranker = GatewayRerank(model="bge-reranker-v2-m3", top_n=3)

    Use in a query engine:
        .. code-block:: python

            from llama_index.core import Document, VectorStoreIndex
            from llamaindex_gateway import GatewayEmbedding, GatewayLLM

            index = VectorStoreIndex.from_documents(
                [Document(text="The warranty covers parts for two years."),
                 Document(text="Shipping takes about a week.")],
                embed_model=GatewayEmbedding(model_name="text-embedding-3-small"),
            )
            llm = GatewayLLM(model="gpt-4o-mini")
            query_engine = index.as_query_engine(
                similarity_top_k=10, node_postprocessors=[reranker], llm=llm)
            response = query_engine.query("What does the warranty cover?")
            [(n.node.node_id, n.score) for n in response.source_nodes]

    Direct:
        .. code-block:: python

            nodes = index.as_retriever(similarity_top_k=10).retrieve("warranty")
            ranked = reranker.postprocess_nodes(nodes, query_str="warranty")
            ranked = await reranker.apostprocess_nodes(nodes, query_str="warranty")
    """

    model: str = Field(description="Reranker model as the gateway names it.")
    top_n: int | None = Field(default=3, ge=1, description="Nodes kept (None: all, ranked).")
    max_documents_per_request: int | None = Field(
        default=None, ge=1, description="Nodes per request (None: 100 or the model profile's).")
    max_concurrency: int = Field(default=4, gt=0, description="Split requests in flight (async).")
    path: str = Field(default=RERANK_PATH, description="The rerank route on the gateway.")
    metadata_mode: MetadataMode = Field(default=MetadataMode.EMBED,
                                        description="Which node text is sent for ranking.")
    keep_retrieval_score: bool = Field(
        default=False,
        description="Copy each node with its retrieval score in metadata['retrieval_score'].")
    timeout: float | None = Field(default=60.0, description="Read timeout per request (s).")
    extra_body: dict[str, Any] | None = Field(default=None,
                                              description="Fields merged into every request.")
    capabilities: dict[str, Any] | None = Field(default=None,
                                                description="Capability profile overrides.")

    _renames: ClassVar[dict[str, str]] = {"model_name": "model"}

    @classmethod
    def class_name(cls) -> str:
        return "GatewayRerank"

    def _call(self) -> RerankCall:
        return make_rerank_call(
            self.model, top_n=self.top_n,
            max_documents_per_request=self.max_documents_per_request,
            max_concurrency=self.max_concurrency, path=self.path, extra_body=self.extra_body,
            profile=self.capabilities,
        )

    # ------------------------------------------------------------------ the two paths

    def _start(self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None) -> QueryBundle:
        """Check the input, then dispatch ``ReRankStartEvent``.

        The check comes first so a refused call leaves no start event without its end event.
        A rerank call that fails after the start raises without a ``ReRankEndEvent``, as
        llama_index.core's own rerankers (``StructuredLLMRerank``) do.
        """
        if query_bundle is None:
            raise ValueError("GatewayRerank needs the query: pass query_str= or a query bundle.")
        dispatcher.event(ReRankStartEvent(
            query=query_bundle, nodes=nodes, top_n=self.top_n or len(nodes),
            model_name=self.model))
        return query_bundle

    def _payload(self, nodes: list[NodeWithScore], query: QueryBundle) -> dict[str, Any]:
        return {EventPayload.NODES: nodes, EventPayload.MODEL_NAME: self.model,
                EventPayload.QUERY_STR: query.query_str, EventPayload.TOP_K: self.top_n}

    def _texts(self, nodes: list[NodeWithScore]) -> list[str]:
        return [n.node.get_content(metadata_mode=self.metadata_mode) for n in nodes]

    def _ranked(self, nodes: list[NodeWithScore], result: RerankResult) -> list[NodeWithScore]:
        ranked = []
        for hit in result.hits:
            original = nodes[hit.index]
            node = original.node
            if self.keep_retrieval_score:
                metadata = {**node.metadata, "retrieval_score": original.score}
                node = node.model_copy(update={"metadata": metadata})
            ranked.append(NodeWithScore(node=node, score=hit.relevance_score))
        return ranked

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        query = self._start(nodes, query_bundle)
        ranked: list[NodeWithScore] = []
        if nodes:
            with self.callback_manager.event(CBEventType.RERANKING,
                                             payload=self._payload(nodes, query)) as event:
                result = core_rerank(self.client.transport, query.query_str,
                                     self._texts(nodes), self._call())
                ranked = self._ranked(nodes, result)
                event.on_end(payload={EventPayload.NODES: ranked})
        dispatcher.event(ReRankEndEvent(nodes=ranked))
        return ranked

    async def _apostprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        query = self._start(nodes, query_bundle)
        ranked: list[NodeWithScore] = []
        if nodes:
            with self.callback_manager.event(CBEventType.RERANKING,
                                             payload=self._payload(nodes, query)) as event:
                result = await arerank(self.client.transport, query.query_str,
                                       self._texts(nodes), self._call())
                ranked = self._ranked(nodes, result)
                event.on_end(payload={EventPayload.NODES: ranked})
        dispatcher.event(ReRankEndEvent(nodes=ranked))
        return ranked
