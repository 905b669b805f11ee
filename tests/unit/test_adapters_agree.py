"""Where the two adapters turn the same input into a request, they give the same answer (one
decision, in the core)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from llama_index.core.base.llms.types import AudioBlock, ChatMessage, MessageRole

from gateway_core.chat.parts import audio_url_part
from langchain_gateway._messages import format_messages
from llamaindex_gateway._messages import format_message

AUDIO_URLS = ["https://cdn.example/a.mp3", "https://cdn.example/talk.M4A?sig=x.y",
              "https://cdn.example/stream", "https://cdn.example/v1.2/clip", "https://x/a.ogg#t=3"]


def langchain_part(url: str) -> Any:
    message = HumanMessage(content=[{"type": "audio", "url": url}])
    return format_messages([message])[0]["content"][0]


def llamaindex_part(url: str) -> Any:
    message = ChatMessage(role=MessageRole.USER, blocks=[AudioBlock(url=url)])
    return format_message(message)["content"][0]


@pytest.mark.parametrize("url", AUDIO_URLS)
def test_an_audio_url_becomes_the_same_part_in_both(url: str) -> None:
    assert langchain_part(url) == llamaindex_part(url) == audio_url_part(url)


@pytest.mark.parametrize(("url", "mime", "given", "expected"), [
    ("https://x/a.mp3", None, None, "mp3"),
    ("https://x/a.M4A?sig=1.2", None, None, "m4a"),
    ("https://x/v1.2/clip", None, None, "wav"),  # a dot in a directory is no extension
    ("https://x/clip", "audio/mpeg", None, "mp3"),
    ("https://x/clip.wav", "audio/mpeg", None, "mp3"),  # the MIME type outranks the name
    ("https://x/clip.wav", "audio/mpeg", "flac", "flac"),  # the given format outranks both
])
def test_the_format_of_an_audio_url(url: str, mime: str | None, given: str | None,
                                    expected: str) -> None:
    part = audio_url_part(url, mime_type=mime, audio_format=given)
    assert part == {"type": "input_audio", "input_audio": {"data": url, "format": expected}}


def test_both_adapters_keep_the_core_call_options_out_of_the_request() -> None:
    import langchain_gateway.chat_models as lc
    import llamaindex_gateway.llms as li
    from gateway_core.arguments import CALL_OPTIONS

    assert CALL_OPTIONS <= lc._LOCAL_KWARGS
    assert CALL_OPTIONS <= li._LOCAL_KWARGS
