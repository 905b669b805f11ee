"""The emulator's media side (gateway_emulator/media), driven in-process.

The routes run on a bare Starlette app with a stand-in for ``app.state.emulator`` whose clock the
tests move by hand, so every stage of every protocol is checked without waiting. One test at the
end goes through the lead's full app (auth, request log, chat route) to check the wiring.
These tests use raw HTTP shapes only: they pin the server side down, independently of the client.
"""

from __future__ import annotations

import base64
import json
import re
import struct
import subprocess
import sys
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from gateway_emulator.media import media_routes
from gateway_emulator.media.chat_media import chat_media_answer, chat_media_response
from gateway_emulator.media.files import mp3_bytes, mp4_bytes, png_bytes
from gateway_emulator.models import split_model

SCALE = 0.02
DURATION = 5.0 * SCALE
TASK_ID = re.compile(r"^task_[A-Za-z0-9]{32}$")


class FakeEmulator:
    """What the media routes read from ``app.state.emulator``: a clock and the time scale."""

    def __init__(self, time_scale: float = SCALE) -> None:
        self.time_scale = time_scale
        self.t = 1000.0

    def clock(self) -> float:
        return self.t


class Harness:
    def __init__(self, client: TestClient, emulator: FakeEmulator) -> None:
        self.client = client
        self.emulator = emulator
        self.t0 = emulator.t

    def mark(self) -> None:
        """Tasks created after this start at fraction 0."""
        self.t0 = self.emulator.t

    def at(self, fraction: float) -> None:
        """Move the clock to ``fraction`` of a normal task's duration since :meth:`mark`."""
        self.emulator.t = self.t0 + fraction * DURATION

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self.client.post(url, **kwargs)


async def _chat(request: Request) -> Response:
    body = await request.json()
    return chat_media_response(request, body, split_model(body["model"]))


def _app(emulator: FakeEmulator) -> Starlette:
    app = Starlette(routes=[*media_routes(), Route("/v1/chat/completions", _chat,
                                                   methods=["POST"])])
    app.state.emulator = emulator
    return app


@pytest.fixture
def h() -> Iterator[Harness]:
    emulator = FakeEmulator()
    with TestClient(_app(emulator)) as client:
        yield Harness(client, emulator)


# ---------------------------------------------------------------- file checks


def png_size(data: bytes) -> tuple[int, int]:
    """Validate a PNG fully (signature, chunk CRCs, pixel data length) and return its size."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, idat = 8, [], b""
    width = height = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + body)
        chunks.append(kind)
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert (depth, colour) == (8, 2)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert chunks[0] == b"IHDR"
    assert chunks[-1] == b"IEND"
    assert len(zlib.decompress(idat)) == height * (1 + 3 * width)
    return width, height


def mp4_boxes(data: bytes) -> list[tuple[bytes, bytes]]:
    boxes, pos = [], 0
    while pos < len(data):
        (size,) = struct.unpack(">I", data[pos:pos + 4])
        assert size >= 8
        boxes.append((data[pos + 4:pos + 8], data[pos + 8:pos + size]))
        pos += size
    assert pos == len(data)
    return boxes


def test_png_is_valid_and_capped() -> None:
    assert png_size(png_bytes(300, 200, "abcdef123456")) == (300, 200)
    assert png_size(png_bytes(2048, 1024, "abcdef123456", grid=True)) == (512, 256)
    assert png_bytes(8, 8, "aaaaaaaaaaaa") != png_bytes(8, 8, "bbbbbbbbbbbb")


def test_mp4_is_a_small_h264_file() -> None:
    data = mp4_bytes()
    assert data[4:8] == b"ftyp"
    assert 1000 < len(data) < 20_000
    boxes = dict(mp4_boxes(data))
    assert list(boxes) == [b"ftyp", b"moov", b"mdat"]
    moov = boxes[b"moov"]
    assert b"avcC" in moov
    assert b"stsz" in moov
    assert b"vide" in moov
    stsz = moov[moov.index(b"stsz") + 4:]
    sample_count = struct.unpack(">I", stsz[8:12])[0]
    (first,) = struct.unpack(">I", stsz[12:16])
    assert sample_count == 8
    mdat = boxes[b"mdat"]
    assert struct.unpack(">I", mdat[:4])[0] + 4 == first  # sample = length prefix + NAL unit
    assert mdat[4] & 0x1F == 5  # the first sample is an IDR slice
    (offset,) = struct.unpack(">I", moov[moov.index(b"stco") + 12:][:4])
    assert data[offset + 4] == mdat[4]  # the chunk offset points at the first sample


def test_mp3_frames() -> None:
    data = mp3_bytes()
    assert data[:2] == b"\xff\xfb"
    assert len(data) % 417 == 0


def test_file_routes(h: Harness) -> None:
    r = h.get("/files/images/0123456789ab-0-64x32.png")
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/png"
    assert png_size(r.content) == (64, 32)
    assert h.get("/files/images/../../etc.png").status_code == 404
    assert h.get("/files/images/zz-64x32.png").status_code == 404
    video = h.get("/files/videos/anything.mp4")
    assert video.headers["content-type"] == "video/mp4"
    assert video.content == mp4_bytes()
    assert h.get("/files/audio/clip-1.mp3").content == mp3_bytes()


# ---------------------------------------------------------------- images (§9)


def test_gpt_image_answers_b64_only(h: Harness) -> None:
    r = h.post("/v1/images/generations", json={
        "model": "gpt-image-1", "prompt": "a red fox", "size": "1024x1536",
        "response_format": "url", "seed": 7, "aspect_ratio": "2:3", "negative_prompt": "blur"})
    assert r.status_code == 200
    body = r.json()
    assert isinstance(body["created"], int)
    [item] = body["data"]
    assert "url" not in item
    assert item["revised_prompt"] == "a red fox"
    assert png_size(base64.b64decode(item["b64_json"])) == (341, 512)


def test_dalle_answers_url_and_honours_response_format(h: Harness) -> None:
    r = h.post("/v1/images/generations", json={"model": "dall-e-3", "prompt": "a cat",
                                               "size": "1792x1024"})
    [item] = r.json()["data"]
    assert "b64_json" not in item
    assert item["url"].startswith("http://testserver/files/images/")
    assert png_size(h.get(item["url"]).content) == (512, 293)
    r = h.post("/v1/images/generations", json={"model": "flux-kontext-pro", "prompt": "a cat",
                                               "n": 3, "response_format": "b64_json"})
    data = r.json()["data"]
    assert len(data) == 3
    assert all("url" not in d and d["b64_json"] for d in data)
    assert len({d["b64_json"] for d in data}) == 3  # each image of n differs


def test_image_flags(h: Harness) -> None:
    url_only = h.post("/v1/images/generations",
                      json={"model": "gpt-image-1+url-only", "prompt": "x"}).json()["data"][0]
    assert url_only.keys() == {"url", "revised_prompt"}
    b64 = h.post("/v1/images/generations", json={"model": "dall-e-3", "prompt": "x"},
                 headers={"X-Emulator-Task": "b64-only, oss"}).json()["data"][0]
    assert b64.keys() == {"b64_json", "oss_url", "revised_prompt"}
    assert png_size(h.get(b64["oss_url"]).content) == (512, 512)


@pytest.mark.parametrize(("body", "status", "text"), [
    ({"prompt": "x"}, 400, "model is required"),
    ({"model": "gpt-image-1"}, 400, "prompt is required"),
    ({"model": "gpt-image-1", "prompt": "x", "size": "1024×1024"}, 400, "ASCII 'x'"),
    ({"model": "dall-e-3", "prompt": "x", "size": "512x512"}, 400, "not supported"),
    ({"model": "gpt-image-1", "prompt": "x", "n": 0}, 400, "between 1 and 128"),
    ({"model": "gpt-image-1", "prompt": "x", "n": 129}, 400, "between 1 and 128"),
    ({"model": "no-such-image-model", "prompt": "x"}, 503, "无可用渠道"),
])
def test_image_validation(h: Harness, body: dict[str, Any], status: int, text: str) -> None:
    r = h.post("/v1/images/generations", json=body)
    assert r.status_code == status
    assert text in r.json()["error"]["message"]


def test_image_edits_multipart(h: Harness) -> None:
    png = png_bytes(16, 16, "0123456789ab")
    files = [("image[]", ("a.png", png, "image/png")),
             ("image[]", ("b.jpg", b"\xff\xd8\xff\xe0" + bytes(20), "image/jpeg")),
             ("mask", ("m.png", png, "image/png"))]
    r = h.post("/v1/images/edits", files=files,
               data={"model": "gpt-image-1", "prompt": "add a hat", "size": "256x256"})
    assert r.status_code == 200, r.text
    assert png_size(base64.b64decode(r.json()["data"][0]["b64_json"])) == (256, 256)
    single = h.post("/v1/images/edits", files=[("image", ("a.png", png, "image/png"))],
                    data={"model": "dall-e-3", "prompt": "x"})
    assert single.status_code == 200
    assert "url" in single.json()["data"][0]


@pytest.mark.parametrize(("files", "text"), [
    ([("image[]", ("a.txt", b"not an image at all", "image/png"))], "is not a PNG"),
    ([("image", ("a.png", b"\x89PNG\r\n\x1a\n", "image/png")),
      ("mask", ("m.bin", b"garbage", "application/octet-stream"))], "mask part"),
    ([("other", ("a.png", b"\x89PNG\r\n\x1a\n", "image/png"))], "image is required"),
])
def test_image_edits_refuse_bad_uploads(h: Harness, files: list[Any], text: str) -> None:
    r = h.post("/v1/images/edits", files=files, data={"model": "gpt-image-1", "prompt": "x"})
    assert r.status_code == 400
    assert text in r.json()["error"]["message"]


def test_image_edits_json(h: Harness) -> None:
    ok = h.post("/v1/images/edits", json={
        "model": "flux-kontext-pro", "prompt": "x",
        "images": ["https://example.com/a.png", "data:image/png;base64,iVBORw0KGgo="]})
    assert ok.status_code == 200
    assert ok.json()["data"][0]["url"]
    assert h.post("/v1/images/edits", json={"model": "flux-kontext-pro", "prompt": "x"}
                  ).status_code == 400
    bad = h.post("/v1/images/edits", json={"model": "flux-kontext-pro", "prompt": "x",
                                           "image": "file:///etc/passwd"})
    assert bad.status_code == 400


# ---------------------------------------------------------------- /v1/videos (§12.2)


def test_openai_videos_lifecycle(h: Harness) -> None:
    h.mark()
    r = h.post("/v1/videos", data={"model": "sora-2", "prompt": "waves", "seconds": "8",
                                   "size": "1280x720"},
               files=[("input_reference", ("ref.png", png_bytes(8, 8, "0" * 12), "image/png"))])
    assert r.status_code == 200, r.text
    video = r.json()
    assert TASK_ID.match(video["id"])
    assert video["task_id"] == video["id"]
    assert (video["object"], video["status"], video["progress"]) == ("video", "queued", 0)
    assert (video["seconds"], video["size"], video["model"]) == ("8", "1280x720", "sora-2")
    assert json.loads(r.headers["x-new-api-other-ratios"]) == {"seconds": 8}
    task = video["id"]
    seen = []
    for fraction in (0.0, 0.15, 0.3, 0.5, 0.7, 0.9):
        h.at(fraction)
        polled = h.get(f"/v1/videos/{task}").json()
        seen.append((polled["status"], polled["progress"]))
    assert seen == [("unknown", 0), ("queued", 10), ("queued", 20), ("in_progress", 30),
                    ("in_progress", 60), ("in_progress", 90)]
    early = h.get(f"/v1/videos/{task}/content")
    assert early.status_code == 400
    assert early.json()["error"]["message"].startswith(
        "Task is not completed yet, current status: IN_PROGRESS")
    h.at(1.01)
    done = h.get(f"/v1/videos/{task}").json()
    assert (done["status"], done["progress"]) == ("completed", 100)
    assert done["completed_at"] >= done["created_at"]
    assert "metadata" not in done
    content = h.get(f"/v1/videos/{task}/content")
    assert content.headers["content-type"] == "video/mp4"
    assert content.content[4:8] == b"ftyp"
    thumb = h.get(f"/v1/videos/{task}/content", params={"variant": "thumbnail"})
    assert thumb.headers["content-type"] == "image/png"
    as_json = h.get(f"/v1/videos/{task}/content", headers={"X-Emulator-Task": "content-json"})
    assert h.get(as_json.json()["url"]).content == mp4_bytes()


def test_openai_videos_legacy_id(h: Harness) -> None:
    legacy = h.post("/v1/videos", json={"model": "sora-2+legacy", "prompt": "x"}).json()
    assert re.match(r"^video_[0-9a-f]{32}$", legacy["id"])
    assert h.get(f"/v1/videos/{legacy['id']}").status_code == 200


def test_openai_videos_json_body_and_metadata_url(h: Harness) -> None:
    h.mark()
    r = h.post("/v1/videos", json={"model": "kling-v2-1", "prompt": "a dog", "seconds": 5})
    task = r.json()["id"]
    h.at(1.5)
    done = h.get(f"/v1/videos/{task}").json()
    assert done["status"] == "completed"
    assert h.get(done["metadata"]["url"]).content[4:8] == b"ftyp"


@pytest.mark.parametrize(("body", "code"), [
    ({"model": "sora-2"}, "invalid_request"),
    ({"model": "sora-2", "prompt": "   "}, "invalid_request"),
    ({"prompt": "x"}, "missing_model"),
    ({"model": "sora-2", "prompt": "x", "size": "1792x1024"}, "invalid_size"),
    ({"model": "sora-2", "prompt": "x", "seconds": "abc"}, "invalid_seconds"),
    ({"model": "sora-2", "prompt": "x", "seconds": "3601"}, "invalid_seconds"),
    ({"model": "sora-2", "prompt": "x", "seconds": -1}, "invalid_seconds"),
])
def test_video_validation(h: Harness, body: dict[str, Any], code: str) -> None:
    for path in ("/v1/videos", "/v1/video/generations"):
        r = h.post(path, json=body)
        assert r.status_code == 400
        assert r.json()["code"] == code
        assert r.json()["data"] is None


def test_video_validation_accepts_pro_sizes_and_refuses_other_bodies(h: Harness) -> None:
    ok = h.post("/v1/videos", json={"model": "sora-2-pro", "prompt": "x", "size": "1792x1024"})
    assert ok.status_code == 200
    text = h.post("/v1/videos", content=b"model=sora-2", headers={"Content-Type": "text/plain"})
    assert text.json()["code"] == "missing_model"  # unknown content types parse as empty
    broken = h.post("/v1/videos", content=b"{", headers={"Content-Type": "application/json"})
    assert broken.json()["code"] == "invalid_json"


def test_unknown_video_ids(h: Harness) -> None:
    for path in ("/v1/videos/task_nope", "/v1/video/generations/task_nope",
                 "/kling/v1/videos/text2video/task_nope"):
        r = h.get(path)
        assert r.status_code == 400
        assert r.json()["code"] == "task_not_exist"
    missing = h.get("/v1/videos/task_nope/content")
    assert missing.status_code == 404
    assert missing.json()["error"]["message"].startswith("Task not found")


def test_video_fail_flag(h: Harness) -> None:
    h.mark()
    task = h.post("/v1/videos", json={"model": "sora-2+fail", "prompt": "x"}).json()["id"]
    h.at(2)
    failed = h.get(f"/v1/videos/{task}").json()
    assert failed["status"] == "failed"
    assert failed["error"]["message"]
    content = h.get(f"/v1/videos/{task}/content")
    assert "current status: FAILURE" in content.json()["error"]["message"]


def test_video_stuck_slow_and_unknown_status(h: Harness) -> None:
    h.mark()
    stuck = h.post("/v1/videos", json={"model": "sora-2", "prompt": "x"},
                   headers={"X-Emulator-Task": "stuck"}).json()["id"]
    slow = h.post("/v1/videos", json={"model": "sora-2+slow", "prompt": "x"}).json()["id"]
    odd = h.post("/v1/videos", json={"model": "sora-2+unknown-status", "prompt": "x"}).json()["id"]
    h.at(0.3)
    assert h.get(f"/v1/videos/{odd}").json()["status"] == "warming_up"
    h.at(2)
    assert h.get(f"/v1/videos/{odd}").json()["status"] == "completed"
    assert h.get(f"/v1/videos/{slow}").json()["status"] == "queued"
    h.at(10.5)
    assert h.get(f"/v1/videos/{slow}").json()["status"] == "completed"
    h.at(10_000)
    assert h.get(f"/v1/videos/{stuck}").json()["status"] == "in_progress"


def test_remix(h: Harness) -> None:
    h.mark()
    origin = h.post("/v1/videos", json={"model": "sora-2", "prompt": "x"}).json()["id"]
    remix = h.post(f"/v1/videos/{origin}/remix", json={"prompt": "make it blue"})
    assert remix.status_code == 200
    assert remix.json()["id"] != origin
    assert h.post(f"/v1/videos/{origin}/remix", json={}).json()["code"] == "invalid_request"
    assert h.post("/v1/videos/task_nope/remix", json={"prompt": "x"}).status_code == 400


# ---------------------------------------------------------------- /v1/video/generations (§12.3)


def test_generic_shape1_lifecycle(h: Harness) -> None:
    h.mark()
    created = h.post("/v1/video/generations",
                     json={"model": "kling-v2-1", "prompt": "x", "duration": 5,
                           "metadata": {"negative_prompt": "blur", "cfg_scale": 0.5}}).json()
    assert created["object"] == "video"
    assert created["status"] == "queued"
    task = created["id"]
    statuses = []
    for fraction in (0, 0.15, 0.3, 0.5, 1.2):
        h.at(fraction)
        body = h.get(f"/v1/video/generations/{task}").json()
        assert body["code"] == "success"
        statuses.append((body["data"]["status"], body["data"]["progress"]))
    assert statuses == [("NOT_START", "0%"), ("SUBMITTED", "10%"), ("QUEUED", "20%"),
                        ("IN_PROGRESS", "30%"), ("SUCCESS", "100%")]
    dto = body["data"]
    assert dto["task_id"] == task
    assert dto["fail_reason"] == ""
    assert dto["result_url"].endswith(f"/files/videos/{task}.mp4")
    assert dto["finish_time"] >= dto["submit_time"] > 0
    raw = dto["data"]
    assert raw["data"]["task_status"] == "succeed"
    assert raw["data"]["task_result"]["videos"][0]["url"] == dto["result_url"]


def test_generic_result_url_per_provider(h: Harness) -> None:
    h.mark()
    sora = h.post("/v1/video/generations", json={"model": "sora-2", "prompt": "x"}).json()["id"]
    doubao = h.post("/v1/video/generations",
                    json={"model": "doubao-seedance-1-0-pro", "prompt": "x"}).json()["id"]
    h.at(1.5)
    sora_dto = h.get(f"/v1/video/generations/{sora}").json()["data"]
    assert sora_dto["result_url"] == f"http://testserver/v1/videos/{sora}/content"
    doubao_dto = h.get(f"/v1/video/generations/{doubao}").json()["data"]
    assert doubao_dto["data"]["status"] == "succeeded"
    assert doubao_dto["data"]["content"]["video_url"] == doubao_dto["result_url"]


def test_generic_shapes_2_and_3(h: Harness) -> None:
    h.mark()
    task = h.post("/v1/video/generations",
                  json={"model": "veo3.1-fast+shape2", "prompt": "x"}).json()["id"]
    h.at(0.5)
    shape2 = h.get(f"/v1/video/generations/{task}").json()
    assert shape2["code"] == "success"
    assert shape2["data"]["status"] == "processing"
    shape3 = h.get(f"/v1/video/generations/{task}", headers={"X-Emulator-Task": "shape3"}).json()
    assert "code" not in shape3
    assert shape3["status"] == "in_progress"
    assert shape3["url"] == ""
    h.at(1.5)
    done2 = h.get(f"/v1/video/generations/{task}").json()["data"]
    assert (done2["status"], done2["format"], done2["error"]) == ("succeeded", "mp4", None)
    assert done2["url"].endswith(f"/v1/videos/{task}/content")
    done3 = h.get(f"/v1/video/generations/{task}", headers={"X-Emulator-Task": "shape3"}).json()
    assert done3["status"] == "completed"
    assert done3["metadata"]["width"] == 1280


def test_generic_legacy(h: Harness) -> None:
    h.mark()
    created = h.post("/v1/video/generations", json={"model": "kling-v2-1+legacy", "prompt": "x"})
    body = created.json()
    task = body["task_id"]
    assert task.isdigit()
    assert len(task) == 18
    assert body["code"] == 0
    assert body["data"]["task_status"] == "submitted"
    h.at(1.5)
    dto = h.get(f"/v1/video/generations/{task}").json()["data"]
    assert dto["status"] == "SUCCESS"
    assert "result_url" not in dto
    assert dto["fail_reason"].endswith(f"/files/videos/{task}.mp4")
    doubao = h.post("/v1/video/generations",
                    json={"model": "doubao-seedance-1-0-pro", "prompt": "x"},
                    headers={"X-Emulator-Task": "legacy"}).json()
    assert doubao["id"].startswith("cgt-")
    assert doubao["task_id"] == doubao["id"]


def test_generic_failure_and_odd_status(h: Harness) -> None:
    h.mark()
    task = h.post("/v1/video/generations", json={"model": "kling-v2-1", "prompt": "x"},
                  headers={"X-Emulator-Task": "fail,unknown-status"}).json()["id"]
    h.at(0.2)
    assert h.get(f"/v1/video/generations/{task}").json()["data"]["status"] == "WARMING_UP"
    h.at(1.5)
    dto = h.get(f"/v1/video/generations/{task}").json()["data"]
    assert dto["status"] == "FAILURE"
    assert dto["fail_reason"]
    assert dto["result_url"] == ""
    assert dto["data"]["data"]["task_status"] == "failed"
    shape2 = h.get(f"/v1/video/generations/{task}", headers={"X-Emulator-Task": "shape2"})
    assert shape2.json()["data"]["error"]["message"]


# ---------------------------------------------------------------- unified (§12.7)


def test_unified_veo_lifecycle(h: Harness) -> None:
    h.mark()
    r = h.post("/v1/video/create", json={"model": "veo3.1-fast", "prompt": "sunrise",
                                         "images": ["https://example.com/a.png"],
                                         "enhance_prompt": True, "enable_upsample": True})
    created = r.json()
    task = created["id"]
    assert task.startswith("veo3.1-fast:")
    assert created["status"] == "pending"
    assert created["enhanced_prompt"]
    assert created["status_update_time"] > 10**12
    statuses = []
    for fraction in (0, 0.3, 0.5, 0.9, 1.1):
        h.at(fraction)
        statuses.append(h.get("/v1/video/query", params={"id": task}).json()["status"])
    assert statuses == ["pending", "image_downloading", "video_generating", "video_upsampling",
                        "completed"]
    done = h.get("/v1/video/query", params={"id": task}).json()
    assert done["id"] == task.split(":", 1)[1]
    assert h.get(done["video_url"]).content[4:8] == b"ftyp"
    # the answer's id lacks the prefix: using it is an error
    assert h.get("/v1/video/query", params={"id": done["id"]}).json()["code"] == "task_not_exist"
    assert h.get("/v1/video/query").status_code == 400


def test_unified_normalised_statuses(h: Harness) -> None:
    h.mark()
    task = h.post("/v1/video/create", json={"model": "jimeng-video-3.0+fail", "prompt": "x",
                                            "size": "1080P"}).json()["id"]
    assert task.startswith("jimeng:")
    h.at(0.5)
    assert h.get("/v1/video/query", params={"id": task}).json()["status"] == "processing"
    h.at(1.5)
    failed = h.get("/v1/video/query", params={"id": task}).json()
    assert failed["status"] == "failed"
    assert failed["video_url"] is None
    assert failed["fail_reason"]
    assert h.post("/v1/video/create", json={"model": "veo3.1-fast"}).status_code == 400


# ---------------------------------------------------------------- Kling (§12.4)


def test_kling_routes(h: Harness) -> None:
    h.mark()
    r = h.post("/kling/v1/videos/text2video",
               json={"model_name": "kling-v2-1", "prompt": "x", "mode": "pro", "duration": "10"})
    assert r.status_code == 200
    assert r.json()["object"] == "video"
    task = r.json()["id"]
    h.at(1.5)
    polled = h.get(f"/kling/v1/videos/text2video/{task}").json()
    assert polled["code"] == "success"
    assert polled["data"]["status"] == "SUCCESS"
    assert polled["data"]["data"]["data"]["task_result"]["videos"][0]["url"]
    image = h.post("/kling/v1/videos/image2video",
                   json={"model_name": "kling-v2-1", "image": "https://example.com/a.png"})
    assert image.status_code == 200
    no_image = h.post("/kling/v1/videos/image2video", json={"model_name": "kling-v2-1"})
    assert no_image.status_code == 400
    assert no_image.json()["code"] == "invalid_request"
    no_prompt = h.post("/kling/v1/videos/text2video", json={"model_name": "kling-v2-1"})
    assert no_prompt.json()["code"] == "invalid_request"
    legacy = h.post("/kling/v1/videos/text2video", json={"model": "kling-v2-1", "prompt": "x"},
                    headers={"X-Emulator-Task": "legacy"}).json()
    assert legacy["code"] == 0
    assert legacy["data"]["task_id"] == legacy["task_id"]
    assert h.post("/kling/v1/videos/nope", json={}).status_code == 404


# ---------------------------------------------------------------- Midjourney (§13)


def mj_submit(h: Harness, action: str, body: dict[str, Any], flags: str = "") -> Any:
    headers = {"X-Emulator-Task": flags} if flags else {}
    return h.post(f"/mj/submit/{action}", json=body, headers=headers)


def mj_fetch(h: Harness, task: str) -> dict[str, Any]:
    r = h.get(f"/mj/task/{task}/fetch")
    assert r.status_code == 200
    return r.json()  # type: ignore[no-any-return]


def test_midjourney_imagine_lifecycle(h: Harness) -> None:
    h.mark()
    r = mj_submit(h, "imagine", {"prompt": "a castle --ar 1:1", "state": "s1"})
    submitted = r.json()
    assert submitted["code"] == 1
    assert submitted["result"].isdigit()
    task = submitted["result"]
    seen = []
    for fraction in (0, 0.15, 0.5, 0.7):
        h.at(fraction)
        view = mj_fetch(h, task)
        seen.append((view["status"], view["progress"]))
    assert seen == [("", "0%"), ("SUBMITTED", "0%"), ("IN_PROGRESS", "30%"),
                    ("IN_PROGRESS", "60%")]
    assert view["imageUrl"].endswith("?rand=60")
    assert view["buttons"] == []
    h.at(1.2)
    done = mj_fetch(h, task)
    assert (done["status"], done["progress"], done["action"]) == ("SUCCESS", "100%", "IMAGINE")
    assert done["state"] == "s1"
    assert done["finishTime"] >= done["startTime"] >= done["submitTime"]
    assert done["imageUrl"] == f"http://testserver/mj/image/{task}"
    labels = [b["label"] or b["emoji"] for b in done["buttons"]]
    assert labels == ["U1", "U2", "U3", "U4", "🔄", "V1", "V2", "V3", "V4"]
    assert done["buttons"][1]["customId"].startswith("MJ::JOB::upsample::2::")
    assert png_size(h.get(done["imageUrl"]).content) == (512, 512)
    seed = h.get(f"/mj/task/{task}/image-seed").json()
    assert seed["code"] == 1
    assert seed["result"].isdigit()
    listed = h.post("/mj/task/list-by-condition", json={"ids": [task, "nope"]}).json()
    assert [t["id"] for t in listed] == [task]
    assert h.post("/mj-fast/mj/task/list-by-condition", json={}).json() == []


def test_midjourney_actions(h: Harness) -> None:
    h.mark()
    grid = mj_submit(h, "imagine", {"prompt": "a castle"}).json()["result"]
    early = mj_submit(h, "action", {"taskId": grid, "customId": "MJ::JOB::upsample::1::x"})
    assert early.status_code == 400
    assert early.json()["code"] == 4
    assert early.json()["description"].startswith("task_status_not_success")
    h.at(1.2)
    u2 = mj_fetch(h, grid)["buttons"][1]["customId"]
    bad = mj_submit(h, "action", {"taskId": grid, "customId": "MJ::JOB::upsample::9::zzz"})
    assert bad.status_code == 400
    assert bad.json()["code"] == 4
    h.mark()
    upscale = mj_submit(h, "action", {"taskId": grid, "customId": u2}).json()["result"]
    changed = mj_submit(h, "change", {"taskId": grid, "action": "VARIATION", "index": 3})
    simple = mj_submit(h, "simple-change", {"content": f"{grid} R"})
    assert changed.json()["code"] == 1
    assert simple.json()["code"] == 1
    h.at(1.2)
    up = mj_fetch(h, upscale)
    assert (up["action"], up["customId"], up["status"]) == ("UPSCALE", u2, "SUCCESS")
    assert png_size(h.get(up["imageUrl"]).content) == (512, 512)
    assert mj_fetch(h, changed.json()["result"])["action"] == "VARIATION"
    assert mj_fetch(h, simple.json()["result"])["action"] == "REROLL"
    zoom = next(b["customId"] for b in up["buttons"] if b["customId"].startswith("MJ::CustomZoom"))
    modal = mj_submit(h, "action", {"taskId": upscale, "customId": zoom}).json()
    assert modal["code"] == 21
    assert modal["properties"]["status"] == "MODAL"
    assert mj_fetch(h, modal["result"])["status"] == "MODAL"
    h.at(5)
    assert mj_fetch(h, modal["result"])["status"] == "MODAL"  # waits for the modal submit
    confirm = mj_submit(h, "modal", {"taskId": modal["result"], "prompt": "zoom --zoom 1.5"})
    assert confirm.json() == {"code": 1, "description": "提交成功", "result": modal["result"],
                              "properties": {"discordInstanceId": "emulator"}}
    h.at(6.5)
    zoomed = mj_fetch(h, modal["result"])
    assert zoomed["status"] == "SUCCESS"
    assert zoomed["prompt"] == "zoom --zoom 1.5"
    assert mj_submit(h, "modal", {"taskId": grid}).json()["code"] == 4


def test_midjourney_describe_blend_and_modes(h: Harness) -> None:
    h.mark()
    image = "data:image/png;base64," + base64.b64encode(png_bytes(4, 4, "0" * 12)).decode()
    describe = mj_submit(h, "describe", {"base64": image}).json()["result"]
    blend = h.post("/mj-relax/mj/submit/blend",
                   json={"base64Array": [image, image], "dimensions": "PORTRAIT"}).json()
    assert blend["code"] == 1
    assert mj_submit(h, "blend", {"base64Array": [image]}).json()["code"] == 4
    assert mj_submit(h, "describe", {"base64": "nope"}).json()["code"] == 4
    h.at(1.2)
    described = mj_fetch(h, describe)
    assert described["status"] == "SUCCESS"
    assert described["properties"]["finalPrompt"].count(
        "\ufe0f\u20e3") == 4
    assert png_size(h.get(f"/mj/image/{blend['result']}").content) == (384, 512)
    reader = described["buttons"][0]["customId"]
    follow = mj_submit(h, "action", {"taskId": describe, "customId": reader}).json()
    assert follow["code"] == 1
    assert mj_fetch(h, follow["result"])["action"] == "IMAGINE"


@pytest.mark.parametrize(("flags", "code", "key"), [
    ("banned", 24, "bannedWord"), ("queue-full", 23, "numberOfQueues")])
def test_midjourney_refusals(h: Harness, flags: str, code: int, key: str) -> None:
    r = mj_submit(h, "imagine", {"prompt": "something"}, flags)
    assert r.status_code == 200
    body = r.json()
    assert body["code"] == code
    assert body["result"] is None
    assert key in body["properties"]


def test_midjourney_queued_failure_and_errors(h: Harness) -> None:
    h.mark()
    queued = mj_submit(h, "imagine", {"prompt": "x"}, "queued").json()
    assert queued["code"] == 22
    assert queued["result"]
    failing = mj_submit(h, "imagine", {"prompt": "x"}, "fail").json()["result"]
    h.at(1.2)
    failed = mj_fetch(h, failing)
    assert failed["status"] == "FAILURE"
    assert failed["failReason"]
    assert failed["buttons"] == []
    assert mj_fetch(h, queued["result"])["status"] == "SUCCESS"
    missing = mj_submit(h, "imagine", {})
    assert missing.status_code == 400
    assert missing.json()["code"] == 4
    assert missing.json()["description"].startswith(
        "prompt_is_required")
    unknown = h.get("/mj/task/123/fetch")
    assert unknown.status_code == 400
    assert unknown.json()["code"] == 4
    assert h.get("/mj/image/123").status_code == 404
    assert mj_submit(h, "nonsense", {"prompt": "x"}).status_code == 404


# ---------------------------------------------------------------- Suno (§14)


def test_suno_music_lifecycle(h: Harness) -> None:
    h.mark()
    r = h.post("/suno/submit/MUSIC", json={"prompt": "la la", "tags": "pop", "title": "Song",
                                           "mv": "chirp-v3-5"})
    assert r.json()["code"] == "success"
    assert TASK_ID.match(r.json()["data"])
    task = r.json()["data"]
    seen = []
    for fraction in (0, 0.15, 0.3, 0.5):
        h.at(fraction)
        dto = h.get(f"/suno/fetch/{task}").json()["data"]
        seen.append((dto["status"], [c["status"] for c in dto["data"]]))
    assert seen == [("NOT_START", []), ("SUBMITTED", ["submitted", "submitted"]),
                    ("QUEUED", ["queued", "queued"]),
                    ("IN_PROGRESS", ["streaming", "streaming"])]
    assert dto["data"][0]["audio_url"].endswith("?stream=1")
    h.at(1.2)
    dto = h.get(f"/suno/fetch/{task}").json()["data"]
    assert (dto["status"], dto["progress"], dto["action"]) == ("SUCCESS", "100%", "MUSIC")
    clips = dto["data"]
    assert [c["status"] for c in clips] == ["complete", "complete"]
    assert clips[0]["title"] == "Song"
    assert clips[0]["metadata"]["tags"] == "pop"
    assert h.get(clips[0]["audio_url"]).content == mp3_bytes()
    assert png_size(h.get(clips[1]["image_large_url"]).content) == (512, 512)
    many = h.post("/suno/fetch", json={"ids": [task, "task_nope"]}).json()
    assert many["code"] == "success"
    assert [d["task_id"] for d in many["data"]] == [task]
    assert h.post("/suno/fetch", json={"ids": [task], "action": "LYRICS"}).json()["data"] == []
    assert h.post("/suno/fetch", json={}).json()["data"] == []


def test_suno_clip_error_fail_and_lyrics(h: Harness) -> None:
    h.mark()
    clip_error = h.post("/suno/submit/music", json={"gpt_description_prompt": "a happy song"},
                        headers={"X-Emulator-Task": "clip-error"}).json()["data"]
    failing = h.post("/suno/submit/music",
                     json={"prompt": "x", "mv": "chirp-v3-5+fail"}).json()["data"]
    lyrics = h.post("/suno/submit/lyrics", json={"prompt": "rain"}).json()["data"]
    h.at(1.2)
    dto = h.get(f"/suno/fetch/{clip_error}").json()["data"]
    assert dto["status"] == "FAILURE"
    assert dto["fail_reason"]
    assert [c["status"] for c in dto["data"]] == ["complete", "error"]
    assert dto["data"][1]["metadata"]["error_message"]
    assert dto["data"][1]["audio_url"] == ""
    both = h.get(f"/suno/fetch/{failing}").json()["data"]
    assert both["status"] == "FAILURE"
    assert [c["status"] for c in both["data"]] == ["error"] * 2
    text = h.get(f"/suno/fetch/{lyrics}").json()["data"]
    assert text["action"] == "LYRICS"
    assert text["data"]["status"] == "complete"
    assert "rain" in text["data"]["text"]


@pytest.mark.parametrize(("path", "body", "code"), [
    ("/suno/submit/music", {}, "invalid_request"),
    ("/suno/submit/lyrics", {"gpt_description_prompt": "x"}, "invalid_request"),
    ("/suno/submit/video", {"prompt": "x"}, "invalid_request"),
])
def test_suno_errors(h: Harness, path: str, body: dict[str, Any], code: str) -> None:
    r = h.post(path, json=body)
    assert r.status_code == 400
    assert r.json()["code"] == code
    unknown = h.get("/suno/fetch/task_nope")
    assert unknown.status_code == 400
    assert unknown.json()["code"] == "task_not_exist"


# ---------------------------------------------------------------- chat-format media (§4.6)


def chat_body(model: str, stream: bool, **extra: Any) -> dict[str, Any]:
    content = [{"type": "text", "text": "a cat surfing"},
               {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]
    return {"model": model, "stream": stream,
            "messages": [{"role": "user", "content": content}], **extra}


def sse_content(text: str) -> tuple[str, list[Any]]:
    events = [line[6:] for line in text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    content = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks
                      if c["choices"])
    return content, chunks


def test_chat_media_stream(h: Harness) -> None:
    r = h.post("/v1/chat/completions", json=chat_body("sora-2", True))
    assert r.headers["content-type"].startswith("text/event-stream")
    content, chunks = sse_content(r.text)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["total_tokens"] > 0
    task = re.search(r"> ID: (task_\w+)", content)
    assert task is not None
    assert '"image": "https://example.com/cat.png"' in content
    assert "排队中" in content
    assert "🏃 进度 60" in content
    assert "生成完成 ✅" in content
    link = re.search(r"\[点击这里\]\((\S+\.mp4)\)", content)
    assert link is not None
    assert h.get(link.group(1)).content[4:8] == b"ftyp"
    h.at(10**6)
    assert h.get(f"/v1/videos/{task.group(1)}").json()["status"] == "completed"


def test_chat_media_json_and_flags(h: Harness) -> None:
    r = h.post("/v1/chat/completions", json=chat_body("sora-2", False))
    message = r.json()["choices"][0]["message"]["content"]
    assert "生成完成" in message
    assert ".mp4)" in message
    failed = h.post("/v1/chat/completions", json=chat_body("sora-2+fail", True))
    content, _ = sse_content(failed.text)
    assert "生成失败 ❌" in content
    assert ".mp4" not in content
    no_usage = h.post("/v1/chat/completions", json=chat_body(
        "sora-2", True, stream_options={"include_usage": False}))
    assert all(c["choices"] for c in sse_content(no_usage.text)[1])


def test_chat_media_stuck_gives_up_without_link() -> None:
    emulator = FakeEmulator(time_scale=0.002)
    with TestClient(_app(emulator)) as client:
        r = client.post("/v1/chat/completions", json=chat_body("sora-2", True),
                        headers={"X-Emulator-Task": "stuck"})
    content, _ = sse_content(r.text)
    assert "任务超时" in content
    assert ".mp4" not in content
    assert content.count("进度 95") == 9


def test_chat_media_answer_is_pure() -> None:
    body = chat_media_answer("sora-2", {"fail"}, "hi", False, task_id="task_x")
    assert isinstance(body, dict)
    assert "> ID: task_x" in body["choices"][0]["message"]["content"]
    chunks = chat_media_answer("sora-2", set(), "hi", True, base_url="http://h:1/",
                               task_id="task_y")
    assert isinstance(chunks, list)
    assert chunks[-1] == "data: [DONE]\n\n"
    assert "http://h:1/files/videos/task_y.mp4" in "".join(chunks)


# ---------------------------------------------------------------- through the full emulator app


def test_media_package_never_loads_the_client() -> None:
    code = ("import sys, gateway_emulator.media, gateway_emulator.media.chat_media\n"
            "print('\\n'.join(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout.split()
    assert "gateway_emulator.media.midjourney" in out
    assert not [m for m in out if m.startswith(("gateway_core", "langchain", "llama_index",
                                                 "llamaindex_gateway"))]


def test_wiring_in_the_full_app() -> None:
    from gateway_emulator.app import create_app

    with TestClient(create_app(time_scale=0.0)) as client:
        auth = {"Authorization": "Bearer sk-emulator-local"}
        assert client.post("/v1/videos", json={"model": "sora-2", "prompt": "x"}
                           ).status_code == 401
        created = client.post("/v1/videos", json={"model": "sora-2", "prompt": "x"},
                              headers=auth)
        assert created.status_code == 200
        assert created.headers["x-oneapi-request-id"]
        task = created.json()["id"]
        assert client.get(f"/v1/videos/{task}", headers=auth).json()["status"] == "completed"
        refused = client.get("/v1/videos/task_nope", headers=auth).json()
        assert refused["message"].endswith(")")
        assert "request id:" in refused["message"]
        log = client.get("/_emulator/requests", params={"path": "/v1/videos"}).json()
        creates = [e for e in log["requests"] if e["method"] == "POST" and e["status"] == 200]
        assert len(creates) == 1
        assert creates[0]["model"] == "sora-2"
        mj = client.post("/mj/submit/imagine", json={"prompt": "x"},
                         headers={"mj-api-secret": "sk-emulator-local"}).json()
        assert mj["code"] == 1
        assert client.get(f"/mj/image/{mj['result']}").status_code == 200  # no auth
        chat = client.post("/v1/chat/completions", headers=auth,
                           json={"model": "sora-2", "messages": [{"role": "user",
                                                                   "content": "a dog"}]})
        link = re.search(r"\((http\S+\.mp4)\)", chat.json()["choices"][0]["message"]["content"])
        assert link is not None
        assert client.get(link.group(1)).content == mp4_bytes()
