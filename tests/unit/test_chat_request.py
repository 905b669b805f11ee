"""Request building: per-profile parameters, tools, reasoning round-trip, extra_body, skips."""

from __future__ import annotations

import pytest

from gateway_core.chat import build_request, normalize_tool_choice, prepare_messages
from gateway_core.errors import InvalidRequestError
from gateway_core.profiles import resolve_profile

USER = [{"role": "user", "content": "hi"}]
TOOL = {"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}


def build(model: str = "gpt-4o-mini", **kwargs):  # type: ignore[no-untyped-def]
    return build_request(USER, model=model, profile=resolve_profile(model), **kwargs)


def test_plain_request_keeps_given_params_and_drops_none() -> None:
    body = build(params={"temperature": 0.2, "top_p": None, "seed": 7})
    assert body == {"model": "gpt-4o-mini", "messages": USER, "temperature": 0.2, "seed": 7}


def test_max_tokens_name_follows_the_profile() -> None:
    assert build(params={"max_tokens": 50})["max_tokens"] == 50
    body = build("o3-mini", params={"max_tokens": 50})
    assert body["max_completion_tokens"] == 50
    assert "max_tokens" not in body
    # the caller may use either name; the profile decides what is sent
    assert build(params={"max_completion_tokens": 9})["max_tokens"] == 9


def test_a_refused_token_parameter_is_renamed_not_dropped() -> None:
    body = build(params={"max_tokens": 50}, skip={"max_tokens"})
    assert body["max_completion_tokens"] == 50
    assert "max_tokens" not in body
    assert "max_tokens" not in build(params={"max_tokens": 5},
                                     skip={"max_tokens", "max_completion_tokens"})


def test_stream_asks_for_usage_unless_told_not_to() -> None:
    body = build(stream=True)
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert "stream_options" not in build(stream=True, stream_usage=False)
    assert "stream_options" not in build(stream=True, skip={"stream_options"})


def test_profile_rejected_params_are_left_out() -> None:
    body = build("o3-mini", params={"temperature": 0.5, "top_p": 0.9, "reasoning_effort": "low"})
    assert "temperature" not in body
    assert "top_p" not in body
    assert body["reasoning_effort"] == "low"


def test_non_streaming_params_only_on_plain_calls() -> None:
    assert build("qwen3-32b")["enable_thinking"] is False
    assert "enable_thinking" not in build("qwen3-32b", stream=True)
    assert build("qwen3-32b", params={"enable_thinking": True})["enable_thinking"] is True


def test_extra_body_is_merged_last_then_learned_refusals_removed() -> None:
    body = build(params={"temperature": 1}, extra_body={"temperature": 0.1, "top_k": 5})
    assert body["temperature"] == 0.1
    assert body["top_k"] == 5
    assert "top_k" not in build(extra_body={"top_k": 5}, skip={"top_k"})


def test_tools_choice_and_parallel_calls() -> None:
    body = build(params={"tools": [TOOL], "tool_choice": "any", "parallel_tool_calls": False,
                         "strict": True})
    assert body["tool_choice"] == "required"
    assert body["parallel_tool_calls"] is False
    assert body["tools"][0]["function"]["strict"] is True
    assert "strict" not in TOOL["function"]  # the caller's dict is untouched


def test_tool_choice_and_parallel_calls_never_sent_without_tools() -> None:
    body = build(params={"tool_choice": "required", "parallel_tool_calls": False, "tools": []})
    assert "tool_choice" not in body
    assert "parallel_tool_calls" not in body
    assert "tools" not in body


def test_bare_function_dicts_are_wrapped() -> None:
    body = build(params={"tools": [{"name": "f", "parameters": {"type": "object"}}]})
    assert body["tools"] == [{"type": "function",
                              "function": {"name": "f", "parameters": {"type": "object"}}}]


def test_dropping_strict_removes_it_from_tools_and_response_format() -> None:
    schema = {"type": "json_schema", "json_schema": {"name": "x", "schema": {}, "strict": True}}
    tool = {"type": "function", "function": {"name": "add", "strict": True}}
    body = build(params={"tools": [tool], "response_format": schema}, skip={"strict"})
    assert "strict" not in body["tools"][0]["function"]
    assert "strict" not in body["response_format"]["json_schema"]
    assert tool["function"]["strict"] is True
    assert schema["json_schema"]["strict"] is True


@pytest.mark.parametrize(
    ("choice", "expected"),
    [(None, None), (False, None), (True, "required"), ("any", "required"),
     ("required", "required"), ("auto", "auto"), ("none", "none"),
     ("add", {"type": "function", "function": {"name": "add"}}),
     ({"type": "function", "name": "add"}, {"type": "function", "function": {"name": "add"}}),
     ({"type": "function", "function": {"name": "add"}},
      {"type": "function", "function": {"name": "add"}})],
)
def test_tool_choice_forms(choice: object, expected: object) -> None:
    assert normalize_tool_choice(choice, [TOOL]) == expected


def test_tool_choice_naming_an_unknown_tool_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="add"):
        normalize_tool_choice("sub", [TOOL])


ASSISTANT = {"role": "assistant", "content": None, "reasoning_content": "thought",
             "tool_calls": [{"id": "c1", "type": "function",
                             "function": {"name": "add", "arguments": "{}"}}]}


def test_reasoning_goes_back_only_to_models_that_need_it() -> None:
    history = [*USER, ASSISTANT, {"role": "tool", "tool_call_id": "c1", "content": "3"}]
    sent = prepare_messages(history, resolve_profile("deepseek-reasoner"))
    assert sent[1]["reasoning_content"] == "thought"
    sent = prepare_messages(history, resolve_profile("kimi-k2-thinking"))
    assert sent[1]["reasoning_content"] == "thought"
    sent = prepare_messages(history, resolve_profile("gpt-4o-mini"))
    assert "reasoning_content" not in sent[1]
    assert history[1]["reasoning_content"] == "thought"  # the input is not modified


def test_reasoning_never_goes_back_on_turns_without_tool_calls() -> None:
    plain = {"role": "assistant", "content": "3", "reasoning_content": "1+2"}
    for model in ("deepseek-reasoner", "deepseek-r1", "deepseek-v4-pro", "gpt-4o-mini"):
        sent = prepare_messages([*USER, plain, *USER], resolve_profile(model))
        assert "reasoning_content" not in sent[1], model
    sent = prepare_messages([*USER, ASSISTANT], resolve_profile("deepseek-v4-flash"))
    assert sent[1]["reasoning_content"] == "thought"


def test_roundtrip_models_get_an_empty_reasoning_on_tool_call_turns_without_one() -> None:
    turn = {k: v for k, v in ASSISTANT.items() if k != "reasoning_content"}
    sent = prepare_messages([*USER, turn], resolve_profile("deepseek-reasoner"))
    assert sent[1]["reasoning_content"] == ""


def test_messages_must_be_dicts() -> None:
    with pytest.raises(InvalidRequestError):
        prepare_messages(["hi"], resolve_profile("x"))  # type: ignore[list-item]


def test_local_parameters_are_never_sent() -> None:
    body = build(params={"stream_usage": False, "strict": True, "extra_body": {"a": 1}})
    assert set(body) == {"model", "messages"}
