"""Each task protocol's wire format over a mocked gateway (protocol.md §12-14, §4.6)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from gateway_core.errors import (
    APIError,
    ContentPolicyError,
    InvalidRequestError,
    NoMediaLinkError,
    TaskError,
)
from gateway_core.tasks import get_protocol
from gateway_core.tasks.chat import parse_chat_progress
from tests.unit.chat_streams import chunk, sse
from tests.unit.media_fakes import PNG, FakeClock, FakeGateway, engine_for, respond

V = "https://cdn.example.com/out.mp4"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# ---------------------------------------------------------------- newapi-video (3 poll shapes)

def shape1(status: str, progress: str, **fields: Any) -> dict[str, Any]:
    return {"code": "success", "message": "", "data": {
        "task_id": "task_n", "status": status, "progress": progress, "fail_reason": "",
        "result_url": "", **fields}}


@pytest.mark.parametrize("polls", [
    # 1: new-api task envelope, internal enum, "N%" progress, UNKNOWN not terminal
    [shape1("NOT_START", "0%"), shape1("UNKNOWN", "10%"), shape1("IN_PROGRESS", "30%"),
     shape1("SUCCESS", "100%", result_url=V)],
    # 1, legacy: the URL in fail_reason on success, raw upstream under data.data
    [shape1("QUEUED", "20%"), shape1("SUCCESS", "100%", fail_reason=V)],
    [shape1("SUCCESS", "100%", data={"content": {"video_url": V}})],
    # 2: realtime path
    [{"code": "success", "data": {"task_id": "task_n", "status": "processing", "url": None}},
     {"code": "success", "data": {"task_id": "task_n", "status": "succeeded", "url": V,
                                  "format": "mp4", "error": None}}],
    # 3: documented flat object
    [{"task_id": "task_n", "status": "in_progress"},
     {"task_id": "task_n", "status": "completed", "url": V, "format": "mp4",
      "metadata": {"duration": 5}, "error": None}],
])
def test_newapi_video_poll_shapes(clock: FakeClock, polls: list[dict[str, Any]]) -> None:
    gw = FakeGateway({
        ("POST", "/v1/video/generations"): [respond({"id": "task_n", "task_id": "task_n",
                                                     "object": "video", "status": "queued"})],
        ("GET", "/v1/video/generations/task_n"): [respond(p) for p in polls],
    })
    engine_for(gw, clock)
    result = gw.client.create_video("waves", model="kling-v2-1", seconds=5,
                                    aspect_ratio="16:9", protocol="newapi-video",
                                    negative_prompt="blur", images="https://x/first.png").result()
    assert result.urls == [V]
    body = gw.bodies("POST", "/v1/video/generations")[0]
    assert body == {"model": "kling-v2-1", "prompt": "waves", "image": "https://x/first.png",
                    "duration": 5, "metadata": {"aspect_ratio": "16:9", "negative_prompt": "blur"}}


def test_newapi_video_failure_reason_and_legacy_submit(clock: FakeClock) -> None:
    gw = FakeGateway({
        # mid-2025 new-api: the provider's raw answer plus a top-level task_id
        ("POST", "/v1/video/generations"): [respond({"task_id": "8271", "code": 0,
                                                     "data": {"task_status": "submitted"}})],
        ("GET", "/v1/video/generations/8271"): [respond(shape1("FAILURE", "100%",
                                                               fail_reason="任务超时（1440分钟）"))],
    })
    engine_for(gw, clock)
    with pytest.raises(TaskError) as caught:
        gw.client.create_video("x", model="m", protocol="newapi-video").result()
    assert caught.value.task_id == "8271"
    assert "任务超时" in str(caught.value)
    assert "newapi-video" in str(caught.value)


def test_poll_200_error_envelope_is_an_error_not_pending(clock: FakeClock) -> None:
    gw = FakeGateway({
        ("POST", "/v1/video/generations"): [respond({"task_id": "t"})],
        ("GET", "/v1/video/generations/t"): [respond({"code": "task_not_exist",
                                                      "message": "task_not_exist", "data": None},
                                                     400)],
    })
    engine_for(gw, clock)
    with pytest.raises(TaskError) as caught:
        gw.client.create_video("x", model="m", protocol="newapi-video").result()
    assert caught.value.status_code == 400
    assert caught.value.task_id == "t"
    assert gw.count("GET", "/v1/video/generations/t") == 1  # fatal: not polled again


# ---------------------------------------------------------------- unified-video

def test_unified_video_uses_the_id_exactly(clock: FakeClock) -> None:
    queried: list[str] = []

    def query(request: httpx.Request) -> httpx.Response:
        queried.append(request.url.params["id"])
        if len(queried) < 2:
            return respond({"id": "abc", "status": "video_generating"})
        return respond({"id": "abc", "status": "success", "video_url": V,
                        "enhanced_prompt": "A cat."})

    gw = FakeGateway({
        ("POST", "/v1/video/create"): [respond({"id": "veo3.1-fast:abc/x+y", "status": "pending",
                                                "status_update_time": 1})],
        ("GET", "/v1/video/query"): query,
    })
    engine_for(gw, clock)
    result = gw.client.create_video("猫", model="veo3.1-fast", aspect_ratio="16:9",
                                    protocol="unified-video", enhance_prompt=True,
                                    images=["https://x/a.png", "https://x/b.png"]).result()
    assert queried == ["veo3.1-fast:abc/x+y"] * 2
    assert result.urls == [V]
    assert result.extra["enhanced_prompt"] == "A cat."
    assert gw.bodies("POST", "/v1/video/create")[0] == {
        "model": "veo3.1-fast", "prompt": "猫", "images": ["https://x/a.png", "https://x/b.png"],
        "aspect_ratio": "16:9", "enhance_prompt": True}


def test_unified_veo_generation_completed_with_link_is_done(clock: FakeClock) -> None:
    gw = FakeGateway({
        ("POST", "/v1/video/create"): [respond({"id": "veo:1", "status": "pending"})],
        ("GET", "/v1/video/query"): [respond({"status": "video_generation_completed",
                                              "video_url": V})],
    })
    engine_for(gw, clock)
    assert gw.client.create_video("x", model="veo", protocol="unified-video").result().urls == [V]


# ---------------------------------------------------------------- kling

def test_kling_newapi_style(clock: FakeClock) -> None:
    raw = {"code": 0, "data": {"task_status": "succeed",
                               "task_result": {"videos": [{"url": V, "duration": "5"}]}}}
    gw = FakeGateway({
        ("POST", "/kling/v1/videos/image2video"): [respond({"id": "task_k", "status": "queued"})],
        ("GET", "/kling/v1/videos/image2video/task_k"): [
            respond(shape1("IN_PROGRESS", "30%")),
            respond({"code": "success", "data": {"status": "SUCCESS", "progress": "100%",
                                                 "result_url": "", "data": raw}})],
    })
    engine_for(gw, clock)
    result = gw.client.create_video("dance", model="kling-v2-1", seconds=5,
                                    images=["https://x/a.png", "https://x/tail.png"],
                                    protocol="kling", mode="pro").result()
    assert result.urls == [V]
    assert gw.bodies("POST", "/kling/v1/videos/image2video")[0] == {
        "model_name": "kling-v2-1", "prompt": "dance", "image": "https://x/a.png",
        "image_tail": "https://x/tail.png", "duration": "5", "mode": "pro"}


def test_kling_native_passthrough(clock: FakeClock) -> None:
    gw = FakeGateway({
        ("POST", "/kling/v1/videos/text2video"): [respond({"code": 0, "message": "SUCCEED",
                                                           "data": {"task_id": "8461"}})],
        ("GET", "/kling/v1/videos/text2video/8461"): [
            respond({"code": 0, "data": {"task_id": "8461", "task_status": "processing"}}),
            respond({"code": 0, "data": {"task_id": "8461", "task_status": "failed",
                                         "task_status_msg": "risk control"}})],
    })
    engine_for(gw, clock)
    with pytest.raises(TaskError, match="risk control"):
        gw.client.create_video("x", model="kling-v1", protocol="kling").result()
    bad = FakeGateway({("POST", "/kling/v1/videos/text2video"): [
        respond({"code": 1201, "message": "model is not supported"})]})
    engine_for(bad, clock)
    # Kling's own {code, message} envelope in a 200: the gateway's typed error, class by meaning
    with pytest.raises(APIError, match="not supported") as refused:
        bad.client.create_video("x", model="kling-v9", protocol="kling")
    assert (refused.value.status_code, refused.value.code) == (200, 1201)
    assert bad.client.list_tasks() == []  # refused: nothing paid, nothing kept


# ---------------------------------------------------------------- midjourney

def mj_task(status: str, progress: str = "0%", **fields: Any) -> dict[str, Any]:
    return {"id": "1712", "action": "IMAGINE", "status": status, "progress": progress,
            "imageUrl": "", "failReason": "", "buttons": [], **fields}


def test_midjourney_imagine_and_buttons(clock: FakeClock) -> None:
    buttons = [{"customId": "MJ::JOB::upsample::1::abc", "emoji": "", "label": "U1", "type": 2},
               {"customId": "MJ::JOB::variation::1::abc", "emoji": "", "label": "V1"}]
    gw = FakeGateway({
        ("POST", "/mj/submit/imagine"): [respond({"code": 22, "description": "排队中",
                                                  "result": "1712", "properties": {}})],
        ("GET", "/mj/task/1712/fetch"): [
            respond(mj_task("")), respond(mj_task("IN_PROGRESS", "45%")),
            respond(mj_task("SUCCESS", "100%", imageUrl="https://cdn/grid.png", buttons=buttons,
                            properties={"finalPrompt": "a fox --v 6"}))],
        ("POST", "/mj/submit/action"): [respond({"code": 1, "result": "1713"})],
    })
    engine_for(gw, clock)
    seen: list[int | None] = []
    result = gw.client.generate_image("a fox", model="midjourney", protocol="midjourney",
                                      aspect_ratio="16:9",
                                      on_progress=lambda s: seen.append(s.progress))
    assert result.urls == ["https://cdn/grid.png"]
    assert result.raw is not None
    assert result.raw["task_id"] == "1712"
    assert [b["customId"] for b in result.raw["extra"]["buttons"]][0].startswith("MJ::JOB")
    assert gw.bodies("POST", "/mj/submit/imagine")[0] == {"prompt": "a fox --ar 16:9"}
    assert seen == [0, 45, 100]
    follow = gw.client.midjourney_action("1712", "MJ::JOB::upsample::1::abc")
    assert follow.task_id == "1713"
    assert gw.bodies("POST", "/mj/submit/action")[0] == {
        "taskId": "1712", "customId": "MJ::JOB::upsample::1::abc"}


def test_midjourney_codes(clock: FakeClock) -> None:
    gw = FakeGateway({("POST", "/mj/submit/imagine"): [
        respond({"code": 24, "description": "可能包含敏感词", "result": None,
                 "properties": {"bannedWord": "blood"}})]})
    engine_for(gw, clock)
    with pytest.raises(ContentPolicyError) as caught:
        gw.client.create_task("midjourney", prompt="blood", kind="image")
    assert "blood" in str(caught.value)
    assert caught.value.protocol == "midjourney"
    assert gw.client.list_tasks() == []

    full = FakeGateway({("POST", "/mj/submit/imagine"): [
        respond({"code": 23, "description": "队列已满"}),
        respond({"code": 23, "description": "队列已满"}),
        respond({"code": 1, "description": "提交成功", "result": "77"})]})
    engine_for(full, clock)
    handle = full.client.create_task("midjourney", prompt="a", kind="image")
    assert handle.task_id == "77"
    assert full.count("POST", "/mj/submit/imagine") == 3
    assert clock.sleeps[:2] == [4.0, 8.0]

    always_full = FakeGateway({("POST", "/mj/submit/imagine"): [
        respond({"code": 23, "description": "队列已满"})]})
    engine_for(always_full, clock).submit_retries = 1
    with pytest.raises(TaskError, match="queue is full") as caught:
        always_full.client.create_task("midjourney", prompt="b", kind="image")
    assert caught.value.retryable
    assert always_full.client.list_tasks() == []

    other = FakeGateway({("POST", "/mj/submit/imagine"): [respond({"code": 9, "description":
                                                                    "系统异常"})]})
    engine_for(other, clock)
    with pytest.raises(TaskError, match="系统异常"):
        other.client.create_task("midjourney", prompt="c", kind="image")


def test_midjourney_failure_and_input_images(clock: FakeClock) -> None:
    gw = FakeGateway({
        ("POST", "/mj/submit/imagine"): [respond({"code": 1, "result": "9"})],
        ("GET", "/mj/task/9/fetch"): [respond(mj_task("FAILURE", "0%", failReason="banned "
                                                      "prompt detected"))],
    })
    engine_for(gw, clock)
    with pytest.raises(ContentPolicyError) as caught:
        gw.client.create_task("midjourney", prompt="x", kind="image",
                              images=[PNG, "https://x/ref.png"]).result()
    assert caught.value.task_id == "9"
    body = gw.bodies("POST", "/mj/submit/imagine")[0]
    assert body["prompt"] == "https://x/ref.png x"
    assert body["base64Array"][0].startswith("data:image/png;base64,")
    with pytest.raises(InvalidRequestError):
        gw.client.create_task("midjourney", kind="image", action="action", taskId="9")


# ---------------------------------------------------------------- suno

def clip(status: str, n: int, **fields: Any) -> dict[str, Any]:
    return {"id": f"clip{n}", "title": "Song", "status": status,
            "audio_url": f"https://cdn/{n}.mp3", "metadata": {"duration": 120, **fields}}


def suno_dto(status: str, clips: Any, progress: str = "50%", **fields: Any) -> dict[str, Any]:
    return {"code": "success", "data": {"task_id": "task_s", "action": "MUSIC",
                                        "status": status, "progress": progress,
                                        "fail_reason": "", "data": clips, **fields}}


def test_suno_only_complete_clips(clock: FakeClock) -> None:
    gw = FakeGateway({
        ("POST", "/suno/submit/music"): [respond({"code": "success", "data": "task_s"})],
        ("GET", "/suno/fetch/task_s"): [
            respond(suno_dto("IN_PROGRESS", [clip("streaming", 1), clip("complete", 2)])),
            respond(suno_dto("SUCCESS", [clip("complete", 1), clip("complete", 2)], "100%"))],
    })
    engine_for(gw, clock)
    handle = gw.client.create_task("suno", prompt="a song about rain", model="chirp-v3-5",
                                   kind="audio")
    first = handle.poll()
    assert first.state == "running"
    assert first.items[0].url == "https://cdn/2.mp3"
    result = handle.result()
    assert [i.url for i in result.items] == ["https://cdn/1.mp3", "https://cdn/2.mp3"]
    assert result.items[0].kind == "audio"
    assert result.items[0].extra["duration"] == 120
    assert gw.bodies("POST", "/suno/submit/music")[0] == {
        "gpt_description_prompt": "a song about rain", "mv": "chirp-v3-5"}


def test_suno_partial_failure_delivers_the_complete_clip(clock: FakeClock) -> None:
    gw = FakeGateway({
        ("POST", "/suno/submit/music"): [respond({"code": "success", "data": "task_s"})],
        ("GET", "/suno/fetch/task_s"): [respond(suno_dto(
            "FAILURE", [clip("complete", 1), clip("error", 2, error_message="moderated")],
            "100%"))],
    })
    engine_for(gw, clock)
    result = gw.client.create_task("suno", prompt="lyrics here", kind="audio", tags="pop",
                                   title="T").result()
    assert [i.url for i in result.items] == ["https://cdn/1.mp3"]
    assert result.reason is not None
    assert "moderated" in result.reason
    assert gw.bodies("POST", "/suno/submit/music")[0] == {"prompt": "lyrics here", "tags": "pop",
                                                           "title": "T"}


def test_suno_failures(clock: FakeClock) -> None:
    gw = FakeGateway({
        ("POST", "/suno/submit/music"): [respond({"code": "success", "data": "task_s"})],
        ("GET", "/suno/fetch/task_s"): [respond(suno_dto(
            "FAILURE", [clip("error", 1, error_message="bad lyrics")], "100%"))],
    })
    engine_for(gw, clock)
    with pytest.raises(TaskError, match="bad lyrics"):
        gw.client.create_task("suno", prompt="x", kind="audio").result()
    refused = FakeGateway({("POST", "/suno/submit/music"): [
        respond({"code": "invalid_request", "message": "prompt too long", "data": None})]})
    engine_for(refused, clock)
    with pytest.raises(APIError, match="prompt too long") as said_no:
        refused.client.create_task("suno", prompt="x", kind="audio")
    assert said_no.value.code == "invalid_request"
    assert refused.client.list_tasks() == []


# ---------------------------------------------------------------- chat-format media

def test_chat_progress_parsing() -> None:
    assert parse_chat_progress("排队中…\n🏃 进度 36..\n🏃 进度 76..") == 76
    assert parse_chat_progress("progress: 12%") == 12
    assert parse_chat_progress("no numbers") is None


def test_chat_format_video(clock: FakeClock) -> None:
    pieces = ["```json\n{\"prompt\": \"cat\", \"ref\": \"https://x/in.png\"}\n```\n",
              "> ID: task_01abcdef\n", "排队中…\n", "🏃 进度 36..", "🏃 进度 76..\n",
              "生成完成 ✅\n", "[点击这里](https://cdn.example.com/sora/out.mp4)"]
    body = sse([chunk({"role": "assistant", "content": ""}),
                *[chunk({"content": p}) for p in pieces], chunk({}, "stop")])
    gw = FakeGateway({("POST", "/v1/chat/completions"): [
        httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})]})
    engine_for(gw, clock)
    seen: list[int | None] = []
    handle = gw.client.create_video("cat", model="sora_video2", protocol="chat",
                                    on_progress=lambda s: seen.append(s.progress))
    result = handle.result()
    assert result.urls == ["https://cdn.example.com/sora/out.mp4"]
    assert result.task_id == "task_01abcdef"
    assert 36 in seen
    assert 76 in seen
    sent = json.loads(gw.requests[0].content)
    assert sent["model"] == "sora_video2"
    assert sent["stream"] is True
    again = gw.client.create_video("cat", model="sora_video2", protocol="chat")
    assert again.reused
    assert again.result().urls == result.urls
    assert gw.count("POST", "/v1/chat/completions") == 1


def test_chat_format_without_link_fails(clock: FakeClock) -> None:
    body = sse([chunk({"content": "生成失败：内容违规"}), chunk({}, "stop")])
    gw = FakeGateway({("POST", "/v1/chat/completions"): [
        httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})]})
    engine_for(gw, clock)
    with pytest.raises(ContentPolicyError, match="违规"):
        gw.client.create_video("cat", model="sora_video2", protocol="chat").result()


def test_protocol_names() -> None:
    for name in ("openai-videos", "newapi-video", "unified-video", "kling", "midjourney", "suno",
                 "chat", "openai_videos"):
        assert get_protocol(name).name == name.replace("_", "-")


def test_suno_continuation_sends_the_clip_and_the_second(clock: FakeClock) -> None:
    gw = FakeGateway({("POST", "/suno/submit/music"): [respond({"code": "success",
                                                                "data": "task_c"})]})
    engine_for(gw, clock)
    gw.client.continue_song("clip-7", at=42.5, lyrics="[Verse 2] rain", tags="folk",
                            model="chirp-v3-5")
    [body] = gw.bodies("POST", "/suno/submit/music")
    assert body == {"prompt": "[Verse 2] rain", "mv": "chirp-v3-5", "continue_clip_id": "clip-7",
                    "continue_at": 42.5, "tags": "folk"}


SEED_002_TEXT = "\n\nHello there, how may I assist you today?"


def _text_answer(text: str) -> FakeGateway:
    body = sse([chunk({"role": "assistant", "content": text}), chunk({}, "stop")])
    return FakeGateway({("POST", "/v1/chat/completions"): [
        httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})]})


def test_a_chat_format_video_without_a_link_returns_the_model_text(clock: FakeClock) -> None:
    # Seed 002 documents sora-2 through the chat route answering with a greeting, no link.
    gw = _text_answer(SEED_002_TEXT)
    engine_for(gw, clock)
    with pytest.raises(NoMediaLinkError) as info:
        gw.client.create_video("a dog in space", model="sora-2", protocol="chat").result()
    error = info.value
    assert isinstance(error, TaskError)
    assert not isinstance(error, ContentPolicyError)
    assert error.reason == ("no video link came back: the model answered with text: "
                            "'Hello there, how may I assist you today?'")
    assert error.reason in str(error)
    assert error.partial_text == SEED_002_TEXT
    assert error.protocol == "chat"


async def test_a_chat_format_video_without_a_link_async(clock: FakeClock) -> None:
    gw = _text_answer(SEED_002_TEXT)
    engine_for(gw, clock)
    handle = await gw.client.acreate_video("a dog in space", model="sora-2", protocol="chat")
    with pytest.raises(NoMediaLinkError) as info:
        await handle.aresult()
    assert info.value.partial_text == SEED_002_TEXT
    assert "no video link came back" in str(info.value)


def test_a_long_text_answer_is_quoted_bounded_and_kept_whole(clock: FakeClock) -> None:
    said = "I can describe a video but not make one. " * 40
    gw = _text_answer(said)
    engine_for(gw, clock)
    with pytest.raises(NoMediaLinkError) as info:
        gw.client.create_video("a dog", model="sora-2", protocol="chat").result()
    reason = info.value.reason or ""
    quoted = said.strip()[:500]
    assert reason == f"no video link came back: the model answered with text: {quoted + '…'!r}"
    assert info.value.partial_text == said


def test_an_empty_chat_format_answer_says_so(clock: FakeClock) -> None:
    gw = _text_answer(" \n ")
    engine_for(gw, clock)
    with pytest.raises(NoMediaLinkError, match="no video link came back: the model's answer "
                                               "was empty"):
        gw.client.create_video("a dog", model="sora-2", protocol="chat").result()


def test_a_failure_line_is_not_a_missing_link(clock: FakeClock) -> None:
    gw = _text_answer("> ID: task_abcdef12\n排队中…\nvideo generation failed: upstream busy")
    engine_for(gw, clock)
    with pytest.raises(TaskError) as info:
        gw.client.create_video("a dog", model="sora-2", protocol="chat").result()
    assert not isinstance(info.value, NoMediaLinkError)
    assert info.value.reason == "video generation failed: upstream busy"


# ---------------------------------------------------------------- Midjourney's other actions

@pytest.mark.parametrize(("action", "count", "ok"), [
    ("blend", 1, False), ("blend", 2, True), ("blend", 5, True), ("blend", 6, False),
    ("describe", 0, False), ("describe", 1, True), ("describe", 2, False),
    ("swap_face", 1, False), ("swap_face", 2, True), ("swap_face", 3, False),
    ("modal", 0, True), ("modal", 1, True), ("modal", 2, False),
])
def test_midjourney_image_counts_per_action(action: str, count: int, ok: bool) -> None:
    from gateway_core.tasks.specs import make_spec

    spec = make_spec(kind="image", model=None, prompt="p", images=[PNG] * count or None,
                     action=action, prompt_required=False,
                     params={"taskId": "t1"} if action == "modal" else {})
    protocol = get_protocol("midjourney")
    if ok:
        protocol.validate(spec)
    else:
        with pytest.raises(InvalidRequestError, match=f"{count} given"):
            protocol.validate(spec)


def test_midjourney_modal_body_carries_the_task_prompt_and_mask(clock: FakeClock) -> None:
    import base64

    gw = FakeGateway({
        ("POST", "/mj/submit/modal"): [respond({"code": 1, "result": "1799"})],
        ("POST", "/mj/insight-face/swap"): [respond({"code": 1, "result": "1800"})],
    })
    engine_for(gw, clock)
    assert gw.client.midjourney_modal("1799", prompt="a cat", mask=PNG).task_id == "1799"
    assert gw.bodies("POST", "/mj/submit/modal") == [{
        "taskId": "1799", "prompt": "a cat",
        "maskBase64": "data:image/png;base64," + base64.b64encode(PNG).decode("ascii")}]
    gw.client.create_task("midjourney", kind="image", action="swap_face", images=[PNG, PNG])
    [swap] = gw.bodies("POST", "/mj/insight-face/swap")
    assert set(swap) == {"sourceBase64", "targetBase64"}
    assert swap["sourceBase64"].startswith("data:image/png;base64,")


async def test_async_continuation_sends_the_same_body(clock: FakeClock) -> None:
    gw = FakeGateway({("POST", "/suno/submit/music"): [respond({"code": "success",
                                                                "data": "task_c"})]})
    engine_for(gw, clock)
    await gw.client.acontinue_song("clip-7", at=12, lyrics="[Outro]", title="End",
                                   model="chirp-v3-5")
    [body] = gw.bodies("POST", "/suno/submit/music")
    assert body == {"prompt": "[Outro]", "mv": "chirp-v3-5", "continue_clip_id": "clip-7",
                    "continue_at": 12, "title": "End"}
