"""Every input kind, in each framework's own block types, reaches the gateway as a well-formed
OpenAI content part (the emulator refuses malformed parts with a 400, as relays do)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from llama_index.core.base.llms.types import VideoBlock
from llama_index.core.llms import AudioBlock, ChatMessage, DocumentBlock, ImageBlock, TextBlock

from langchain_gateway import ChatGateway
from llamaindex_gateway import GatewayLLM

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "standard"
MODEL = "gemini-2.5-flash"  # its profile takes images, audio, PDF and video
EXPECTED = "(received 2 image_url, 1 input_audio, 1 file, 1 video_url)"


def b64(name: str) -> str:
    return base64.b64encode((FIXTURES / name).read_bytes()).decode()


def langchain_message() -> HumanMessage:
    return HumanMessage(content=[
        {"type": "text", "text": "describe"},
        {"type": "image", "base64": b64("image.png"), "mime_type": "image/png"},
        {"type": "image", "url": "https://example.com/a.png"},
        {"type": "audio", "base64": b64("audio.wav"), "mime_type": "audio/wav"},
        {"type": "file", "base64": b64("document.pdf"), "mime_type": "application/pdf",
         "filename": "d.pdf"},
        {"type": "video_url", "video_url": {"url": "https://example.com/v.mp4"}},
    ])


def llamaindex_message() -> ChatMessage:
    return ChatMessage(role="user", blocks=[
        TextBlock(text="describe"), ImageBlock(path=FIXTURES / "image.png"),
        ImageBlock(url="https://example.com/a.png"), AudioBlock(path=FIXTURES / "audio.wav"),
        DocumentBlock(path=FIXTURES / "document.pdf"), VideoBlock(url="https://example.com/v.mp4"),
    ])


@pytest.fixture
def emulator_only(gateway: Any) -> Any:
    if gateway.live:
        pytest.skip("counts parts with the emulator's acknowledgement")
    return gateway


def test_langchain_blocks_of_every_kind(emulator_only: Any) -> None:
    llm = ChatGateway(model=MODEL, **emulator_only.settings())
    assert llm.invoke([langchain_message()]).content.endswith(EXPECTED)


async def test_langchain_blocks_of_every_kind_async_stream(emulator_only: Any) -> None:
    llm = ChatGateway(model=MODEL, **emulator_only.settings())
    text = "".join([str(c.content) async for c in llm.astream([langchain_message()])])
    assert text.endswith(EXPECTED)


def test_llamaindex_blocks_of_every_kind(emulator_only: Any) -> None:
    llm = GatewayLLM(model=MODEL, **emulator_only.settings())
    assert (llm.chat([llamaindex_message()]).message.content or "").endswith(EXPECTED)


async def test_llamaindex_blocks_of_every_kind_async(emulator_only: Any) -> None:
    llm = GatewayLLM(model=MODEL, **emulator_only.settings())
    response = await llm.achat([llamaindex_message()])
    assert (response.message.content or "").endswith(EXPECTED)
