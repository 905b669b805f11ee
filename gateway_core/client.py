"""GatewayClient: the framework-free entry point. Sync methods, and ``a``-prefixed async twins.

Every adapter class (LangChain or LlamaIndex) holds one of these. Clients built from equal
settings share one :class:`~gateway_core.transport.Transport`, hence one connection pool.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .catalog import ModelInfo, parse_models
from .config import GatewayConfig
from .profiles import ModelProfile, resolve_profile
from .transport import Transport, get_transport

if TYPE_CHECKING:
    from .account import Balance
    from .chat.api import AsyncChatStream, ChatStream
    from .chat.types import ChatResult
    from .embeddings import EmbeddingResult
    from .rerank import RerankResult

__all__ = ["GatewayClient"]


class GatewayClient:
    """Talks to one relay gateway with one key.

    Setup:
        ``pip install ai-gateway-kit``; set ``GATEWAY_BASE_URL`` and ``GATEWAY_API_KEY`` or pass
        ``base_url=`` and ``api_key=``.

    Instantiate:
        .. code-block:: python

            from gateway_core import GatewayClient

            client = GatewayClient()  # or GatewayClient(base_url="https://…/v1", api_key="sk-…")
            [m.id for m in client.list_models()]

    Invoke:
        .. code-block:: python

            result = client.chat("Say hello", model="gpt-4o-mini")
            result.text, result.usage

    Stream:
        .. code-block:: python

            stream = client.stream_chat("Say hello", model="gpt-4o-mini")
            for delta in stream:
                print(delta.text, end="")
            stream.result.finish_reason  # "stop"

    Async:
        .. code-block:: python

            result = await client.achat("Say hello", model="gpt-4o-mini")

    Account:
        .. code-block:: python

            client.balance().describe()

    Args:
        config: A ready :class:`GatewayConfig`; or give its fields as keyword arguments
            (``base_url``, ``api_key``, ``timeout``, ``max_retries``, ``proxy``, …).
            ``None`` values are ignored so adapters can pass their optional fields through.
    """

    def __init__(self, config: GatewayConfig | None = None, **settings: Any) -> None:
        if config is None:
            config = GatewayConfig(**{k: v for k, v in settings.items() if v is not None})
        elif settings:
            config = config.replace(**settings)
        self.config = config
        self.transport: Transport = get_transport(config)

    def __repr__(self) -> str:
        return f"GatewayClient(base_url={self.config.base_url!r})"

    def profile(self, model: str, overrides: Any = None) -> ModelProfile:
        """The capability profile used for ``model`` (with optional user overrides)."""
        return resolve_profile(model, overrides)

    # ------------------------------------------------------------------ models (catalog)

    def list_models(self) -> list[ModelInfo]:
        """The models the key may use, with their endpoint types when the gateway lists them."""
        response = self.transport.request("GET", "/v1/models", what="Listing models")
        return parse_models(response.json())

    async def alist_models(self) -> list[ModelInfo]:
        """Async twin of :meth:`list_models`."""
        response = await self.transport.arequest("GET", "/v1/models", what="Listing models")
        return parse_models(response.json())

    # ------------------------------------------------------------------ chat (gateway_core.chat)

    def chat(
        self, messages: str | Sequence[Mapping[str, Any]], *, model: str, **params: Any
    ) -> ChatResult:
        """One chat completion. ``messages`` are OpenAI-format dicts (or one user string).

        ``params`` are OpenAI parameters (``temperature``, ``max_tokens``, ``tools``,
        ``tool_choice``, ``response_format``, ``reasoning_effort``, …) plus ``extra_body``,
        ``profile`` (capability overrides) and ``timeout``. A parameter the gateway refuses is
        dropped and the call retried once (see :mod:`gateway_core.chat.api`).
        """
        from .chat import api as chat_api

        return chat_api.complete(self.transport, chat_api.as_messages(messages),
                                 chat_api.make_call(model, **params))

    async def achat(
        self, messages: str | Sequence[Mapping[str, Any]], *, model: str, **params: Any
    ) -> ChatResult:
        """Async twin of :meth:`chat`."""
        from .chat import api as chat_api

        return await chat_api.acomplete(self.transport, chat_api.as_messages(messages),
                                        chat_api.make_call(model, **params))

    def stream_chat(
        self, messages: str | Sequence[Mapping[str, Any]], *, model: str, **params: Any
    ) -> ChatStream:
        """A streamed chat completion: iterate for deltas, then read ``.result``.

        ``stream_usage=False`` stops asking for the final usage chunk. A stream that ends
        without a ``finish_reason`` raises :class:`~gateway_core.errors.IncompleteStreamError`
        with the partial text on it.
        """
        from .chat import api as chat_api

        return chat_api.ChatStream(self.transport, chat_api.as_messages(messages),
                                   chat_api.make_call(model, **params))

    def astream_chat(
        self, messages: str | Sequence[Mapping[str, Any]], *, model: str, **params: Any
    ) -> AsyncChatStream:
        """Async twin of :meth:`stream_chat` (``async for delta in client.astream_chat(...)``)."""
        from .chat import api as chat_api

        return chat_api.AsyncChatStream(self.transport, chat_api.as_messages(messages),
                                        chat_api.make_call(model, **params))

    def chat_structured(
        self,
        messages: str | Sequence[Mapping[str, Any]],
        schema: Any,
        *,
        model: str,
        method: str | None = None,
        strict: bool | None = None,
        include_raw: bool = False,
        **params: Any,
    ) -> Any:
        """Structured output: a dict for a JSON schema, an instance for a pydantic model.

        The method (``json_schema``, ``function_calling``, ``json_mode``, ``prompt``) comes
        from the model's profile unless given, and falls back to the next one when the gateway
        refuses it. ``include_raw=True`` returns ``(parsed, ChatResult)``.
        """
        from .chat import api as chat_api
        from .chat.structured import parse_structured, structured_target

        spec, validate = structured_target(schema, method=method, strict=strict)
        result = chat_api.complete(self.transport, chat_api.as_messages(messages),
                                   chat_api.make_call(model, structured=spec, **params))
        parsed = validate(parse_structured(result, spec))
        return (parsed, result) if include_raw else parsed

    async def achat_structured(
        self,
        messages: str | Sequence[Mapping[str, Any]],
        schema: Any,
        *,
        model: str,
        method: str | None = None,
        strict: bool | None = None,
        include_raw: bool = False,
        **params: Any,
    ) -> Any:
        """Async twin of :meth:`chat_structured`."""
        from .chat import api as chat_api
        from .chat.structured import parse_structured, structured_target

        spec, validate = structured_target(schema, method=method, strict=strict)
        result = await chat_api.acomplete(self.transport, chat_api.as_messages(messages),
                                          chat_api.make_call(model, structured=spec, **params))
        parsed = validate(parse_structured(result, spec))
        return (parsed, result) if include_raw else parsed

    # ------------------------------------------------------------------ embeddings / rerank

    def embed(
        self, texts: Sequence[str], *, model: str, **params: Any
    ) -> EmbeddingResult:
        """Embed a list of texts; ``.vectors`` come back in input order.

        ``params``: ``dimensions``, ``encoding_format`` (``"float"`` default, ``"base64"``),
        ``batch_size`` (default 64 or the model profile's cap), ``empty_text`` (``"error"`` or
        ``"zeros"``), ``user``, ``extra_body``, ``timeout``, ``profile`` (capability overrides),
        ``expected_dimension``, ``on_progress``. See :mod:`gateway_core.embeddings`.
        """
        from .embeddings import embed, make_embed_call

        extra = self._embed_run_params(params)
        return embed(self.transport, texts, make_embed_call(model, **params), **extra)

    async def aembed(
        self, texts: Sequence[str], *, model: str, **params: Any
    ) -> EmbeddingResult:
        """Async twin of :meth:`embed`: up to ``max_concurrency`` (default 4) requests at once."""
        from .embeddings import aembed, make_embed_call

        extra = self._embed_run_params(params)
        return await aembed(self.transport, texts, make_embed_call(model, **params), **extra)

    @staticmethod
    def _embed_run_params(params: dict[str, Any]) -> dict[str, Any]:
        """Take the per-run arguments (not part of the request settings) out of ``params``."""
        return {key: params.pop(key) for key in ("expected_dimension", "on_progress")
                if key in params}

    def embed_query(self, text: str, *, model: str, **params: Any) -> list[float]:
        """The vector of one text (same parameters as :meth:`embed`)."""
        return self.embed([text], model=model, **params).vectors[0]

    async def aembed_query(self, text: str, *, model: str, **params: Any) -> list[float]:
        """Async twin of :meth:`embed_query`."""
        return (await self.aembed([text], model=model, **params)).vectors[0]

    def rerank(
        self,
        query: str,
        documents: Sequence[str | Mapping[str, Any]],
        *,
        model: str,
        top_n: int | None = None,
        **params: Any,
    ) -> RerankResult:
        """Rank documents by relevance to ``query``; ``.hits`` best first (``index``, score).

        ``params``: ``max_documents_per_request`` (default 100 or the profile's; more are split
        and merged by score), ``return_documents``, ``max_concurrency``, ``path``
        (``/v1/rerank``), ``extra_body``, ``timeout``, ``profile``. A gateway without rerank
        raises :class:`~gateway_core.errors.EndpointNotSupportedError`.
        """
        from .rerank import make_rerank_call, rerank

        call = make_rerank_call(model, top_n=top_n, **params)
        return rerank(self.transport, query, documents, call)

    async def arerank(
        self,
        query: str,
        documents: Sequence[str | Mapping[str, Any]],
        *,
        model: str,
        top_n: int | None = None,
        **params: Any,
    ) -> RerankResult:
        """Async twin of :meth:`rerank`."""
        from .rerank import arerank, make_rerank_call

        call = make_rerank_call(model, top_n=top_n, **params)
        return await arerank(self.transport, query, documents, call)

    # ------------------------------------------------------------------ images / video / tasks

    # ------------------------------------------------------------------ account (balance)

    def balance(self) -> Balance:
        """What the key has left (new-api token usage, else the billing endpoints)."""
        from .account import balance

        return balance(self.transport)

    async def abalance(self) -> Balance:
        """Async twin of :meth:`balance`."""
        from .account import abalance

        return await abalance(self.transport)
