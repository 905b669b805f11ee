"""Structured output: method choice, request shapes, tolerant parsing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict

from gateway_core.chat import ChatResult, StructuredSpec, parse_json_text, parse_structured
from gateway_core.chat.structured import (
    apply_method,
    candidate_methods,
    make_strict,
    refuses_method,
    strict_compatible,
    structured_target,
)
from gateway_core.chat.types import ToolCall
from gateway_core.errors import InvalidRequestError, ResponseFormatError, error_from_response
from gateway_core.profiles import resolve_profile

SCHEMA = {"title": "Joke", "description": "A joke.", "type": "object",
          "properties": {"setup": {"type": "string"}, "punchline": {"type": "string"}},
          "required": ["setup", "punchline"]}
SPEC = StructuredSpec.from_schema(SCHEMA)
USER = [{"role": "user", "content": "a joke"}]


def test_methods_follow_the_profile_and_skip_refused_ones() -> None:
    assert candidate_methods(resolve_profile("gpt-4o")) == [
        "json_schema", "function_calling", "json_mode", "prompt"]
    assert candidate_methods(resolve_profile("deepseek-chat")) == [
        "function_calling", "json_mode", "prompt"]
    assert candidate_methods(resolve_profile("deepseek-reasoner")) == ["json_mode", "prompt"]
    assert candidate_methods(resolve_profile("gpt-4o"), "function_calling", {"json_schema"}) == [
        "function_calling", "json_mode", "prompt"]
    assert candidate_methods(resolve_profile("gpt-4o"), "json_mode") == [
        "json_mode", "function_calling", "prompt"]
    refused = {"function_calling", "json_mode", "prompt"}
    assert candidate_methods(resolve_profile("x"), None, refused) == ["prompt"]


def test_json_schema_request_strict_only_when_the_schema_allows() -> None:
    params, messages = apply_method("json_schema", SPEC, {"temperature": 0}, USER,
                                    resolve_profile("gpt-4o"))
    response_format = params["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["strict"] is True
    assert response_format["json_schema"]["schema"]["additionalProperties"] is False
    assert response_format["json_schema"]["name"] == "Joke"
    assert messages == USER
    assert params["temperature"] == 0
    loose = StructuredSpec.from_schema({**SCHEMA, "required": ["setup"]})
    params, _ = apply_method("json_schema", loose, {}, USER, resolve_profile("gpt-4o"))
    assert "strict" not in params["response_format"]["json_schema"]


def test_function_calling_forces_the_tool_and_forbids_parallel_calls_where_accepted() -> None:
    params, _ = apply_method("function_calling", SPEC, {"response_format": {"x": 1}}, USER,
                             resolve_profile("gpt-4o"))
    assert params["tools"][0]["function"]["name"] == "Joke"
    assert params["tool_choice"] == {"type": "function", "function": {"name": "Joke"}}
    assert params["parallel_tool_calls"] is False
    assert "response_format" not in params
    params, _ = apply_method("function_calling", SPEC, {}, USER, resolve_profile("o3"))
    assert "parallel_tool_calls" not in params  # o-series refuse the parameter
    params, _ = apply_method("function_calling", SPEC, {}, USER,
                             resolve_profile("deepseek-reasoner"))
    assert "tool_choice" not in params


def test_json_mode_and_prompt_put_the_schema_in_the_prompt() -> None:
    params, messages = apply_method("json_mode", SPEC, {}, USER, resolve_profile("x"))
    assert params["response_format"] == {"type": "json_object"}
    assert messages[0]["role"] == "system"
    assert '"punchline"' in messages[0]["content"]
    system = [{"role": "system", "content": "Be brief."}, *USER]
    params, messages = apply_method("prompt", SPEC, {"tools": [1]}, system, resolve_profile("x"))
    assert "tools" not in params
    assert "response_format" not in params
    assert messages[0]["content"].startswith("Be brief.\n\n")
    assert len(messages) == 2
    assert system[0]["content"] == "Be brief."


def test_spec_validation() -> None:
    with pytest.raises(InvalidRequestError):
        StructuredSpec(schema=None, method="json_schema")
    with pytest.raises(InvalidRequestError):
        StructuredSpec(schema=SCHEMA, method="json_mode", strict=True)
    with pytest.raises(InvalidRequestError):
        StructuredSpec(schema=SCHEMA, method="xml")
    assert StructuredSpec.coerce(SPEC.to_dict()) == SPEC
    assert StructuredSpec.from_schema({"title": "a b/c"}).name == "a_b_c"


def test_strictness_helpers() -> None:
    assert strict_compatible(SCHEMA)
    assert not strict_compatible({"properties": {"a": {"type": "object",
                                                       "properties": {"b": {}}}},
                                  "required": ["a"]})
    nested = make_strict({"type": "object", "properties": {"a": {"type": "object"}}})
    assert nested["additionalProperties"] is False
    assert nested["properties"]["a"]["additionalProperties"] is False


@pytest.mark.parametrize(
    "text",
    [
        '{"setup": "a", "punchline": "b"}',
        '```json\n{"setup": "a", "punchline": "b"}\n```',
        'Sure! Here it is:\n```\n{"setup": "a", "punchline": "b"}\n```\nEnjoy.',
        '<think>\nThe user wants {a joke}.\n</think>\n{"setup": "a", "punchline": "b"}',
        'Reasoning first. {"setup": "a", "punchline": "b"} trailing words',
    ],
)
def test_tolerant_json_parsing(text: str) -> None:
    assert parse_json_text(text) == {"setup": "a", "punchline": "b"}


def test_unparseable_text_is_a_clear_error() -> None:
    with pytest.raises(ResponseFormatError, match="does not contain JSON"):
        parse_json_text("no json at all")


def test_parse_structured_prefers_the_forced_tool_call() -> None:
    call = ToolCall(id="c", name="Joke", arguments='{"setup": "x", "punchline": "y"}',
                    args={"setup": "x", "punchline": "y"})
    assert parse_structured(ChatResult(text="ignored", tool_calls=[call]), SPEC) == call.args
    broken = ToolCall(id="c", name="Joke", arguments='```json\n{"setup": "x"}\n```',
                      error="bad")
    assert parse_structured(ChatResult(invalid_tool_calls=[broken]), SPEC) == {"setup": "x"}
    assert parse_structured(ChatResult(text='{"a": 1}'), SPEC) == {"a": 1}
    with pytest.raises(ResponseFormatError):
        parse_structured(ChatResult(), SPEC)


def _error(message: str, status: int = 400) -> Any:
    body = json.dumps({"error": {"message": message, "type": "invalid_request_error"}}).encode()
    return error_from_response(status, body)


def test_refusals_of_a_method() -> None:
    assert refuses_method(_error("This response_format type is unavailable now"), "json_schema")
    assert refuses_method(_error("json_schema is not supported by this model"), "json_schema")
    assert refuses_method(_error("tool calling is not supported"), "function_calling")
    assert refuses_method(_error("Unknown parameter tool_choice"), "function_calling")
    assert not refuses_method(_error("context too long"), "json_schema")
    assert not refuses_method(_error("response_format not supported", 429), "json_schema")


class Joke(BaseModel):
    setup: str
    punchline: str


class JokeDict(TypedDict):
    setup: str
    punchline: str


def test_structured_targets_for_pydantic_typeddict_and_dicts() -> None:
    spec, validate = structured_target(Joke)
    assert spec.name == "Joke"
    assert validate({"setup": "a", "punchline": "b"}) == Joke(
        setup="a", punchline="b")
    spec, validate = structured_target(JokeDict, method="function_calling")
    assert spec.name == "JokeDict"
    assert spec.method == "function_calling"
    assert validate({"setup": "a", "punchline": "b"}) == {"setup": "a", "punchline": "b"}
    spec, validate = structured_target(SCHEMA)
    assert spec.schema == SCHEMA
    assert validate({"x": 1}) == {"x": 1}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('Use "{" and "]" in strings: {"a": "} ]", "b": [1]}', {"a": "} ]", "b": [1]}),
        ('He said "hi. Answer: {"a": 1}', {"a": 1}),  # a quote that never closes is prose
        ("Fill {name} in. Then: [1, 2]", [1, 2]),
        ("a ] stray closer, then {\"a\": 1}", {"a": 1}),
        ("unclosed { brace, then {\"a\": {\"b\": 2}} done", {"a": {"b": 2}}),
        ('```json\n{"a": 1}\n``` and ```\n[2]\n```', {"a": 1}),
    ],
)
def test_json_found_in_prose(text: str, value: object) -> None:
    assert parse_json_text(text) == value


def test_a_broken_object_never_yields_a_fragment_of_itself() -> None:
    # The inner {"a": 1} is not the answer; a silent partial value would be wrong.
    with pytest.raises(ResponseFormatError, match="does not contain JSON"):
        parse_json_text('{"result": {"a": 1}, }')


def test_deep_nesting_is_a_typed_error() -> None:
    with pytest.raises(ResponseFormatError, match="does not contain JSON"):
        parse_json_text("[" * 1000)
    with pytest.raises(ResponseFormatError, match="nested deeper"):
        parse_json_text("[" * 5000 + "]" * 5000)
