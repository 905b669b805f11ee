"""Doubao's ``thinking`` switch and ``web_search_options`` (issue 16 item 6) against the
emulator, in the core client and both frameworks, sync and async, streamed and not: the body the
emulator received (its request log keeps a body's non-content fields), what the model did with
it (Doubao's hybrid model shows no reasoning when thinking is disabled), and the switches left
out where the model's profile refuses them (OpenAI's models answer 400 to either)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from llama_index.core.llms import ChatMessage

from gateway_core import GatewayClient
from langchain_gateway import ChatGateway
from llamaindex_gateway import GatewayLLM

pytestmark = pytest.mark.usefixtures("emulator")

PATH = "/v1/chat/completions"
SEARCH = {"search_context_size": "low"}
HI = [ChatMessage(role="user", content="hi")]


def own(base: str) -> str:
    """A model name of this test's own: its requests are found by it in the emulator's log."""
    return f"{base}+u{uuid.uuid4().hex[:8]}"


def sent(gateway: Any, model: str) -> list[dict[str, Any]]:
    """The non-content fields of every chat body the emulator received for ``model``."""
    return [entry["params"] for entry in gateway.emulator.requests(PATH)
            if entry["model"] == model]


def test_core_client_sends_thinking_typed_and_the_model_obeys(gateway: Any) -> None:
    client = GatewayClient(**gateway.settings())
    model = own("doubao-seed-1-6")
    off = client.chat("hi", model=model, thinking="disabled")
    on = client.chat("hi", model=model, thinking="enabled")
    streamed = client.stream_chat("hi", model=model, thinking={"type": "disabled"})
    assert "".join(delta.text for delta in streamed) == "Echo: hi"
    assert [body["thinking"] for body in sent(gateway, model)] == [
        {"type": "disabled"}, {"type": "enabled"}, {"type": "disabled"}]
    assert off.reasoning is None or off.reasoning == ""
    assert on.reasoning
    assert streamed.result is not None
    assert not streamed.result.reasoning


async def test_core_client_async(gateway: Any) -> None:
    client = GatewayClient(**gateway.settings())
    model = own("doubao-seed-1-6")
    result = await client.achat("hi", model=model, thinking="auto")
    stream = client.astream_chat("hi", model=model, thinking="disabled")
    text = "".join([delta.text async for delta in stream])
    assert text == "Echo: hi"
    assert result.reasoning  # auto: the emulator's model chooses to think
    assert [body["thinking"] for body in sent(gateway, model)] == [
        {"type": "auto"}, {"type": "disabled"}]


def test_langchain_sync_and_stream(gateway: Any) -> None:
    model = own("doubao-seed-1-6")
    chat = ChatGateway(model=model, **gateway.settings(), thinking="disabled")
    message = chat.invoke("hi")
    chunks = list(chat.stream("hi"))
    assert "reasoning_content" not in message.additional_kwargs
    assert "".join(str(chunk.content) for chunk in chunks) == "Echo: hi"
    thinking = ChatGateway(model=model, **gateway.settings(), thinking="enabled")
    assert thinking.invoke("hi").additional_kwargs["reasoning_content"]
    assert [body["thinking"]["type"] for body in sent(gateway, model)] == [
        "disabled", "disabled", "enabled"]
    assert sent(gateway, model)[1]["stream"] is True


async def test_langchain_async_and_astream(gateway: Any) -> None:
    model = own("doubao-seed-1-6")
    chat = ChatGateway(model=model, **gateway.settings(), thinking="disabled")
    message = await chat.ainvoke("hi")
    chunks = [chunk async for chunk in chat.astream("hi")]
    assert "reasoning_content" not in message.additional_kwargs
    assert "".join(str(chunk.content) for chunk in chunks) == "Echo: hi"
    assert [body["thinking"] for body in sent(gateway, model)] == [{"type": "disabled"}] * 2


def test_llamaindex_sync_and_stream(gateway: Any) -> None:
    model = own("doubao-seed-1-6")
    llm = GatewayLLM(model=model, **gateway.settings(), thinking="disabled")
    response = llm.chat(HI)
    streamed = list(llm.stream_chat(HI))
    assert response.message.content == "Echo: hi"
    assert not [b for b in response.message.blocks if type(b).__name__ == "ThinkingBlock"]
    assert streamed[-1].message.content == "Echo: hi"
    assert [body["thinking"] for body in sent(gateway, model)] == [{"type": "disabled"}] * 2


async def test_llamaindex_async_and_astream(gateway: Any) -> None:
    model = own("doubao-seed-1-6")
    llm = GatewayLLM(model=model, **gateway.settings(), thinking="enabled")
    response = await llm.achat(HI)
    chunks = [chunk async for chunk in await llm.astream_chat(HI)]
    assert [b for b in response.message.blocks if type(b).__name__ == "ThinkingBlock"]
    assert chunks[-1].message.content == "Echo: hi"
    assert [body["thinking"] for body in sent(gateway, model)] == [{"type": "enabled"}] * 2


def test_an_openai_model_gets_neither_switch_and_is_asked_once(gateway: Any) -> None:
    # OpenAI's models answer 400 to either field; their profile leaves both out, so the call
    # goes out once, without them, in every entry point.
    model = own("gpt-4o-mini")
    switches: dict[str, Any] = {"thinking": "disabled", "web_search_options": SEARCH}
    client = GatewayClient(**gateway.settings())
    assert client.chat("hi", model=model, **switches).text == "Echo: hi"
    assert ChatGateway(model=model, **gateway.settings(), **switches).invoke("hi").content
    assert GatewayLLM(model=model, **gateway.settings(), **switches).chat(HI).message.content
    bodies = sent(gateway, model)
    assert len(bodies) == 3
    for body in bodies:
        assert "thinking" not in body
        assert "web_search_options" not in body


async def test_a_search_model_gets_web_search_options_async(gateway: Any) -> None:
    model = own("gpt-4o-search-preview")
    options = {"search_context_size": "high",
               "user_location": {"type": "approximate", "approximate": {"country": "CN"}}}
    chat = ChatGateway(model=model, **gateway.settings(), web_search_options=options,
                       thinking="disabled")
    llm = GatewayLLM(model=model, **gateway.settings(), web_search_options=options)
    assert (await chat.ainvoke("hi")).content == "Echo: hi"
    assert (await llm.achat(HI)).message.content == "Echo: hi"
    bodies = sent(gateway, model)
    assert [body["web_search_options"] for body in bodies] == [options, options]
    assert "thinking" not in bodies[0]  # the search model's profile refuses thinking


def test_a_model_without_the_switch_in_its_profile_refused_once_then_remembered(
        gateway: Any) -> None:
    # A relay whose Doubao channel refuses web_search_options (marker +reject-<param>): the
    # call is sent again without it, once, and the model is remembered, in both frameworks.
    model = own("doubao-seed-1-6+reject-web_search_options")
    chat = ChatGateway(model=model, **gateway.settings(), web_search_options=SEARCH)
    assert chat.invoke("hi").content
    assert chat.invoke("hi again").content
    llm = GatewayLLM(model=model, **gateway.settings(), web_search_options=SEARCH)
    assert llm.chat(HI).message.content
    bodies = sent(gateway, model)
    assert ["web_search_options" in body for body in bodies] == [True, False, False, False]
