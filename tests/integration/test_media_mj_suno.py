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
