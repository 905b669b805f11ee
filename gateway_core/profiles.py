"""Capability profiles: what each model family accepts and returns through a relay.

Frameworks pick wrong defaults when they do not know a model (LlamaIndex's 3,900-token window,
no function calling; ``max_completion_tokens`` sent to models that want ``max_tokens``; json_schema
to DeepSeek). A profile answers those questions per family. Names are matched by prefix after
lower-casing and dropping a vendor path (``deepseek-ai/DeepSeek-V3`` -> ``deepseek-v3``); the
longest matching prefix wins. An unknown name gets :data:`DEFAULT_CHAT` — generous and safe
(tools on, 128k window) — never a rejection. ``resolve_profile(name, overrides)`` applies user
overrides on top.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "DEFAULT_CHAT",
    "ModelProfile",
    "ReasoningStyle",
    "normalise_model_name",
    "resolve_profile",
]

ReasoningStyle = Literal["none", "hidden", "reasoning_content", "reasoning", "think_tags"]
Kind = Literal["chat", "embedding", "rerank", "image", "video", "audio", "music"]


@dataclass(frozen=True)
class ModelProfile:
    """What a model accepts and returns. Every field can be overridden by the user.

    Attributes:
        family: The table entry that matched (``"default"`` when none did).
        kind: chat, embedding, rerank, image, video, audio or music.
        context_window / max_output_tokens: Token limits.
        tool_calling / parallel_tool_calls / tool_choice: Function-calling support; whether
            ``parallel_tool_calls`` and a forced ``tool_choice`` are accepted.
        json_schema / strict_json_schema / json_mode: ``response_format`` support.
        vision / audio_input / pdf_input / video_input: Accepted input parts.
        reasoning: How thinking comes back (``hidden``: only counted in usage).
        reasoning_roundtrip: Earlier assistant turns must carry ``reasoning_content`` back.
        reasoning_effort: Accepts ``reasoning_effort``.
        max_tokens_param: ``max_tokens`` or ``max_completion_tokens``.
        temperature: Accepts a temperature other than the default.
        rejected_params: Optional request parameters the model refuses; never sent.
        non_streaming_params: Parameters to add on non-streaming calls (Qwen3 needs
            ``enable_thinking: false`` there).
        embedding_dimensions / embedding_batch_size: For embedding models.
        rerank_max_documents: Documents per rerank request.
    """

    family: str = "default"
    kind: Kind = "chat"
    context_window: int = 128_000
    max_output_tokens: int = 8_192
    tool_calling: bool = True
    parallel_tool_calls: bool = True
    tool_choice: bool = True
    json_schema: bool = False
    strict_json_schema: bool = False
    json_mode: bool = True
    vision: bool = False
    audio_input: bool = False
    pdf_input: bool = False
    video_input: bool = False
    reasoning: ReasoningStyle = "none"
    reasoning_roundtrip: bool = False
    reasoning_effort: bool = False
    max_tokens_param: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    temperature: bool = True
    responses_api: bool = False  # served on /v1/responses only (o1-pro, codex, …)
    rejected_params: frozenset[str] = frozenset()
    non_streaming_params: tuple[tuple[str, Any], ...] = ()
    embedding_dimensions: int | None = None
    embedding_batch_size: int | None = None
    rerank_max_documents: int | None = None
    extras: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def structured_output_methods(self) -> tuple[str, ...]:
        """Structured-output methods to try, best first."""
        methods: list[str] = []
        if self.json_schema:
            methods.append("json_schema")
        if self.tool_calling and self.tool_choice:
            methods.append("function_calling")
        if self.json_mode:
            methods.append("json_mode")
        methods.append("prompt")
        return tuple(methods)


DEFAULT_CHAT = ModelProfile()

# OpenAI refuses fields it does not know ("Unrecognized request argument supplied": Doubao's
# ``thinking``), and ``web_search_options`` on all but its search models.
_NOT_OPENAI = frozenset({"thinking", "web_search_options"})
_OPENAI_REASONER = dict(
    context_window=200_000, max_output_tokens=100_000, reasoning="hidden", reasoning_effort=True,
    max_tokens_param="max_completion_tokens", temperature=False, json_schema=True,
    strict_json_schema=True, vision=True, parallel_tool_calls=False,
    rejected_params=_NOT_OPENAI | {"temperature", "top_p", "presence_penalty",
                                   "frequency_penalty", "logprobs", "parallel_tool_calls"},
)
_GPT = dict(json_schema=True, strict_json_schema=True, vision=True, rejected_params=_NOT_OPENAI)
_GPT_SEARCH = dict(_GPT, context_window=128_000, max_output_tokens=16_384,
                   rejected_params=frozenset({"thinking"}))

# (prefix, settings). Longest matching prefix wins, so specific entries may follow general ones.
_TABLE: tuple[tuple[str, dict[str, Any]], ...] = (
    # OpenAI
    ("gpt-5", dict(_OPENAI_REASONER, context_window=400_000, max_output_tokens=128_000,
                   parallel_tool_calls=True,
                   rejected_params=_NOT_OPENAI | {"temperature", "top_p", "logprobs"})),
    ("gpt-5-search-api", dict(_GPT_SEARCH)),
    ("gpt-5-chat", dict(_GPT, context_window=128_000, max_output_tokens=16_384)),
    ("gpt-4.1", dict(_GPT, context_window=1_047_576, max_output_tokens=32_768)),
    ("gpt-4o", dict(_GPT, context_window=128_000, max_output_tokens=16_384, pdf_input=True)),
    ("gpt-4o-audio", dict(_GPT, context_window=128_000, max_output_tokens=16_384,
                          audio_input=True)),
    ("gpt-4o-search-preview", dict(_GPT_SEARCH)),
    ("gpt-4o-mini-search-preview", dict(_GPT_SEARCH)),
    ("chatgpt-4o", dict(_GPT, context_window=128_000, max_output_tokens=16_384)),
    ("gpt-4-turbo", dict(context_window=128_000, max_output_tokens=4_096, vision=True,
                         rejected_params=_NOT_OPENAI)),
    ("gpt-4", dict(context_window=8_192, max_output_tokens=4_096, rejected_params=_NOT_OPENAI)),
    ("gpt-3.5-turbo", dict(context_window=16_385, max_output_tokens=4_096,
                           rejected_params=_NOT_OPENAI)),
    ("gpt-oss", dict(context_window=131_072, max_output_tokens=32_768, reasoning="reasoning",
                     reasoning_effort=True)),
    ("o1", dict(_OPENAI_REASONER)),
    ("o1-mini", dict(_OPENAI_REASONER, tool_calling=False, vision=False, json_schema=False,
                     max_output_tokens=65_536, context_window=128_000)),
    ("o3", dict(_OPENAI_REASONER)),
    ("o3-mini", dict(_OPENAI_REASONER, vision=False)),
    ("o4-mini", dict(_OPENAI_REASONER)),
    # Anthropic (through the chat-completions conversion of the relay)
    ("claude", dict(context_window=200_000, max_output_tokens=8_192, vision=True,
                    pdf_input=True)),
    ("claude-3-7", dict(context_window=200_000, max_output_tokens=64_000, vision=True,
                        pdf_input=True)),
    ("claude-sonnet-4", dict(context_window=200_000, max_output_tokens=64_000, vision=True,
                             pdf_input=True)),
    ("claude-opus-4", dict(context_window=200_000, max_output_tokens=32_000, vision=True,
                           pdf_input=True)),
    ("claude-haiku-4", dict(context_window=200_000, max_output_tokens=64_000, vision=True,
                            pdf_input=True)),
    # Google
    ("gemini", dict(context_window=1_048_576, max_output_tokens=8_192, json_schema=True,
                    vision=True, audio_input=True, pdf_input=True, video_input=True)),
    ("gemini-2.5", dict(context_window=1_048_576, max_output_tokens=65_536, json_schema=True,
                        vision=True, audio_input=True, pdf_input=True, video_input=True,
                        reasoning="hidden", reasoning_effort=True)),
    ("gemini-3", dict(context_window=1_048_576, max_output_tokens=65_536, json_schema=True,
                      vision=True, audio_input=True, pdf_input=True, video_input=True,
                      reasoning="hidden", reasoning_effort=True)),
    # DeepSeek: json_schema is refused ("This response_format type is unavailable now").
    ("deepseek", dict(context_window=128_000, max_output_tokens=8_192)),
    ("deepseek-chat", dict(context_window=128_000, max_output_tokens=8_192)),
    ("deepseek-v3", dict(context_window=128_000, max_output_tokens=8_192)),
    ("deepseek-reasoner", dict(context_window=128_000, max_output_tokens=65_536,
                               reasoning="reasoning_content", reasoning_roundtrip=True,
                               tool_choice=False, parallel_tool_calls=False,
                               rejected_params=frozenset({"tool_choice", "logprobs"}))),
    # V4 thinks by default (reasoning_effort low/high/max) and wants tool-call reasoning back.
    ("deepseek-v4", dict(context_window=1_048_576, max_output_tokens=65_536,
                         reasoning="reasoning_content", reasoning_roundtrip=True,
                         reasoning_effort=True)),
    ("deepseek-r1", dict(context_window=128_000, max_output_tokens=32_768,
                         reasoning="reasoning_content", reasoning_roundtrip=True,
                         tool_calling=False, tool_choice=False)),
    # Qwen (DashScope and open weights)
    ("qwen", dict(context_window=131_072, max_output_tokens=8_192, parallel_tool_calls=True)),
    ("qwen-max", dict(context_window=32_768, max_output_tokens=8_192)),
    ("qwen-vl", dict(context_window=131_072, max_output_tokens=8_192, vision=True,
                     video_input=True)),
    ("qwen2.5-vl", dict(context_window=131_072, max_output_tokens=8_192, vision=True,
                        video_input=True)),
    ("qwen3", dict(context_window=131_072, max_output_tokens=16_384,
                   reasoning="reasoning_content",
                   non_streaming_params=(("enable_thinking", False),))),
    ("qwen3-vl", dict(context_window=262_144, max_output_tokens=32_768, vision=True,
                      video_input=True, reasoning="reasoning_content")),
    ("qwq", dict(context_window=131_072, max_output_tokens=16_384,
                 reasoning="reasoning_content", tool_choice=False)),
    # Zhipu GLM
    ("glm", dict(context_window=128_000, max_output_tokens=8_192)),
    ("glm-4.5", dict(context_window=128_000, max_output_tokens=96_000,
                     reasoning="reasoning_content")),
    ("glm-4.6", dict(context_window=200_000, max_output_tokens=128_000,
                     reasoning="reasoning_content")),
    ("glm-4v", dict(context_window=8_192, max_output_tokens=4_096, vision=True)),
    # ByteDance Doubao / Seed
    ("doubao", dict(context_window=128_000, max_output_tokens=16_384, vision=True)),
    ("doubao-seed", dict(context_window=256_000, max_output_tokens=32_768, vision=True,
                         video_input=True, reasoning="reasoning_content",
                         reasoning_effort=True)),
    ("doubao-1.5-thinking", dict(context_window=128_000, max_output_tokens=16_384,
                                 reasoning="reasoning_content")),
    # Moonshot Kimi
    ("kimi", dict(context_window=131_072, max_output_tokens=16_384)),
    ("kimi-k2", dict(context_window=262_144, max_output_tokens=16_384)),
    ("kimi-k2-thinking", dict(context_window=262_144, max_output_tokens=65_536,
                              reasoning="reasoning_content", reasoning_roundtrip=True)),
    ("moonshot", dict(context_window=131_072, max_output_tokens=8_192)),
    # Others commonly relayed
    ("grok", dict(context_window=131_072, max_output_tokens=16_384, json_schema=True,
                  vision=True)),
    ("grok-4", dict(context_window=256_000, max_output_tokens=32_768, json_schema=True,
                    vision=True, reasoning="hidden")),
    ("minimax", dict(context_window=1_000_000, max_output_tokens=40_000,
                     reasoning="think_tags")),
    ("llama", dict(context_window=131_072, max_output_tokens=8_192)),
    ("mistral", dict(context_window=131_072, max_output_tokens=8_192)),
    # Embeddings
    ("text-embedding-3-small", dict(kind="embedding", embedding_dimensions=1536,
                                    embedding_batch_size=64)),
    ("text-embedding-3-large", dict(kind="embedding", embedding_dimensions=3072,
                                    embedding_batch_size=64)),
    ("text-embedding-ada", dict(kind="embedding", embedding_dimensions=1536,
                                embedding_batch_size=64)),
    ("text-embedding-v", dict(kind="embedding", embedding_dimensions=1024,
                              embedding_batch_size=10)),
    ("bge-", dict(kind="embedding", embedding_dimensions=1024, embedding_batch_size=64)),
    ("bge-small", dict(kind="embedding", embedding_dimensions=512, embedding_batch_size=64)),
    ("bge-base", dict(kind="embedding", embedding_dimensions=768, embedding_batch_size=64)),
    ("jina-embeddings", dict(kind="embedding", embedding_dimensions=1024,
                             embedding_batch_size=64)),
    ("embedding-", dict(kind="embedding", embedding_dimensions=2048, embedding_batch_size=64)),
    ("qwen3-embedding", dict(kind="embedding", embedding_dimensions=1024,
                             embedding_batch_size=32)),
    ("gemini-embedding", dict(kind="embedding", embedding_dimensions=3072,
                              embedding_batch_size=100)),
    ("doubao-embedding", dict(kind="embedding", embedding_dimensions=2048,
                              embedding_batch_size=64)),
    ("m3e", dict(kind="embedding", embedding_dimensions=768, embedding_batch_size=64)),
    # Rerankers
    ("bge-reranker", dict(kind="rerank", rerank_max_documents=100)),
    ("jina-reranker", dict(kind="rerank", rerank_max_documents=100)),
    ("gte-rerank", dict(kind="rerank", rerank_max_documents=100)),
    ("qwen3-reranker", dict(kind="rerank", rerank_max_documents=100)),
    ("rerank", dict(kind="rerank", rerank_max_documents=100)),
    # Images
    ("gpt-image", dict(kind="image")),
    ("dall-e", dict(kind="image")),
    ("flux", dict(kind="image")),
    ("midjourney", dict(kind="image")),
    ("mj_", dict(kind="image")),
    ("seedream", dict(kind="image")),
    ("doubao-seedream", dict(kind="image")),
    ("doubao-seededit", dict(kind="image")),
    ("chat-seededit", dict(kind="image")),  # seed 000: image editing through chat
    ("gemini-2.5-flash-image", dict(kind="image", vision=True)),  # seed 002
    ("gemini-2.0-flash-preview-image", dict(kind="image", vision=True)),
    ("gemini-2.0-flash-exp-image", dict(kind="image", vision=True)),
    ("gemini-3-pro-image", dict(kind="image", vision=True)),
    ("ideogram", dict(kind="image")),
    ("recraft", dict(kind="image")),
    ("imagen", dict(kind="image")),
    ("kolors", dict(kind="image")),
    ("cogview", dict(kind="image")),
    ("stable-diffusion", dict(kind="image")),
    # Video and music
    ("sora", dict(kind="video")),
    ("kling", dict(kind="video")),
    ("veo", dict(kind="video")),
    ("hailuo", dict(kind="video")),
    ("minimax-hailuo", dict(kind="video")),
    ("pixverse", dict(kind="video")),  # seed 001
    ("hunyuan-video", dict(kind="video")),
    ("minimax-video", dict(kind="video")),
    ("vidu", dict(kind="video")),
    ("runway", dict(kind="video")),
    ("gen3", dict(kind="video")),
    ("luma", dict(kind="video")),
    ("pika", dict(kind="video")),
    ("wan2", dict(kind="video")),
    ("doubao-seedance", dict(kind="video")),
    ("seedance", dict(kind="video")),
    ("jimeng", dict(kind="video")),
    ("cogvideo", dict(kind="video")),
    ("suno", dict(kind="music")),
    ("chirp", dict(kind="music")),
    ("tts", dict(kind="audio")),
    ("whisper", dict(kind="audio")),
)

_SORTED = tuple(sorted(_TABLE, key=lambda entry: len(entry[0]), reverse=True))
_CACHE: dict[str, ModelProfile] = {}


def normalise_model_name(name: str) -> str:
    """Lower-case and drop vendor paths and channel prefixes: ``Pro/deepseek-ai/X`` -> ``x``."""
    lowered = name.strip().lower()
    if "/" in lowered:
        lowered = lowered.rsplit("/", 1)[1]
    for prefix in ("[", "【"):
        if lowered.startswith(prefix) and ("]" in lowered or "】" in lowered):
            lowered = lowered.split("]", 1)[-1].split("】", 1)[-1]
    return lowered


_SIZE_SUFFIX = re.compile(r"-(\d{1,4})([km])(?:-|$)")


def _lookup(name: str) -> ModelProfile:
    cached = _CACHE.get(name)
    if cached is not None:
        return cached
    normalised = normalise_model_name(name)
    profile = DEFAULT_CHAT
    for prefix, settings in _SORTED:
        if normalised.startswith(prefix):
            profile = ModelProfile(family=prefix, **settings)
            break
    if profile.kind == "chat" and (
        "thinking" in normalised or "reasoner" in normalised or normalised.endswith("-r1")
    ) and profile.reasoning in ("none", "hidden"):
        profile = dataclasses.replace(profile, reasoning="reasoning_content")
    size = _SIZE_SUFFIX.search(normalised)
    if size and profile.kind == "chat":
        # "moonshot-v1-8k", "doubao-1.5-pro-32k", "glm-4-9b-chat-1m": the name states the
        # window; trust it over the family's figure, and keep the output within it.
        window = int(size.group(1)) * (1024 if size.group(2) == "k" else 1024 * 1024)
        if window >= 1024:
            profile = dataclasses.replace(profile, context_window=window,
                                          max_output_tokens=min(profile.max_output_tokens,
                                                                window // 2))
    if len(_CACHE) < 4096:
        _CACHE[name] = profile
    return profile


def resolve_profile(
    model: str | None, overrides: Mapping[str, Any] | ModelProfile | None = None
) -> ModelProfile:
    """The profile for ``model`` with the user's ``overrides`` applied.

    ``overrides`` may be a full :class:`ModelProfile` (used as is) or a mapping of fields, e.g.
    ``{"context_window": 32_000, "json_schema": True}``. Unknown field names raise ``ValueError``.
    """
    if isinstance(overrides, ModelProfile):
        return overrides
    profile = _lookup(model or "")
    if not overrides:
        return profile
    known = {f.name for f in dataclasses.fields(ModelProfile)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(
            f"Unknown profile field(s) {unknown}; valid fields: {sorted(known)}."
        )
    changes = dict(overrides)
    if "rejected_params" in changes:
        changes["rejected_params"] = frozenset(changes["rejected_params"])
    return dataclasses.replace(profile, **changes)
