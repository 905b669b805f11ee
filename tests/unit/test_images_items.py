"""Media items: lazy base64, MIME sniffing, safe saving with a size cap, guarded downloads."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest

from gateway_core.errors import InvalidRequestError, ResponseFormatError
from gateway_core.media_items import MediaItem, safe_filename, sniff_mime
from tests.unit.media_fakes import MP4, PNG, PNG_B64, FakeGateway


@pytest.mark.parametrize(("data", "mime"), [
    (PNG, "image/png"), (b"\xff\xd8\xff\xe0....", "image/jpeg"), (b"GIF89a....", "image/gif"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"), (MP4, "video/mp4"),
    (b"\x1a\x45\xdf\xa3....", "video/webm"), (b"ID3\x03....", "audio/mpeg"),
    (b"RIFF\x00\x00\x00\x00WAVEfmt ", "audio/wav"), (b"hello", None), (b"", None),
    (b"GIF87a....", "image/gif"), (b"RIFF\x00\x00\x00\x00AVI LIST", None),
    (b"\x00\x00\x00\x1cftypavif", "image/avif"), (b"\x00\x00\x00\x1cftypavis", "image/avif"),
    (b"\x00\x00\x00\x14ftypqt  ", "video/quicktime"),
    (b"\x00\x00\x00\x20ftypM4A ", "audio/mp4"), (b"\x00\x00\x00\x20ftypM4B ", "audio/mp4"),
    (b"\xff\xfb\x90\x00", "audio/mpeg"), (b"\xff\xf3\x90\x00", "audio/mpeg"),
    (b"\xff\xf2\x90\x00", "audio/mpeg"), (b"OggS\x00\x02", "audio/ogg"),
    (b"fLaC\x00\x00", "audio/flac"), (b"BM" + b"\x00" * 30, "image/bmp"), (b"BM short", None),
    (b"  <svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
    (b"<?xml version='1.0'?>\n<!-- a comment -->\n<svg/>", "image/svg+xml"),
    (b"<?xml version='1.0'?><html/>", None),
])
def test_sniff(data: bytes, mime: str | None) -> None:
    assert sniff_mime(data) == mime


def test_base64_is_decoded_lazily_and_once() -> None:
    item = MediaItem("image", b64=PNG_B64)
    assert item.has_data
    assert item._data is None
    assert item.data == PNG
    assert item.mime_type == "image/png"
    assert item.data_uri == "data:image/png;base64," + PNG_B64
    unpadded = MediaItem("image", b64=PNG_B64.rstrip("="))
    assert unpadded.data == PNG
    assert MediaItem("image", b64="data:image/png;base64," + PNG_B64).data == PNG
    with pytest.raises(ResponseFormatError):
        _ = MediaItem("image", b64="!!!not base64!!!").data


def test_mime_from_url_when_only_a_link() -> None:
    item = MediaItem("video", url="https://cdn/x/out.mp4?sig=1")
    assert item.mime_type == "video/mp4"
    assert not item.has_data
    assert "out.mp4" in repr(item)
    assert "b64" not in repr(item)


@pytest.mark.parametrize(("name", "expected"), [
    ("../../etc/passwd", "passwd"), ("..\\..\\win.ini", "win.ini"), ("a b/c?d.png", "c_d.png"),
    ("", "media"), (".hidden", "media.hidden"), ("猫.png", "media.png"),
])
def test_safe_filename(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


def test_save_stays_inside_the_directory(tmp_path: Path) -> None:
    item = MediaItem("image", b64=PNG_B64)
    path = item.save(tmp_path / "out")
    assert path.parent == (tmp_path / "out").resolve()
    assert path.suffix == ".png"
    assert path.read_bytes() == PNG
    assert item.save(tmp_path / "out") == path  # same content, same file
    escaped = item.save(tmp_path / "out", name="../../evil.png")
    assert escaped.parent == (tmp_path / "out").resolve()
    assert escaped.name == "evil.png"
    again = item.save(tmp_path / "out", name="evil.png")
    assert again.name == "evil-1.png"  # never overwrites unless asked
    assert item.save(tmp_path / "out", name="evil.png", overwrite=True).name == "evil.png"
    assert not list((tmp_path / "out").glob(".partial-*"))


def test_save_size_cap_and_link_only_items(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequestError, match="max_bytes"):
        MediaItem("image", data=PNG).save(tmp_path, max_bytes=10)
    assert not list(tmp_path.iterdir())
    with pytest.raises(InvalidRequestError, match="download=True"):
        MediaItem("image", url="https://cdn/a.png").save(tmp_path)


def _cdn(content: bytes, content_type: str) -> FakeGateway:
    def serve(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=content, headers={"content-type": content_type})

    gw = FakeGateway()
    gw.routes[("GET", "/files/a.png")] = serve
    return gw


def test_download_only_when_asked_and_type_checked(tmp_path: Path) -> None:
    gw = _cdn(PNG, "image/png")
    item = MediaItem("image", url="https://gw.example.com/files/a.png")
    path = item.save(tmp_path, download=True, transport=gw.client.transport)
    assert path.read_bytes() == PNG
    assert len(gw.requests) == 1

    html = _cdn(b"<html>expired</html>", "text/html")
    with pytest.raises(ResponseFormatError, match="expired"):
        MediaItem("image", url="https://gw.example.com/files/a.png").fetch(html.client.transport)

    big = _cdn(PNG * 100, "image/png")
    with pytest.raises(InvalidRequestError, match="max_bytes"):
        MediaItem("image", url="https://gw.example.com/files/a.png").fetch(
            big.client.transport, max_bytes=100)

    with pytest.raises(InvalidRequestError, match="http"):
        MediaItem("image", url="file:///etc/passwd").fetch(gw.client.transport)


def test_key_is_sent_only_to_the_gateway_origin() -> None:
    gw = FakeGateway()
    gw.routes[("GET", "/a.png")] = lambda r: httpx.Response(200, content=PNG,
                                                           headers={"content-type": "image/png"})
    MediaItem("image", url="https://cdn.elsewhere.com/a.png").fetch(gw.client.transport)
    assert "authorization" not in gw.requests[-1].headers


async def test_async_fetch_and_save(tmp_path: Path) -> None:
    gw = _cdn(PNG, "image/png")
    gw.use_async()
    item = MediaItem("image", url="https://gw.example.com/files/a.png")
    path = await item.asave(tmp_path, download=True, transport=gw.client.transport)
    assert path.read_bytes() == PNG
    assert item.to_dict()["inline_bytes"] == len(PNG)
    assert item.to_dict(include_data=True)["data_uri"].startswith("data:image/png;base64,")
    assert base64.b64decode(item.to_dict(include_data=True)["data_uri"].split(",")[1]) == PNG
