"""Retrievers that rerank: candidates from any retriever, ordered by a reranker.

Kept apart from :mod:`langchain_gateway.rerank` so the reranker alone does not import
``langchain_core.retrievers``.
"""

from __future__ import annotations

from langchain_core.callbacks import (
    AsyncCallbackManagerForRetrieverRun,
    CallbackManagerForRetrieverRun,
)
from langchain_core.documents import BaseDocumentCompressor, Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable
from pydantic import ConfigDict

__all__ = ["ContextualRerankRetriever"]


class ContextualRerankRetriever(BaseRetriever):
    """Retrieve with ``base_retriever``, then keep the reranker's ``top_n`` best documents.

    Like ``ContextualCompressionRetriever`` (now in ``langchain-classic``), with
    :class:`GatewayRerank` (or any ``BaseDocumentCompressor``) and native async.

    .. code-block:: python

        retriever = ContextualRerankRetriever(
            base_retriever=store.as_retriever(search_kwargs={"k": 20}),
            reranker=GatewayRerank(model="bge-reranker-v2-m3", top_n=4),
        )
        docs = retriever.invoke("How do relays bill embeddings?")
    """

    base_retriever: Runnable[str, list[Document]]
    """Where candidate documents come from (a retriever, or any runnable str -> documents)."""
    reranker: BaseDocumentCompressor
    """Ranks the candidates (e.g. :class:`GatewayRerank`)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        candidates = self.base_retriever.invoke(
            query, config={"callbacks": run_manager.get_child()})
        if not candidates:
            return []
        return list(self.reranker.compress_documents(candidates, query,
                                                     callbacks=run_manager.get_child()))

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun
    ) -> list[Document]:
        candidates = await self.base_retriever.ainvoke(
            query, config={"callbacks": run_manager.get_child()})
        if not candidates:
            return []
        return list(await self.reranker.acompress_documents(
            candidates, query, callbacks=run_manager.get_child()))
