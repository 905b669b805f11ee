"""Gateway faults around a paid video task: the create is never paid twice, polls recover.

The fault script applies to every request of the client, in order: step 1 hits the create,
the next steps hit the polls. Requests are counted per scenario in the emulator's log.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from gateway_core import errors as e
from gateway_core.tasks import PollSettings
from tests.integration.media_support import media_client

CREATE = "/v1/videos"


def scripted_client(gateway: Any, tmp_path: Path, steps: str, **settings: Any) -> tuple[Any, str]:
    scenario = uuid.uuid4().hex
    client = media_client(
        gateway, tmp_path / "tasks.sqlite3",
        headers={"X-Emulator-Faults": steps, "X-Emulator-Scenario": scenario},
        backoff_base=0.01, backoff_max=0.02, **settings)
    return client, scenario


def requests_of(gateway: Any, scenario: str) -> list[dict[str, Any]]:
    return [r for r in gateway.emulator.requests() if r["scenario"] == scenario]


def creates(gateway: Any, scenario: str) -> int:
    return sum(1 for r in requests_of(gateway, scenario)
               if r["method"] == "POST" and r["path"] == CREATE)


@pytest.mark.parametrize("step", ["429-empty", "429-saturated", "503-model-not-found",
                                  "503-overloaded", "500-html", "502-html", "500", "reset",
                                  "200-error", "stall:3", "not-json", "huge:3000000"])
def test_faults_while_polling_are_retried_and_the_task_finishes(
    gateway: Any, tmp_path: Path, step: str
) -> None:
    client, scenario = scripted_client(gateway, tmp_path, f"ok,{step}", timeout=1.0,
                                       max_response_bytes=1_000_000)
    result = client.create_video(f"poll fault {step}", model=gateway.video_model,
                                 protocol="openai-videos").result()
    assert result.state == "succeeded"
    assert creates(gateway, scenario) == 1


@pytest.mark.parametrize("step", ["500-html", "502-html", "500", "503-overloaded"])
def test_server_errors_on_create_are_not_resent(gateway: Any, tmp_path: Path,
                                                step: str) -> None:
    # The gateway may have forwarded the create upstream before failing: sending it again
    # could pay twice, so the error is raised with the journal entry kept for inspection.
    client, scenario = scripted_client(gateway, tmp_path, f"{step},ok")
    prompt = f"create fault {step} {scenario}"
    with pytest.raises(e.ServerError) as caught:
        client.create_video(prompt, model=gateway.video_model, protocol="openai-videos")
    assert creates(gateway, scenario) == 1
    assert caught.value.request_id
    # Nor is it sent again blindly by the caller's retry: that takes new=True.
    with pytest.raises(e.TaskError, match="new=True"):
        client.create_video(prompt, model=gateway.video_model, protocol="openai-videos")
    assert creates(gateway, scenario) == 1


def test_a_dropped_connection_on_create_is_not_resent_and_blocks_a_blind_retry(
    gateway: Any, tmp_path: Path
) -> None:
    client, scenario = scripted_client(gateway, tmp_path, "reset,ok")
    prompt = f"dropped create {scenario}"
    with pytest.raises(e.GatewayConnectionError):
        client.create_video(prompt, model=gateway.video_model, protocol="openai-videos")
    assert creates(gateway, scenario) == 1
    # The same request again could pay twice: refused until the caller says new=True.
    with pytest.raises(e.GatewayError, match="new=True"):
        client.create_video(prompt, model=gateway.video_model, protocol="openai-videos")
    assert creates(gateway, scenario) == 1
    handle = client.create_video(prompt, model=gateway.video_model, protocol="openai-videos",
                                 new=True)
    assert handle.result().state == "succeeded"
    assert creates(gateway, scenario) == 2


@pytest.mark.parametrize("step", ["403-quota", "401", "200-error"])
def test_terminal_errors_on_create_are_typed(gateway: Any, tmp_path: Path, step: str) -> None:
    client, scenario = scripted_client(gateway, tmp_path, f"{step},ok")
    with pytest.raises(e.APIError) as caught:
        client.create_video(f"terminal {step}", model=gateway.video_model,
                            protocol="openai-videos")
    assert caught.value.retryable is False
    assert creates(gateway, scenario) == 1
    assert gateway.api_key not in str(caught.value)


def test_persistent_poll_failures_give_up_with_the_task_id(gateway: Any,
                                                           tmp_path: Path) -> None:
    client, scenario = scripted_client(gateway, tmp_path, "ok," + ",".join(["502-html"] * 40),
                                       max_retries=1)
    handle = client.create_video("poll storm", model=gateway.video_model,
                                 protocol="openai-videos")
    with pytest.raises(e.GatewayError) as caught:
        handle.result()
    assert handle.task_id in str(caught.value)
    polls = [r for r in requests_of(gateway, scenario) if r["method"] == "GET"]
    # bounded: (max_poll_errors + 1) failed polls, each tried 1 + max_retries times
    assert len(polls) == (PollSettings().max_poll_errors + 1) * 2
    assert creates(gateway, scenario) == 1


@pytest.mark.parametrize("step", ["502-html", "reset"])
def test_chat_format_media_is_not_resent_either(gateway: Any, tmp_path: Path,
                                                step: str) -> None:
    # sora-2 through /v1/chat/completions is paid generation too: unlike plain chat, a failure
    # after the body went out is raised, not retried.
    client, scenario = scripted_client(gateway, tmp_path, f"{step},ok")
    with pytest.raises(e.GatewayError):
        client.create_video(f"chat media {step}", model=gateway.video_model, protocol="chat")
    chats = [r for r in requests_of(gateway, scenario) if r["path"] == "/v1/chat/completions"]
    assert len(chats) == 1
