"""Who really made an answer: the model's provider family, and the gateway that relayed it.

Observability tools price a run by provider and model name (LangSmith's ``ls_provider``,
LlamaIndex instrumentation payloads). Through a relay, the provider is the model's maker
(``deepseek``, ``anthropic``, …), not the relay; the relay is recorded next to it.
"""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from .profiles import ModelProfile, normalise_model_name, resolve_profile

__all__ = ["UNKNOWN_PROVIDER", "gateway_host", "provider_of"]

UNKNOWN_PROVIDER = "gateway"
"""The provider reported for a model no profile entry knows."""

# Profile family prefix -> provider, longest prefix first (names as LangChain's partner
# packages report them where one exists: openai, anthropic, google, deepseek, xai, mistral…).
_PROVIDERS: tuple[tuple[str, str], ...] = tuple(sorted((
    ("gpt-", "openai"), ("chatgpt-", "openai"), ("o1", "openai"), ("o3", "openai"),
    ("o4", "openai"), ("text-embedding-3", "openai"), ("text-embedding-ada", "openai"),
    ("gpt-image", "openai"), ("dall-e", "openai"), ("sora", "openai"), ("tts", "openai"),
    ("whisper", "openai"),
    ("claude", "anthropic"),
    ("gemini", "google"), ("gemini-embedding", "google"), ("veo", "google"),
    ("imagen", "google"),
    ("deepseek", "deepseek"),
    ("qwen", "qwen"), ("qwq", "qwen"), ("text-embedding-v", "qwen"), ("gte-rerank", "qwen"),
    ("qwen3-embedding", "qwen"), ("qwen3-reranker", "qwen"), ("wan2", "qwen"),
    ("glm", "zhipu"), ("embedding-", "zhipu"), ("cogview", "zhipu"), ("cogvideo", "zhipu"),
    ("doubao", "bytedance"), ("seedream", "bytedance"), ("seedance", "bytedance"),
    ("jimeng", "bytedance"),
    ("kimi", "moonshot"), ("moonshot", "moonshot"),
    ("grok", "xai"),
    ("minimax", "minimax"), ("hailuo", "minimax"),
    ("llama", "meta"),
    ("mistral", "mistral"),
    ("bge-", "baai"), ("jina-", "jina"), ("m3e", "moka"),
    ("kling", "kling"), ("midjourney", "midjourney"), ("mj_", "midjourney"),
    ("suno", "suno"), ("chirp", "suno"), ("flux", "black-forest-labs"),
    ("ideogram", "ideogram"), ("recraft", "recraft"), ("kolors", "kuaishou"),
    ("runway", "runway"), ("gen3", "runway"), ("luma", "luma"), ("pika", "pika"),
    ("vidu", "vidu"), ("stable-diffusion", "stability"),
), key=lambda entry: len(entry[0]), reverse=True))


def provider_of(model: str | None, profile: ModelProfile | None = None) -> str:
    """The provider family of ``model`` (``openai``, ``anthropic``, ``deepseek``, ``google``,
    ``qwen``, …), from its profile's family, else its name; :data:`UNKNOWN_PROVIDER` if
    neither is known."""
    return _provider((profile or resolve_profile(model)).family, model or "")


@functools.lru_cache(maxsize=1024)  # asked on every traced call (LangSmith's ls_provider)
def _provider(family: str, model: str) -> str:
    for name in (family, normalise_model_name(model)):
        for prefix, provider in _PROVIDERS:
            if name.startswith(prefix):
                return provider
    return UNKNOWN_PROVIDER


def gateway_host(base_url: str | None) -> str | None:
    """The relay's host (and port) as recorded next to the provider; never a path or key."""
    if not base_url or "://" not in base_url:
        return None
    return urlsplit(base_url).netloc.rsplit("@", 1)[-1] or None
