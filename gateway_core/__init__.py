"""gateway_core: framework-free access to OpenAI-compatible relay gateways (one-api / new-api).

httpx + pydantic + the standard library only; never imports LangChain or LlamaIndex.
"""

from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .catalog import ModelInfo
    from .client import GatewayClient
    from .config import GatewayConfig, Secret
    from .errors import (
        APIError,
        AuthenticationError,
        BadRequestError,
        ConfigurationError,
        ContentPolicyError,
        ContextWindowExceededError,
        EndpointNotSupportedError,
        GatewayConnectionError,
        GatewayError,
        GatewayTimeoutError,
        IncompleteStreamError,
        InvalidRequestError,
        ModelNotAvailableError,
        NotFoundError,
        PermissionDeniedError,
        QuotaExceededError,
        RateLimitError,
        RequestTooLargeError,
        ResponseFormatError,
        ServerError,
        StreamError,
        TaskError,
        TaskTimeoutError,
        TransportError,
        UnsupportedParameterError,
    )
    from .profiles import ModelProfile, resolve_profile

# Loaded on first use: ``import gateway_core`` stays cheap (httpx is imported with the client).
_EXPORTS = {"ModelInfo": "catalog", "GatewayClient": "client", "GatewayConfig": "config",
            "Secret": "config", "ModelProfile": "profiles", "resolve_profile": "profiles"}


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
    "ConfigurationError",
    "ContentPolicyError",
    "ContextWindowExceededError",
    "EndpointNotSupportedError",
    "GatewayClient",
    "GatewayConfig",
    "GatewayConnectionError",
    "GatewayError",
    "GatewayTimeoutError",
    "IncompleteStreamError",
    "InvalidRequestError",
    "ModelInfo",
    "ModelNotAvailableError",
    "ModelProfile",
    "NotFoundError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimitError",
    "RequestTooLargeError",
    "ResponseFormatError",
    "Secret",
    "ServerError",
    "StreamError",
    "TaskError",
    "TaskTimeoutError",
    "TransportError",
    "UnsupportedParameterError",
    "__version__",
    "resolve_profile",
]
