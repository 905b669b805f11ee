"""The task journal never holds the API key, checked where the key really flows.

The key travels with every create and poll of a paid task; the journal stores the request, the
task id, the gateway's answers and the results. The scan reads every file SQLite writes (the
database and its WAL), and a positive control proves it sees what the journal stored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gateway_core.tasks import SqliteJournal
from tests.unit.media_fakes import CREATE, KEY, POLL, FakeClock, FakeGateway, engine_for, respond


def video(status: str, progress: int = 0, **extra: Any) -> dict[str, Any]:
    return {"id": "task_1", "object": "video", "model": "sora-2", "status": status,
            "progress": progress, **extra}


def journal_bytes(directory: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(directory.iterdir()) if path.is_file())


def test_a_journalled_paid_task_leaves_no_key_in_any_journal_file(tmp_path: Path) -> None:
    gw = FakeGateway({
        CREATE: [respond(video("queued"))],
        POLL: [respond(video("in_progress", 50)),
               respond(video("completed", 100, metadata={"url": "https://cdn/v.mp4"}))],
    })
    journal = SqliteJournal(tmp_path / "journal" / "tasks.sqlite3")
    engine_for(gw, FakeClock(), journal=journal)
    marker = "prompt-marker-5f1c"
    result = gw.client.create_video(f"a cat {marker}", model="sora-2",
                                    protocol="openai-videos").result()
    assert result.urls == ["https://cdn/v.mp4"]
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in gw.requests)
    stored = journal_bytes(tmp_path / "journal")
    assert marker.encode() in stored  # the scan sees what the journal wrote
    assert KEY.encode() not in stored
    assert KEY.removeprefix("sk-").encode() not in stored
