"""The journal of one process (``GATEWAY_TASK_JOURNAL=off``): dedup and resume within it.

Rows are kept in insertion order (``local_id`` grows), with indexes by gateway task and by
fingerprint, so look-ups do not scan and listings do not sort.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from ..tasks.types import TaskRecord, TaskSnapshot
from .journal_base import Claim, Journal, UnknownRecordError, lease_free, merged_meta, result_of

__all__ = ["MemoryJournal"]


class MemoryJournal(Journal):
    """A journal that lives only as long as the process (dedup still works within it)."""

    def __init__(self) -> None:
        self._rows: dict[int, TaskRecord] = {}
        self._order: list[int] = []  # every local_id ever given, ascending (gaps once discarded)
        self._by_task: dict[tuple[str, str, str], int] = {}
        self._by_fingerprint: dict[str, list[int]] = {}
        self._by_state: dict[str, set[int]] = {}
        self._next = 1
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return "MemoryJournal()"

    def __getstate__(self) -> dict[str, Any]:
        with self._lock:
            return {"rows": [replace(row) for row in self._rows.values()], "next": self._next}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]
        for row in state["rows"]:
            self._insert(row)
        self._next = state["next"]

    # ------------------------------------------------------------------ internals

    def _insert(self, record: TaskRecord) -> None:
        self._rows[record.local_id] = record
        self._order.append(record.local_id)
        self._by_state.setdefault(record.state, set()).add(record.local_id)
        self._by_fingerprint.setdefault(record.fingerprint, []).append(record.local_id)
        if record.task_id:
            self._by_task[(record.gateway, record.protocol, record.task_id)] = record.local_id

    def _set_state(self, row: TaskRecord, state: str) -> None:
        self._by_state[row.state].discard(row.local_id)
        self._by_state.setdefault(state, set()).add(row.local_id)
        row.state = state

    def _row(self, local_id: int) -> TaskRecord:
        row = self._rows.get(local_id)
        if row is None:
            raise UnknownRecordError(local_id)
        return row

    def _newest(self, ids: list[int]) -> Iterator[TaskRecord]:
        for local_id in reversed(ids):
            row = self._rows.get(local_id)
            if row is not None:
                yield row

    # ------------------------------------------------------------------ the interface

    def begin(self, *, protocol: str, gateway: str, kind: str, model: str | None,
              fingerprint: str, request: dict[str, Any],
              lease: tuple[str, float] | None = None) -> TaskRecord:
        now = time.time()
        owner, until = lease if lease else (None, None)
        with self._lock:
            record = TaskRecord(
                local_id=self._next, protocol=protocol, gateway=gateway, kind=kind,
                fingerprint=fingerprint, state="submitting", created_at=now, updated_at=now,
                model=model, request=dict(request), lease_owner=owner, lease_until=until,
            )
            self._insert(record)
            self._next += 1
            return replace(record)

    def claim(self, *, protocol: str, gateway: str, kind: str, model: str | None,
              fingerprint: str, request: dict[str, Any], since: float,
              lease: tuple[str, float]) -> Claim:
        with self._lock:
            found = self.find_recent(fingerprint, since)
            if found is not None:
                return Claim(found, created=False)
            return Claim(self.begin(protocol=protocol, gateway=gateway, kind=kind, model=model,
                                    fingerprint=fingerprint, request=request, lease=lease),
                         created=True)

    def submitted(self, local_id: int, task_id: str, meta: dict[str, Any]) -> TaskRecord:
        with self._lock:
            row = self._row(local_id)
            row.task_id, row.meta = task_id, dict(meta)
            self._set_state(row, "pending")
            row.lease_owner = row.lease_until = None
            row.updated_at = time.time()
            self._by_task[(row.gateway, row.protocol, task_id)] = local_id
            return replace(row)

    def mark(self, local_id: int, state: str, reason: str | None = None) -> None:
        with self._lock:
            row = self._row(local_id)
            self._set_state(row, state)
            row.reason, row.updated_at = reason, time.time()

    def discard(self, local_id: int) -> None:
        with self._lock:
            row = self._rows.pop(local_id, None)
            if row is None:
                return
            self._by_fingerprint[row.fingerprint].remove(local_id)
            self._by_state[row.state].discard(local_id)
            if row.task_id:
                self._by_task.pop((row.gateway, row.protocol, row.task_id), None)

    def update(self, local_id: int, snapshot: TaskSnapshot) -> None:
        with self._lock:
            row = self._row(local_id)
            self._set_state(row, snapshot.state)
            row.status, row.progress = snapshot.status, snapshot.progress
            row.reason = snapshot.reason
            row.meta = merged_meta(row.meta, snapshot)
            if snapshot.done:
                row.result = result_of(snapshot)
            row.updated_at = time.time()

    def lease(self, local_id: int, owner: str, until: float, now: float) -> bool:
        with self._lock:
            row = self._row(local_id)
            if not lease_free(row, owner, now):
                return False
            row.lease_owner, row.lease_until = owner, until
            return True

    def get(self, local_id: int) -> TaskRecord | None:
        with self._lock:
            row = self._rows.get(local_id)
            return replace(row) if row else None

    def find_task(self, gateway: str, protocol: str, task_id: str) -> TaskRecord | None:
        with self._lock:
            local_id = self._by_task.get((gateway, protocol, task_id))
            return self.get(local_id) if local_id is not None else None

    def find_recent(self, fingerprint: str, since: float) -> TaskRecord | None:
        with self._lock:
            for row in self._newest(self._by_fingerprint.get(fingerprint, [])):
                if row.created_at < since:
                    return None  # older rows are older still
                if row.state != "failed":
                    return replace(row)
            return None

    def records(self, gateway: str | None = None, states: tuple[str, ...] | None = None,
                limit: int = 100, before: int | None = None) -> list[TaskRecord]:
        if limit <= 0 or states == ():
            return []
        with self._lock:
            if states is not None:  # few rows per state that matters: sort only those
                ids: Any = sorted((i for state in set(states)
                                   for i in self._by_state.get(state, ())
                                   if before is None or i < before), reverse=True)
            else:
                end = len(self._order) if before is None else bisect_left(self._order, before)
                ids = (self._order[position] for position in range(end - 1, -1, -1))
            out: list[TaskRecord] = []
            for local_id in ids:
                row = self._rows.get(local_id)
                if row is not None and (gateway is None or row.gateway == gateway):
                    out.append(replace(row))
                    if len(out) >= limit:
                        break
            return out
