"""The task journal: SQLite file under the cache dir, memory mode, dedup lookups."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway_core.media_items import MediaItem
from gateway_core.tasks import MemoryJournal, SqliteJournal, default_journal_path, open_journal
from gateway_core.tasks.journal import Journal
from gateway_core.tasks.types import TaskSnapshot


def test_default_path_follows_xdg_cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert default_journal_path() == tmp_path / "cache" / "ai-gateway-kit" / "tasks.sqlite3"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_journal_path() == tmp_path / "home" / ".cache" / "ai-gateway-kit" / \
        "tasks.sqlite3"


def test_open_journal_choices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_TASK_JOURNAL", "off")
    assert isinstance(open_journal(None), MemoryJournal)
    monkeypatch.setenv("GATEWAY_TASK_JOURNAL", str(tmp_path / "j.sqlite3"))
    journal = open_journal(None)
    assert isinstance(journal, SqliteJournal)
    assert journal.path == tmp_path / "j.sqlite3"
    assert isinstance(open_journal(False), MemoryJournal)
    assert isinstance(open_journal(tmp_path / "x.db"), SqliteJournal)
    memory = MemoryJournal()
    assert open_journal(memory) is memory


@pytest.fixture(params=["sqlite", "memory"])
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> Journal:
    if request.param == "sqlite":
        return SqliteJournal(tmp_path / "nested" / "tasks.sqlite3")
    return MemoryJournal()


def _begin(journal: Journal, fingerprint: str = "fp1") -> int:
    record = journal.begin(protocol="openai-videos", gateway="https://gw", kind="video",
                           model="sora-2", fingerprint=fingerprint,
                           request={"prompt": "a cat", "images": []})
    assert record.state == "submitting"
    assert record.task_id is None
    return record.local_id


def test_lifecycle(journal: Journal) -> None:
    local_id = _begin(journal)
    record = journal.submitted(local_id, "task_abc", {"model": "sora-2", "action": "x"})
    assert (record.task_id, record.state, record.meta["action"]) == ("task_abc", "pending", "x")
    running = TaskSnapshot(task_id="task_abc", protocol="openai-videos", state="running",
                           status="in_progress", progress=30, extra={"buttons": [1]})
    journal.update(local_id, running)
    stored = journal.get(local_id)
    assert stored is not None
    assert (stored.state, stored.progress, stored.result) == ("running", 30, [])
    assert stored.meta["extra"] == {"buttons": [1]}
    done = TaskSnapshot(task_id="task_abc", protocol="openai-videos", state="succeeded",
                        status="completed", progress=100,
                        items=[MediaItem("video", url="https://cdn/v.mp4",
                                         extra={"oss_url": "https://oss/v.mp4"})])
    journal.update(local_id, done)
    stored = journal.get(local_id)
    assert stored is not None
    assert stored.finished
    assert stored.items()[0].url == "https://cdn/v.mp4"
    assert stored.snapshot().urls == ["https://oss/v.mp4"]
    assert journal.find_task("https://gw", "openai-videos", "task_abc") is not None
    assert journal.find_task("https://other", "openai-videos", "task_abc") is None


def test_recent_lookup_window_and_failed_rows(journal: Journal) -> None:
    local_id = _begin(journal, "same")
    found = journal.find_recent("same", since=0)
    assert found is not None
    assert found.local_id == local_id
    assert journal.find_recent("same", since=found.created_at + 10) is None
    assert journal.find_recent("other", since=0) is None
    journal.mark(local_id, "failed", "boom")
    assert journal.find_recent("same", since=0) is None  # failed work may be retried


def test_discard_and_listing(journal: Journal) -> None:
    first = _begin(journal, "a")
    second = _begin(journal, "b")
    journal.submitted(second, "task_2", {})
    journal.discard(first)
    assert journal.get(first) is None
    listed = journal.records("https://gw", ("pending",))
    assert [r.task_id for r in listed] == ["task_2"]
    assert journal.records("https://elsewhere") == []


def test_sqlite_survives_a_new_instance(tmp_path: Path) -> None:
    path = tmp_path / "tasks.sqlite3"
    local_id = _begin(SqliteJournal(path))
    SqliteJournal(path).submitted(local_id, "task_z", {"model": "m"})
    reopened = SqliteJournal(path).get(local_id)
    assert reopened is not None
    assert reopened.task_id == "task_z"
