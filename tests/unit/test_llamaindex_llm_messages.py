"""The LlamaIndex <-> OpenAI-dict converters (pure functions, no requests)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from llama_index.core.base.llms.types import (
    AudioBlock,
    CacheControl,
    CachePoint,
    ChatMessage,
    CitableBlock,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)

from gateway_core.chat.toolmedia import TOOL_MEDIA_NOTE, hoist_tool_media
from gateway_core.chat.types import ChatResult, MediaLink, ToolCall, Usage
from gateway_core.errors import InvalidRequestError
from llamaindex_gateway._messages import (
    chat_response,
    completion_response,
    format_message,
    format_messages,
    result_view,
    stream_response,
    tool_call_kwargs,
)
from tests.unit.chat_streams import chunk, run, sse

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
PDF = b"%PDF-1.4 tiny"
WAV = b"RIFF\x00\x00\x00\x00WAVEfmt " + b"\x00" * 8


def user(*blocks: object) -> ChatMessage:
    return ChatMessage(role=MessageRole.USER, blocks=list(blocks))


def test_text_only_messages_are_plain_strings_in_every_role() -> None:
    messages = [
        ChatMessage(role="system", content="Be brief."),
        ChatMessage(role="developer", content="No emojis."),
        ChatMessage(role="user", content="Hi", additional_kwargs={"name": "ann"}),
        ChatMessage(role="chatbot", content="Hello"),
        ChatMessage(role="model", content="Again"),
        user(TextBlock(text="a"), TextBlock(text="b")),
    ]
    assert format_messages(messages) == [
        {"role": "system", "content": "Be brief."},
        {"role": "developer", "content": "No emojis."},
        {"role": "user", "content": "Hi", "name": "ann"},
        {"role": "assistant", "content": "Hello"},
        {"role": "assistant", "content": "Again"},
        {"role": "user", "content": "a\nb"},
    ]


def test_image_by_url_bytes_and_path(tmp_path: Path) -> None:
    path = tmp_path / "dot.png"
    path.write_bytes(PNG)
    message = user(
        TextBlock(text="What is this?"),
        ImageBlock(url="https://example.com/cat.jpg", detail="low"),
        ImageBlock(image=PNG),
        ImageBlock(path=path),
    )
    content = format_message(message)["content"]
    expected_data = "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert content == [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg",
                                            "detail": "low"}},
        {"type": "image_url", "image_url": {"url": expected_data}},
        {"type": "image_url", "image_url": {"url": expected_data}},
    ]


def test_audio_document_and_video_blocks(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("line one\nline two")
    message = user(
        AudioBlock(audio=WAV, format="wav"),
        AudioBlock(url="https://example.com/a.mp3"),
        DocumentBlock(data=PDF, title="report.pdf"),
        DocumentBlock(url="https://example.com/paper.pdf"),
        DocumentBlock(path=notes, document_mimetype="text/plain"),
        VideoBlock(url="https://example.com/clip.mp4"),
        VideoBlock(video=b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 8),
    )
    content = format_message(message)["content"]
    assert content[0] == {"type": "input_audio", "input_audio": {
        "data": base64.b64encode(WAV).decode(), "format": "wav"}}
    assert content[1] == {"type": "input_audio",
                          "input_audio": {"data": "https://example.com/a.mp3", "format": "mp3"}}
    assert content[2] == {"type": "file", "file": {
        "file_data": "data:application/pdf;base64," + base64.b64encode(PDF).decode(),
        "filename": "report.pdf"}}
    assert content[3]["file"]["file_data"] == "https://example.com/paper.pdf"
    assert content[4] == {"type": "text", "text": "notes.txt:\nline one\nline two"}
    assert content[5] == {"type": "video_url",
                          "video_url": {"url": "https://example.com/clip.mp4"}}
    assert content[6]["video_url"]["url"].startswith("data:video/mp4;base64,")


def test_citable_blocks_send_their_content_and_cache_points_nothing() -> None:
    message = user(
        CitableBlock(title="doc", source="s1", content=[TextBlock(text="quoted")]),
        CachePoint(cache_control=CacheControl(type="ephemeral")),
        TextBlock(text="question"),
    )
    assert format_message(message)["content"] == "quoted\nquestion"


def test_system_messages_keep_their_media() -> None:
    message = ChatMessage(role="system", blocks=[TextBlock(text="Style:"),
                                                 ImageBlock(url="https://example.com/s.png")])
    assert format_message(message)["content"][1]["type"] == "image_url"


def test_assistant_turn_with_thinking_and_tool_calls() -> None:
    message = ChatMessage(role="assistant", blocks=[
        ThinkingBlock(content="I should add."),
        ToolCallBlock(tool_call_id="call_1", tool_name="add", tool_kwargs={"a": 1, "b": 2}),
        ToolCallBlock(tool_call_id="call_2", tool_name="mul", tool_kwargs='{"x": 3}'),
    ])
    assert format_message(message) == {
        "role": "assistant", "content": None,
        "tool_calls": [
            {"id": "call_1", "type": "function",
             "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'}},
            {"id": "call_2", "type": "function",
             "function": {"name": "mul", "arguments": '{"x": 3}'}},
        ],
        "reasoning_content": "I should add.",
    }


def test_legacy_tool_calls_in_additional_kwargs_are_sent() -> None:
    message = ChatMessage(role="assistant", content="", additional_kwargs={"tool_calls": [
        {"id": "c9", "type": "function", "function": {"name": "f", "arguments": {"q": 1}}}]})
    formatted = format_message(message)
    assert formatted["tool_calls"] == [
        {"id": "c9", "type": "function", "function": {"name": "f", "arguments": '{"q": 1}'}}]
    assert formatted["content"] is None


def test_tool_messages_need_their_call_id() -> None:
    ok = ChatMessage(role="tool", content="5", additional_kwargs={"tool_call_id": "call_1"})
    assert format_message(ok) == {"role": "tool", "tool_call_id": "call_1", "content": "5"}
    with pytest.raises(InvalidRequestError, match="tool_call_id"):
        format_message(ChatMessage(role="tool", content="5"))


def test_tool_media_moves_into_a_user_message_after_the_run() -> None:
    messages = [
        ChatMessage(role="user", content="Draw two cats."),
        ChatMessage(role="assistant", blocks=[
            ToolCallBlock(tool_call_id="c1", tool_name="draw", tool_kwargs={}),
            ToolCallBlock(tool_call_id="c2", tool_name="draw", tool_kwargs={})]),
        ChatMessage(role="tool", additional_kwargs={"tool_call_id": "c1"}, blocks=[
            TextBlock(text="image 1"), ImageBlock(url="https://example.com/1.png")]),
        ChatMessage(role="tool", additional_kwargs={"tool_call_id": "c2"},
                    blocks=[TextBlock(text="image 2")]),
    ]
    formatted = format_messages(messages)
    assert [m["role"] for m in formatted] == ["user", "assistant", "tool", "tool", "user"]
    assert formatted[2]["content"] == "image 1"
    assert formatted[4]["content"] == [
        {"type": "text", "text": TOOL_MEDIA_NOTE},
        {"type": "image_url", "image_url": {"url": "https://example.com/1.png"}},
    ]


def test_hoisting_leaves_text_only_histories_alone() -> None:
    messages = [{"role": "tool", "tool_call_id": "a", "content": "x"},
                {"role": "user", "content": "y"}]
    assert hoist_tool_media(messages) == messages


def test_unsupported_role_is_a_clear_error() -> None:
    message = ChatMessage.model_construct(role="narrator", blocks=[TextBlock(text="x")],
                                          additional_kwargs={})
    with pytest.raises(InvalidRequestError, match="role"):
        format_message(message)


# --------------------------------------------------------------------------- in


def result(**changes: object) -> ChatResult:
    values: dict[str, object] = {
        "text": "Hi", "reasoning": "thought", "finish_reason": "stop", "model": "m",
        "id": "chatcmpl-1", "request_id": "req-1",
        "usage": Usage(9, 3, 12, cache_read=2, reasoning=1, raw={"prompt_tokens": 9}),
    }
    values.update(changes)
    return ChatResult(**values)  # type: ignore[arg-type]


def test_chat_response_blocks_usage_and_metadata() -> None:
    response = chat_response(result())
    thinking, text = response.message.blocks
    assert isinstance(thinking, ThinkingBlock)
    assert (thinking.content, thinking.num_tokens) == ("thought", 1)
    assert isinstance(text, TextBlock)
    assert response.message.content == "Hi"
    assert response.additional_kwargs == {
        "model": "m", "id": "chatcmpl-1", "finish_reason": "stop", "request_id": "req-1",
        "prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12, "cached_tokens": 2,
        "reasoning_tokens": 1}
    assert response.raw["usage"] == {"prompt_tokens": 9}


def test_tool_calls_become_blocks_and_openai_dicts() -> None:
    calls = [ToolCall("c1", "add", '{"a": 1}', {"a": 1}, index=0)]
    bad = [ToolCall("c2", "mul", '{"x": ', None, "not JSON", index=1)]
    response = chat_response(result(text="", reasoning="", tool_calls=calls,
                                    invalid_tool_calls=bad))
    blocks = response.message.blocks
    assert [type(b).__name__ for b in blocks] == ["ToolCallBlock", "ToolCallBlock"]
    assert blocks[0].tool_kwargs == {"a": 1}
    assert blocks[1].tool_kwargs == '{"x": '
    assert response.message.content is None
    assert response.message.additional_kwargs["tool_calls"][0]["function"]["name"] == "add"
    assert response.message.additional_kwargs["invalid_tool_calls"][0]["error"] == "not JSON"


def test_media_links_become_image_and_video_blocks() -> None:
    media = [MediaLink("https://cdn.example/a.png", "image"),
             MediaLink("https://cdn.example/b.mp4", "video")]
    blocks = chat_response(result(reasoning="", media=media)).message.blocks
    assert [type(b).__name__ for b in blocks] == ["TextBlock", "ImageBlock", "VideoBlock"]


def test_completion_response_keeps_reasoning() -> None:
    response = completion_response(result())
    assert response.text == "Hi"
    assert response.additional_kwargs["reasoning_content"] == "thought"
    assert response.additional_kwargs["total_tokens"] == 12


def test_stream_responses_carry_the_message_so_far() -> None:
    events = [chunk({"role": "assistant", "reasoning_content": "a"}),
              chunk({"content": "Hel"}),
              chunk({"tool_calls": [{"index": 0, "id": "c1", "function": {
                  "name": "add", "arguments": '{"a": '}}]}),
              chunk({"tool_calls": [{"index": 0, "function": {"arguments": "1}"}}]}, "stop")]
    deltas, accumulator = run([sse(events)])
    responses = []
    replay = type(accumulator)()
    for event in events:
        delta = replay.feed(json.dumps(event))
        if delta is not None:
            responses.append(stream_response(replay, delta))
    assert len(responses) == len(deltas) == 4
    first, second, third, last = responses
    assert first.additional_kwargs == {"thinking_delta": "a"}
    assert first.message.blocks[0].content == "a"
    assert (second.delta, second.message.content) == ("Hel", "Hel")
    assert third.message.blocks[-1].tool_kwargs == '{"a": '
    assert tool_call_kwargs(third.message.blocks[-1].tool_kwargs) == {"a": None}
    assert last.message.additional_kwargs["tool_calls"][0]["function"]["arguments"] == (
        '{"a": 1}')


def test_tool_call_kwargs_tolerates_partial_and_broken_json() -> None:
    assert tool_call_kwargs({"a": 1}) == {"a": 1}
    assert tool_call_kwargs('{"a": 1}') == {"a": 1}
    assert tool_call_kwargs('"{\\"a\\": 1}"') == {"a": 1}  # double-encoded by a relay
    assert set(tool_call_kwargs('{"city": "Par')) == {"city"}  # partial, while streaming
    assert tool_call_kwargs("[1, 2]") == {}
    assert tool_call_kwargs("") == {}


def test_result_view_reads_text_and_tool_calls_back() -> None:
    response = chat_response(result(text="x", reasoning="", tool_calls=[
        ToolCall("c1", "City", '{"name": "Paris"}', {"name": "Paris"})]))
    view = result_view(response)
    assert view.text == "x"
    assert [(c.name, c.args) for c in view.tool_calls] == [("City", {"name": "Paris"})]
    assert view.finish_reason == "stop"
