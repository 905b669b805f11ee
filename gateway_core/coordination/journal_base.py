"""The task journal's interface and the rules every backend follows.

Backends: :class:`~.memory_journal.MemoryJournal` (one process),
:class:`~.sqlite_journal.SqliteJournal` (the processes of one machine) and
:class:`~.redis_journal.RedisJournal` (a fleet). One contract test suite runs against all of
them (``tests/integration/test_journal_contract.py``); the rules it pins:

* ``records(states=None)`` means every state, ``records(states=())`` means none;
* ``submitted`` / ``mark`` / ``update`` / ``lease`` on an id that is not there raise
  :class:`UnknownRecordError`; ``discard`` of a missing id is a no-op (forgetting twice is fine);
* ``update`` never drops ``meta`` (a resumed Kling or Suno task needs it to poll the right
  route): it only adds the snapshot's ``extra``;
* ``claim`` is atomic: of any number of callers with one fingerprint, across threads,
  processes and machines, exactly one gets ``created=True`` while the first is live;
* newest first everywhere, by ``local_id``; ``before=`` pages backwards without gaps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import TaskError
from ..tasks.types import TaskRecord, TaskSnapshot

__all__ = ["UNFINISHED", "Claim", "Journal", "UnknownRecordError", "result_of"]

UNFINISHED = ("pending", "running")


class UnknownRecordError(TaskError, LookupError):
    """A journal operation named a record that is not (or no longer) in the journal."""

    def __init__(self, local_id: int) -> None:
        super().__init__(
            f"Task record {local_id} is not in the journal (discarded, or another journal "
            "file or Redis database). Check GATEWAY_TASK_JOURNAL.", reason="unknown record")
        self.local_id = local_id


@dataclass(frozen=True)
class Claim:
    """What :meth:`Journal.claim` found or made."""

    record: TaskRecord
    created: bool
    """True: the caller owns a new intent row and must send the create. False: ``record`` is
    an identical recent request (perhaps still in flight: ``state == "submitting"``)."""


def result_of(snapshot: TaskSnapshot) -> list[dict[str, Any]]:
    """The journaled form of a finished snapshot's results."""
    return [item.to_dict() for item in snapshot.items]


def merged_meta(meta: dict[str, Any], snapshot: TaskSnapshot) -> dict[str, Any]:
    """``meta`` with the snapshot's ``extra`` added (never anything removed)."""
    return {**meta, "extra": dict(snapshot.extra)} if snapshot.extra else dict(meta)


class Journal:
    """Where paid tasks are written down before they are polled. See the module docstring."""

    def begin(self, *, protocol: str, gateway: str, kind: str, model: str | None,
              fingerprint: str, request: dict[str, Any],
              lease: tuple[str, float] | None = None) -> TaskRecord:
        """Record the intent to create a task (before the create request is sent).

        ``lease`` (owner, until) marks the row as being submitted by a live worker until then.
        """
        raise NotImplementedError

    def claim(self, *, protocol: str, gateway: str, kind: str, model: str | None,
              fingerprint: str, request: dict[str, Any], since: float,
              lease: tuple[str, float]) -> Claim:
        """Atomically: the newest record with this fingerprint created at or after ``since``
        (not failed), or else a new intent row (``created=True``) leased to ``lease``."""
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

    def lease(self, local_id: int, owner: str, until: float, now: float) -> bool:
        """Take or renew the right to poll a task: True if the lease was free, expired (its
        worker died) or already ``owner``'s; the lease then runs until ``until``."""
        raise NotImplementedError

    def get(self, local_id: int) -> TaskRecord | None:
        raise NotImplementedError

    def find_task(self, gateway: str, protocol: str, task_id: str) -> TaskRecord | None:
        """The newest record of this gateway task (indexed: one look-up, not a scan)."""
        raise NotImplementedError

    def find_recent(self, fingerprint: str, since: float) -> TaskRecord | None:
        """The newest record with this fingerprint created after ``since`` (not failed)."""
        raise NotImplementedError

    def records(self, gateway: str | None = None, states: tuple[str, ...] | None = None,
                limit: int = 100, before: int | None = None) -> list[TaskRecord]:
        """Up to ``limit`` records, newest first; ``before`` a ``local_id`` to page on."""
        raise NotImplementedError


def lease_free(record: TaskRecord, owner: str, now: float) -> bool:
    """The one rule for who may take a lease (every backend applies it)."""
    return (record.lease_owner in (None, owner) or record.lease_until is None
            or record.lease_until <= now)
