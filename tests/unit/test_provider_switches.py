"""Doubao's ``thinking`` switch and ``web_search_options`` as typed parameters (issue 16): what
the gateway receives from each framework, sync and async, and bad values refused before sending."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from gateway_core import GatewayClient
from gateway_core.errors import InvalidRequestError

KEY = "sk-switches-0123456789"
SEARCH = {"search_context_size": "low"}
ANSWER = {"id": "c", "object": "chat.completion", "model": "doubao-seed-1-6", "choices": [
    {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "ok"}}]}


def recorder() -> tuple[httpx.MockTransport, list[dict[str, Any]]]:
    bodies: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(200, json=ANSWER)

    return httpx.MockTransport(handler), bodies


def test_the_core_sends_the_switches_typed() -> None:
    transport, bodies = recorder()
    client = GatewayClient(base_url="https://sw.example/v1", api_key=KEY, http_transport=transport)
    client.chat("hi", model="doubao-seed-1-6", thinking="disabled", web_search_options=SEARCH)
    client.chat("hi", model="doubao-seed-1-6", thinking={"type": "enabled", "budget": 1024})
    assert bodies[0]["thinking"] == {"type": "disabled"}
    assert bodies[0]["web_search_options"] == SEARCH
    assert bodies[1]["thinking"] == {"type": "enabled", "budget": 1024}


@pytest.mark.parametrize(("name", "value", "match"), [
    ("thinking", "off", "thinking must be one of"), ("thinking", 0, "string or an object"),
    ("web_search_options", "low", "must be an object"),
])
def test_bad_switches_are_refused_before_sending(name: str, value: Any, match: str) -> None:
    transport, bodies = recorder()
    client = GatewayClient(base_url="https://sw.example/v1", api_key=KEY, http_transport=transport)
    with pytest.raises(InvalidRequestError, match=match):
        client.chat("hi", model="doubao-seed-1-6", **{name: value})
    assert bodies == []


def test_both_frameworks_send_them_sync_and_async() -> None:
    from llama_index.core.llms import ChatMessage

    from langchain_gateway import ChatGateway
    from llamaindex_gateway import GatewayLLM

    transport, bodies = recorder()
    settings = {"api_key": KEY, "http_transport": transport, "thinking": "disabled",
                "web_search_options": SEARCH}
    lc = ChatGateway(model="doubao-seed-1-6", base_url="https://sw.example/v1", **settings)
    li = GatewayLLM(model="doubao-seed-1-6", api_base="https://sw.example/v1", **settings)
    lc.invoke("hi")
    asyncio.run(lc.ainvoke("hi"))
    li.chat([ChatMessage(role="user", content="hi")])
    asyncio.run(li.achat([ChatMessage(role="user", content="hi")]))
    assert len(bodies) == 4
    for body in bodies:
        assert body["thinking"] == {"type": "disabled"}
        assert body["web_search_options"] == SEARCH


@pytest.mark.parametrize(("model", "refused"), [
    ("gpt-4o", {"thinking", "web_search_options"}), ("gpt-4o-mini", {"thinking",
                                                                     "web_search_options"}),
    ("gpt-4.1", {"thinking", "web_search_options"}), ("gpt-5", {"thinking",
                                                                 "web_search_options"}),
    ("o3", {"thinking", "web_search_options"}), ("gpt-3.5-turbo", {"thinking",
                                                                    "web_search_options"}),
    ("gpt-4o-search-preview", {"thinking"}), ("gpt-4o-mini-search-preview", {"thinking"}),
    ("gpt-5-search-api", {"thinking"}), ("doubao-seed-1-6", set()), ("glm-4.6", set()),
])
def test_the_profile_says_which_switches_a_model_refuses(model: str, refused: set[str]) -> None:
    from gateway_core.profiles import resolve_profile

    switches = {"thinking", "web_search_options"}
    assert resolve_profile(model).rejected_params & switches == refused
    transport, bodies = recorder()
    client = GatewayClient(base_url="https://sw.example/v1", api_key=KEY, http_transport=transport)
    client.chat("hi", model=model, thinking="disabled", web_search_options=SEARCH)
    assert switches - set(bodies[0]) == refused


def test_the_adapters_refuse_an_unknown_thinking_mode_at_construction() -> None:
    from pydantic import ValidationError

    from langchain_gateway import ChatGateway
    from llamaindex_gateway import GatewayLLM

    with pytest.raises(ValidationError):
        ChatGateway(model="doubao-seed-1-6", base_url="https://sw.example/v1", api_key=KEY,
                    thinking="off")
    with pytest.raises(ValidationError):
        GatewayLLM(model="doubao-seed-1-6", api_base="https://sw.example/v1", api_key=KEY,
                   thinking="off")
