"""LangChain classes for OpenAI-compatible relay gateways (one-api / new-api).

Names are imported lazily, so ``from langchain_gateway import ChatGateway`` loads only what the
chat model needs (never LlamaIndex, never the embeddings or media modules).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from gateway_core import __version__
from gateway_core.extras import missing_extra

if TYPE_CHECKING:
    from ._structured import StructuredOutputRefusal
    from .audio import (
        GatewayAudioLoader,
        GatewayAudioParser,
        GatewaySpeechTool,
        GatewayTranscriptionTool,
    )
    from .chat_models import ChatGateway
    from .embeddings import GatewayEmbeddings
    from .rate_limiters import GatewayRateLimiter
    from .rerank import GatewayRerank
    from .retrievers import ContextualRerankRetriever
    from .tools import GatewayImageEditTool, GatewayImageTool, GatewayVideoTool

_EXPORTS = {
    "ChatGateway": "chat_models",
    "GatewayEmbeddings": "embeddings",
    "GatewayRerank": "rerank",
    "GatewayRateLimiter": "rate_limiters",
    "ContextualRerankRetriever": "retrievers",
    "GatewayImageTool": "tools",
    "GatewayImageEditTool": "tools",
    "GatewayVideoTool": "tools",
    "GatewaySpeechTool": "audio",
    "GatewayTranscriptionTool": "audio",
    "GatewayAudioParser": "audio",
    "GatewayAudioLoader": "audio",
    "StructuredOutputRefusal": "_structured",
}

__all__ = [
    "ChatGateway",
    "ContextualRerankRetriever",
    "GatewayAudioLoader",
    "GatewayAudioParser",
    "GatewayEmbeddings",
    "GatewayImageEditTool",
    "GatewayImageTool",
    "GatewayRateLimiter",
    "GatewayRerank",
    "GatewaySpeechTool",
    "GatewayTranscriptionTool",
    "GatewayVideoTool",
    "StructuredOutputRefusal",
    "__version__",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'langchain_gateway' has no attribute {name!r}")
    try:
        value = getattr(import_module(f".{module}", __name__), name)
    except ModuleNotFoundError as error:  # the framework's extra is not installed
        raise missing_extra(error, f"langchain_gateway.{name}") from None
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
