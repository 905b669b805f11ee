"""Image generation and edits over a mocked gateway, and input checks before any request."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway_core.errors import InvalidRequestError, ResponseFormatError, ServerError
from gateway_core.images import parse_image_response
from tests.unit.media_fakes import PNG, PNG_B64, FakeGateway, respond

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "tests" / "fixtures" / "seeds" / "chatfire_gpt_image_1_generation.json"
GEN = ("POST", "/v1/images/generations")
EDIT = ("POST", "/v1/images/edits")


def images_answer(*entries: dict[str, Any]) -> httpx.Response:
    return respond({"created": 1700000000, "data": list(entries)})


def test_seed_gpt_image_1_example_round_trip() -> None:
    """Seed 004: the documented request goes out unchanged; the b64-only answer (with an empty
    url) becomes one PNG item decoded lazily."""
    seed = json.loads(SEED.read_text(encoding="utf-8"))
    request = dict(seed["request"])
    gw = FakeGateway({GEN: [respond(seed["response"])]})
    model, prompt = request.pop("model"), request.pop("prompt")
    result = gw.client.generate_image(prompt, model=model, **request)
    sent = gw.bodies(*GEN)[0]
    assert sent == seed["request"]
    item = result.items[0]
    assert item.url is None
    assert item.has_data
    assert item.mime_type == "image/png"
    assert item.data is not None
    assert item.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert result.urls == []


def test_generation_passes_extra_keys_and_reads_site_fields() -> None:
    gw = FakeGateway({GEN: [images_answer(
        {"url": "https://cdn/1.png", "oss_url": "https://oss/1.png", "revised_prompt": "A fox."},
        {"b64_json": PNG_B64})]})
    result = gw.client.generate_image("a fox", model="flux-kontext-pro", n=2, size="1024×768",
                                      aspect_ratio="4:3", seed=7, negative_prompt="blur",
                                      extra_body={"watermark": False})
    assert gw.bodies(*GEN)[0] == {"model": "flux-kontext-pro", "n": 2, "size": "1024x768",
                                  "aspect_ratio": "4:3", "seed": 7, "negative_prompt": "blur",
                                  "watermark": False, "prompt": "a fox"}
    first, second = result.items
    assert first.best_url == "https://oss/1.png"
    assert first.extra["oss_url"] == "https://oss/1.png"
    assert first.revised_prompt == "A fox."
    assert first.mime_type == "image/png"
    assert second.data == PNG
    assert result.urls == ["https://oss/1.png"]


def test_generation_is_sent_once_even_on_a_retryable_error() -> None:
    gw = FakeGateway({GEN: [respond({"error": {"message": "upstream 502"}}, 502)]},
                     max_retries=3)
    with pytest.raises(ServerError):
        gw.client.generate_image("a", model="gpt-image-1")
    assert gw.count(*GEN) == 1


def test_response_without_images_is_explained() -> None:
    with pytest.raises(ResponseFormatError, match="without any image"):
        parse_image_response({"data": [{"url": "", "revised_prompt": "x"}]})
    with pytest.raises(ResponseFormatError):
        parse_image_response({"created": 1})
    result = parse_image_response({"data": [{"b64_json": PNG_B64}], "output_format": "webp"})
    assert result.items[0].mime_type == "image/webp"  # the gateway's word first


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"prompt": ""}, "empty"),
    ({"prompt": "  "}, "empty"),
    ({"prompt": "x", "n": 0}, "n must"),
    ({"prompt": "x", "n": 1000}, "n must"),
    ({"prompt": "x", "size": "100000x100000"}, "out of range"),
    ({"prompt": "x", "size": "big please"}, "not a size"),
    ({"prompt": "x", "model": ""}, "model"),
])
def test_bad_generation_input_sends_nothing(kwargs: dict[str, Any], match: str) -> None:
    gw = FakeGateway({GEN: [images_answer({"url": "https://cdn/1.png"})]})
    options = dict(kwargs)  # the parametrize dict is shared by every run of this test
    prompt = options.pop("prompt")
    model = options.pop("model", "gpt-image-1")
    with pytest.raises(InvalidRequestError, match=match):
        gw.client.generate_image(prompt, model=model, **options)
    assert gw.requests == []


def _multipart(request: httpx.Request) -> list[tuple[str, str | None, bytes]]:
    """(field name, filename, content) of each part of a multipart body."""
    boundary = request.headers["content-type"].split("boundary=")[1].encode()
    parts = []
    for raw in request.content.split(b"--" + boundary)[1:-1]:
        head, _, content = raw.strip(b"\r\n").partition(b"\r\n\r\n")
        disposition = head.decode().split("\r\n")[0]
        name = disposition.split('name="')[1].split('"')[0]
        filename = disposition.split('filename="')[1].split('"')[0] \
            if "filename=" in disposition else None
        parts.append((name, filename, content))
    return parts


def test_edit_multipart_with_several_images_and_a_mask(tmp_path: Path) -> None:
    first = tmp_path / "first.png"
    first.write_bytes(PNG)
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 64
    gw = FakeGateway({EDIT: [images_answer({"b64_json": PNG_B64})]})
    result = gw.client.edit_image("put them together", [first, jpeg], model="gpt-image-1",
                                  mask=PNG, size="1024x1024", input_fidelity="high")
    assert result.items[0].data == PNG
    parts = _multipart(gw.requests[0])
    fields = {name: content.decode() for name, filename, content in parts if filename is None}
    files = [(name, filename) for name, filename, _ in parts if filename is not None]
    assert fields == {"model": "gpt-image-1", "size": "1024x1024", "input_fidelity": "high",
                      "prompt": "put them together"}
    assert files == [("image[]", "image-1.png"), ("image[]", "image-2.jpg"), ("mask", "mask.png")]
    assert [c for n, f, c in parts if n == "image[]"][0] == PNG


def test_edit_single_image_uses_the_image_field() -> None:
    gw = FakeGateway({EDIT: [images_answer({"url": "https://cdn/e.png"})]})
    gw.client.edit_image("make it red", PNG, model="dall-e-2")
    assert [(n, f) for n, f, _ in _multipart(gw.requests[0]) if f] == [("image", "image-1.png")]


def test_edit_with_urls_goes_as_json_and_json_can_carry_files() -> None:
    gw = FakeGateway({EDIT: [images_answer({"url": "https://cdn/e.png"})]})
    gw.client.edit_image("blend", ["https://x/a.png", "https://x/b.png"], model="seededit")
    assert gw.bodies(*EDIT)[0] == {"model": "seededit", "prompt": "blend",
                                   "images": ["https://x/a.png", "https://x/b.png"]}
    gw.client.edit_image("one", "https://x/a.png", model="seededit")
    assert gw.bodies(*EDIT)[1]["image"] == "https://x/a.png"
    gw.client.edit_image("inline", PNG, model="seededit", edit_format="json")
    assert gw.bodies(*EDIT)[2]["image"] == "data:image/png;base64," + PNG_B64


@pytest.mark.parametrize(("images", "match"), [
    ("/definitely/not/here.png", "does not exist"),
    (b"GIF89", "not a PNG"),
    (b"%PDF-1.7 ...", "not a PNG"),
    (b"", "empty"),
    ([], "at least one"),
    ("ftp://x/a.png", "only http"),
    ("data:image/png,notbase64", "without base64"),
    (12345, "not int"),
])
def test_bad_edit_input_sends_nothing(images: Any, match: str) -> None:
    gw = FakeGateway({EDIT: [images_answer({"url": "https://cdn/e.png"})]})
    with pytest.raises(InvalidRequestError, match=match):
        gw.client.edit_image("x", images, model="gpt-image-1")
    assert gw.requests == []


def test_multipart_refuses_mixed_urls_and_files() -> None:
    gw = FakeGateway({EDIT: [images_answer({"url": "https://cdn/e.png"})]})
    with pytest.raises(InvalidRequestError, match="is a URL"):
        gw.client.edit_image("x", [PNG, "https://x/a.png"], model="gpt-image-1")
    assert gw.requests == []


def test_data_uri_input_is_decoded_and_checked() -> None:
    gw = FakeGateway({EDIT: [images_answer({"url": "https://cdn/e.png"})]})
    uri = "data:image/png;base64," + base64.b64encode(PNG).decode()
    gw.client.edit_image("x", uri, model="gpt-image-1")
    assert [c for n, f, c in _multipart(gw.requests[0]) if n == "image"] == [PNG]


async def test_async_generate_and_edit() -> None:
    gw = FakeGateway({GEN: [images_answer({"url": "https://cdn/1.png"})],
                      EDIT: [images_answer({"b64_json": PNG_B64})]})
    gw.use_async()
    generated = await gw.client.agenerate_image("a", model="dall-e-3", size="1024x1024")
    edited = await gw.client.aedit_image("b", PNG, model="gpt-image-1")
    assert generated.urls == ["https://cdn/1.png"]
    assert edited.items[0].data == PNG
