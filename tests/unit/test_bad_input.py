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
    gateway = GatewayClient(base_url="https://bad-input.example/v1", api_key="sk-bad-input-1",
                            max_retries=0)

    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"a request was sent: {request.method} {request.url}")

    gateway.transport._sync = httpx.Client(transport=httpx.MockTransport(refuse))
    return gateway


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
