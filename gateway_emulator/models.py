"""The emulator's model catalog and the model-string conventions tests use.

A model string is ``<base>[+marker...][@@fault,fault...]``. The base must be in :data:`CATALOG`
(else 503 ``model_not_found``, like new-api's distributor). Markers switch relay quirks
(``+noindex``, ``+think-tags``, ``+reject-stream_options``, ``+shuffle``, ``+max-batch=8`` ...);
the fault suffix scripts failures (see :mod:`.faults`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

from .envelopes import openai_error


@dataclass(frozen=True)
class ModelSpec:
    id: str
    owned_by: str
    endpoint_types: tuple[str, ...]
    dimensions: int = 0  # embeddings: default vector size
    reasoning: str = ""  # "reasoning_content" | "reasoning" | "think" for thinking models
    needs_reasoning_back: bool = False  # refuses tool-call turns that lost reasoning_content
    thinking_switch: bool = False  # Doubao's hybrid models: thinking {"type": ...} turns it off
    refuses: frozenset[str] = frozenset()  # body fields the upstream does not know (400)


CHAT = ("openai",)
OPENAI_CHAT = ("openai", "openai-response")
# OpenAI refuses fields it does not know ("Unrecognized request argument supplied"); only its
# search models take web_search_options.
NOT_OPENAI = frozenset({"thinking", "web_search_options"})
_SPECS = [
    ModelSpec("gpt-4o-mini", "openai", OPENAI_CHAT, refuses=NOT_OPENAI),
    ModelSpec("gpt-4o", "openai", OPENAI_CHAT, refuses=NOT_OPENAI),
    ModelSpec("gpt-4o-2024-08-06", "openai", OPENAI_CHAT, refuses=NOT_OPENAI),  # seed 004
    ModelSpec("gpt-4o-search-preview", "openai", CHAT, refuses=frozenset({"thinking"})),
    ModelSpec("gpt-4.1", "openai", OPENAI_CHAT, refuses=NOT_OPENAI),
    ModelSpec("gpt-5", "openai", OPENAI_CHAT, refuses=NOT_OPENAI),
    ModelSpec("o4-mini", "openai", OPENAI_CHAT, refuses=NOT_OPENAI),
    ModelSpec("claude-sonnet-4-5", "anthropic", ("anthropic", "openai")),
    ModelSpec("claude-3-5-haiku", "anthropic", ("anthropic", "openai")),
    ModelSpec("gemini-2.5-flash", "google", ("gemini", "openai")),
    ModelSpec("deepseek-chat", "deepseek", CHAT),
    ModelSpec("deepseek-reasoner", "deepseek", CHAT, reasoning="reasoning_content",
              needs_reasoning_back=True),
    ModelSpec("deepseek-r1", "deepseek", CHAT, reasoning="think"),
    ModelSpec("kimi-k2-thinking", "moonshot", CHAT, reasoning="reasoning_content",
              needs_reasoning_back=True),
    ModelSpec("qwen3-235b-a22b", "qwen", CHAT, reasoning="reasoning_content"),
    ModelSpec("qwen-plus", "qwen", CHAT),
    ModelSpec("glm-4.6", "zhipu", CHAT, reasoning="reasoning_content"),
    ModelSpec("doubao-seed-1-6", "volcengine", CHAT, reasoning="reasoning_content",
              thinking_switch=True),
    ModelSpec("text-embedding-3-small", "openai", ("embeddings",), dimensions=1536),
    ModelSpec("text-embedding-3-large", "openai", ("embeddings",), dimensions=3072),
    ModelSpec("bge-m3", "baai", ("embeddings",), dimensions=1024),
    ModelSpec("bge-reranker-v2-m3", "baai", ("jina-rerank",)),
    ModelSpec("jina-reranker-v2-base-multilingual", "jina", ("jina-rerank",)),
    ModelSpec("gpt-image-1", "openai", ("image-generation",)),
    ModelSpec("dall-e-3", "openai", ("image-generation",)),
    ModelSpec("flux-kontext-pro", "bfl", ("image-generation",)),
    ModelSpec("seedream-3.0", "volcengine", ("image-generation",)),
    # seed 000: image editing sold through the chat route (the answer links the image)
    ModelSpec("chat-seededit", "volcengine", ("openai", "image-generation")),
    ModelSpec("sora-2", "openai", ("openai-video", "openai")),
    ModelSpec("sora-2-pro", "openai", ("openai-video",)),
    ModelSpec("veo3.1-fast", "google", ("openai-video",)),
    ModelSpec("kling-v2-1", "kling", ("openai-video",)),
    ModelSpec("doubao-seedance-1-0-pro", "volcengine", ("openai-video",)),
    ModelSpec("jimeng-video-3.0", "volcengine", ("openai-video",)),
    ModelSpec("tts-1", "openai", ("openai",)),
    ModelSpec("tts-1-hd", "openai", ("openai",)),
    ModelSpec("gpt-4o-mini-tts", "openai", ("openai",)),
    ModelSpec("whisper-1", "openai", ("openai",)),
    ModelSpec("gpt-4o-transcribe", "openai", ("openai",)),
    ModelSpec("chirp-v3-5", "suno", ()),
    ModelSpec("midjourney", "midjourney", ()),
]
CATALOG: dict[str, ModelSpec] = {spec.id: spec for spec in _SPECS}


@dataclass(frozen=True)
class ModelRef:
    """A parsed model string."""

    raw: str
    base: str
    markers: frozenset[str] = field(default_factory=frozenset)
    faults: str | None = None

    @property
    def spec(self) -> ModelSpec | None:
        return CATALOG.get(self.base)

    def marker_value(self, prefix: str) -> str | None:
        """The value of a ``+name=value`` marker, e.g. ``marker_value("max-batch")``."""
        for marker in self.markers:
            if marker.startswith(prefix + "="):
                return marker.split("=", 1)[1]
        return None


def split_model(name: str) -> ModelRef:
    """``"gpt-4o-mini+noindex@@429-empty,ok"`` -> base, markers and fault steps."""
    head, _, faults = name.partition("@@")
    base, *markers = head.split("+")
    return ModelRef(raw=name, base=base, markers=frozenset(m for m in markers if m),
                    faults=faults or None)


def check_model(request: Request, name: object) -> Response | None:
    """None when the model's base is served here; else new-api's distributor error."""
    if not isinstance(name, str) or not name:
        return openai_error(request, 400, "model is required", code="invalid_request",
                            type_="invalid_request_error", param="model")
    ref = split_model(name)
    if ref.spec is None:
        return openai_error(
            request, 503, f"分组 default 下模型 {ref.base} 无可用渠道（distributor）",
            code="model_not_found")
    return None
