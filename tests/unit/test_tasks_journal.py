"""The task journal: SQLite file under the cache dir, memory mode, dedup lookups."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway_core.tasks import MemoryJournal, SqliteJournal, default_journal_path, open_journal
from gateway_core.tasks.journal import Journal


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


def _begin(journal: Journal, fingerprint: str = "fp1") -> int:
    record = journal.begin(protocol="openai-videos", gateway="https://gw", kind="video",
                           model="sora-2", fingerprint=fingerprint,
                           request={"prompt": "a cat", "images": []})
    return record.local_id


# The behaviour every backend shares is pinned once, for all of them, in
# tests/integration/test_journal_contract.py (memory, SQLite and a real Redis).


def test_sqlite_survives_a_new_instance(tmp_path: Path) -> None:
    path = tmp_path / "tasks.sqlite3"
    local_id = _begin(SqliteJournal(path))
    SqliteJournal(path).submitted(local_id, "task_z", {"model": "m"})
    reopened = SqliteJournal(path).get(local_id)
    assert reopened is not None
    assert reopened.task_id == "task_z"


def test_sqlite_file_of_the_first_release_gains_the_lease_columns(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:  # the first release's table, with one unfinished task
        db.execute("CREATE TABLE tasks (local_id INTEGER PRIMARY KEY AUTOINCREMENT, task_id TEXT,"
                   " protocol TEXT NOT NULL, gateway TEXT NOT NULL, kind TEXT NOT NULL, model TEXT,"
                   " fingerprint TEXT NOT NULL, state TEXT NOT NULL, status TEXT, progress INTEGER,"
                   " meta TEXT NOT NULL DEFAULT '{}', request TEXT NOT NULL DEFAULT '{}',"
                   " result TEXT NOT NULL DEFAULT '[]', reason TEXT, created_at REAL NOT NULL,"
                   " updated_at REAL NOT NULL)")
        db.execute("INSERT INTO tasks (task_id, protocol, gateway, kind, fingerprint, state,"
                   " meta, created_at, updated_at) VALUES ('t1', 'kling', 'https://gw', 'video',"
                   " 'f', 'running', '{\"action\": \"text2video\"}', 1, 1)")
    journal = SqliteJournal(path)
    [record] = journal.records("https://gw", ("running",))
    assert (record.task_id, record.meta, record.lease_owner) == ("t1", {"action": "text2video"},
                                                                  None)
    assert journal.lease(record.local_id, "me", 10.0, 0.0)
