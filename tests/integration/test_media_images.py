"""Images over loopback against the emulator: generations, edits, b64 / url / oss answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway_core.errors import BadRequestError, InvalidRequestError
from gateway_core.media_items import sniff_mime
from tests.integration.media_support import Creates, media_client

GEN = "/v1/images/generations"


@pytest.fixture
def client(gateway, tmp_path: Path):  # type: ignore[no-untyped-def]
    return media_client(gateway, tmp_path / "tasks.sqlite3")


def test_gpt_image_answers_base64_png(gateway, client) -> None:  # type: ignore[no-untyped-def]
    creates = Creates(gateway, GEN)
    result = client.generate_image("a lighthouse at dusk", model="gpt-image-1",
                                   size="1024x1024", quality="low")
    item = result.items[0]
    assert item.url is None
    assert item.mime_type == "image/png"
    assert sniff_mime(item.data or b"") == "image/png"
    assert result.usage is not None
    assert creates.count == 1


def test_url_answer_downloads_only_when_asked(gateway, client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = client.generate_image("a fox", model="dall-e-3", size="1024x1024", n=1)
    item = result.items[0]
    assert item.url is not None
    assert not item.has_data
    path = item.save(tmp_path / "out", download=True, transport=client.transport)
    assert path.read_bytes().startswith(b"\x89PNG")
    assert path.parent == (tmp_path / "out").resolve()


def test_site_fields_and_extra_keys(gateway, client) -> None:  # type: ignore[no-untyped-def]
    result = client.generate_image("a cat", model="flux-kontext-pro+oss", n=2,
                                   aspect_ratio="16:9", seed=3, negative_prompt="blurry")
    assert len(result.items) == 2
    assert all(item.extra.get("oss_url") for item in result.items)
    assert result.urls == [item.extra["oss_url"] for item in result.items]


def test_b64_only_flag_for_a_url_model(gateway, client) -> None:  # type: ignore[no-untyped-def]
    result = client.generate_image("a cat", model="dall-e-3+b64-only", size="1024x1024")
    assert result.items[0].url is None
    assert result.items[0].mime_type == "image/png"


def test_edit_multipart_several_images_and_mask(gateway, client) -> None:  # type: ignore[no-untyped-def]
    source = client.generate_image("a bowl", model="gpt-image-1").items[0].data
    assert source is not None
    creates = Creates(gateway, "/v1/images/edits")
    result = client.edit_image("put fruit in the bowl", [source, source], model="gpt-image-1",
                               mask=source)
    assert result.items[0].mime_type == "image/png"
    assert creates.count == 1


def test_edit_json_with_urls(gateway, client) -> None:  # type: ignore[no-untyped-def]
    url = client.generate_image("a bowl", model="dall-e-3", size="1024x1024").urls[0]
    result = client.edit_image("make it blue", [url, url], model="seedream-3.0+url-only")
    assert result.urls


def test_gateway_refusal_is_typed(gateway, client) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BadRequestError):
        client.generate_image("a", model="dall-e-3", size="512x512")  # not a dall-e-3 size


def test_bad_input_is_refused_before_sending(gateway, client) -> None:  # type: ignore[no-untyped-def]
    creates = Creates(gateway, "/v1/images/edits")
    with pytest.raises(InvalidRequestError):
        client.edit_image("x", "/no/such.png", model="gpt-image-1")
    with pytest.raises(InvalidRequestError):
        client.edit_image("x", b"not an image", model="gpt-image-1")
    assert creates.count == 0


async def test_async_generation(gateway, client) -> None:  # type: ignore[no-untyped-def]
    result = await client.agenerate_image("async fox", model="gpt-image-1")
    assert result.items[0].mime_type == "image/png"


def test_the_emulator_answers_seed_000s_chat_seededit_request_verbatim(gateway: Any) -> None:
    # seeds/000 sends this exact request to /v1/chat/completions; the answer links the edited
    # image, which the package reads as an image (protocol "auto" resolves to chat).
    import json

    from gateway_core import GatewayClient

    if gateway.live:
        pytest.skip("drives the emulator")
    seed = Path(__file__).resolve().parents[1] / "fixtures" / "seeds"
    text = (seed / "chatfire_seededit_stream.sse").read_text("utf-8")
    assert "chat-seededit" in text
    client = GatewayClient(**gateway.settings())
    client.configure_tasks(journal=False)
    prompt = "https://oss.ffire.cc/files/kling_watermark.png 衣服换成红色,并且带上墨镜🕶"
    result = client.generate_image(prompt, model="chat-seededit")
    assert result.items
    assert result.items[0].kind == "image"
    assert json.dumps([item.url for item in result.items]).count(".png") >= 1
