"""GatewayLLM end to end over loopback: the emulator (or a live gateway in live mode).

Relay quirks are selected by model markers (``gpt-4o-mini+noindex``), see
docs/emulator-contract.md. The emulator calls tools with arguments synthesised from their
schemas and, after a tool result, answers with text quoting it; tests that need a model that
understands language are xfail against it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.base.llms.types import ChatMessage, ThinkingBlock, ToolCallBlock
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.llm import (
    LLMChatEndEvent,
    LLMChatInProgressEvent,
    LLMChatStartEvent,
    LLMCompletionEndEvent,
    LLMCompletionInProgressEvent,
    LLMCompletionStartEvent,
)
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from gateway_core.errors import IncompleteStreamError
from llamaindex_gateway import GatewayLLM
from tests.llamaindex_events import recording

CALLS: list[tuple[int, int]] = []


def add(a: int, b: int) -> int:
    """Add two integers and return the sum."""
    CALLS.append((a, b))
    return a + b


def multiply(x: int, y: int) -> int:
    """Multiply two integers and return the product."""
    return x * y


TOOLS = [FunctionTool.from_defaults(add), FunctionTool.from_defaults(multiply)]
ASK = "Use the tools: add 2 and 3, and multiply 4 by 5."


class City(BaseModel):
    """A city and the country it is in."""

    name: str
    country: str


PROMPT = PromptTemplate("Name the capital of {country}.")


def llm(target: Any, model: str | None = None, **options: Any) -> GatewayLLM:
    return GatewayLLM(model=model or target.chat_model, **target.settings(**options))


def user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


# --------------------------------------------------------------------------- chat


def test_chat_stream_and_complete(gateway: Any) -> None:
    model = llm(gateway, max_tokens=50)
    response = model.chat(user("Say hello."))
    assert response.message.content
    assert response.additional_kwargs["total_tokens"] > 0
    assert response.additional_kwargs["request_id"]
    chunks = list(model.stream_chat(user("Say hello.")))
    assert "".join(c.delta or "" for c in chunks) == chunks[-1].message.content
    assert chunks[-1].message.content
    assert chunks[-1].raw["usage"]["total_tokens"] > 0
    completion = model.complete("Say hello.")
    assert completion.text
    pieces = list(model.stream_complete("Say hello."))
    assert "".join(p.delta or "" for p in pieces) == pieces[-1].text


def test_completion_never_uses_the_legacy_endpoint(emulator: Any, gateway: Any) -> None:
    emulator.reset()
    model = llm(gateway)
    model.complete("Hi")
    list(model.stream_complete("Hi"))
    paths = {entry["path"] for entry in emulator.requests()}
    assert paths == {"/v1/chat/completions"}


async def test_async_chat_stream_and_complete(gateway: Any) -> None:
    model = llm(gateway)
    response = await model.achat(user("Say hello."))
    assert response.message.content
    chunks = [c async for c in await model.astream_chat(user("Say hello."))]
    assert "".join(c.delta or "" for c in chunks) == chunks[-1].message.content
    assert (await model.acomplete("Say hello.")).text
    pieces = [p async for p in await model.astream_complete("Say hello.")]
    assert "".join(p.delta or "" for p in pieces) == pieces[-1].text


@pytest.mark.parametrize("marker", ["reasoning-content", "reasoning-field", "think-tags"])
async def test_reasoning_styles_become_thinking_blocks(
    emulator: Any, gateway: Any, marker: str
) -> None:
    model = llm(gateway, f"{gateway.chat_model}+{marker}")
    plain = model.chat(user("Think, then answer."))
    thinking = plain.message.blocks[0]
    assert isinstance(thinking, ThinkingBlock)
    assert thinking.content
    assert "<think>" not in (plain.message.content or "")
    chunks = [c async for c in await model.astream_chat(user("Think, then answer."))]
    deltas = "".join(c.additional_kwargs.get("thinking_delta") or "" for c in chunks)
    assert deltas == thinking.content  # the first chunk's reasoning is not dropped
    final = chunks[-1].message.blocks[0]
    assert isinstance(final, ThinkingBlock)
    assert final.content == thinking.content


# --------------------------------------------------------------------------- instrumentation


@pytest.fixture
def llm_events() -> Iterator[list[BaseEvent]]:
    """LLM events seen by the root dispatcher during the test."""
    with recording(LLMChatStartEvent, LLMChatInProgressEvent, LLMChatEndEvent,
                   LLMCompletionStartEvent, LLMCompletionInProgressEvent,
                   LLMCompletionEndEvent) as recorder:
        yield recorder.events


def _take(events: list[BaseEvent]) -> list[BaseEvent]:
    taken = list(events)
    events.clear()
    return taken


def _check_chat_events(events: list[BaseEvent], messages: list[ChatMessage], text: str,
                       model: str, chunks: list[Any] | None = None) -> None:
    """One call's events: start, an in-progress event per streamed chunk, end with the answer."""
    start, *progress, end = events
    assert isinstance(start, LLMChatStartEvent)
    assert [m.content for m in start.messages] == [m.content for m in messages]
    assert start.model_dict["model_name"] == model
    assert isinstance(end, LLMChatEndEvent)
    assert end.response is not None
    assert end.response.message.content == text
    assert start.span_id == end.span_id
    if chunks is None:
        assert progress == []
        return
    assert progress
    assert all(isinstance(e, LLMChatInProgressEvent) for e in progress)
    assert [e.response.delta for e in progress] == [c.delta for c in chunks]
    assert "".join(e.response.delta or "" for e in progress) == text


def _check_completion_events(events: list[BaseEvent], prompt: str, text: str, model: str,
                             pieces: list[Any] | None = None) -> None:
    start, *progress, end = events
    assert isinstance(start, LLMCompletionStartEvent)
    assert start.prompt == prompt
    assert start.model_dict["model_name"] == model
    assert isinstance(end, LLMCompletionEndEvent)
    assert end.prompt == prompt
    assert end.response.text == text
    assert start.span_id == end.span_id
    if pieces is None:
        assert progress == []
        return
    assert progress
    assert all(isinstance(e, LLMCompletionInProgressEvent) for e in progress)
    assert "".join(e.response.delta or "" for e in progress) == text


def test_instrumentation_events_fire(gateway: Any, llm_events: list[BaseEvent]) -> None:
    model = llm(gateway, max_tokens=50)
    name = gateway.chat_model
    messages = user("Say hello.")
    response = model.chat(messages)
    assert response.message.content
    _check_chat_events(_take(llm_events), messages, response.message.content, name)

    chunks = list(model.stream_chat(messages))
    streamed = chunks[-1].message.content
    assert streamed
    _check_chat_events(_take(llm_events), messages, streamed, name, chunks)

    completion = model.complete("Say hi.")
    assert completion.text
    _check_completion_events(_take(llm_events), "Say hi.", completion.text, name)

    pieces = list(model.stream_complete("Say hi."))
    _check_completion_events(_take(llm_events), "Say hi.", pieces[-1].text, name, pieces)


async def test_async_instrumentation_events_fire(
    gateway: Any, llm_events: list[BaseEvent]
) -> None:
    model = llm(gateway, max_tokens=50)
    name = gateway.chat_model
    messages = user("Say hello.")
    response = await model.achat(messages)
    assert response.message.content
    _check_chat_events(_take(llm_events), messages, response.message.content, name)

    chunks = [c async for c in await model.astream_chat(messages)]
    streamed = chunks[-1].message.content
    assert streamed
    _check_chat_events(_take(llm_events), messages, streamed, name, chunks)

    completion = await model.acomplete("Say hi.")
    assert completion.text
    _check_completion_events(_take(llm_events), "Say hi.", completion.text, name)

    pieces = [p async for p in await model.astream_complete("Say hi.")]
    _check_completion_events(_take(llm_events), "Say hi.", pieces[-1].text, name, pieces)


# --------------------------------------------------------------------------- tools


def _check_calls(model: GatewayLLM, response: Any) -> None:
    calls = model.get_tool_calls_from_response(response)
    assert calls
    assert {c.tool_name for c in calls} <= {"add", "multiply"}
    ids = [c.tool_id for c in calls]
    assert len(set(ids)) == len(ids)
    for call in calls:
        assert call.tool_id.count(call.tool_id[:6]) == 1  # never "c1c1c1"
        assert set(call.tool_kwargs) in ({"a", "b"}, {"x", "y"})
        assert all(isinstance(v, int) for v in call.tool_kwargs.values())


@pytest.mark.parametrize("marker", ["", "+noindex", "+repeat-ids", "+args-object",
                                    "+two-calls-one-chunk", "+chatfire", "+ping",
                                    "+usage-every-chunk"])
async def test_streamed_tool_calls_survive_every_relay_quirk(
    emulator: Any, gateway: Any, marker: str
) -> None:
    model = llm(gateway, gateway.chat_model + marker)
    plain = model.chat_with_tools(TOOLS, user_msg=ASK, tool_required=True,
                                  allow_parallel_tool_calls=True)
    _check_calls(model, plain)
    expected = [(c.tool_name, c.tool_kwargs)
                for c in model.get_tool_calls_from_response(plain)]
    responses = list(model.stream_chat_with_tools(TOOLS, user_msg=ASK, tool_required=True,
                                                  allow_parallel_tool_calls=True))
    for response in responses:  # what FunctionAgent does with every chunk
        model.get_tool_calls_from_response(response, error_on_no_tool_call=False)
    _check_calls(model, responses[-1])
    assert [(c.tool_name, c.tool_kwargs)
            for c in model.get_tool_calls_from_response(responses[-1])] == expected
    async_responses = [r async for r in await model.astream_chat_with_tools(
        TOOLS, user_msg=ASK, tool_required=True, allow_parallel_tool_calls=True)]
    _check_calls(model, async_responses[-1])
    if marker == "+two-calls-one-chunk":
        assert len(model.get_tool_calls_from_response(async_responses[-1])) == 2
    usage = responses[-1].raw["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_invalid_tool_arguments_are_kept_raw(emulator: Any, gateway: Any) -> None:
    model = llm(gateway, f"{gateway.chat_model}+bad-args")
    for response in (model.chat_with_tools(TOOLS, user_msg=ASK, tool_required=True),
                     list(model.stream_chat_with_tools(TOOLS, user_msg=ASK,
                                                       tool_required=True))[-1]):
        invalid = response.message.additional_kwargs["invalid_tool_calls"]
        assert invalid[0]["arguments"]
        assert invalid[0]["error"]
        block = next(b for b in response.message.blocks if isinstance(b, ToolCallBlock))
        assert block.tool_kwargs == invalid[0]["arguments"]  # raw text, nothing lost


def test_usage_counted_once_when_repeated(emulator: Any, gateway: Any) -> None:
    model = llm(gateway, f"{gateway.chat_model}+usage-every-chunk")
    final = list(model.stream_chat(user("Write three words.")))[-1]
    usage = final.raw["usage"]
    assert usage["completion_tokens"] <= len(final.message.content or "") + 5
    none = list(llm(gateway, f"{gateway.chat_model}+no-usage").stream_chat(user("Hi")))[-1]
    assert "total_tokens" not in none.additional_kwargs
    assert none.message.content


async def test_no_finish_reason_raises_with_the_partial_response(
    emulator: Any, gateway: Any
) -> None:
    model = llm(gateway, f"{gateway.chat_model}+no-finish")
    received: list[str] = []
    with pytest.raises(IncompleteStreamError) as caught:
        await _collect_deltas(await model.astream_chat(user("Write a sentence.")), received)
    assert caught.value.partial_text == "".join(received)
    assert caught.value.partial.message.content == "".join(received)  # type: ignore[attr-defined]
    with pytest.raises(IncompleteStreamError) as with_tools:
        list(model.stream_chat_with_tools(TOOLS, user_msg=ASK, tool_required=True))
    partial_calls = model.get_tool_calls_from_response(
        with_tools.value.partial, error_on_no_tool_call=False)  # type: ignore[attr-defined]
    assert {c.tool_name for c in partial_calls} <= {"add", "multiply"}
    assert with_tools.value.partial_tool_calls


async def _collect_deltas(stream: Any, into: list[str]) -> None:
    async for response in stream:
        into.append(response.delta or "")


def test_predict_and_call_runs_the_tool(gateway: Any) -> None:
    CALLS.clear()
    output = llm(gateway).predict_and_call([TOOLS[0]], user_msg="Add 2 and 3.")
    assert CALLS
    assert output.sources[0].tool_name == "add"
    assert output.response == str(sum(CALLS[0]))


@pytest.mark.parametrize("streaming", [True, False])
async def test_function_agent_calls_a_tool_and_answers(
    gateway: Any, streaming: bool
) -> None:
    CALLS.clear()
    agent = FunctionAgent(tools=[add], llm=llm(gateway), streaming=streaming,
                          system_prompt="Use the add tool for arithmetic.")
    handler = agent.run(user_msg="What is 2 plus 3? Use the add tool.")
    results = [event async for event in handler.stream_events()
               if isinstance(event, ToolCallResult)]
    output = await handler
    assert CALLS
    assert results[0].tool_name == "add"
    answer = str(output.response.content)
    assert str(results[0].tool_output.content) in answer  # it answered after the result


async def test_function_agent_with_a_reasoner_round_trips_thinking(
    emulator: Any, gateway: Any
) -> None:
    # The emulator's deepseek-reasoner refuses a tool-call turn that lost its reasoning.
    CALLS.clear()
    agent = FunctionAgent(tools=[add], llm=llm(gateway, gateway.reasoning_model))
    output = await agent.run(user_msg="What is 2 plus 3? Use the add tool.")
    assert CALLS
    assert output.response.content


def test_thinking_block_round_trip(emulator: Any, gateway: Any) -> None:
    model = llm(gateway, gateway.reasoning_model)
    first = model.chat_with_tools(TOOLS, user_msg=ASK)
    assert isinstance(first.message.blocks[0], ThinkingBlock)
    calls = model.get_tool_calls_from_response(first)
    history = [*user(ASK), first.message]
    history += [ChatMessage(role="tool", content="5",
                            additional_kwargs={"tool_call_id": call.tool_id})
                for call in calls]
    second = model.chat_with_tools(TOOLS, chat_history=history)
    assert second.message.content
    streamed = list(model.stream_chat_with_tools(TOOLS, chat_history=history))
    assert streamed[-1].message.content


# --------------------------------------------------------------------------- structured


def test_structured_predict(gateway: Any) -> None:
    city = llm(gateway).structured_predict(City, PROMPT, country="France")
    assert isinstance(city, City)
    assert city.name
    by_schema = llm(gateway, "gpt-4o", structured_output_method="json_schema")
    assert isinstance(by_schema.structured_predict(City, PROMPT, country="France"), City)
    structured = llm(gateway).as_structured_llm(City).chat(user("A city in France."))
    assert isinstance(structured.raw, City)
    outputs = list(llm(gateway).stream_structured_predict(City, PROMPT, country="France"))
    assert isinstance(outputs[-1], City)


async def test_async_structured_predict(gateway: Any) -> None:
    city = await llm(gateway).astructured_predict(City, PROMPT, country="France")
    assert isinstance(city, City)
    model = llm(gateway, "gpt-4o", structured_output_method="json_schema")
    outputs = [o async for o in await model.astream_structured_predict(
        City, PROMPT, country="France")]
    assert isinstance(outputs[-1], City)


def test_structured_predict_understands_the_question(request: Any, gateway: Any) -> None:
    if not gateway.live:
        request.applymarker(pytest.mark.xfail(
            reason="needs a real model: the emulator fills schemas without understanding "
            "the question", strict=True))
    city = llm(gateway).structured_predict(City, PROMPT, country="France")
    assert city.name.lower() == "paris"
