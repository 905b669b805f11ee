"""LangChain <-> gateway message converters (langchain_gateway._messages)."""

from __future__ import annotations

import base64

import pytest
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from gateway_core.chat import ChatDelta, ChatResult, MediaLink, ToolCall, Usage
from gateway_core.errors import InvalidRequestError
from langchain_gateway._messages import (
    delta_to_chunk,
    final_chunk,
    format_content,
    format_message,
    format_messages,
    result_to_message,
    usage_metadata,
)

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 16).decode()
PDF = base64.b64encode(b"%PDF-1.4 test").decode()


def test_roles_and_names() -> None:
    messages = [
        SystemMessage("rules"),
        HumanMessage("hi", name="alice"),
        AIMessage("hello"),
        ToolMessage("3", tool_call_id="c1"),
        FunctionMessage("x", name="f"),
        ChatMessage(role="developer", content="dev"),
        SystemMessage("o-series", additional_kwargs={"__openai_role__": "developer"}),
    ]
    assert format_messages(messages) == [
        {"role": "system", "content": "rules"},
        {"role": "user", "content": "hi", "name": "alice"},
        {"role": "assistant", "content": "hello"},
        {"role": "tool", "tool_call_id": "c1", "content": "3"},
        {"role": "function", "name": "f", "content": "x"},
        {"role": "developer", "content": "dev"},
        {"role": "developer", "content": "o-series"},
    ]


def test_assistant_tool_calls_reasoning_and_invalid_calls() -> None:
    message = AIMessage(
        content="",
        additional_kwargs={"reasoning_content": "because"},
        tool_calls=[{"name": "add", "args": {"a": 1}, "id": "c1", "type": "tool_call"}],
        invalid_tool_calls=[{"name": "mul", "args": "{x", "id": "c2", "error": "bad",
                             "type": "invalid_tool_call"}],
    )
    assert format_message(message) == {
        "role": "assistant", "content": None, "reasoning_content": "because",
        "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "add", "arguments": '{"a": 1}'}},
            {"id": "c2", "type": "function", "function": {"name": "mul", "arguments": "{x"}},
        ],
    }


def test_reasoning_from_v1_content_blocks_and_anthropic_tool_use() -> None:
    message = AIMessage(content=[
        {"type": "reasoning", "reasoning": "step 1"},
        {"type": "text", "text": "Let me call."},
        {"type": "tool_use", "id": "t1", "name": "add", "input": {"a": 2}},
    ])
    formatted = format_message(message)
    assert formatted["reasoning_content"] == "step 1"
    assert formatted["content"] == "Let me call."
    assert formatted["tool_calls"][0]["function"] == {"name": "add", "arguments": '{"a": 2}'}


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ({"type": "image", "url": "https://x/a.png"},
         {"type": "image_url", "image_url": {"url": "https://x/a.png"}}),
        ({"type": "image", "base64": PNG, "mime_type": "image/png"},
         {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}),
        ({"type": "image", "source_type": "base64", "data": PNG, "mime_type": "image/png"},
         {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}),
        ({"type": "image", "source_type": "url", "url": "https://x/a.png"},
         {"type": "image_url", "image_url": {"url": "https://x/a.png"}}),
        ({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
         {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}),
        ({"type": "image_url", "image_url": "https://x/a.png"},
         {"type": "image_url", "image_url": {"url": "https://x/a.png"}}),
        ({"type": "image_url", "image_url": {"url": "https://x/a.png", "detail": "low"}},
         {"type": "image_url", "image_url": {"url": "https://x/a.png", "detail": "low"}}),
        ({"type": "file", "base64": PDF, "mime_type": "application/pdf",
          "extras": {"filename": "a.pdf"}},
         {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{PDF}",
                                   "filename": "a.pdf"}}),
        ({"type": "file", "url": "https://x/doc.pdf", "mime_type": "application/pdf"},
         {"type": "file", "file": {"file_data": "https://x/doc.pdf", "filename": "document.pdf"}}),
        ({"type": "file", "file_id": "file-1"}, {"type": "file", "file": {"file_id": "file-1"}}),
        ({"type": "file", "base64": PNG, "mime_type": "image/png"},
         {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}),
        ({"type": "file", "file": {"filename": "a.pdf", "file_data": "data:x"}},
         {"type": "file", "file": {"filename": "a.pdf", "file_data": "data:x"}}),
        ({"type": "audio", "base64": "UklGRg==", "mime_type": "audio/wav"},
         {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}}),
        ({"type": "audio", "base64": "SUQz", "mime_type": "audio/mpeg"},
         {"type": "input_audio", "input_audio": {"data": "SUQz", "format": "mp3"}}),
        ({"type": "input_audio", "input_audio": {"data": "SUQz", "format": "mp3"}},
         {"type": "input_audio", "input_audio": {"data": "SUQz", "format": "mp3"}}),
        ({"type": "video", "url": "https://x/v.mp4"},
         {"type": "video_url", "video_url": {"url": "https://x/v.mp4"}}),
        ({"type": "video_url", "video_url": {"url": "https://x/v.mp4"}},
         {"type": "video_url", "video_url": {"url": "https://x/v.mp4"}}),
    ],
)
def test_content_blocks(block: dict, expected: dict) -> None:
    assert format_content([{"type": "text", "text": "look"}, block]) == [
        {"type": "text", "text": "look"}, expected]


def test_text_only_content_becomes_a_string() -> None:
    assert format_content(["a", {"type": "text", "text": "b"}]) == "a\nb"
    plain = {"type": "text-plain", "text": "notes", "mime_type": "text/plain"}
    assert format_content(["a", plain]) == "a\nnotes"
    assert format_message(AIMessage(content=[{"type": "text", "text": "x", "index": 0},
                                             {"type": "reasoning", "reasoning": "r"}])) == {
        "role": "assistant", "content": "x", "reasoning_content": "r"}


def test_tool_message_list_content_and_error_status() -> None:
    message = ToolMessage(content=[{"type": "text", "text": "a"}, "b"], tool_call_id="c",
                          status="error")
    assert format_message(message) == {"role": "tool", "tool_call_id": "c", "content": "a\nb"}


def test_blocks_without_data_are_refused() -> None:
    with pytest.raises(InvalidRequestError):
        format_content([{"type": "image"}])


# --------------------------------------------------------------------------- in


def test_result_to_message() -> None:
    result = ChatResult(
        text="Hi", reasoning="thought",
        tool_calls=[ToolCall(id="c1", name="add", arguments='{"a":1}', args={"a": 1})],
        invalid_tool_calls=[ToolCall(id="c2", name="mul", arguments="{x", error="not JSON",
                                     index=1)],
        finish_reason="tool_calls", model="gpt-4o-mini", id="chatcmpl-1",
        system_fingerprint="fp", request_id="rid",
        usage=Usage(10, 5, 15, cache_read=4, reasoning=2, raw={"prompt_tokens": 10}),
    )
    message = result_to_message(result, "requested-model")
    assert message.content == "Hi"
    assert message.additional_kwargs == {"reasoning_content": "thought"}
    assert message.tool_calls == [{"name": "add", "args": {"a": 1}, "id": "c1",
                                   "type": "tool_call"}]
    assert message.invalid_tool_calls[0]["args"] == "{x"
    assert message.usage_metadata == {
        "input_tokens": 10, "output_tokens": 5, "total_tokens": 15,
        "input_token_details": {"cache_read": 4}, "output_token_details": {"reasoning": 2}}
    assert message.response_metadata["model_name"] == "gpt-4o-mini"
    assert message.response_metadata["request_id"] == "rid"
    assert message.response_metadata["model_provider"] == "gateway"
    assert [b["type"] for b in message.content_blocks] == ["reasoning", "text", "tool_call"]


def test_media_links_become_content_blocks() -> None:
    result = ChatResult(text="done ![x](https://cdn/x.png)", model="sora-2", media=[
        MediaLink("https://cdn/x.png", "image"), MediaLink("https://cdn/v.mp4", "video"),
        MediaLink("data:image/png;base64,AAA", "image")])
    message = result_to_message(result, "sora-2")
    blocks = message.content_blocks
    assert [b["type"] for b in blocks] == ["text", "image", "video", "image"]
    assert blocks[2]["url"] == "https://cdn/v.mp4"
    assert blocks[3] == {"type": "image", "base64": "AAA", "mime_type": "image/png"}
    assert message.text == "done ![x](https://cdn/x.png)"


def test_stream_chunks_add_up() -> None:
    deltas = [
        ChatDelta(reasoning="r1"), ChatDelta(text="Hel", reasoning="r2"), ChatDelta(text="lo"),
        ChatDelta(tool_calls=[{"index": 0, "id": "c1", "name": "add", "arguments": ""}]),
        ChatDelta(tool_calls=[{"index": 0, "id": None, "name": None, "arguments": '{"a": 1}'}]),
    ]
    result = ChatResult(text="Hello", model="m", finish_reason="tool_calls",
                        usage=Usage(1, 2, 3))
    full = AIMessageChunk(content="")
    for delta in deltas:
        full += delta_to_chunk(delta)
    full += final_chunk(result, "m")
    assert full.content == "Hello"
    assert full.additional_kwargs["reasoning_content"] == "r1r2"
    assert full.tool_calls == [{"name": "add", "args": {"a": 1}, "id": "c1", "type": "tool_call"}]
    assert full.usage_metadata == {"input_tokens": 1, "output_tokens": 2, "total_tokens": 3}
    assert full.response_metadata["finish_reason"] == "tool_calls"
    assert full.chunk_position == "last"


def test_usage_metadata_without_details() -> None:
    assert usage_metadata(Usage(1, 1, 2)) == {"input_tokens": 1, "output_tokens": 1,
                                               "total_tokens": 2}
