"""The task journal: every paid task is written down before it is polled.

A crash, a killed notebook or a timeout must not cost a second payment. The engine records
an intent row before sending a create request, fills in the gateway's task id as soon as the
answer arrives (before the first poll), and updates the row as the task moves. After a crash,
:meth:`~gateway_core.tasks.engine.TaskEngine.resume` finds unfinished rows and polls them to
the end; an identical request within the dedup window returns the recorded task instead of
paying again.

:class:`SqliteJournal` keeps this in ``$XDG_CACHE_HOME/ai-gateway-kit/tasks.sqlite3`` (or
``~/.cache/…``) by default; ``GATEWAY_TASK_JOURNAL`` names another file, or ``off`` for an
in-memory journal that lives as long as the process (:class:`MemoryJournal`). The journal holds
prompts and result links, never the API key. Each operation opens its own short connection, so
one file is safe across threads and processes.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from .types import TaskRecord, TaskSnapshot

__all__ = [
    "ENV_JOURNAL",
    "Journal",
    "MemoryJournal",
    "SqliteJournal",
    "default_journal_path",
    "open_journal",
]

ENV_JOURNAL = "GATEWAY_TASK_JOURNAL"
_OFF = ("off", "0", "false", "no", "none", "memory", ":memory:")
_COLUMNS = ("local_id", "task_id", "protocol", "gateway", "kind", "model", "fingerprint", "state",
            "status", "progress", "meta", "request", "result", "reason", "created_at",
            "updated_at")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    local_id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id TEXT,
    protocol TEXT NOT NULL,
    gateway TEXT NOT NULL,
    kind TEXT NOT NULL,
    model TEXT,
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL,
    status TEXT,
    progress INTEGER,
    meta TEXT NOT NULL DEFAULT '{}',
    request TEXT NOT NULL DEFAULT '{}',
    result TEXT NOT NULL DEFAULT '[]',
    reason TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_fingerprint ON tasks (fingerprint, created_at);
CREATE INDEX IF NOT EXISTS tasks_state ON tasks (gateway, state);
"""


def default_journal_path() -> Path:
    """``$XDG_CACHE_HOME/ai-gateway-kit/tasks.sqlite3``, else ``~/.cache/…`` (``%LOCALAPPDATA%``
    on Windows)."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base and os.name == "nt":
        base = os.environ.get("LOCALAPPDATA")
    root = Path(base) if base else Path.home() / ".cache"
    return root / "ai-gateway-kit" / "tasks.sqlite3"


class Journal:
    """The interface the engine uses; see :class:`SqliteJournal` and :class:`MemoryJournal`."""

    def begin(self, *, protocol: str, gateway: str, kind: str, model: str | None,
              fingerprint: str, request: dict[str, Any]) -> TaskRecord:
        """Record the intent to create a task (before the create request is sent)."""
        raise NotImplementedError

    def submitted(self, local_id: int, task_id: str, meta: dict[str, Any]) -> TaskRecord:
        """The gateway accepted the task: keep its id (before any poll)."""
        raise NotImplementedError

    def mark(self, local_id: int, state: str, reason: str | None = None) -> None:
        """Set a bookkeeping state (``unknown``: the create's outcome could not be known)."""
        raise NotImplementedError

    def discard(self, local_id: int) -> None:
        """Forget an intent the gateway refused (nothing was paid)."""
        raise NotImplementedError

    def update(self, local_id: int, snapshot: TaskSnapshot) -> None:
        """Store the latest state, progress and, once finished, results or reason."""
        raise NotImplementedError

    def get(self, local_id: int) -> TaskRecord | None:
        raise NotImplementedError

    def find_task(self, gateway: str, protocol: str, task_id: str) -> TaskRecord | None:
        raise NotImplementedError

    def find_recent(self, fingerprint: str, since: float) -> TaskRecord | None:
        """The newest record with this fingerprint created after ``since`` (not failed)."""
        raise NotImplementedError

    def records(self, gateway: str | None = None, states: tuple[str, ...] | None = None,
             limit: int = 100) -> list[TaskRecord]:
        """Records, newest first."""
        raise NotImplementedError


def _result_of(snapshot: TaskSnapshot) -> list[dict[str, Any]]:
    return [item.to_dict() for item in snapshot.items]


class MemoryJournal(Journal):
    """A journal that lives only as long as the process (dedup still works within it)."""

    def __init__(self) -> None:
        self._rows: dict[int, TaskRecord] = {}
        self._next = 1
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return "MemoryJournal()"

    def __getstate__(self) -> dict[str, Any]:
        with self._lock:
            return {"rows": {k: replace(v) for k, v in self._rows.items()}, "next": self._next}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]
        self._rows, self._next = state["rows"], state["next"]

    def begin(self, *, protocol: str, gateway: str, kind: str, model: str | None,
              fingerprint: str, request: dict[str, Any]) -> TaskRecord:
        now = time.time()
        with self._lock:
            record = TaskRecord(
                local_id=self._next, protocol=protocol, gateway=gateway, kind=kind,
                fingerprint=fingerprint, state="submitting", created_at=now, updated_at=now,
                model=model, request=dict(request),
            )
            self._rows[record.local_id] = record
            self._next += 1
        return replace(record)

    def submitted(self, local_id: int, task_id: str, meta: dict[str, Any]) -> TaskRecord:
        with self._lock:
            row = self._rows[local_id]
            row.task_id, row.meta, row.state = task_id, dict(meta), "pending"
            row.updated_at = time.time()
            return replace(row)

    def mark(self, local_id: int, state: str, reason: str | None = None) -> None:
        with self._lock:
            row = self._rows.get(local_id)
            if row is not None:
                row.state, row.reason, row.updated_at = state, reason, time.time()

    def discard(self, local_id: int) -> None:
        with self._lock:
            self._rows.pop(local_id, None)

    def update(self, local_id: int, snapshot: TaskSnapshot) -> None:
        with self._lock:
            row = self._rows.get(local_id)
            if row is None:
                return
            row.state, row.status, row.progress = snapshot.state, snapshot.status, snapshot.progress
            row.reason = snapshot.reason
            if snapshot.extra:
                row.meta = {**row.meta, "extra": dict(snapshot.extra)}
            if snapshot.done:
                row.result = _result_of(snapshot)
            row.updated_at = time.time()

    def get(self, local_id: int) -> TaskRecord | None:
        row = self._rows.get(local_id)
        return replace(row) if row else None

    def find_task(self, gateway: str, protocol: str, task_id: str) -> TaskRecord | None:
        for row in sorted(self._rows.values(), key=lambda r: -r.local_id):
            if (row.gateway, row.protocol, row.task_id) == (gateway, protocol, task_id):
                return replace(row)
        return None

    def find_recent(self, fingerprint: str, since: float) -> TaskRecord | None:
        for row in sorted(self._rows.values(), key=lambda r: -r.local_id):
            if row.fingerprint == fingerprint and row.created_at >= since and row.state != "failed":
                return replace(row)
        return None

    def records(self, gateway: str | None = None, states: tuple[str, ...] | None = None,
             limit: int = 100) -> list[TaskRecord]:
        rows = [r for r in sorted(self._rows.values(), key=lambda r: -r.local_id)
                if (gateway is None or r.gateway == gateway)
                and (states is None or r.state in states)]
        return [replace(r) for r in rows[:limit]]


class SqliteJournal(Journal):
    """The journal in one SQLite file (created on first use, with its directory)."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path).expanduser() if path is not None else default_journal_path()
        self._ready = False
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SqliteJournal({str(self.path)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (SqliteJournal, (self.path,))

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        if not self._ready:
            with self._lock:
                if not self._ready:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    with self._open() as connection:
                        connection.executescript(_SCHEMA)
                    self._ready = True
        with self._open() as connection:
            yield connection

    @contextmanager
    def _open(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.path, timeout=10.0)
        try:
            connection.row_factory = sqlite3.Row
            with connection:  # one transaction, committed on success
                yield connection
        finally:
            connection.close()

    @staticmethod
    def _record(row: sqlite3.Row) -> TaskRecord:
        values = dict(zip(row.keys(), tuple(row), strict=True))
        for name, empty in (("meta", {}), ("request", {}), ("result", [])):
            try:
                values[name] = json.loads(values[name]) if values[name] else empty
            except ValueError:
                values[name] = empty
        return TaskRecord(**{k: values[k] for k in _COLUMNS})

    def begin(self, *, protocol: str, gateway: str, kind: str, model: str | None,
              fingerprint: str, request: dict[str, Any]) -> TaskRecord:
        now = time.time()
        with self._connect() as db:
            cursor = db.execute(
                "INSERT INTO tasks (protocol, gateway, kind, model, fingerprint, state, request,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'submitting', ?, ?, ?)",
                (protocol, gateway, kind, model, fingerprint,
                 json.dumps(request, ensure_ascii=False, default=str), now, now),
            )
            local_id = int(cursor.lastrowid or 0)
        record = self.get(local_id)
        assert record is not None
        return record

    def submitted(self, local_id: int, task_id: str, meta: dict[str, Any]) -> TaskRecord:
        with self._connect() as db:
            db.execute(
                "UPDATE tasks SET task_id = ?, meta = ?, state = 'pending', updated_at = ? "
                "WHERE local_id = ?",
                (task_id, json.dumps(meta, ensure_ascii=False, default=str), time.time(),
                 local_id),
            )
        record = self.get(local_id)
        assert record is not None
        return record

    def mark(self, local_id: int, state: str, reason: str | None = None) -> None:
        with self._connect() as db:
            db.execute("UPDATE tasks SET state = ?, reason = ?, updated_at = ? WHERE local_id = ?",
                       (state, reason, time.time(), local_id))

    def discard(self, local_id: int) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM tasks WHERE local_id = ?", (local_id,))

    def update(self, local_id: int, snapshot: TaskSnapshot) -> None:
        with self._connect() as db:
            row = db.execute("SELECT meta FROM tasks WHERE local_id = ?", (local_id,)).fetchone()
            if row is None:
                return
            meta = json.loads(row["meta"] or "{}")
            if snapshot.extra:
                meta["extra"] = snapshot.extra
            result = json.dumps(_result_of(snapshot), ensure_ascii=False, default=str)
            db.execute(
                "UPDATE tasks SET state = ?, status = ?, progress = ?, reason = ?, meta = ?, "
                "result = CASE WHEN ? THEN ? ELSE result END, updated_at = ? WHERE local_id = ?",
                (snapshot.state, snapshot.status, snapshot.progress, snapshot.reason,
                 json.dumps(meta, ensure_ascii=False, default=str), snapshot.done, result,
                 time.time(), local_id),
            )

    def get(self, local_id: int) -> TaskRecord | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM tasks WHERE local_id = ?", (local_id,)).fetchone()
        return self._record(row) if row else None

    def find_task(self, gateway: str, protocol: str, task_id: str) -> TaskRecord | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT * FROM tasks WHERE gateway = ? AND protocol = ? AND task_id = ? "
                "ORDER BY local_id DESC LIMIT 1", (gateway, protocol, task_id),
            ).fetchone()
        return self._record(row) if row else None

    def find_recent(self, fingerprint: str, since: float) -> TaskRecord | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT * FROM tasks WHERE fingerprint = ? AND created_at >= ? AND state != "
                "'failed' ORDER BY local_id DESC LIMIT 1", (fingerprint, since),
            ).fetchone()
        return self._record(row) if row else None

    def records(self, gateway: str | None = None, states: tuple[str, ...] | None = None,
             limit: int = 100) -> list[TaskRecord]:
        query = "SELECT * FROM tasks"
        clauses: list[str] = []
        args: list[Any] = []
        if gateway is not None:
            clauses.append("gateway = ?")
            args.append(gateway)
        if states:
            clauses.append(f"state IN ({', '.join('?' * len(states))})")
            args.extend(states)
        if clauses:
            query += " WHERE " + " AND ".join(clauses)
        query += " ORDER BY local_id DESC LIMIT ?"
        args.append(limit)
        with self._connect() as db:
            rows = db.execute(query, args).fetchall()
        return [self._record(row) for row in rows]


def open_journal(journal: Journal | str | os.PathLike[str] | bool | None = None) -> Journal:
    """The journal to use: an instance as is; a path; ``False``/``"off"`` for memory only;
    ``None``/``True`` for ``GATEWAY_TASK_JOURNAL`` or the default cache file."""
    if isinstance(journal, Journal):
        return journal
    if journal is False:
        return MemoryJournal()
    if journal is None or journal is True:
        configured = os.environ.get(ENV_JOURNAL, "").strip()
        if configured.lower() in _OFF:
            return MemoryJournal()
        return SqliteJournal(configured or None)
    if str(journal).strip().lower() in _OFF:
        return MemoryJournal()
    return SqliteJournal(journal)
