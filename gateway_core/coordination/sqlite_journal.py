"""The journal in one SQLite file: safe across the threads and processes of one machine.

Each operation opens its own short connection (nothing to share wrongly across threads or a
fork). Writes take the write lock up front (``BEGIN IMMEDIATE``), so a claim's look-up and
insert are one transaction: 8 processes submitting one request make one row. The file is in WAL
mode (readers never wait for the writer) and a busy writer is waited for, never reported as
"database is locked" within ``busy_timeout``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..tasks.types import TaskRecord, TaskSnapshot
from .journal_base import Claim, Journal, UnknownRecordError, lease_free, merged_meta, result_of

__all__ = ["SqliteJournal", "default_journal_path"]

_COLUMNS = ("local_id", "task_id", "protocol", "gateway", "kind", "model", "fingerprint", "state",
            "status", "progress", "meta", "request", "result", "reason", "created_at",
            "updated_at", "lease_owner", "lease_until")
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
    updated_at REAL NOT NULL,
    lease_owner TEXT,
    lease_until REAL
);
"""
# Added after the first release: files written by it get the columns on first open.
_LATER_COLUMNS = (("lease_owner", "TEXT"), ("lease_until", "REAL"))
_INDEXES = """
CREATE INDEX IF NOT EXISTS tasks_fingerprint ON tasks (fingerprint, created_at);
CREATE INDEX IF NOT EXISTS tasks_task ON tasks (task_id, gateway, protocol);
CREATE INDEX IF NOT EXISTS tasks_gateway ON tasks (gateway, local_id);
CREATE INDEX IF NOT EXISTS tasks_state ON tasks (gateway, state, local_id);
"""
_BUSY_TIMEOUT = 60.0


def default_journal_path() -> Path:
    """``$XDG_CACHE_HOME/ai-gateway-kit/tasks.sqlite3``, else ``~/.cache/…`` (``%LOCALAPPDATA%``
    on Windows)."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base and os.name == "nt":
        base = os.environ.get("LOCALAPPDATA")
    root = Path(base) if base else Path.home() / ".cache"
    return root / "ai-gateway-kit" / "tasks.sqlite3"


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


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

    # ------------------------------------------------------------------ connections

    def _connection(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT, isolation_level=None)
        connection.row_factory = sqlite3.Row
        return connection

    def _prepare(self) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = self._connection()
            try:
                connection.executescript(_SCHEMA)
                connection.execute("BEGIN IMMEDIATE")  # one process adds missing columns
                known = {row["name"] for row in connection.execute("PRAGMA table_info(tasks)")}
                for name, kind in _LATER_COLUMNS:
                    if name not in known:
                        connection.execute(f"ALTER TABLE tasks ADD COLUMN {name} {kind}")
                connection.execute("COMMIT")
                connection.executescript(_INDEXES)
                try:  # WAL: readers never wait for the writer (a setting kept in the file)
                    connection.execute("PRAGMA journal_mode=WAL")
                except sqlite3.OperationalError:
                    pass  # another process holds the file right now; it works without, slower
            finally:
                connection.close()
            self._ready = True

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        self._prepare()
        connection = self._connection()
        try:
            yield connection
        finally:
            connection.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction holding the write lock from its first statement."""
        self._prepare()
        connection = self._connection()
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        finally:
            connection.close()

    @staticmethod
    def _record(row: sqlite3.Row) -> TaskRecord:
        values = {name: row[name] for name in _COLUMNS}
        for name, empty in (("meta", {}), ("request", {}), ("result", [])):
            try:
                values[name] = json.loads(values[name]) if values[name] else empty
            except ValueError:
                values[name] = empty
        return TaskRecord(**values)

    @staticmethod
    def _fetch(db: sqlite3.Connection, local_id: int) -> TaskRecord:
        row = db.execute("SELECT * FROM tasks WHERE local_id = ?", (local_id,)).fetchone()
        if row is None:
            raise UnknownRecordError(local_id)
        return SqliteJournal._record(row)

    # ------------------------------------------------------------------ the interface

    def _insert(self, db: sqlite3.Connection, protocol: str, gateway: str, kind: str,
                model: str | None, fingerprint: str, request: dict[str, Any],
                lease: tuple[str, float] | None) -> TaskRecord:
        now = time.time()
        owner, until = lease if lease else (None, None)
        cursor = db.execute(
            "INSERT INTO tasks (protocol, gateway, kind, model, fingerprint, state, request,"
            " created_at, updated_at, lease_owner, lease_until)"
            " VALUES (?, ?, ?, ?, ?, 'submitting', ?, ?, ?, ?, ?)",
            (protocol, gateway, kind, model, fingerprint, _dumps(request), now, now, owner,
             until),
        )
        return self._fetch(db, int(cursor.lastrowid or 0))

    def begin(self, *, protocol: str, gateway: str, kind: str, model: str | None,
              fingerprint: str, request: dict[str, Any],
              lease: tuple[str, float] | None = None) -> TaskRecord:
        with self._write() as db:
            return self._insert(db, protocol, gateway, kind, model, fingerprint, request, lease)

    def claim(self, *, protocol: str, gateway: str, kind: str, model: str | None,
              fingerprint: str, request: dict[str, Any], since: float,
              lease: tuple[str, float]) -> Claim:
        with self._write() as db:
            found = self._recent(db, fingerprint, since)
            if found is not None:
                return Claim(found, created=False)
            return Claim(self._insert(db, protocol, gateway, kind, model, fingerprint, request,
                                      lease), created=True)

    def submitted(self, local_id: int, task_id: str, meta: dict[str, Any]) -> TaskRecord:
        with self._write() as db:
            self._fetch(db, local_id)
            db.execute(
                "UPDATE tasks SET task_id = ?, meta = ?, state = 'pending', updated_at = ?, "
                "lease_owner = NULL, lease_until = NULL WHERE local_id = ?",
                (task_id, _dumps(meta), time.time(), local_id),
            )
            return self._fetch(db, local_id)

    def mark(self, local_id: int, state: str, reason: str | None = None) -> None:
        with self._write() as db:
            self._fetch(db, local_id)
            db.execute("UPDATE tasks SET state = ?, reason = ?, updated_at = ? WHERE local_id = ?",
                       (state, reason, time.time(), local_id))

    def discard(self, local_id: int) -> None:
        with self._write() as db:
            db.execute("DELETE FROM tasks WHERE local_id = ?", (local_id,))

    def update(self, local_id: int, snapshot: TaskSnapshot) -> None:
        with self._write() as db:
            record = self._fetch(db, local_id)
            db.execute(
                "UPDATE tasks SET state = ?, status = ?, progress = ?, reason = ?, meta = ?, "
                "result = CASE WHEN ? THEN ? ELSE result END, updated_at = ? WHERE local_id = ?",
                (snapshot.state, snapshot.status, snapshot.progress, snapshot.reason,
                 _dumps(merged_meta(record.meta, snapshot)), snapshot.done,
                 _dumps(result_of(snapshot)), time.time(), local_id),
            )

    def lease(self, local_id: int, owner: str, until: float, now: float) -> bool:
        with self._write() as db:
            if not lease_free(self._fetch(db, local_id), owner, now):
                return False
            db.execute("UPDATE tasks SET lease_owner = ?, lease_until = ? WHERE local_id = ?",
                       (owner, until, local_id))
            return True

    def get(self, local_id: int) -> TaskRecord | None:
        with self._read() as db:
            row = db.execute("SELECT * FROM tasks WHERE local_id = ?", (local_id,)).fetchone()
        return self._record(row) if row else None

    def find_task(self, gateway: str, protocol: str, task_id: str) -> TaskRecord | None:
        with self._read() as db:
            row = db.execute(
                "SELECT * FROM tasks WHERE task_id = ? AND gateway = ? AND protocol = ? "
                "ORDER BY local_id DESC LIMIT 1", (task_id, gateway, protocol),
            ).fetchone()
        return self._record(row) if row else None

    def _recent(self, db: sqlite3.Connection, fingerprint: str, since: float
                ) -> TaskRecord | None:
        row = db.execute(
            "SELECT * FROM tasks WHERE fingerprint = ? AND created_at >= ? AND state != "
            "'failed' ORDER BY local_id DESC LIMIT 1", (fingerprint, since),
        ).fetchone()
        return self._record(row) if row else None

    def find_recent(self, fingerprint: str, since: float) -> TaskRecord | None:
        with self._read() as db:
            return self._recent(db, fingerprint, since)

    def records(self, gateway: str | None = None, states: tuple[str, ...] | None = None,
                limit: int = 100, before: int | None = None) -> list[TaskRecord]:
        if limit <= 0 or states == ():
            return []
        clauses: list[str] = []
        args: list[Any] = []
        if gateway is not None:
            clauses.append("gateway = ?")
            args.append(gateway)
        if before is not None:
            clauses.append("local_id < ?")
            args.append(before)
        # One indexed walk per state, merged: (gateway, state, local_id) answers each in order,
        # where "state IN (...)" would make SQLite scan the gateway's rows or sort them all.
        queries = []
        params: list[Any] = []
        for state in (None,) if states is None else states:
            where = [*clauses, *(["state = ?"] if state is not None else [])]
            condition = f" WHERE {' AND '.join(where)}" if where else ""
            queries.append(f"SELECT * FROM (SELECT * FROM tasks{condition} "
                           "ORDER BY local_id DESC LIMIT ?)")
            params += [*args, *([state] if state is not None else []), limit]
        if len(queries) == 1:
            sql = queries[0]
        else:
            sql = " UNION ALL ".join(queries) + " ORDER BY local_id DESC LIMIT ?"
            params.append(limit)
        with self._read() as db:
            rows = db.execute(sql, params).fetchall()
        return [self._record(row) for row in rows]
