"""The task journal: every paid task is written down before it is polled.

A crash, a killed notebook or a timeout must not cost a second payment. The engine claims an
intent row before sending a create request (atomically: identical requests share one row), fills
in the gateway's task id as soon as the answer arrives (before the first poll), and updates the
row as the task moves. After a crash, :meth:`~gateway_core.tasks.engine.TaskEngine.resume` finds
unfinished rows and polls them to the end; an identical request within the dedup window returns
the recorded task instead of paying again.

Where it lives, by ``GATEWAY_TASK_JOURNAL`` (or ``journal=``):

* unset: :class:`SqliteJournal` in ``$XDG_CACHE_HOME/ai-gateway-kit/tasks.sqlite3`` (or
  ``~/.cache/…``): every process of one machine;
* a path: that SQLite file;
* ``redis://host:6379/0`` (or ``rediss://``): :class:`~gateway_core.coordination.RedisJournal`,
  shared by a fleet of machines (needs ``pip install 'ai-gateway-kit[distributed]'``);
* ``off``: :class:`MemoryJournal`, as long as the process lives.

The journal holds prompts and result links, never the API key. The backends live in
:mod:`gateway_core.coordination`; their shared rules are in its ``journal_base``.
"""

from __future__ import annotations

import os

from ..coordination.journal_base import Claim, Journal, UnknownRecordError
from ..coordination.memory_journal import MemoryJournal
from ..coordination.sqlite_journal import SqliteJournal, default_journal_path

__all__ = [
    "ENV_JOURNAL",
    "Claim",
    "Journal",
    "MemoryJournal",
    "SqliteJournal",
    "UnknownRecordError",
    "default_journal_path",
    "open_journal",
]

ENV_JOURNAL = "GATEWAY_TASK_JOURNAL"
_OFF = ("off", "0", "false", "no", "none", "memory", ":memory:")
_REDIS = ("redis://", "rediss://", "unix://")


def _from_text(text: str) -> Journal:
    if text.lower() in _OFF:
        return MemoryJournal()
    if text.lower().startswith(_REDIS):
        from ..coordination.redis_journal import RedisJournal

        return RedisJournal(text)
    return SqliteJournal(text or None)


def open_journal(journal: Journal | str | os.PathLike[str] | bool | None = None) -> Journal:
    """The journal to use: an instance as is; a path or ``redis://`` URL; ``False``/``"off"``
    for memory only; ``None``/``True`` for ``GATEWAY_TASK_JOURNAL`` or the default cache file."""
    if isinstance(journal, Journal):
        return journal
    if journal is False:
        return MemoryJournal()
    if journal is None or journal is True:
        return _from_text(os.environ.get(ENV_JOURNAL, "").strip())
    return _from_text(str(journal).strip())
