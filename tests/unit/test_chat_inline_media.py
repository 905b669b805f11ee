"""Chat-format media in every shape the seeds show: data: URIs, Markdown links, and the media
models the seeds name resolving to the right kind and to protocol "chat" under "auto"."""

from __future__ import annotations

import base64

import pytest

from gateway_core.catalog import ModelInfo
from gateway_core.chat.inline_media import extract_inline_images
from gateway_core.chat.media import media_links
from gateway_core.profiles import resolve_profile
from gateway_core.tasks.chat import ChatMedia
from gateway_core.tasks.registry import choose_protocol
from gateway_core.tasks.specs import make_spec

PNG = b"\x89PNG\r\n\x1a\n" + bytes(40)
URI = "data:image/png;base64," + base64.b64encode(PNG).decode()


def test_data_uris_in_markdown_and_bare_are_images() -> None:
    text = f"Here you go:\n\n![image]({URI})\n\nand again {URI} plus data:image/jpeg;base64,xx"
    links = extract_inline_images(text)
    assert [(link.url, link.kind) for link in links] == [(URI, "image")]  # deduplicated
    assert extract_inline_images("no images here") == []
    mixed = media_links(f"![a](https://cdn.example.com/a.png) ![b]({URI})", None)
    assert [link.url for link in mixed] == ["https://cdn.example.com/a.png", URI]


def test_chat_media_turns_a_data_uri_into_bytes() -> None:
    spec = make_spec(kind="image", model="gemini-2.5-flash-image-preview", prompt="a cat")
    snapshot = ChatMedia().finish(f"Done!\n![image]({URI})", "chatcmpl-1", spec)
    assert snapshot.state == "succeeded"
    item = snapshot.items[0]
    assert item.url is None
    assert item.data == PNG
    assert item.mime_type == "image/png"


@pytest.mark.parametrize(("model", "kind"), [
    ("chat-seededit", "image"),
    ("gemini-2.5-flash-image-preview", "image"),
    ("gemini-2.5-flash-image", "image"),
    ("MiniMax-Hailuo-02", "video"),
    ("pixverse-v4.5", "video"),
    ("hunyuan-video", "video"),
    ("doubao-seededit-3-0-i2i-250628", "image"),
    ("gemini-2.5-flash", "chat"),
])
def test_seed_media_models_resolve_to_their_kind(model: str, kind: str) -> None:
    assert resolve_profile(model).kind == kind
    listed = [ModelInfo(id=model, endpoint_types=("openai",))]
    expected = "chat" if kind != "chat" else "newapi-video"
    assert choose_protocol(model, listed, kind) == expected
