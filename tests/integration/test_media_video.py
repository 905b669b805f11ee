"""Every video protocol over loopback against the emulator, with its failure modes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway_core.errors import (
    BadRequestError,
    InvalidRequestError,
    NoMediaLinkError,
    TaskError,
    TaskTimeoutError,
)
from gateway_core.media_items import sniff_mime
from gateway_core.tasks import CancelToken, PollSettings, TaskCancelledError
from tests.integration.media_support import Creates, media_client

CREATE_PATHS = {
    "openai-videos": "/v1/videos",
    "newapi-video": "/v1/video/generations",
    "unified-video": "/v1/video/create",
    "kling": "/kling/v1/videos/text2video",
    "chat": "/v1/chat/completions",
}
CASES = [("openai-videos", "sora-2"), ("openai-videos", "kling-v2-1"),
         ("newapi-video", "kling-v2-1"), ("newapi-video", "doubao-seedance-1-0-pro"),
         ("unified-video", "veo3.1-fast"), ("kling", "kling-v2-1"), ("chat", "sora-2")]


@pytest.fixture
def client(gateway: Any, tmp_path: Path) -> Any:
    return media_client(gateway, tmp_path / "tasks.sqlite3")


@pytest.mark.parametrize(("protocol", "model"), CASES)
def test_video_succeeds_once_with_progress(gateway: Any, client: Any, protocol: str,
                                           model: str) -> None:
    creates = Creates(gateway, CREATE_PATHS[protocol])
    seen: list[Any] = []
    handle = client.create_video(f"waves {protocol} {model}", model=model, protocol=protocol,
                                 seconds=5 if "sora" not in model else 4,
                                 on_progress=seen.append)
    result = handle.result(on_progress=seen.append)
    assert result.state == "succeeded"
    assert result.task_id == handle.task_id
    assert result.urls
    assert creates.count == 1
    progress = [s.progress for s in seen if s.progress is not None]
    assert progress == sorted(progress)
    assert len(seen) >= 2


def test_sora_result_via_content_route_downloads_real_mp4(gateway: Any, client: Any,
                                                          tmp_path: Path) -> None:
    result = client.create_video("sora content", model="sora-2",
                                 protocol="openai-videos").result()
    item = result.items[0]
    assert item.needs_auth
    assert item.url.endswith(f"/v1/videos/{result.task_id}/content")
    path = item.save(tmp_path, download=True, transport=client.transport)
    assert sniff_mime(path.read_bytes()) == "video/mp4"


def test_content_json_flag(gateway: Any, client: Any) -> None:
    result = client.create_video("cj", model="sora-2+content-json",
                                 protocol="openai-videos").result()
    assert result.urls[0].endswith(".mp4")
    assert not result.items[0].needs_auth


@pytest.mark.parametrize("flag", ["shape2", "shape3", "legacy", "unknown-status"])
def test_newapi_poll_shapes_and_legacy(gateway: Any, client: Any, flag: str) -> None:
    result = client.create_video(f"shape {flag}", model=f"kling-v2-1+{flag}",
                                 protocol="newapi-video").result()
    assert result.urls[0].endswith(".mp4")
    if flag == "legacy":
        assert not result.task_id.startswith("task_")  # the upstream id, used as returned


@pytest.mark.parametrize(("protocol", "model"), CASES)
def test_failure_names_task_protocol_and_reason(gateway: Any, client: Any, protocol: str,
                                                model: str) -> None:
    with pytest.raises(TaskError) as caught:
        client.create_video(f"fail {protocol} {model}", model=f"{model}+fail",
                            protocol=protocol).result()
    error = caught.value
    assert error.protocol == protocol
    assert error.task_id
    assert error.task_id in str(error)
    assert "asked to fail" in str(error)


def test_stuck_task_times_out_with_its_id_and_can_be_waited_again(gateway: Any,
                                                                  client: Any) -> None:
    handle = client.create_video("stuck", model="kling-v2-1+stuck", protocol="newapi-video")
    with pytest.raises(TaskTimeoutError) as caught:
        handle.result(timeout=0.3)
    assert caught.value.task_id == handle.task_id
    assert [r.state for r in client.list_tasks()] == ["running"]


def test_cancel_waiting(gateway: Any, client: Any) -> None:
    token = CancelToken()
    handle = client.create_video("cancel me", model="kling-v2-1+slow", protocol="newapi-video")
    with pytest.raises(TaskCancelledError):
        handle.result(cancel=token, on_progress=lambda s: token.cancel())


def test_identical_request_is_not_paid_twice(gateway: Any, client: Any) -> None:
    creates = Creates(gateway, "/v1/videos")
    first = client.create_video("same", model="sora-2", protocol="openai-videos")
    second = client.create_video("same", model="sora-2", protocol="openai-videos")
    assert second.reused
    assert second.task_id == first.task_id
    assert first.result().urls == second.result().urls
    third = client.create_video("same", model="sora-2", protocol="openai-videos", new=True)
    assert third.task_id != first.task_id
    assert creates.count == 2


def test_gateway_validation_error_is_typed_and_not_journaled(gateway: Any, client: Any) -> None:
    creates = Creates(gateway, "/v1/videos")
    with pytest.raises(BadRequestError) as caught:
        client.create_video("bad size", model="sora-2", size="1792x1024",
                            protocol="openai-videos")
    assert caught.value.code == "invalid_size"
    assert creates.count == 1
    assert client.list_tasks() == []
    with pytest.raises(InvalidRequestError):
        client.create_video("x", model="sora-2", seconds=99999, protocol="openai-videos")
    assert creates.count == 1


def test_image_to_video_with_local_file(gateway: Any, client: Any, tmp_path: Path) -> None:
    png = client.generate_image("first frame", model="gpt-image-1").items[0].save(tmp_path)
    for protocol in ("openai-videos", "kling", "newapi-video"):
        result = client.create_video(f"animate {protocol}", model="kling-v2-1", images=png,
                                     protocol=protocol).result()
        assert result.urls


def test_wait_by_id_from_another_client(gateway: Any, client: Any, tmp_path: Path) -> None:
    handle = client.create_video("by id", model="veo3.1-fast", protocol="unified-video")
    other = media_client(gateway, False)
    result = other.wait_task(handle.task_id, protocol="unified-video")
    assert result.urls


async def test_async_video_and_concurrency(gateway: Any, client: Any) -> None:
    import asyncio

    handles = await asyncio.gather(*(
        client.acreate_video(f"async {n}", model="kling-v2-1", protocol="newapi-video")
        for n in range(4)))
    results = await asyncio.gather(*(h.aresult() for h in handles))
    assert all(r.urls for r in results)
    assert len({r.task_id for r in results}) == 4


def test_poll_settings_are_respected(gateway: Any, tmp_path: Path) -> None:
    import time

    from gateway_core.tasks import Poller

    waits: list[float] = []

    def sleep(seconds: float) -> None:  # the poller's own waits, seen as it asks for them
        waits.append(seconds)
        time.sleep(seconds)

    slow_poll = media_client(gateway, False)
    slow_poll.configure_tasks(
        journal=False, poll=Poller(PollSettings(interval=0.3, max_interval=0.3), sleep=sleep))
    slow_poll.create_video("timing", model="kling-v2-1", protocol="newapi-video").result()
    assert waits  # the task was polled more than once
    assert set(waits) == {0.3}


def test_a_text_model_through_chat_format_video_says_no_link_came_back(gateway: Any,
                                                                       client: Any) -> None:
    # A text model sold under the chat route answers in words (as seed 002's documented answer
    # does): the error says no video link came back and keeps the model's whole text.
    with pytest.raises(NoMediaLinkError, match="no video link came back") as info:
        client.create_video("a dog on the moon", model="gpt-4o-mini", protocol="chat",
                            append_hints=False).result()
    assert info.value.partial_text == "Echo: a dog on the moon"
    assert "'Echo: a dog on the moon'" in (info.value.reason or "")


async def test_a_text_model_through_chat_format_video_async(gateway: Any, client: Any) -> None:
    handle = await client.acreate_video("a cat on the moon", model="gpt-4o-mini",
                                        protocol="chat", append_hints=False)
    with pytest.raises(NoMediaLinkError) as info:
        await handle.aresult()
    assert info.value.partial_text == "Echo: a cat on the moon"


def test_a_text_model_through_chat_format_images_says_no_image_link(gateway: Any,
                                                                    client: Any) -> None:
    with pytest.raises(NoMediaLinkError, match="no image link came back") as info:
        client.generate_image("a red kite", model="gpt-4o-mini", protocol="chat")
    assert info.value.partial_text == "Echo: a red kite"
