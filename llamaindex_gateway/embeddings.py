"""GatewayEmbedding: a LlamaIndex embedding model over a relay gateway's ``/v1/embeddings``.

Batching, ordering, base64 decoding and error handling live in :mod:`gateway_core.embeddings`;
this module adapts them to :class:`~llama_index.core.base.embeddings.base.BaseEmbedding`.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any, ClassVar, Literal

from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from llama_index.core.bridge.pydantic import Field, PrivateAttr, model_validator

from gateway_core.coordination import PerLoop
from gateway_core.embeddings import (
    DEFAULT_BATCH_SIZE,
    EmbedCall,
    EmbeddingResult,
    aembed,
    embed,
    make_embed_call,
)
from gateway_core.profiles import resolve_profile

from ._connection import GatewayConnection

__all__ = ["GatewayEmbedding"]


class GatewayEmbedding(GatewayConnection, BaseEmbedding):
    """LlamaIndex embedding model for OpenAI-compatible relay gateways (one-api, new-api, forks).

    Any model name works (no enum of OpenAI models). Sends raw strings (never token ids, no
    tiktoken), asks for ``encoding_format: "float"`` (base64 answers are decoded too), puts
    vectors back in input order by ``index``, and raises on a count or dimension mismatch.
    ``embed_batch_size`` defaults to the model's limit (64, or e.g. 10 for DashScope
    ``text-embedding-v*``) instead of LlamaIndex's 10. Async batches run at most ``num_workers``
    (or ``max_concurrency``, default 4) at once, even where LlamaIndex would start them all.

    Setup:
        .. code-block:: bash

            pip install "ai-gateway-kit[llamaindex]"
            export GATEWAY_BASE_URL="https://your-gateway.example.com/v1"
            export GATEWAY_API_KEY="sk-..."

    Instantiate:
        .. code-block:: python

            from llamaindex_gateway import GatewayEmbedding

            embed_model = GatewayEmbedding(
                model_name="bge-m3",  # or model="bge-m3"
                # dimensions=512, embed_batch_size=32, num_workers=4, show_progress=True,
                # api_base="https://your-gateway.example.com/v1", api_key="sk-...",
            )

    Embed:
        .. code-block:: python

            vector = embed_model.get_query_embedding("What is a relay gateway?")
            vectors = embed_model.get_text_embedding_batch(["first text", "second text"])
            vector = await embed_model.aget_text_embedding("async too")

    Index:
        .. code-block:: python

            from llama_index.core import Document, Settings, VectorStoreIndex

            Settings.embed_model = embed_model
            index = VectorStoreIndex.from_documents([Document(text="cats purr")])

    Errors:
        A request that fails for good raises its typed error (``RateLimitError``,
        ``QuotaExceededError``, …) whose message names the inputs it covered, with
        ``error.partial`` (vectors received, ``None`` where missing) and ``error.failed_inputs``.
    """

    dimensions: int | None = Field(default=None, ge=1,
                                   description="Output dimensions, when supported.")
    encoding_format: Literal["float", "base64"] | None = Field(
        default="float", description="Wire format asked for (either answer is decoded).")
    max_concurrency: int = Field(default=4, gt=0,
                                 description="Async requests in flight when num_workers is unset.")
    empty_text: Literal["error", "zeros"] = Field(
        default="error", description="Refuse empty strings, or give them zero vectors.")
    show_progress: bool = Field(default=False, description="Show a tqdm progress bar.")
    timeout: float | None = Field(default=60.0, description="Read timeout per request (s).")
    extra_body: dict[str, Any] | None = Field(default=None,
                                              description="Fields merged into every request.")
    capabilities: dict[str, Any] | None = Field(default=None,
                                                description="Capability profile overrides.")

    _renames: ClassVar[dict[str, str]] = {"model": "model_name"}
    _dimension: int | None = PrivateAttr(default=None)
    _limits: PerLoop[asyncio.Semaphore] | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _llamaindex_names(cls, data: Any) -> Any:
        """Default the batch size to the model's limit."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if data.get("embed_batch_size") is None:
            data.pop("embed_batch_size", None)
            profile = resolve_profile(data.get("model_name") or data.get("model") or "",
                                      data.get("capabilities"))
            data["embed_batch_size"] = min(
                DEFAULT_BATCH_SIZE, profile.embedding_batch_size or DEFAULT_BATCH_SIZE)
        return data

    @classmethod
    def class_name(cls) -> str:
        return "GatewayEmbedding"

    def _call(self, count: int) -> EmbedCall:
        # LlamaIndex has already cut the texts to embed_batch_size: one request per call.
        return make_embed_call(
            self.model_name, dimensions=self.dimensions, encoding_format=self.encoding_format,
            batch_size=max(count, 1), empty_text=self.empty_text, extra_body=self.extra_body,
            profile=self.capabilities,
        )

    def _learn(self, result: EmbeddingResult) -> list[Embedding]:
        # Every call of this instance must return vectors of one size (a relay may route the
        # model name to upstreams of different sizes; an index cannot mix them).
        if self._dimension is None:
            self._dimension = result.dimension
        return result.vectors

    def _embed(self, texts: list[str]) -> list[Embedding]:
        result = embed(self.client.transport, texts, self._call(len(texts)),
                       expected_dimension=self._dimension)
        return self._learn(result)

    def _limit(self) -> asyncio.Semaphore:
        """The running loop's cap on requests in flight (semaphores belong to one loop)."""
        if self._limits is None:
            size = self.num_workers or self.max_concurrency
            self._limits = PerLoop(partial(asyncio.Semaphore, size))
        return self._limits.get()

    async def _aembed(self, texts: list[str]) -> list[Embedding]:
        async with self._limit():
            result = await aembed(self.client.transport, texts, self._call(len(texts)),
                                  expected_dimension=self._dimension)
        return self._learn(result)

    # ------------------------------------------------------------------ BaseEmbedding hooks

    def _get_query_embedding(self, query: str) -> Embedding:
        return self._embed([query])[0]

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return (await self._aembed([query]))[0]

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._embed([text])[0]

    async def _aget_text_embedding(self, text: str) -> Embedding:
        return (await self._aembed([text]))[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return self._embed(texts) if texts else []

    async def _aget_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return (await self._aembed(texts)) if texts else []

    # ------------------------------------------------------------------ progress bar default

    def get_text_embedding_batch(
        self, texts: list[str], show_progress: bool = False, **kwargs: Any
    ) -> list[Embedding]:
        """Embed texts in batches of ``embed_batch_size`` (progress bar if ``show_progress``)."""
        return super().get_text_embedding_batch(
            texts, show_progress=show_progress or self.show_progress, **kwargs)

    async def aget_text_embedding_batch(
        self, texts: list[str], show_progress: bool = False, **kwargs: Any
    ) -> list[Embedding]:
        """Async :meth:`get_text_embedding_batch`; at most ``num_workers`` or
        ``max_concurrency`` requests in flight."""
        return await super().aget_text_embedding_batch(
            texts, show_progress=show_progress or self.show_progress, **kwargs)
