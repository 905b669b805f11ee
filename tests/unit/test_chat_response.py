"""Parsing non-streamed completions and usage."""

from __future__ import annotations

from typing import Any

import pytest

from gateway_core.chat import parse_choices, parse_completion, parse_usage
from gateway_core.errors import ResponseFormatError


def completion(message: dict[str, Any], finish: str = "stop", **extra: Any) -> dict[str, Any]:
    return {"id": "chatcmpl-9", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", **message},
                         "finish_reason": finish}], **extra}


def test_text_metadata_and_request_id() -> None:
    body = completion({"content": "Hello"}, system_fingerprint="fp", service_tier="default",
                      usage={"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5})
    result = parse_completion(body, request_id="rid")
    assert (result.text, result.finish_reason, result.model, result.id) == (
        "Hello", "stop", "m", "chatcmpl-9")
    assert result.metadata() == {"model": "m", "id": "chatcmpl-9", "created": 1,
                                 "finish_reason": "stop", "system_fingerprint": "fp",
                                 "service_tier": "default", "request_id": "rid"}
    assert result.usage is not None
    assert result.usage.total_tokens == 5
    assert result.raw == body


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_reasoning_fields(field: str) -> None:
    result = parse_completion(completion({"content": "4", field: "2+2"}))
    assert (result.text, result.reasoning) == ("4", "2+2")


def test_reasoning_in_think_tags() -> None:
    result = parse_completion(completion({"content": "<think>\nadd them\n</think>\n\n4"}))
    assert (result.text, result.reasoning) == ("4", "add them")


def test_valid_and_invalid_tool_calls() -> None:
    calls = [
        {"id": "a", "type": "function", "function": {"name": "add", "arguments": '{"x": 1}'}},
        {"id": "b", "type": "function", "function": {"name": "mul", "arguments": "{x: 1"}},
        {"id": "c", "type": "function", "function": {"name": "obj", "arguments": {"y": 2}}},
        {"id": "d", "type": "function", "function": {"name": "none", "arguments": ""}},
        {"id": "e", "type": "function", "function": {"name": "twice",
                                                      "arguments": '"{\\"z\\": 3}"'}},
        {"id": "f", "type": "function", "function": {"name": "list", "arguments": "[1]"}},
    ]
    result = parse_completion(completion({"content": None, "tool_calls": calls}, "tool_calls"))
    assert [(c.id, c.args) for c in result.tool_calls] == [
        ("a", {"x": 1}), ("c", {"y": 2}), ("d", {}), ("e", {"z": 3})]
    assert [(c.id, c.arguments) for c in result.invalid_tool_calls] == [
        ("b", "{x: 1"), ("f", "[1]")]
    assert all(c.error for c in result.invalid_tool_calls)
    assert [c.id for c in result.all_tool_calls] == ["a", "b", "c", "d", "e", "f"]
    assert result.text == ""


def test_missing_tool_call_id_gets_one() -> None:
    calls = [{"type": "function", "function": {"name": "add", "arguments": "{}"}}]
    result = parse_completion(completion({"tool_calls": calls}, "tool_calls"))
    assert result.tool_calls[0].id.startswith("call_")


def test_legacy_function_call() -> None:
    result = parse_completion(completion({"function_call": {"name": "f", "arguments": "{}"}}))
    assert result.tool_calls[0].name == "f"


def test_content_as_parts_and_images() -> None:
    result = parse_completion(completion({
        "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
        "images": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAA"}}],
    }))
    assert result.text == "ab"
    assert [(m.kind, m.url) for m in result.media] == [("image", "data:image/png;base64,AAA")]


def test_media_links_in_chat_format_answers() -> None:
    text = "> ID: task_1\n生成完成 ✅\n[点击这里](https://cdn.example.com/v/abc)"
    result = parse_completion(completion({"content": text}), media_kind="video")
    assert [(m.kind, m.url) for m in result.media] == [("video", "https://cdn.example.com/v/abc")]
    assert parse_completion(completion({"content": text})).media == []


def test_several_choices_in_index_order() -> None:
    body = {"model": "m", "choices": [
        {"index": 1, "message": {"content": "b"}, "finish_reason": "stop"},
        {"index": 0, "message": {"content": "a"}, "finish_reason": "stop"}]}
    assert [r.text for r in parse_choices(body)] == ["a", "b"]
    assert parse_completion(body).text == "a"


@pytest.mark.parametrize("body", [{"id": "x"}, {"choices": None}, {"choices": []}, []])
def test_bodies_without_choices_are_reported(body: Any) -> None:
    with pytest.raises(ResponseFormatError):
        parse_completion(body, request_id="r")


def test_to_message_and_to_dict_round_trip() -> None:
    calls = [{"id": "a", "type": "function", "function": {"name": "add", "arguments": "{}"}}]
    result = parse_completion(completion({"content": "", "reasoning_content": "r",
                                          "tool_calls": calls}, "tool_calls"))
    message = result.to_message()
    assert message == {"role": "assistant", "content": None, "reasoning_content": "r",
                       "tool_calls": calls}
    result.raw = None
    assert result.to_dict()["choices"][0]["message"] == message


# --------------------------------------------------------------------------- usage


def test_usage_openai_details() -> None:
    usage = parse_usage({"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150,
                         "prompt_tokens_details": {"cached_tokens": 40, "audio_tokens": 0},
                         "completion_tokens_details": {"reasoning_tokens": 30}})
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (100, 50, 150)
    assert (usage.cache_read, usage.reasoning, usage.audio_input) == (40, 30, 0)


def test_usage_deepseek_anthropic_and_openrouter_shapes() -> None:
    deepseek = parse_usage({"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15,
                            "prompt_cache_hit_tokens": 6, "prompt_cache_miss_tokens": 4})
    assert deepseek is not None
    assert deepseek.cache_read == 6
    anthropic = parse_usage({"prompt_tokens": 10, "completion_tokens": 5,
                             "cache_read_input_tokens": 3, "cache_creation_input_tokens": 2})
    assert anthropic is not None
    assert (anthropic.cache_read, anthropic.cache_creation, anthropic.total_tokens) == (3, 2, 15)
    openrouter = parse_usage({"prompt_tokens": 10.0, "completion_tokens": 5.0, "cost": 0.1,
                              "prompt_tokens_details": {"cache_write_tokens": 7}})
    assert openrouter is not None
    assert (openrouter.input_tokens, openrouter.cache_creation) == (10, 7)
    assert openrouter.raw["cost"] == 0.1


def test_usage_details_never_exceed_their_totals() -> None:
    usage = parse_usage({"prompt_tokens": 5, "completion_tokens": 2,
                         "completion_tokens_details": {"reasoning_tokens": 9}})
    assert usage is not None
    assert usage.reasoning == 2


@pytest.mark.parametrize("raw", [None, {}, [], "x"])
def test_no_usage(raw: Any) -> None:
    assert parse_usage(raw) is None
