"""gateway_core.responses without a network: chat body -> Responses body, Responses object ->
chat completion, Responses events -> chat chunks fed to the real StreamAccumulator."""

from __future__ import annotations

import json

import pytest

from gateway_core.chat.response import parse_completion
from gateway_core.chat.stream import StreamAccumulator
from gateway_core.errors import IncompleteStreamError, InvalidRequestError
from gateway_core.responses import (
    ResponsesStreamTranslator,
    completion_from_response,
    to_responses_body,
)
from gateway_core.sse import ServerSentEvent

TOOL = {"type": "function", "function": {"name": "get_weather", "description": "w",
                                         "parameters": {"type": "object"}, "strict": True}}


def test_chat_body_becomes_a_responses_body() -> None:
    chat = {
        "model": "gpt-5", "stream": True, "stream_options": {"include_usage": True},
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "Look"},
                                         {"type": "image_url",
                                          "image_url": {"url": "https://x/a.png",
                                                        "detail": "low"}}]},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        ],
        "tools": [TOOL], "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        "max_completion_tokens": 300, "reasoning_effort": "low", "verbosity": "low",
        "response_format": {"type": "json_schema",
                            "json_schema": {"name": "r", "schema": {"type": "object"},
                                            "strict": True}},
        "temperature": 0.2, "custom_field": 1,
    }
    assert to_responses_body(chat) == {
        "model": "gpt-5", "stream": True, "temperature": 0.2,
        "input": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [
                {"type": "input_text", "text": "Look"},
                {"type": "input_image", "image_url": "https://x/a.png", "detail": "low"}]},
            {"type": "function_call", "call_id": "call_1", "name": "get_weather",
             "arguments": "{\"city\":\"Oslo\"}"},
            {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
        ],
        "tools": [{"type": "function", "name": "get_weather", "description": "w",
                   "parameters": {"type": "object"}, "strict": True}],
        "tool_choice": {"type": "function", "name": "get_weather"},
        "max_output_tokens": 300,
        "reasoning": {"effort": "low", "summary": "auto"},
        "text": {"format": {"type": "json_schema", "name": "r", "schema": {"type": "object"},
                            "strict": True}, "verbosity": "low"},
        "custom_field": 1,
    }


@pytest.mark.parametrize(("extra", "words"), [({"stop": ["x"]}, "stop"), ({"n": 2}, "n must")])
def test_what_the_responses_api_lacks_is_refused(extra: dict, words: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(InvalidRequestError, match=words):
        to_responses_body({"model": "m", "messages": [], **extra})


RESPONSE = {
    "id": "resp_1", "object": "response", "created_at": 7, "model": "gpt-5",
    "status": "completed", "error": None,
    "output": [
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": "Thinking."}]},
        {"type": "message", "content": [{"type": "output_text", "text": "Hi "},
                                        {"type": "output_text", "text": "there"}]},
        {"type": "function_call", "call_id": "call_9", "name": "f", "arguments": "{\"a\":1}"},
    ],
    "usage": {"input_tokens": 10, "output_tokens": 20, "total_tokens": 30,
              "input_tokens_details": {"cached_tokens": 4},
              "output_tokens_details": {"reasoning_tokens": 6}},
}


def test_response_object_reads_into_the_chat_result() -> None:
    result = parse_completion(completion_from_response(RESPONSE))
    assert (result.text, result.reasoning, result.finish_reason) == ("Hi there", "Thinking.",
                                                                     "tool_calls")
    assert [(c.id, c.name, c.args) for c in result.tool_calls] == [("call_9", "f", {"a": 1})]
    assert result.usage is not None
    assert (result.usage.input_tokens, result.usage.output_tokens, result.usage.cache_read,
            result.usage.reasoning) == (10, 20, 4, 6)
    assert (result.id, result.model, result.created) == ("resp_1", "gpt-5", 7)


def test_incomplete_and_failed_responses() -> None:
    cut = {**RESPONSE, "status": "incomplete", "output": RESPONSE["output"][:2],  # type: ignore[index]
           "incomplete_details": {"reason": "max_output_tokens"}}
    assert parse_completion(completion_from_response(cut)).finish_reason == "length"
    failed = {**RESPONSE, "status": "failed", "error": {"code": "server_error", "message": "x"}}
    assert completion_from_response(failed) == {"error": {"code": "server_error", "message": "x"}}
    assert completion_from_response({"choices": []}) == {"choices": []}  # not ours: unchanged


def _events(*payloads: dict) -> list[ServerSentEvent]:  # type: ignore[type-arg]
    return [ServerSentEvent(json.dumps(p), p["type"]) for p in payloads]


def _run(events: list[ServerSentEvent]) -> StreamAccumulator:
    accumulator = StreamAccumulator()
    for event in ResponsesStreamTranslator().translate(events):
        accumulator.feed_event(event.data, event.event)
    return accumulator


STREAM = _events(
    {"type": "response.created", "response": {"id": "resp_1", "status": "in_progress"}},
    {"type": "response.reasoning_summary_text.delta", "output_index": 0, "delta": "Hm."},
    {"type": "response.output_text.delta", "output_index": 1, "delta": "Hel"},
    {"type": "response.output_text.delta", "output_index": 1, "delta": "lo"},
    {"type": "response.output_item.added", "output_index": 2,
     "item": {"type": "function_call", "call_id": "call_1", "name": "f", "arguments": ""}},
    {"type": "response.function_call_arguments.delta", "output_index": 2, "delta": "{\"a\""},
    {"type": "response.function_call_arguments.delta", "output_index": 2, "delta": ":2}"},
    {"type": "response.output_text.done", "output_index": 1, "text": "Hello"},
    {"type": "response.completed", "response": RESPONSE},
)


def test_stream_events_assemble_into_the_same_result() -> None:
    result = _run(STREAM).finish()
    assert (result.text, result.reasoning, result.finish_reason) == ("Hello", "Hm.",
                                                                     "tool_calls")
    assert [(c.id, c.name, c.args) for c in result.tool_calls] == [("call_1", "f", {"a": 2})]
    assert result.usage is not None
    assert result.usage.total_tokens == 30


def test_a_stream_without_completion_keeps_the_partial_text() -> None:
    accumulator = _run(STREAM[:4])
    with pytest.raises(IncompleteStreamError) as caught:
        accumulator.finish()
    assert caught.value.partial_text == "Hello"


def test_error_events_raise_the_gateways_error() -> None:
    events = [*STREAM[:3], *_events({"type": "error", "code": "rate_limit_exceeded",
                                     "message": "slow down"})]
    with pytest.raises(Exception, match="slow down"):
        _run(events)


def test_output_parts_that_are_not_objects_are_skipped_not_crashed_on() -> None:
    response = {"id": "resp_1", "status": "completed", "output": [
        "stray text",
        {"type": "message", "content": "not a list of parts"},
        {"type": "message", "content": [7, {"type": "output_text", "text": "kept"}]},
        {"type": "reasoning", "summary": [None, {"type": "summary_text", "text": "why"}]},
        {"type": "reasoning", "summary": "not a list"},
    ]}
    message = completion_from_response(response)["choices"][0]["message"]
    assert message["content"] == "kept"
    assert message["reasoning_content"] == "why"
