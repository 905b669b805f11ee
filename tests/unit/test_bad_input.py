"""Bad input is refused with a clear, typed error before any request is sent."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from gateway_core import GatewayClient
from gateway_core.errors import ConfigurationError, InvalidRequestError


@pytest.fixture
def client() -> GatewayClient:
    """A client whose transport fails the test if anything reaches the wire."""
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"a request was sent: {request.method} {request.url}")

    return GatewayClient(base_url="https://bad-input.example/v1", api_key="sk-bad-input-1",
                         max_retries=0, http_transport=httpx.MockTransport(refuse))


@pytest.mark.parametrize(
    ("base_url", "match"),
    [("api.example.com", "no scheme"), ("ftp://gw.example", "https://"),
     ("https://", "no host"), ("http://gw.example/v1", "allow_insecure_http")],
)
def test_invalid_base_urls(base_url: str, match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        GatewayClient(base_url=base_url, api_key="sk-x")


def test_missing_key_names_the_variable() -> None:
    with pytest.raises(ConfigurationError, match="GATEWAY_API_KEY"):
        GatewayClient(base_url="https://gw.example")


@pytest.mark.parametrize(
    ("messages", "params", "match"),
    [
        ([], {}, "empty"),
        ("", {}, "empty"),
        ([{"role": "user", "content": "   "}], {}, "empty"),
        ([{"role": "wizard", "content": "hi"}], {}, "role must be one of"),
        ([{"role": "user", "content": b"\xff\xfe"}], {}, "content is bytes"),
        ([{"role": "user", "content": "bad \udcff byte"}], {}, "not valid UTF-8"),
        ([{"role": "user", "content": 42}], {}, "string or a list"),
        ("hi", {"model": ""}, "model must be a model name"),
        ("hi", {"model": "gpt 4o"}, "model must be a model name"),
        ("hi", {"tools": ["add"]}, "OpenAI tool dict"),
        ("hi", {"tools": [{"type": "function", "function": {
            "name": "add", "parameters": {"type": "objekt"}}}]}, "not a JSON Schema type"),
        ("hi", {"tools": [{"type": "function", "function": {
            "name": "add", "parameters": {"type": "object", "properties": []}}}]},
         "properties must be an object"),
        ("hi", {"tools": [{"type": "function", "function": {
            "name": "add two numbers", "parameters": {}}}]}, "Tool name"),
        ("hi", {"tools": [{"type": "function", "function": {
            "name": "add", "parameters": {"type": "string"}}}]}, "top level must be an object"),
    ],
)
def test_chat_refuses_bad_input_before_sending(client: GatewayClient, messages: Any,
                                               params: dict[str, Any], match: str) -> None:
    params = {"model": "gpt-4o-mini", **params}
    with pytest.raises(InvalidRequestError, match=match):
        client.chat(messages, **params)
    with pytest.raises(InvalidRequestError, match=match):
        list(client.stream_chat(messages, **params))


def _adapters() -> list[tuple[str, Any]]:
    from langchain_gateway import (
        ChatGateway,
        GatewayEmbeddings,
        GatewayImageTool,
        GatewayVideoTool,
    )
    from langchain_gateway import GatewayRerank as LCRerank
    from llamaindex_gateway import GatewayEmbedding, GatewayLLM, GatewayMediaToolSpec
    from llamaindex_gateway import GatewayRerank as LIRerank

    return [("ChatGateway", lambda **k: ChatGateway(model="gpt-4o-mini", **k)),
            ("GatewayEmbeddings", lambda **k: GatewayEmbeddings(model="bge-m3", **k)),
            ("langchain GatewayRerank", lambda **k: LCRerank(model="bge-reranker-v2-m3", **k)),
            ("GatewayImageTool", lambda **k: GatewayImageTool(model="gpt-image-1", **k)),
            ("GatewayVideoTool", lambda **k: GatewayVideoTool(model="sora-2", **k)),
            ("GatewayLLM", lambda **k: GatewayLLM(model="gpt-4o-mini", **k)),
            ("GatewayEmbedding", lambda **k: GatewayEmbedding(model_name="bge-m3", **k)),
            ("llamaindex GatewayRerank", lambda **k: LIRerank(model="bge-reranker-v2-m3", **k)),
            ("GatewayMediaToolSpec", lambda **k: GatewayMediaToolSpec(**k))]


@pytest.mark.parametrize("index", range(9))
def test_every_class_reports_bad_settings_at_construction(index: int) -> None:
    name, build = _adapters()[index]
    with pytest.raises(ValueError, match="GATEWAY_API_KEY"):
        build(base_url="https://gw.example.com/v1")
    with pytest.raises(ValueError, match="no scheme"):
        build(base_url="gw.example.com", api_key="sk-bad-input-1")
    with pytest.raises(ValueError, match="allow_insecure_http"):
        build(base_url="http://gw.example.com/v1", api_key="sk-bad-input-1")
    assert build(base_url="https://gw.example.com/v1", api_key="sk-bad-input-1"), name


@pytest.mark.parametrize("call", [
    pytest.param(lambda c: c.chat("hi", model="gpt-4o-mini", user="bad \udcff"), id="chat-param"),
    pytest.param(lambda c: c.generate_image("bad \udcff", model="gpt-image-1"), id="image"),
    pytest.param(lambda c: c.edit_image("bad \udcff", images=[b"\x89PNG\r\n\x1a\n" + bytes(64)],
                                        model="gpt-image-1"), id="edit"),
    pytest.param(lambda c: c.create_video("bad \udcff", model="sora-2"), id="video-auto"),
    pytest.param(lambda c: c.create_video("ok", model="sora-2", protocol="openai-videos",
                                          style="bad \udcff"), id="video-param"),
    pytest.param(lambda c: c.create_video("ok", model="sora-2", protocol="openai-videos",
                                          style={1, 2}), id="video-param-not-json"),
    pytest.param(lambda c: c.rerank("q", ["a", "bad \udcff"], model="bge-reranker-v2-m3"),
                 id="rerank"),
    pytest.param(lambda c: c.embed(["bad \udcff"], model="bge-m3"), id="embed"),
])
def test_text_that_is_not_unicode_is_refused_before_sending(client: GatewayClient,
                                                            call: Any) -> None:
    """A lone surrogate (bytes decoded with surrogateescape) never becomes a UnicodeEncodeError."""
    with pytest.raises(InvalidRequestError, match=r"UTF-8|Unicode|JSON values"):
        call(client)
