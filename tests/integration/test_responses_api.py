"""The Responses API over loopback: the same ChatResult / ChatDelta / errors as chat, from the
core client, ChatGateway and GatewayLLM, sync, async and streamed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk, HumanMessage, ToolMessage
from llama_index.core.base.llms.types import ChatMessage
from pydantic import BaseModel

from gateway_core import GatewayClient
from gateway_core.errors import BadRequestError, InvalidRequestError
from langchain_gateway import ChatGateway
from llamaindex_gateway import GatewayLLM

PATH = "/v1/responses"
TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Current weather of a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]}}}]


class Person(BaseModel):
    name: str
    age: int


class Calls:
    """Counts requests to /v1/responses and /v1/chat/completions since construction."""

    def __init__(self, gateway: Any) -> None:
        self.emulator = gateway.emulator
        self.before = {p: len(self.emulator.requests(p)) for p in (PATH, "/v1/chat/completions")}

    def count(self, path: str = PATH) -> int:
        return len(self.emulator.requests(path)) - self.before[path]


@pytest.fixture
def client(gateway: Any) -> GatewayClient:
    return GatewayClient(**gateway.settings())


def test_text_usage_and_the_wire_it_went_over(gateway: Any, client: GatewayClient) -> None:
    calls = Calls(gateway)
    result = client.chat("hello there", model="gpt-4o-mini", use_responses_api=True)
    assert result.text == "Echo: hello there"
    assert result.finish_reason == "stop"
    assert result.usage is not None
    assert result.usage.input_tokens > 0
    assert result.usage.total_tokens == result.usage.input_tokens + result.usage.output_tokens
    assert result.id is not None
    assert result.id.startswith("resp_")
    assert calls.count() == 1
    assert calls.count("/v1/chat/completions") == 0
    # the profile decides when the user does not
    client.chat("hi", model="gpt-4o-mini", profile={"responses_api": True})
    assert calls.count() == 2
    client.chat("hi", model="gpt-4o-mini", profile={"responses_api": True},
                use_responses_api=False)
    assert calls.count("/v1/chat/completions") == 1


def test_stream_reasoning_summary_and_usage(client: GatewayClient) -> None:
    stream = client.stream_chat("hello there", model="gpt-5", use_responses_api=True,
                                reasoning_effort="low")
    deltas = list(stream)
    assert "".join(d.text for d in deltas) == "Echo: hello there"
    assert "".join(d.reasoning for d in deltas) == stream.result.reasoning  # type: ignore[union-attr]
    assert stream.result is not None
    assert stream.result.reasoning
    assert stream.result.usage is not None
    assert stream.result.usage.reasoning
    assert stream.result.finish_reason == "stop"


def test_function_calling_round_trip(client: GatewayClient) -> None:
    first = client.chat("weather in Paris?", model="gpt-4o-mini", tools=TOOLS,
                        use_responses_api=True)
    assert first.finish_reason == "tool_calls"
    call = first.tool_calls[0]
    assert call.name == "get_weather"
    assert set(call.args or {}) == {"city"}
    streamed = client.stream_chat("weather in Paris?", model="gpt-4o-mini", tools=TOOLS,
                                  use_responses_api=True)
    list(streamed)
    assert streamed.result is not None
    assert [c.name for c in streamed.result.tool_calls] == ["get_weather"]
    messages = [
        {"role": "user", "content": "weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": call.id, "type": "function",
             "function": {"name": call.name, "arguments": call.arguments}}]},
        {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21 C"},
    ]
    final = client.chat(messages, model="gpt-4o-mini", tools=TOOLS, use_responses_api=True)
    assert final.text == "Here is what the tools returned: sunny, 21 C"


def test_structured_output_and_length_limit(client: GatewayClient) -> None:
    person = client.chat_structured("Ada, 36", Person, model="gpt-4o",
                                    method="json_schema", use_responses_api=True)
    assert isinstance(person, Person)
    cut = client.chat("one two three four five six seven eight nine ten " * 3,
                      model="gpt-4o-mini", max_tokens=16, use_responses_api=True)
    assert cut.finish_reason == "length"


def test_errors_are_the_same_typed_errors(gateway: Any, client: GatewayClient) -> None:
    with pytest.raises(BadRequestError, match="not available on /v1/responses"):
        client.chat("hi", model="deepseek-chat", use_responses_api=True)
    with pytest.raises(InvalidRequestError, match="stop"):
        client.chat("hi", model="gpt-4o-mini", stop=["x"], use_responses_api=True)
    calls = Calls(gateway)
    result = client.chat("retry me", model="gpt-4o-mini@@500,ok", use_responses_api=True)
    assert result.text == "Echo: retry me"
    statuses = [r["status"] for r in gateway.emulator.requests(PATH)[-calls.count():]]
    assert statuses == [500, 200]  # retried like any chat call


def test_async_twins(client: GatewayClient) -> None:
    async def run() -> tuple[str, str]:
        result = await client.achat("async hi", model="gpt-4o-mini", use_responses_api=True)
        stream = client.astream_chat("async stream", model="gpt-4o-mini",
                                     use_responses_api=True)
        text = "".join([d.text async for d in stream])
        return result.text, text

    assert asyncio.run(run()) == ("Echo: async hi", "Echo: async stream")


def test_chat_gateway_uses_it_when_told(gateway: Any) -> None:
    calls = Calls(gateway)
    llm = ChatGateway(model="gpt-5", use_responses_api=True, reasoning_effort="low",
                      **gateway.settings())
    message = llm.invoke("hello there")
    assert message.content == "Echo: hello there"
    assert message.usage_metadata is not None
    assert message.usage_metadata["total_tokens"] > 0
    chunks = list(llm.stream("hello there"))
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged += chunk
    assert isinstance(merged, AIMessageChunk)
    assert merged.content == "Echo: hello there"
    tool_llm = ChatGateway(model="gpt-4o-mini", use_responses_api=True,
                           **gateway.settings()).bind_tools(TOOLS)
    asked = tool_llm.invoke("weather in Paris?")
    assert asked.tool_calls[0]["name"] == "get_weather"  # type: ignore[attr-defined]
    answer = tool_llm.invoke([HumanMessage("weather in Paris?"), asked,
                              ToolMessage("rainy", tool_call_id=asked.tool_calls[0]["id"])])  # type: ignore[attr-defined]
    assert answer.content == "Here is what the tools returned: rainy"
    person = ChatGateway(model="gpt-4o", use_responses_api=True, **gateway.settings()
                         ).with_structured_output(Person, method="json_schema").invoke("Ada")
    assert isinstance(person, Person)
    assert asyncio.run(llm.ainvoke("async")).content == "Echo: async"
    assert calls.count("/v1/chat/completions") == 0
    assert calls.count() >= 6


def test_gateway_llm_uses_it_when_told(gateway: Any) -> None:
    calls = Calls(gateway)
    llm = GatewayLLM(model="gpt-4o-mini", use_responses_api=True, **gateway.settings())
    response = llm.chat([ChatMessage(role="user", content="hello there")])
    assert response.message.content == "Echo: hello there"
    streamed = list(llm.stream_chat([ChatMessage(role="user", content="hello there")]))
    assert streamed[-1].message.content == "Echo: hello there"
    assert asyncio.run(llm.acomplete("async")).text == "Echo: async"
    assert calls.count("/v1/chat/completions") == 0
    assert calls.count() == 3
