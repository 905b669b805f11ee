"""GatewayClient: the framework-free entry point. Sync methods, and ``a``-prefixed async twins.

Every adapter class (LangChain or LlamaIndex) holds one of these. Clients built from equal
settings share one :class:`~gateway_core.transport.Transport`, hence one connection pool.
"""

from __future__ import annotations

from typing import Any

from .catalog import ModelInfo, parse_models
from .config import GatewayConfig
from .profiles import ModelProfile, resolve_profile
from .transport import Transport, get_transport

__all__ = ["GatewayClient"]


class GatewayClient:
    """Talks to one relay gateway with one key.

    Setup:
        ``pip install ai-gateway-kit``; set ``GATEWAY_BASE_URL`` and ``GATEWAY_API_KEY`` or pass
        ``base_url=`` and ``api_key=``.

    Instantiate:
        .. code-block:: python

            from gateway_core import GatewayClient

            client = GatewayClient(base_url="https://api.example.com/v1", api_key="sk-...")
            [m.id for m in client.list_models()]

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

    # ------------------------------------------------------------------ embeddings / rerank

    # ------------------------------------------------------------------ images / video / tasks

    # ------------------------------------------------------------------ account (balance)
