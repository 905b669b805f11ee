"""Capability profiles: prefix matching, vendor paths, overrides, unknown models."""

from __future__ import annotations

import pytest

from gateway_core.profiles import DEFAULT_CHAT, normalise_model_name, resolve_profile


def test_unknown_model_gets_generous_defaults() -> None:
    profile = resolve_profile("my-own-finetune-v7")
    assert profile.family == "default"
    assert profile.tool_calling is True
    assert profile.context_window == 128_000
    assert profile == DEFAULT_CHAT


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("gpt-4o-mini", "gpt-4o"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("GPT-4.1-nano", "gpt-4.1"),
        ("o3-mini-high", "o3-mini"),
        ("deepseek-ai/DeepSeek-V3", "deepseek-v3"),
        ("Pro/deepseek-ai/DeepSeek-R1", "deepseek-r1"),
        ("deepseek-reasoner", "deepseek-reasoner"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4"),
        ("gemini-2.5-flash", "gemini-2.5"),
        ("qwen3-235b-a22b", "qwen3"),
        ("kimi-k2-thinking", "kimi-k2-thinking"),
        ("text-embedding-3-small", "text-embedding-3-small"),
        ("BAAI/bge-reranker-v2-m3", "bge-reranker"),
        ("sora-2", "sora"),
    ],
)
def test_prefix_matching(name: str, family: str) -> None:
    assert resolve_profile(name).family == family


def test_reasoner_facts() -> None:
    profile = resolve_profile("deepseek-reasoner")
    assert profile.reasoning == "reasoning_content"
    assert profile.reasoning_roundtrip is True
    assert "json_schema" not in profile.structured_output_methods


def test_openai_reasoner_uses_max_completion_tokens() -> None:
    profile = resolve_profile("o3-mini")
    assert profile.max_tokens_param == "max_completion_tokens"
    assert "temperature" in profile.rejected_params


def test_thinking_suffix_marks_unknown_families_as_reasoners() -> None:
    assert resolve_profile("some-model-thinking").reasoning == "reasoning_content"


def test_kinds() -> None:
    assert resolve_profile("text-embedding-3-large").embedding_dimensions == 3072
    assert resolve_profile("gpt-image-1").kind == "image"
    assert resolve_profile("kling-v2-1").kind == "video"
    assert resolve_profile("bge-reranker-v2-m3").kind == "rerank"


def test_overrides() -> None:
    profile = resolve_profile("gpt-4o", {"context_window": 32_000, "rejected_params": ["seed"]})
    assert profile.context_window == 32_000
    assert profile.rejected_params == frozenset({"seed"})
    assert profile.json_schema is True


def test_unknown_override_field_rejected() -> None:
    with pytest.raises(ValueError, match="context_windw"):
        resolve_profile("gpt-4o", {"context_windw": 1})


def test_structured_output_order() -> None:
    assert resolve_profile("gpt-4o").structured_output_methods[0] == "json_schema"
    assert resolve_profile("deepseek-chat").structured_output_methods[0] == "function_calling"


def test_normalise() -> None:
    assert normalise_model_name("Qwen/Qwen3-32B") == "qwen3-32b"
    assert normalise_model_name("[特价]gpt-4o") == "gpt-4o"


@pytest.mark.parametrize(("model", "window"), [
    ("moonshot-v1-8k", 8 * 1024), ("moonshot-v1-128k", 128 * 1024),
    ("doubao-1.5-pro-32k", 32 * 1024), ("gpt-4-32k", 32 * 1024),
    ("glm-4-9b-chat-1m", 1024 * 1024), ("qwen2.5-7b-instruct", 131_072),
])
def test_a_window_stated_in_the_name_wins(model: str, window: int) -> None:
    profile = resolve_profile(model)
    assert profile.context_window == window
    assert profile.max_output_tokens <= window // 2 or window > 64_000
