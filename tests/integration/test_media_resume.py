"""Crash and resume: a process submits a video and is killed while polling; a new process
resumes it from the journal. The emulator must have seen exactly one create request."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from gateway_core.tasks import SqliteJournal
from tests.integration.media_support import Creates, media_client

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent("""
    import sys
    from gateway_core import GatewayClient
    from gateway_core.tasks import PollSettings

    base_url, api_key, journal, model, protocol = sys.argv[1:6]
    client = GatewayClient(base_url=base_url, api_key=api_key)
    client.configure_tasks(journal=journal, poll=PollSettings(interval=0.05, max_interval=0.05,
                                                              timeout=60))
    handle = client.create_video("a crash-tested sunrise", model=model, protocol=protocol)
    print(handle.task_id, flush=True)
    handle.result(on_progress=lambda s: print("progress", s.state, s.progress, flush=True))
    print("finished", flush=True)
""")


@pytest.mark.slow
@pytest.mark.parametrize(("protocol", "model", "create_path"), [
    ("newapi-video", "kling-v2-1+slow", "/v1/video/generations"),
    ("openai-videos", "sora-2+slow", "/v1/videos"),
])
def test_killed_process_then_resume_pays_once(gateway: Any, tmp_path: Path, protocol: str,
                                              model: str, create_path: str) -> None:
    journal = tmp_path / "tasks.sqlite3"
    creates = Creates(gateway, create_path)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, gateway.base_url, gateway.api_key, str(journal), model,
         protocol],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )
    try:
        assert child.stdout is not None
        task_id = child.stdout.readline().strip()
        assert task_id, child.stderr.read() if child.stderr else ""
        # Let it poll at least once, then kill it hard (no cleanup, no finally blocks).
        line = child.stdout.readline()
        assert line.startswith("progress"), line
        child.kill()
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    assert creates.count == 1
    stored = SqliteJournal(journal).records()
    assert [(r.task_id, r.state) for r in stored][0][0] == task_id
    assert stored[0].state in ("pending", "running")

    # A new process (here: a fresh client on the same journal) finishes the paid task.
    client = media_client(gateway, journal)
    outcomes = client.resume_tasks()
    assert len(outcomes) == 1
    outcome = outcomes[0]
    assert outcome.error is None, outcome.error
    assert outcome.result is not None
    assert outcome.result.task_id == task_id
    assert outcome.result.urls
    assert creates.count == 1  # resume never creates
    # Asking again for the same video is answered from the journal.
    again = client.create_video("a crash-tested sunrise", model=model, protocol=protocol)
    assert again.reused
    assert again.result().urls == outcome.result.urls
    assert creates.count == 1


def test_exception_after_the_journal_write_then_resume(gateway: Any, tmp_path: Path) -> None:
    journal = tmp_path / "tasks.sqlite3"
    creates = Creates(gateway, "/v1/video/create")
    client = media_client(gateway, journal)
    handle = client.create_video("injected crash", model="veo3.1-fast+slow",
                                 protocol="unified-video")

    def boom(record: Any) -> Any:
        raise RuntimeError("injected: the process dies here")

    client.tasks.poll = boom
    with pytest.raises(RuntimeError):
        handle.result()
    fresh = media_client(gateway, journal)
    outcomes = fresh.resume_tasks()
    assert [o.result.task_id for o in outcomes if o.result] == [handle.task_id]
    assert creates.count == 1


async def test_async_resume_of_several_tasks(gateway: Any, tmp_path: Path) -> None:
    journal = tmp_path / "tasks.sqlite3"
    client = media_client(gateway, journal)
    ids = [(await client.acreate_video(f"async resume {n}", model="kling-v2-1",
                                       protocol="newapi-video")).task_id for n in range(3)]
    fresh = media_client(gateway, journal)
    outcomes = await fresh.aresume_tasks()
    assert sorted(o.result.task_id for o in outcomes if o.result) == sorted(ids)
