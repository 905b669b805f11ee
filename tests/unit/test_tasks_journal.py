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
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "windows"))  # read on Windows only
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


@pytest.mark.parametrize("word", ["off", " OFF ", "0", "false", "No", "none", "memory",
                                  ":memory:"])
def test_every_off_word_keeps_the_journal_in_memory(word: str, monkeypatch: pytest.MonkeyPatch
                                                    ) -> None:
    monkeypatch.setenv("GATEWAY_TASK_JOURNAL", word)
    assert isinstance(open_journal(None), MemoryJournal)
    assert isinstance(open_journal(True), MemoryJournal)  # True: the environment decides
    assert isinstance(open_journal(word), MemoryJournal)


def test_no_setting_is_the_cache_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("GATEWAY_TASK_JOURNAL", "  ")
    journal = open_journal(None)
    assert isinstance(journal, SqliteJournal)
    assert journal.path == tmp_path / "ai-gateway-kit" / "tasks.sqlite3"
    monkeypatch.delenv("GATEWAY_TASK_JOURNAL")
    unset = open_journal(True)
    assert isinstance(unset, SqliteJournal)
    assert unset.path == tmp_path / "ai-gateway-kit" / "tasks.sqlite3"
    assert repr(MemoryJournal()) == "MemoryJournal()"
    assert open_journal(f" {tmp_path / 'j.db'} ").path == tmp_path / "j.db"  # type: ignore[attr-defined]


@pytest.mark.parametrize("url", ["redis://127.0.0.1:1/0", "REDISS://h:6380/1",
                                 "unix:///tmp/redis.sock"])
def test_redis_urls_open_the_redis_journal(url: str) -> None:
    from gateway_core.coordination.redis_journal import RedisJournal

    journal = open_journal(url)
    assert isinstance(journal, RedisJournal)  # connects on first use, not here
    assert journal.url == url


def test_sqlite_journal_makes_its_directory_in_wal_mode(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "a" / "b" / "tasks.sqlite3"
    journal = SqliteJournal(path)
    assert repr(journal) == f"SqliteJournal({str(path)!r})"
    _begin(journal)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        indexes = {row[0] for row in db.execute("SELECT name FROM sqlite_master "
                                                "WHERE type = 'index'")}
    assert {"tasks_fingerprint", "tasks_task", "tasks_gateway", "tasks_state"} <= indexes


def test_sqlite_journal_path_expands_the_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert SqliteJournal("~/j.sqlite3").path == tmp_path / "j.sqlite3"


def test_a_damaged_sqlite_row_reads_as_empty_fields(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "tasks.sqlite3"
    journal = SqliteJournal(path)
    local_id = _begin(journal)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE tasks SET meta = '{broken', request = '', result = 'null x' "
                   "WHERE local_id = ?", (local_id,))
    stored = journal.get(local_id)
    assert stored is not None
    assert (stored.meta, stored.request, stored.result) == ({}, {}, [])


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    journal = SqliteJournal(tmp_path / "tasks.sqlite3")
    local_id = _begin(journal)

    class Unserialisable:
        def __str__(self) -> str:
            raise RuntimeError("cannot say")

    with pytest.raises(RuntimeError):
        journal.submitted(local_id, "t1", {"x": Unserialisable()})
    stored = journal.get(local_id)
    assert stored is not None
    assert (stored.state, stored.task_id) == ("submitting", None)  # rolled back
    journal.submitted(local_id, "t1", {})  # the write lock was released
