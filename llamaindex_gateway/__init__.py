"""LlamaIndex classes for OpenAI-compatible relay gateways (one-api / new-api).

Names are imported lazily, so ``from llamaindex_gateway import GatewayLLM`` loads only what the
LLM needs (never LangChain, never the embedding or media modules).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from gateway_core import __version__
from gateway_core.extras import missing_extra

if TYPE_CHECKING:
    from .audio import GatewayAudioReader, GatewayAudioToolSpec
    from .embeddings import GatewayEmbedding
    from .llms import GatewayLLM
    from .postprocessor import GatewayRerank
    from .tools import GatewayMediaToolSpec

_EXPORTS = {
    "GatewayLLM": "llms",
    "GatewayEmbedding": "embeddings",
    "GatewayRerank": "postprocessor",
    "GatewayMediaToolSpec": "tools",
    "GatewayAudioToolSpec": "audio",
    "GatewayAudioReader": "audio",
}

__all__ = [
    "GatewayAudioReader",
    "GatewayAudioToolSpec",
    "GatewayEmbedding",
    "GatewayLLM",
    "GatewayMediaToolSpec",
    "GatewayRerank",
    "__version__",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'llamaindex_gateway' has no attribute {name!r}")
    try:
        value = getattr(import_module(f".{module}", __name__), name)
    except ModuleNotFoundError as error:  # the framework's extra is not installed
        raise missing_extra(error, f"llamaindex_gateway.{name}") from None
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
