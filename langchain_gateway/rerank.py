"""GatewayRerank: a LangChain document compressor over a relay gateway's ``/v1/rerank``.

The Jina-shape request, tolerant parsing, splitting and the "no rerank endpoint" error live in
:mod:`gateway_core.rerank`; this module adapts them to LangChain documents. To rerank what a
retriever found, see :class:`langchain_gateway.retrievers.ContextualRerankRetriever`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from langchain_core.callbacks import (
    Callbacks,
)
from langchain_core.documents import BaseDocumentCompressor, Document
from pydantic import AliasChoices, ConfigDict, Field

from gateway_core.errors import InvalidRequestError
from gateway_core.rerank import (
    RERANK_PATH,
    RerankCall,
    RerankResult,
    arerank,
    make_rerank_call,
    rerank,
)

from ._connection import GatewayConnection

__all__ = ["GatewayRerank", "ranked_copies"]

_USE_DEFAULT = -1


class GatewayRerank(GatewayConnection, BaseDocumentCompressor):
    """Reranker (document compressor) for relay gateways that serve ``/v1/rerank`` (new-api).

    Sends the Jina rerank shape (``model``, ``query``, ``documents``, ``top_n``,
    ``return_documents: false``), maps results back by ``index`` and re-sorts them by score
    whatever order the gateway used; ``document`` in the answer may be absent, a string or
    ``{"text": …}``. More documents than one request may carry are split and merged by score.
    Returned documents are copies that keep ``id`` and metadata and add
    ``metadata["relevance_score"]``; the inputs are never changed. Native async. A gateway without
    rerank (one-api) raises ``EndpointNotSupportedError`` saying so.

    Setup:
        .. code-block:: bash

            pip install "ai-gateway-kit[langchain]"
            export GATEWAY_BASE_URL="https://your-gateway.example.com/v1"
            export GATEWAY_API_KEY="sk-..."

    Key init args:
        model: str
            Reranker as the gateway lists it (``bge-reranker-v2-m3``, ``jina-reranker-v2-…``).
        top_n: int | None
            Documents to keep (default 3; None keeps all, ranked).
        max_documents_per_request: int | None
            Documents per request (default 100 or the model profile's).
        base_url / api_key / timeout / max_retries:
            As for every class of this package (``GATEWAY_BASE_URL`` / ``GATEWAY_API_KEY``).
        path: str
            The rerank route (``/v1/rerank``; some gateways use ``/rerank`` or ``/v2/rerank``).

    Instantiate:
        .. code-block:: python

            from langchain_gateway import GatewayRerank

            reranker = GatewayRerank(model="bge-reranker-v2-m3", top_n=3)

    Rerank documents:
        .. code-block:: python

            from langchain_core.documents import Document

            docs = [Document("Paris is the capital of France.", id="fr"),
                    Document("Berlin is the capital of Germany.", id="de")]
            best = reranker.compress_documents(docs, "capital of France")
            best[0].id, best[0].metadata["relevance_score"]  # ("fr", 0.93...)

            reranker.rerank(["Paris ...", "Berlin ..."], "capital of France", top_n=1)
            # [{"index": 0, "relevance_score": 0.93...}]

    Async:
        .. code-block:: python

            best = await reranker.acompress_documents(docs, "capital of France")

    With a retriever:
        .. code-block:: python

            from langchain_core.vectorstores import InMemoryVectorStore
            from langchain_gateway import GatewayEmbeddings
            from langchain_gateway.retrievers import ContextualRerankRetriever

            vector_store = InMemoryVectorStore.from_documents(
                docs, GatewayEmbeddings(model="text-embedding-3-small"))
            retriever = ContextualRerankRetriever(
                base_retriever=vector_store.as_retriever(search_kwargs={"k": 20}),
                reranker=reranker,
            )
            retriever.invoke("capital of France")  # the top_n of the 20, best first

        With ``langchain-classic`` installed, ``ContextualCompressionRetriever(
        base_compressor=reranker, base_retriever=...)`` works the same way.
    """

    model: str = Field(validation_alias=AliasChoices("model", "model_name"))
    """Reranker model as the gateway names it."""
    top_n: int | None = Field(default=3, ge=1)
    """Documents kept (None: all, ranked)."""
    max_documents_per_request: int | None = Field(default=None, ge=1)
    """Documents per request; more are split over several requests (None: 100 or the profile's)."""
    max_concurrency: int = Field(default=4, ge=1)
    """Split requests in flight at once (async)."""
    path: str = RERANK_PATH
    """The rerank route on the gateway."""
    timeout: float | None = Field(
        default=60.0, validation_alias=AliasChoices("timeout", "request_timeout"))
    """Read timeout per request, in seconds."""
    extra_body: dict[str, Any] | None = Field(
        default=None, validation_alias=AliasChoices("extra_body", "model_kwargs"))
    """Gateway-specific fields merged into every request body."""
    capabilities: dict[str, Any] | None = None
    """Overrides of the model's capability profile (``rerank_max_documents``)."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid", protected_namespaces=())
    _passthrough: ClassVar[str] = "extra_body"

    def _call(self, top_n: int | None, model: str | None = None) -> RerankCall:
        return make_rerank_call(
            model or self.model, top_n=self.top_n if top_n == _USE_DEFAULT else top_n,
            max_documents_per_request=self.max_documents_per_request,
            max_concurrency=self.max_concurrency, path=self.path, extra_body=self.extra_body,
            profile=self.capabilities,
        )

    # ------------------------------------------------------------------ public rerank

    def rerank(
        self,
        documents: Sequence[str | Document | Mapping[str, Any]],
        query: str,
        *,
        top_n: int | None = _USE_DEFAULT,
        model: str | None = None,
    ) -> list[dict[str, Any]]:
        """Rank ``documents`` for ``query``: ``[{"index", "relevance_score"}]``, best first.

        ``top_n=-1`` (default) uses the instance's ``top_n``; ``None`` ranks all documents.
        """
        result = rerank(self.client.transport, query, _texts(documents),
                        self._call(top_n, model))
        return _as_dicts(result)

    async def arerank(
        self,
        documents: Sequence[str | Document | Mapping[str, Any]],
        query: str,
        *,
        top_n: int | None = _USE_DEFAULT,
        model: str | None = None,
    ) -> list[dict[str, Any]]:
        """Async twin of :meth:`rerank`."""
        result = await arerank(self.client.transport, query, _texts(documents),
                               self._call(top_n, model))
        return _as_dicts(result)

    # ------------------------------------------------------------------ compressor

    def compress_documents(
        self,
        documents: Sequence[Document],
        query: str,
        callbacks: Callbacks | None = None,
    ) -> Sequence[Document]:
        """The ``top_n`` most relevant documents, best first, as annotated copies."""
        _check_is_list(documents)
        if not documents:
            return []
        return ranked_copies(documents, self.rerank(documents, query))

    async def acompress_documents(
        self,
        documents: Sequence[Document],
        query: str,
        callbacks: Callbacks | None = None,
    ) -> Sequence[Document]:
        """Async twin of :meth:`compress_documents` (no worker thread)."""
        _check_is_list(documents)
        if not documents:
            return []
        return ranked_copies(documents, await self.arerank(documents, query))


def _check_is_list(documents: Any) -> None:
    """One string (or bytes) is not a list of documents: refuse it before any request."""
    if isinstance(documents, (str, bytes, bytearray)):
        raise InvalidRequestError(
            f"documents must be a list of documents, got one {type(documents).__name__}: pass a "
            "list of strings or Documents (e.g. [text] for a single document).")


def _texts(documents: Sequence[str | Document | Mapping[str, Any]]) -> list[Any]:
    _check_is_list(documents)
    return [doc.page_content if isinstance(doc, Document) else doc for doc in documents]


def _as_dicts(result: RerankResult) -> list[dict[str, Any]]:
    return [{"index": hit.index, "relevance_score": hit.relevance_score} for hit in result.hits]


def ranked_copies(
    documents: Sequence[Document], ranking: list[dict[str, Any]]
) -> list[Document]:
    """Copies of the ranked documents (``id`` kept) with ``metadata["relevance_score"]``."""
    ranked = []
    for item in ranking:
        original = documents[item["index"]]
        metadata = {**original.metadata, "relevance_score": item["relevance_score"]}
        ranked.append(original.model_copy(update={"metadata": metadata}))
    return ranked
