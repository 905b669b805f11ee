"""/v1/models bodies in new-api, one-api, OpenAI and failure shapes."""

from __future__ import annotations

import pytest

from gateway_core.catalog import parse_models
from gateway_core.errors import APIError, ResponseFormatError


def test_new_api_shape() -> None:
    body = {"success": True, "object": "list", "data": [
        {"id": "gpt-4o", "object": "model", "created": 1, "owned_by": "openai",
         "supported_endpoint_types": ["openai"]},
        {"id": "bge-reranker-v2-m3", "supported_endpoint_types": ["jina-rerank"]},
        {"id": "text-embedding-3-small", "supported_endpoint_types": ["embeddings"]},
        {"id": "sora-2", "supported_endpoint_types": ["openai-video"]},
        {"id": "gpt-image-1", "supported_endpoint_types": ["image-generation", "openai"]},
    ]}
    models = {m.id: m for m in parse_models(body)}
    assert models["gpt-4o"].kind == "chat"
    assert models["gpt-4o"].owned_by == "openai"
    assert models["bge-reranker-v2-m3"].kind == "rerank"
    assert models["text-embedding-3-small"].kind == "embedding"
    assert models["sora-2"].kind == "video"
    assert models["gpt-image-1"].kind == "image"


def test_one_api_shape_falls_back_to_profiles() -> None:
    body = {"object": "list", "data": [{"id": "text-embedding-3-large", "object": "model",
                                        "owned_by": "openai", "permission": [], "root": "x"}]}
    [model] = parse_models(body)
    assert model.endpoint_types == ()
    assert model.kind == "embedding"


def test_failure_shape_raises() -> None:
    with pytest.raises(APIError, match="get user group failed"):
        parse_models({"success": False, "message": "get user group failed"})


def test_unknown_shape_raises() -> None:
    with pytest.raises(ResponseFormatError):
        parse_models({"object": "list"})


def test_bare_strings_and_junk_entries() -> None:
    assert [m.id for m in parse_models({"data": ["a", {"x": 1}, 3, {"id": "b"}]})] == ["a", "b"]
