"""ChatGateway end to end over loopback (emulator, or live with GATEWAY_LIVE=1): invoke,
stream, batch, tools, structured output, reasoning round-trip, an LCEL chain and an agent."""

from __future__ import annotations

import textwrap
import uuid
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from gateway_core.errors import IncompleteStreamError
from langchain_gateway import ChatGateway


def make_llm(target: Any, model: str | None = None, **kwargs: Any) -> ChatGateway:
    return ChatGateway(model=model or target.chat_model, **target.settings(**kwargs))


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"Sunny, 22 °C in {city}."


class City(BaseModel):
    """A city."""

    name: str = Field(description="The city's name")
    population: int = Field(description="Inhabitants")


class CityDict(TypedDict):
    """A city."""

    name: str
    population: int


def test_invoke_stream_and_batch(gateway: Any) -> None:
    llm = make_llm(gateway, temperature=0, max_tokens=64)
    message = llm.invoke("Say hello.")
    assert message.text
    assert message.usage_metadata is not None
    assert message.response_metadata["model_name"]
    assert message.response_metadata["finish_reason"]
    assert message.response_metadata["request_id"]
    chunks = list(llm.stream("Say hello."))
    assert sum(1 for c in chunks if c.usage_metadata) == 1
    assert chunks[-1].chunk_position == "last"
    assert "".join(c.text for c in chunks)
    assert [m.text != "" for m in llm.batch(["Hi.", "Hello."])] == [True, True]


async def test_async_invoke_stream_and_batch(gateway: Any) -> None:
    llm = make_llm(gateway)
    assert (await llm.ainvoke("Say hello.")).text
    text = "".join([c.text async for c in llm.astream("Say hello.")])
    assert text
    assert len(await llm.abatch(["Hi.", "Hello."])) == 2


@pytest.mark.parametrize("marker", ["+noindex", "+repeat-ids", "+args-object",
                                    "+two-calls-one-chunk"])
def test_streamed_tool_calls_through_langchain(emulator: Any, gateway: Any, marker: str) -> None:
    llm = make_llm(gateway, model=gateway.chat_model + marker).bind_tools([get_weather, City],
                                                                          tool_choice="any")
    full = None
    for chunk in llm.stream("What is the weather in Paris and Rome?"):
        full = chunk if full is None else full + chunk
    assert full is not None
    assert full.tool_calls
    assert not full.invalid_tool_calls
    for call in full.tool_calls:
        assert call["name"] in {"get_weather", "City"}
        assert call["id"]
    assert len({c["id"] for c in full.tool_calls}) == len(full.tool_calls)


def test_reasoning_comes_back_and_goes_back(emulator: Any, gateway: Any) -> None:
    llm = make_llm(gateway, model=gateway.reasoning_model).bind_tools([get_weather])
    question = HumanMessage("What is the weather in Paris?")
    first = llm.invoke([question])
    assert first.additional_kwargs["reasoning_content"]
    assert first.content_blocks[0]["type"] == "reasoning"
    assert first.tool_calls
    history = [question, first, *[get_weather.invoke(call) for call in first.tool_calls]]
    # deepseek-reasoner refuses this turn unless reasoning_content went back with it.
    assert isinstance(llm.invoke(history), AIMessage)
    streamed = None
    for chunk in llm.stream(history):
        streamed = chunk if streamed is None else streamed + chunk
    assert streamed is not None


@pytest.mark.parametrize("schema", [City, CityDict, City.model_json_schema()])
@pytest.mark.parametrize("method", [None, "json_schema", "function_calling"])
def test_structured_output(gateway: Any, schema: Any, method: str | None) -> None:
    structured = make_llm(gateway).with_structured_output(schema, method=method)
    result = structured.invoke("Name one large city.")
    value = result.model_dump() if isinstance(result, BaseModel) else result
    assert set(value) == {"name", "population"}
    assert isinstance(value["population"], int)


def test_structured_output_fallback_chain(emulator: Any, gateway: Any) -> None:
    llm = make_llm(gateway, model="gpt-4o+reject-response_format")
    out = llm.with_structured_output(City, include_raw=True).invoke("Name one large city.")
    assert isinstance(out["parsed"], City)
    assert out["raw"].response_metadata["structured_output_method"] == "function_calling"


def test_lcel_chain_with_structured_output(gateway: Any) -> None:
    prompt = ChatPromptTemplate.from_messages([("system", "You know geography."),
                                               ("human", "Name a city in {country}.")])
    chain = prompt | make_llm(gateway).with_structured_output(City)
    assert isinstance(chain.invoke({"country": "France"}), City)
    assert [isinstance(c, City) for c in chain.batch([{"country": "Peru"},
                                                       {"country": "Japan"}])] == [True, True]


async def test_lcel_chain_async(gateway: Any) -> None:
    prompt = ChatPromptTemplate.from_messages([("human", "Name a city in {country}.")])
    chain = prompt | make_llm(gateway).with_structured_output(City)
    assert isinstance(await chain.ainvoke({"country": "Chile"}), City)


def _agent(gateway: Any) -> Any:
    from langchain.agents import create_agent

    return create_agent(make_llm(gateway, temperature=0), tools=[get_weather],
                        system_prompt="Use the tools to answer questions about the weather.")


def _check_agent_run(state: dict[str, Any]) -> None:
    messages = state["messages"]
    tool_messages = [m for m in messages if isinstance(m, ToolMessage)]
    assert tool_messages
    assert "Sunny" in tool_messages[0].text
    assert isinstance(messages[-1], AIMessage)
    assert not messages[-1].tool_calls
    assert messages[-1].text


def test_create_agent_loop(gateway: Any) -> None:
    _check_agent_run(_agent(gateway).invoke(
        {"messages": [HumanMessage("What is the weather in Tokyo?")]}))


async def test_create_agent_loop_async(gateway: Any) -> None:
    _check_agent_run(await _agent(gateway).ainvoke(
        {"messages": [HumanMessage("What is the weather in Oslo?")]}))


def test_cut_stream_carries_the_partial_message(emulator: Any, gateway: Any) -> None:
    headers = {"X-Emulator-Faults": "cut:3", "X-Emulator-Scenario": uuid.uuid4().hex}
    llm = make_llm(gateway, default_headers=headers, max_retries=0)
    received: list[Any] = []
    with pytest.raises(IncompleteStreamError) as caught:
        received.extend(llm.stream("Write a long paragraph."))
    partial = caught.value.partial  # type: ignore[attr-defined]
    assert partial.text == "".join(c.text for c in received)
    assert partial.text


def test_chat_format_media_links_become_blocks(emulator: Any, gateway: Any) -> None:
    message = make_llm(gateway, model="sora-2").invoke("A cat surfing a wave.")
    kinds = [b["type"] for b in message.content_blocks]
    assert "video" in kinds


def _docstring_blocks() -> list[str]:
    """The ``.. code-block:: python`` bodies of ChatGateway's docstring, in order."""
    lines = (ChatGateway.__doc__ or "").splitlines()
    blocks: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if line.strip() != ".. code-block:: python":
            continue
        indent = len(line) - len(line.lstrip())
        body: list[str] = []
        while index < len(lines) and (
            not lines[index].strip() or len(lines[index]) - len(lines[index].lstrip()) > indent
        ):
            body.append(lines[index])
            index += 1
        blocks.append(textwrap.dedent("\n".join(body)).strip() + "\n")
    return blocks


async def test_the_docstring_examples_run(gateway: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_BASE_URL", gateway.base_url)
    monkeypatch.setenv("GATEWAY_API_KEY", gateway.api_key)
    blocks = _docstring_blocks()
    assert len(blocks) >= 8
    namespace: dict[str, Any] = {}
    for block in blocks:
        if "await " in block:
            body = textwrap.indent(block, "    ")
            exec(f"async def _example():\n{body}\n", namespace)
            await namespace["_example"]()
        else:
            exec(block, namespace)
