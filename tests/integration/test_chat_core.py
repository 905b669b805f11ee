"""The chat core end to end over loopback: GatewayClient against the emulator (or live).

Relay quirks are selected by model markers (``gpt-4o-mini+noindex``), failures by the fault DSL
(``X-Emulator-Faults`` with a per-test scenario): see docs/emulator-contract.md.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from gateway_core import GatewayClient
from gateway_core.chat import LEARNED
from gateway_core.errors import APIError, IncompleteStreamError

TOOLS = [
    {"type": "function", "function": {
        "name": "add", "description": "Add two integers.",
        "parameters": {"type": "object", "properties": {"a": {"type": "integer"},
                                                        "b": {"type": "integer"}},
                       "required": ["a", "b"]}}},
    {"type": "function", "function": {
        "name": "multiply", "description": "Multiply two integers.",
        "parameters": {"type": "object", "properties": {"x": {"type": "integer"},
                                                        "y": {"type": "integer"}},
                       "required": ["x", "y"]}}},
]
ASK_TOOLS = [{"role": "user", "content": "Use the tools: add 2 and 3, and multiply 4 by 5."}]


def client(target: Any, **settings: Any) -> GatewayClient:
    return GatewayClient(**target.settings(**settings))


def faulted(target: Any, steps: str, **settings: Any) -> GatewayClient:
    """A client whose requests run the fault steps, in a scenario of their own."""
    headers = {"X-Emulator-Faults": steps, "X-Emulator-Scenario": uuid.uuid4().hex}
    return client(target, headers=headers, **settings)


def test_chat_and_stream(gateway: Any) -> None:
    gw = client(gateway)
    result = gw.chat("Say hello.", model=gateway.chat_model, max_tokens=50)
    assert result.text
    assert result.finish_reason
    assert result.usage is not None
    assert result.usage.total_tokens > 0
    assert result.request_id
    stream = gw.stream_chat("Say hello.", model=gateway.chat_model, max_tokens=50)
    text = "".join(delta.text for delta in stream)
    assert stream.result is not None
    assert text == stream.result.text
    assert text
    assert stream.result.usage is not None
    assert stream.result.request_id


async def test_async_chat_and_stream(gateway: Any) -> None:
    gw = client(gateway)
    result = await gw.achat("Say hello.", model=gateway.chat_model)
    assert result.text
    stream = gw.astream_chat("Say hello.", model=gateway.chat_model)
    text = "".join([delta.text async for delta in stream])
    assert stream.result is not None
    assert text == stream.result.text


@pytest.mark.parametrize("marker", ["reasoning-content", "reasoning-field", "think-tags"])
def test_reasoning_styles(emulator: Any, gateway: Any, marker: str) -> None:
    gw = client(gateway)
    model = f"{gateway.chat_model}+{marker}"
    plain = gw.chat("Think, then answer.", model=model)
    assert plain.reasoning
    assert plain.text
    assert "<think>" not in plain.text
    stream = gw.stream_chat("Think, then answer.", model=model)
    deltas = list(stream)
    assert stream.result is not None
    assert "".join(d.reasoning for d in deltas) == stream.result.reasoning == plain.reasoning
    assert "".join(d.text for d in deltas) == stream.result.text
    assert "<think>" not in stream.result.text


@pytest.mark.parametrize("marker", ["", "+noindex", "+repeat-ids", "+args-object",
                                    "+two-calls-one-chunk", "+chatfire", "+ping"])
def test_streamed_tool_calls_survive_every_relay_quirk(
    emulator: Any, gateway: Any, marker: str
) -> None:
    gw = client(gateway)
    model = gateway.chat_model + marker
    plain = gw.chat(ASK_TOOLS, model=model, tools=TOOLS, tool_choice="required")
    stream = gw.stream_chat(ASK_TOOLS, model=model, tools=TOOLS, tool_choice="required")
    fragments = [f for delta in stream for f in delta.tool_calls or ()]
    result = stream.result
    assert result is not None
    assert result.tool_calls
    assert not result.invalid_tool_calls
    assert [(c.name, c.args) for c in result.tool_calls] == [
        (c.name, c.args) for c in plain.tool_calls]
    names = {c.name for c in result.tool_calls}
    assert names <= {"add", "multiply"}
    ids = [c.id for c in result.tool_calls]
    assert len(set(ids)) == len(ids)
    for call in result.tool_calls:
        # repeated ids and names are never concatenated
        assert call.id.count(call.id[:6]) == 1
        assert set(call.args) in ({"a", "b"}, {"x", "y"})
    assert {f["index"] for f in fragments} == {c.index for c in result.tool_calls}


def test_invalid_tool_arguments_are_kept_raw(emulator: Any, gateway: Any) -> None:
    gw = client(gateway)
    model = f"{gateway.chat_model}+bad-args"
    for result in (gw.chat(ASK_TOOLS, model=model, tools=TOOLS, tool_choice="required"),
                   _streamed(gw, ASK_TOOLS, model=model, tools=TOOLS, tool_choice="required")):
        assert result.invalid_tool_calls
        bad = result.invalid_tool_calls[0]
        assert bad.arguments
        assert bad.error
        assert bad.name in {"add", "multiply"}


def _streamed(gw: GatewayClient, messages: Any, **params: Any) -> Any:
    stream = gw.stream_chat(messages, **params)
    for _ in stream:
        pass
    return stream.result


def test_usage_counted_once_and_missing_usage(emulator: Any, gateway: Any) -> None:
    gw = client(gateway)
    once = _streamed(gw, "Write three words.", model=gateway.chat_model)
    every = _streamed(gw, "Write three words.", model=f"{gateway.chat_model}+usage-every-chunk")
    assert once.usage is not None
    assert every.usage is not None
    assert every.usage.total_tokens == every.usage.input_tokens + every.usage.output_tokens
    assert every.usage.output_tokens <= len(every.text) + 5  # not summed over chunks
    none = _streamed(gw, "Write three words.", model=f"{gateway.chat_model}+no-usage")
    assert none.usage is None
    assert none.text


def test_no_finish_reason_is_an_error_with_the_text_so_far(emulator: Any, gateway: Any) -> None:
    stream = client(gateway).stream_chat("Write a sentence.",
                                         model=f"{gateway.chat_model}+no-finish")
    received: list[str] = []
    with pytest.raises(IncompleteStreamError) as caught:
        received.extend(delta.text for delta in stream)
    assert caught.value.partial_text == "".join(received)
    assert caught.value.partial_text


@pytest.mark.parametrize("steps", ["cut:3", "cut-close:3"])
def test_cut_streams_keep_the_partial_text(emulator: Any, gateway: Any, steps: str) -> None:
    stream = faulted(gateway, steps, max_retries=0).stream_chat(
        "Write a long paragraph.", model=gateway.chat_model)
    received: list[str] = []
    with pytest.raises(IncompleteStreamError) as caught:
        received.extend(delta.text for delta in stream)
    assert received
    assert caught.value.partial_text == "".join(received)


def test_a_connection_dropped_after_the_whole_answer_keeps_the_answer(
    emulator: Any, gateway: Any
) -> None:
    # "peer closed connection without sending complete message body (incomplete chunked
    # read)" after [DONE]: the answer is whole, so it is no error (before: IncompleteStreamError
    # saying the answer was not complete)
    intact = _streamed(client(gateway), "Write a sentence.", model=gateway.chat_model)
    gw = faulted(gateway, "close-after-done", max_retries=0)
    stream = gw.stream_chat("Write a sentence.", model=gateway.chat_model)
    received = "".join(delta.text for delta in stream)
    assert stream.result is not None
    assert (received, stream.result.text) == (intact.text, intact.text)
    assert stream.result.finish_reason == "stop"
    assert stream.result.usage == intact.usage


async def test_a_connection_dropped_after_the_whole_answer_keeps_the_answer_async(
    emulator: Any, gateway: Any
) -> None:
    gw = faulted(gateway, "close-after-done", max_retries=0)
    stream = gw.astream_chat("Write a sentence.", model=gateway.chat_model)
    received = "".join([delta.text async for delta in stream])
    assert stream.result is not None
    assert received == stream.result.text
    assert stream.result.finish_reason == "stop"


def test_error_chunk_raises_the_gateways_error_with_partial_text(
    emulator: Any, gateway: Any
) -> None:
    stream = faulted(gateway, "error-chunk:2", max_retries=0).stream_chat(
        "Write a long paragraph.", model=gateway.chat_model)
    received: list[str] = []
    with pytest.raises(APIError) as caught:
        received.extend(delta.text for delta in stream)
    assert caught.value.partial_text == "".join(received)  # type: ignore[attr-defined]
    assert caught.value.request_id


def test_malformed_chunk_raises_incomplete(emulator: Any, gateway: Any) -> None:
    stream = faulted(gateway, "malformed:2", max_retries=0).stream_chat(
        "Write a long paragraph.", model=gateway.chat_model)
    with pytest.raises(IncompleteStreamError, match="not JSON") as caught:
        list(stream)
    assert caught.value.partial_text


def test_a_silent_stream_times_out_with_the_partial_text(emulator: Any, gateway: Any) -> None:
    stream = faulted(gateway, "stall-stream:2:30", max_retries=0,
                     stream_idle_timeout=0.5).stream_chat(
        "Write a long paragraph.", model=gateway.chat_model)
    with pytest.raises(IncompleteStreamError, match="silent") as caught:
        list(stream)
    assert caught.value.partial_text


@pytest.mark.parametrize("param", ["stream_options", "parallel_tool_calls", "reasoning_effort"])
def test_refused_parameters_are_dropped_and_remembered(
    emulator: Any, gateway: Any, param: str
) -> None:
    gw = client(gateway)
    model = f"{gateway.chat_model}+reject-{param}"
    LEARNED.forget(model=model)
    emulator.reset()
    params: dict[str, Any] = {"tools": TOOLS, "parallel_tool_calls": False,
                              "reasoning_effort": "low"}
    first = _streamed(gw, ASK_TOOLS, model=model, **params)
    assert first.finish_reason
    assert len(emulator.requests("/v1/chat/completions")) == 2  # refused, then accepted
    assert param in LEARNED.params(gw.config.root_url, model)
    second = _streamed(gw, ASK_TOOLS, model=model, **params)
    assert second.finish_reason
    assert len(emulator.requests("/v1/chat/completions")) == 3  # no second refusal


def test_structured_output_falls_back_when_json_schema_is_refused(
    emulator: Any, gateway: Any
) -> None:
    schema = {"title": "City", "type": "object",
              "properties": {"name": {"type": "string"}, "population": {"type": "integer"}},
              "required": ["name", "population"]}
    gw = client(gateway)
    model = "gpt-4o+reject-response_format"
    LEARNED.forget(model=model)
    parsed, raw = gw.chat_structured("Name a big city.", schema, model=model, include_raw=True)
    assert set(parsed) == {"name", "population"}
    assert raw.structured_method == "function_calling"
    assert "json_schema" in LEARNED.methods(gw.config.root_url, model)


def test_reasoning_round_trip_with_tools(emulator: Any, gateway: Any) -> None:
    # The emulator's deepseek-reasoner refuses an assistant tool-call turn that lost its
    # reasoning_content, like DeepSeek's thinking mode does.
    gw = client(gateway)
    model = gateway.reasoning_model
    first = gw.chat(ASK_TOOLS, model=model, tools=TOOLS)
    assert first.reasoning
    assert first.tool_calls
    history = [*ASK_TOOLS, first.to_message()]
    history += [{"role": "tool", "tool_call_id": call.id, "content": "5"}
                for call in first.tool_calls]
    second = gw.chat(history, model=model, tools=TOOLS)
    assert second.text or second.tool_calls
