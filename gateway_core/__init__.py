"""gateway_core: framework-free access to OpenAI-compatible relay gateways (one-api / new-api).

httpx + pydantic + the standard library only; never imports LangChain or LlamaIndex.
"""

from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .account import Balance
    from .catalog import ModelInfo
    from .chat.types import ChatResult
    from .client import GatewayClient
    from .config import GatewayConfig, Secret
    from .embeddings import EmbeddingResult
    from .errors import (
        APIError,
        AuthenticationError,
        BadRequestError,
        BaseURLError,
        ConfigurationError,
        ContentPolicyError,
        ContextWindowExceededError,
        DeadlineExceededError,
        EndpointNotSupportedError,
        GatewayConnectionError,
        GatewayError,
        GatewayTimeoutError,
        IncompleteStreamError,
        InvalidRequestError,
        ModelNotAvailableError,
        NoMediaLinkError,
        NotFoundError,
        PermissionDeniedError,
        QuotaExceededError,
        RateLimitError,
        RefusalError,
        RequestTooLargeError,
        ResponseFormatError,
        ServerError,
        StreamError,
        TaskError,
        TaskTimeoutError,
        TransportError,
        UnsupportedParameterError,
    )
    from .images import ImageResult
    from .media_items import MediaItem
    from .profiles import ModelProfile, resolve_profile
    from .rerank import RerankResult
    from .tasks import PollSettings, TaskCancelledError, TaskHandle, TaskSnapshot

# Loaded on first use: ``import gateway_core`` stays cheap (httpx is imported with the client).
_EXPORTS = {"ModelInfo": "catalog", "GatewayClient": "client", "GatewayConfig": "config",
            "Secret": "config", "ModelProfile": "profiles", "resolve_profile": "profiles",
            "Balance": "account", "ChatResult": "chat.types", "EmbeddingResult": "embeddings",
            "ImageResult": "images", "MediaItem": "media_items", "RerankResult": "rerank",
            "PollSettings": "tasks", "TaskCancelledError": "tasks", "TaskHandle": "tasks",
            "TaskSnapshot": "tasks"}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None and name in __all__:
        module = "errors"
    if module is None:
        raise AttributeError(f"module 'gateway_core' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "Balance",
    "BaseURLError",
    "ChatResult",
    "ConfigurationError",
    "ContentPolicyError",
    "ContextWindowExceededError",
    "DeadlineExceededError",
    "EmbeddingResult",
    "EndpointNotSupportedError",
    "GatewayClient",
    "GatewayConfig",
    "GatewayConnectionError",
    "GatewayError",
    "GatewayTimeoutError",
    "ImageResult",
    "IncompleteStreamError",
    "InvalidRequestError",
    "MediaItem",
    "ModelInfo",
    "ModelNotAvailableError",
    "ModelProfile",
    "NoMediaLinkError",
    "NotFoundError",
    "PermissionDeniedError",
    "PollSettings",
    "QuotaExceededError",
    "RateLimitError",
    "RefusalError",
    "RequestTooLargeError",
    "RerankResult",
    "ResponseFormatError",
    "Secret",
    "ServerError",
    "StreamError",
    "TaskCancelledError",
    "TaskError",
    "TaskHandle",
    "TaskSnapshot",
    "TaskTimeoutError",
    "TransportError",
    "UnsupportedParameterError",
    "__version__",
    "resolve_profile",
]
