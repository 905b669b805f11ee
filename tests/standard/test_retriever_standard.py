"""langchain-tests' retriever suite for ContextualRerankRetriever, reranking with GatewayRerank
against the emulator over loopback (or the live gateway with ``GATEWAY_LIVE=1``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.documents import BaseDocumentCompressor, Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda
from langchain_tests.integration_tests import RetrieversIntegrationTests

from langchain_gateway import ContextualRerankRetriever, GatewayRerank
from tests.standard.chat_standard_support import TARGET

CORPUS = [
    Document("Relays bill embeddings per token of input.", id="billing"),
    Document("new-api serves /v1/rerank in the Jina shape.", id="rerank"),
    Document("one-api has no rerank endpoint.", id="one-api"),
    Document("Video tasks are polled until they succeed.", id="video"),
    Document("Keys travel in the Authorization header.", id="keys"),
    Document("Streams end with a finish_reason.", id="streams"),
]


def _candidates(query: str) -> list[Document]:
    return list(CORPUS)


class TestContextualRerankRetrieverIntegration(RetrieversIntegrationTests):
    uses_gateway = True

    @property
    def retriever_constructor(self) -> type[BaseRetriever]:
        return ContextualRerankRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        target = TARGET["gateway"]
        reranker = GatewayRerank(model=target.rerank_model, base_url=target.base_url,
                                 api_key=target.api_key)
        return {"base_retriever": RunnableLambda(_candidates), "reranker": reranker}

    @property
    def retriever_query_example(self) -> str:
        return "How do relays bill embeddings?"


class _KeepOrder(BaseDocumentCompressor):
    """Any other compressor: returns the candidates as they are."""

    def compress_documents(self, documents: Sequence[Document], query: str,
                           callbacks: Any = None) -> Sequence[Document]:
        return documents


async def test_k_cuts_the_results_of_any_compressor() -> None:
    retriever = ContextualRerankRetriever(base_retriever=RunnableLambda(_candidates),
                                          reranker=_KeepOrder(), k=2)
    assert [d.id for d in retriever.invoke("q")] == ["billing", "rerank"]
    assert [d.id for d in retriever.invoke("q", k=1)] == ["billing"]
    assert len(await retriever.ainvoke("q", k=3)) == 3
    assert len(ContextualRerankRetriever(base_retriever=RunnableLambda(_candidates),
                                         reranker=_KeepOrder()).invoke("q")) == len(CORPUS)
