"""Retrievers that rerank: candidates from any retriever, ordered by a reranker.

Kept apart from :mod:`langchain_gateway.rerank` so the reranker alone does not import
``langchain_core.retrievers``.
"""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.callbacks import (
    AsyncCallbackManagerForRetrieverRun,
    CallbackManagerForRetrieverRun,
)
from langchain_core.documents import BaseDocumentCompressor, Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable
from pydantic import ConfigDict, Field

__all__ = ["ContextualRerankRetriever"]


class ContextualRerankRetriever(BaseRetriever):
    """Retrieve with ``base_retriever``, then keep the ``k`` best documents by the reranker.

    Like ``ContextualCompressionRetriever`` (now in ``langchain-classic``), with
    :class:`GatewayRerank` (or any ``BaseDocumentCompressor``) and native async. ``k`` (on the
    retriever or per call, ``retriever.invoke(query, k=2)``) is how many documents come back;
    without it, the reranker's ``top_n``. With a :class:`GatewayRerank`, ``k`` is sent as the
    rerank request's ``top_n``; other compressors' results are cut to ``k``.

    .. code-block:: python

        retriever = ContextualRerankRetriever(
            base_retriever=store.as_retriever(search_kwargs={"k": 20}),
            reranker=GatewayRerank(model="bge-reranker-v2-m3"),
            k=4,
        )
        docs = retriever.invoke("How do relays bill embeddings?")
        top_two = retriever.invoke("How do relays bill embeddings?", k=2)
    """

    base_retriever: Runnable[str, list[Document]]
    """Where candidate documents come from (a retriever, or any runnable str -> documents)."""
    reranker: BaseDocumentCompressor
    """Ranks the candidates (e.g. :class:`GatewayRerank`)."""
    k: int | None = Field(default=None, ge=1)
    """Documents returned (None: the reranker's ``top_n``)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None
    ) -> list[Document]:
        candidates = self.base_retriever.invoke(
            query, config={"callbacks": run_manager.get_child()})
        if not candidates:
            return []
        wanted = k or self.k
        from .rerank import GatewayRerank, ranked_copies

        if wanted is not None and isinstance(self.reranker, GatewayRerank):
            return ranked_copies(candidates, self.reranker.rerank(candidates, query,
                                                                  top_n=wanted))
        ranked = self.reranker.compress_documents(candidates, query,
                                                  callbacks=run_manager.get_child())
        return _first(ranked, wanted)

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun,
        k: int | None = None,
    ) -> list[Document]:
        candidates = await self.base_retriever.ainvoke(
            query, config={"callbacks": run_manager.get_child()})
        if not candidates:
            return []
        wanted = k or self.k
        from .rerank import GatewayRerank, ranked_copies

        if wanted is not None and isinstance(self.reranker, GatewayRerank):
            return ranked_copies(candidates, await self.reranker.arerank(candidates, query,
                                                                         top_n=wanted))
        ranked = await self.reranker.acompress_documents(
            candidates, query, callbacks=run_manager.get_child())
        return _first(ranked, wanted)


def _first(documents: Sequence[Document], k: int | None) -> list[Document]:
    return list(documents if k is None else documents[:k])
