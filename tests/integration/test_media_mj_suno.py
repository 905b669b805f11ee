"""Midjourney and Suno over loopback against the emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway_core.errors import ContentPolicyError, TaskError
from tests.integration.media_support import Creates, media_client


@pytest.fixture
def client(gateway: Any, tmp_path: Path) -> Any:
    return media_client(gateway, tmp_path / "tasks.sqlite3")


def test_midjourney_imagine_then_upscale_by_custom_id(gateway: Any, client: Any) -> None:
    creates = Creates(gateway, "/mj/submit/imagine")
    result = client.generate_image("a paper boat", model="midjourney", protocol="midjourney")
    assert result.urls
    buttons = result.raw["extra"]["buttons"]
    upscale = next(b for b in buttons if b.get("label") == "U1")
    follow = client.midjourney_action(result.raw["task_id"], upscale["customId"]).result()
    assert follow.urls
    assert follow.urls != result.urls
    assert creates.count == 1


def test_midjourney_banned_prompt(gateway: Any, tmp_path: Path) -> None:
    client = media_client(gateway, False, headers={"X-Emulator-Task": "banned"})
    with pytest.raises(ContentPolicyError) as caught:
        client.create_task("midjourney", prompt="anything", kind="image")
    assert caught.value.protocol == "midjourney"
    assert client.list_tasks() == []


def test_midjourney_queue_full_is_not_accepted(gateway: Any) -> None:
    client = media_client(gateway, False, headers={"X-Emulator-Task": "queue-full"})
    client.tasks.submit_retries = 0
    with pytest.raises(TaskError, match="queue is full") as caught:
        client.create_task("midjourney", prompt="anything", kind="image")
    assert caught.value.retryable
    assert client.list_tasks() == []


def test_midjourney_queued_code_22_is_accepted(gateway: Any) -> None:
    client = media_client(gateway, False, headers={"X-Emulator-Task": "queued"})
    assert client.create_task("midjourney", prompt="q", kind="image").result().urls


def test_midjourney_failure_reason(gateway: Any) -> None:
    client = media_client(gateway, False, headers={"X-Emulator-Task": "fail"})
    with pytest.raises(TaskError) as caught:
        client.create_task("midjourney", prompt="f", kind="image").result()
    assert caught.value.task_id
    assert "asked to fail" in str(caught.value)


def test_suno_song_only_complete_clips(gateway: Any, client: Any) -> None:
    creates = Creates(gateway, "/suno/submit/music")
    result = client.create_task("suno", prompt="a song about rain", model="chirp-v3-5",
                                kind="audio").result()
    assert len(result.items) == 2
    assert all(item.kind == "audio" and item.url for item in result.items)
    assert creates.count == 1


def test_suno_clip_error_keeps_the_complete_clip(gateway: Any, client: Any) -> None:
    result = client.create_task("suno", prompt="rain two", model="chirp-v3-5+clip-error",
                                kind="audio").result()
    assert len(result.items) == 1
    assert result.reason


def test_suno_lyrics(gateway: Any, client: Any) -> None:
    result = client.create_task("suno", prompt="lyrics about tea", kind="audio",
                                action="lyrics").result()
    assert result.extra.get("lyrics")


# ------------------------------------------------------------------ Midjourney's other actions

def _png(color: int) -> bytes:
    from tests.unit.media_fakes import tiny_png

    return tiny_png(2 + color, 2)


@pytest.mark.parametrize(("action", "images", "prompt", "route"), [
    ("blend", 2, None, "/mj/submit/blend"),
    ("describe", 1, None, "/mj/submit/describe"),
    ("shorten", 0, "a very long and wordy prompt about a lighthouse at dusk", "/mj/submit/shorten"),
    ("swap_face", 2, None, "/mj/insight-face/swap"),
])
@pytest.mark.parametrize("asynchronous", [False, True])
def test_midjourney_actions_through_the_package(
        gateway: Any, client: Any, action: str, images: int, prompt: str | None, route: str,
        asynchronous: bool) -> None:
    import asyncio

    creates = Creates(gateway, route)
    pictures = [_png(i) for i in range(images)] or None

    async def run_async() -> Any:
        handle = await client.acreate_task("midjourney", kind="image", action=action,
                                           prompt=prompt, images=pictures)
        return await handle.aresult()

    result = (asyncio.run(run_async()) if asynchronous else
              client.create_task("midjourney", kind="image", action=action, prompt=prompt,
                                 images=pictures).result())
    assert result.state == "succeeded"
    assert creates.count == 1
    if action == "describe":
        assert result.extra.get("text")  # the prompts Midjourney read from the image
    else:
        assert result.urls


@pytest.mark.parametrize("asynchronous", [False, True])
def test_midjourney_video_through_the_package(gateway: Any, client: Any,
                                              asynchronous: bool) -> None:
    import asyncio

    creates = Creates(gateway, "/mj/submit/video")

    async def run_async() -> Any:
        handle = await client.acreate_task("midjourney", kind="video", action="video",
                                           prompt="a paper boat drifting")
        return await handle.aresult()

    result = (asyncio.run(run_async()) if asynchronous else
              client.create_task("midjourney", kind="video", action="video",
                                 prompt="a paper boat drifting").result())
    assert result.state == "succeeded"
    assert creates.count == 1
    # the video first (what was asked for), then the frame it started from
    assert [item.kind for item in result.items] == ["video", "image"]
    assert result.urls[0].endswith(".mp4")


def test_midjourney_swap_face_needs_two_images(client: Any) -> None:
    from gateway_core.errors import InvalidRequestError

    with pytest.raises(InvalidRequestError, match="two images"):
        client.create_task("midjourney", kind="image", action="swap_face", images=[_png(0)])


# ------------------------------------------------------------------ Suno continuation, batch fetch

def test_suno_continuation_and_batch_fetch(gateway: Any, client: Any) -> None:
    import asyncio

    first = client.create_task("suno", prompt="a song about rain", model="chirp-v3-5",
                               kind="audio").result()
    clip = first.items[0].extra.get("id") if first.items[0].extra else None
    clip = clip or first.raw["data"][0]["id"]
    before = len(gateway.emulator.requests("/suno/submit/music"))
    follow = client.continue_song(clip, at=42.5, lyrics="[Verse 2]\nstill raining",
                                  tags="folk", model="chirp-v3-5").result()
    assert follow.items
    sent = gateway.emulator.requests("/suno/submit/music")[before:]
    assert len(sent) == 1
    fetched = client.suno_fetch([first.task_id, follow.task_id])
    assert [s.task_id for s in fetched] == [first.task_id, follow.task_id]
    assert all(s.state == "succeeded" for s in fetched)
    again = asyncio.run(client.asuno_fetch([follow.task_id]))
    assert again[0].items


def test_suno_continuation_checks_its_arguments(client: Any) -> None:
    from gateway_core.errors import InvalidRequestError

    with pytest.raises(InvalidRequestError, match="clip"):
        client.continue_song(" ", at=1, lyrics="x")
    with pytest.raises(InvalidRequestError, match="second"):
        client.continue_song("clip-1", at=-1, lyrics="x")


def test_midjourney_custom_zoom_then_modal_through_the_package(gateway: Any, client: Any) -> None:
    # A Custom Zoom button opens a MODAL task (code 21): it waits for the modal's prompt,
    # submitted with action="modal" and the task's id, then runs to its image.
    grid = client.generate_image("a paper boat", model="midjourney", protocol="midjourney")
    u1 = next(b for b in grid.raw["extra"]["buttons"] if b.get("label") == "U1")
    upscaled = client.midjourney_action(grid.raw["task_id"], u1["customId"]).result()
    zoom = next(b for b in upscaled.extra["buttons"]
                if b["customId"].startswith("MJ::CustomZoom::"))
    waiting = client.midjourney_action(upscaled.task_id, zoom["customId"])
    modal = client.create_task("midjourney", kind="image", action="modal",
                               taskId=waiting.task_id, prompt="a paper boat --zoom 2")
    result = modal.result()
    assert result.state == "succeeded"
    assert result.urls
    assert waiting.result().urls == result.urls  # the zoom task itself finished with it


async def test_midjourney_vary_region_modal_async_sends_the_mask(gateway: Any,
                                                                  client: Any) -> None:
    # The async path end to end: imagine, upscale, a Custom Zoom button (MODAL), then the modal
    # answered with a prompt and a mask; the emulator received the mask as maskBase64.
    grid = await client.agenerate_image("a lighthouse", model="midjourney",
                                        protocol="midjourney")
    u2 = next(b for b in grid.raw["extra"]["buttons"] if b.get("label") == "U2")
    upscaled = await (await client.amidjourney_action(grid.raw["task_id"],
                                                      u2["customId"])).aresult()
    zoom = next(b for b in upscaled.extra["buttons"]
                if b["customId"].startswith("MJ::CustomZoom::"))
    waiting = await client.amidjourney_action(upscaled.task_id, zoom["customId"])
    modals = Creates(gateway, "/mj/submit/modal")
    mask = _png(3)
    handle = await client.amidjourney_modal(waiting.task_id, prompt="a lighthouse --zoom 1.5",
                                            mask=mask)
    result = await handle.aresult()
    assert result.urls
    assert modals.count == 1
    [entry] = gateway.emulator.requests("/mj/submit/modal")[-1:]
    import base64

    assert entry["params"]["taskId"] == waiting.task_id
    assert "a lighthouse --zoom 1.5" in str(result.extra.get("final_prompt"))
    assert entry["params"]["maskBase64"] == (
        "data:image/png;base64," + base64.b64encode(mask).decode("ascii"))


def test_midjourney_modal_needs_a_waiting_task(client: Any) -> None:
    from gateway_core.errors import InvalidRequestError

    with pytest.raises(InvalidRequestError, match="taskId"):
        client.create_task("midjourney", kind="image", action="modal", prompt="x")
    with pytest.raises(InvalidRequestError, match="at most one image"):
        client.create_task("midjourney", kind="image", action="modal", taskId="t",
                           images=[_png(0), _png(1)])
    with pytest.raises(InvalidRequestError, match="two to five images; 6 given"):
        client.create_task("midjourney", kind="image", action="blend",
                           images=[_png(i) for i in range(6)])


async def test_suno_continuation_and_batch_fetch_async(gateway: Any, client: Any) -> None:
    first = await (await client.acreate_task("suno", prompt="a song about snow",
                                             model="chirp-v3-5", kind="audio")).aresult()
    clip = first.raw["data"][0]["id"]
    creates = Creates(gateway, "/suno/submit/music")
    follow = await (await client.acontinue_song(clip, at=30, lyrics="[Chorus] snow again",
                                                title="Snow II", model="chirp-v3-5")).aresult()
    assert follow.items
    assert creates.count == 1
    sent = gateway.emulator.requests("/suno/submit/music")[-1]["params"]
    assert sent["continue_clip_id"] == clip
    assert sent["continue_at"] == 30
    assert sent["title"] == "Snow II"
    fetched = await client.asuno_fetch([follow.task_id, first.task_id])
    assert [s.task_id for s in fetched] == [follow.task_id, first.task_id]
    assert [len(s.items) for s in fetched] == [len(follow.items), len(first.items)]
