"""GatewayEmbeddings: LangChain embeddings through a relay gateway's ``/v1/embeddings``.

Batching, ordering, base64 decoding and error handling live in :mod:`gateway_core.embeddings`;
this module adapts them to LangChain's :class:`~langchain_core.embeddings.Embeddings`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Literal

from langchain_core.embeddings import Embeddings
from pydantic import AliasChoices, ConfigDict, Field, PrivateAttr

from gateway_core.embeddings import EmbedCall, EmbeddingResult, aembed, embed, make_embed_call
from gateway_core.extras import import_optional

from ._connection import GatewayConnection

__all__ = ["GatewayEmbeddings"]


class GatewayEmbeddings(GatewayConnection, Embeddings):
    """Embedding model for OpenAI-compatible relay gateways (one-api, new-api and their forks).

    Sends raw strings (never token ids: no tiktoken, nothing downloaded), asks for
    ``encoding_format: "float"`` (a base64 answer is decoded anyway), batches by the model's
    limit (64, or e.g. 10 for DashScope ``text-embedding-v*``), puts vectors back in input order by
    ``index``, and raises on a count or dimension mismatch instead of storing wrong vectors.
    Async calls run up to ``max_concurrency`` batches at once. Shares its connection pool with
    every other class built for the same gateway and key.

    Setup:
        Install ``ai-gateway-kit[langchain]`` and set the gateway and key:

        .. code-block:: bash

            pip install "ai-gateway-kit[langchain]"
            export GATEWAY_BASE_URL="https://your-gateway.example.com/v1"
            export GATEWAY_API_KEY="sk-..."

    Key init args — embedding params:
        model: str
            Embedding model as the gateway lists it (``text-embedding-3-small``, ``bge-m3``, …).
        dimensions: int | None
            Sent as ``dimensions`` (models that support shortening); every vector is checked.
        encoding_format: "float" | "base64" | None
            ``"float"`` (default, accepted everywhere) or ``"base64"`` (less CPU where supported).
        batch_size: int | None
            Texts per request (default 64, lowered by the model's profile).
        max_concurrency: int
            Requests in flight at once in ``aembed_documents`` (default 4).
        empty_text: "error" | "zeros"
            Empty strings are refused before any request (default), or get zero vectors
            without being sent.

    Key init args — client params:
        base_url: str | None
            The gateway (``…/v1`` or the root); falls back to ``GATEWAY_BASE_URL``.
        api_key: SecretStr | None
            The relay key; falls back to ``GATEWAY_API_KEY``. Never serialised or logged.
        timeout: float | None
            Read timeout per request in seconds (default 60).
        max_retries: int
            Retries of 429 / 5xx / connection failures, per batch, done by the transport.

    Instantiate:
        .. code-block:: python

            from langchain_gateway import GatewayEmbeddings

            embeddings = GatewayEmbeddings(
                model="text-embedding-3-small",
                # dimensions=256,
                # base_url="https://your-gateway.example.com/v1",
                # api_key="sk-...",
            )

    Embed single text:
        .. code-block:: python

            vector = embeddings.embed_query("What is a relay gateway?")
            len(vector)  # 1536

    Embed multiple texts:
        .. code-block:: python

            vectors = embeddings.embed_documents(["first document", "second document"])
            len(vectors), len(vectors[0])  # (2, 1536)

    Async:
        .. code-block:: python

            vector = await embeddings.aembed_query("What is a relay gateway?")
            vectors = await embeddings.aembed_documents(["first", "second"])

    Vector store:
        .. code-block:: python

            from langchain_core.vectorstores import InMemoryVectorStore

            store = InMemoryVectorStore.from_texts(["cats purr", "dogs bark"], embeddings)
            store.similarity_search("which animal purrs?", k=1)

    Errors:
        A batch that fails for good raises its typed error (``RateLimitError``,
        ``QuotaExceededError``, …) whose message names the inputs it covered; ``error.partial``
        holds the vectors already received (``None`` where missing) and
        ``error.failed_inputs`` the positions without a vector.
    """

    model: str = Field(validation_alias=AliasChoices("model", "model_name"))
    """Embedding model as the gateway names it."""
    dimensions: int | None = Field(default=None, ge=1)
    """Output dimensions, for models that can shorten their vectors."""
    encoding_format: Literal["float", "base64"] | None = "float"
    """Wire format of the vectors asked for (answers in either format are decoded)."""
    batch_size: int | None = Field(
        default=None, ge=1, validation_alias=AliasChoices("batch_size", "chunk_size"))
    """Texts per request; None: 64, or the model's lower limit."""
    max_concurrency: int = Field(default=4, ge=1)
    """Requests in flight at once for async calls."""
    empty_text: Literal["error", "zeros"] = "error"
    """What to do with empty strings: refuse them, or return zero vectors for them."""
    timeout: float | None = Field(
        default=60.0, validation_alias=AliasChoices("timeout", "request_timeout"))
    """Read timeout per request, in seconds."""
    show_progress: bool = Field(
        default=False, validation_alias=AliasChoices("show_progress", "show_progress_bar"))
    """Show a tqdm progress bar over the inputs (needs ``tqdm``)."""
    user: str | None = None
    """OpenAI's ``user`` field."""
    extra_body: dict[str, Any] | None = Field(
        default=None, validation_alias=AliasChoices("extra_body", "model_kwargs"))
    """Gateway-specific fields merged into every request body."""
    capabilities: dict[str, Any] | None = None
    """Overrides of the model's capability profile (``embedding_batch_size``, …)."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid", protected_namespaces=())
    _passthrough: ClassVar[str] = "extra_body"

    _dimension: int | None = PrivateAttr(default=None)

    def _call(self) -> EmbedCall:
        return make_embed_call(
            self.model, dimensions=self.dimensions, encoding_format=self.encoding_format,
            batch_size=self.batch_size, max_concurrency=self.max_concurrency,
            empty_text=self.empty_text, user=self.user, extra_body=self.extra_body,
            profile=self.capabilities,
        )

    def _learn(self, result: EmbeddingResult) -> list[list[float]]:
        # Later calls must return vectors of the same size: a relay that routes this model name
        # to a different upstream would otherwise mix sizes in one vector store.
        if self._dimension is None:
            self._dimension = result.dimension
        return result.vectors

    def _progress(self, total: int) -> tuple[Callable[[int], None] | None, Any]:
        if not self.show_progress or total == 0:
            return None, None
        tqdm = import_optional("tqdm.auto", "show_progress=True").tqdm
        bar = tqdm(total=total, desc="Embedding", unit="text")
        return bar.update, bar

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents (in batches); one vector per text, in order."""
        on_progress, bar = self._progress(len(texts))
        try:
            result = embed(self.client.transport, texts, self._call(),
                           expected_dimension=self._dimension, on_progress=on_progress)
        finally:
            if bar is not None:
                bar.close()
        return self._learn(result)

    def embed_query(self, text: str) -> list[float]:
        """Embed one query text."""
        result = embed(self.client.transport, [text], self._call(),
                       expected_dimension=self._dimension)
        return self._learn(result)[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Async :meth:`embed_documents`, up to ``max_concurrency`` requests at once."""
        on_progress, bar = self._progress(len(texts))
        try:
            result = await aembed(self.client.transport, texts, self._call(),
                                  expected_dimension=self._dimension, on_progress=on_progress)
        finally:
            if bar is not None:
                bar.close()
        return self._learn(result)

    async def aembed_query(self, text: str) -> list[float]:
        """Async :meth:`embed_query`."""
        result = await aembed(self.client.transport, [text], self._call(),
                              expected_dimension=self._dimension)
        return self._learn(result)[0]
