"""gateway_core: framework-free access to OpenAI-compatible relay gateways (one-api / new-api).

httpx + pydantic + the standard library only; never imports LangChain or LlamaIndex.
"""

from ._version import __version__
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
