"""The async-task engine for paid media jobs (video, Midjourney, Suno, chat-format media).

* :mod:`.status` — one vocabulary (pending / running / succeeded / failed) for every gateway's;
* :mod:`.results` — where a finished task's link is (protocol.md §16.7);
* :mod:`.poller` — backoff, overall timeout, cancellation, progress;
* :mod:`.journal` — the SQLite journal that makes a crash cost nothing;
* :mod:`.engine` — submit once → journal → poll → result, sync and async;
* one module per wire format: :mod:`.openai_videos`, :mod:`.newapi_video`,
  :mod:`.unified_video`, :mod:`.kling`, :mod:`.midjourney`, :mod:`.suno`, :mod:`.chat`.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine import DEFAULT_DEDUP_WINDOW, TaskEngine, TaskHandle, TaskOutcome
    from .journal import Journal, MemoryJournal, SqliteJournal, default_journal_path, open_journal
    from .poller import CancelToken, Poller, PollSettings, TaskCancelledError
    from .registry import PROTOCOL_NAMES, choose_protocol, get_protocol
    from .results import find_result_urls
    from .status import TaskState, normalise_status, parse_progress
    from .types import TaskRecord, TaskResult, TaskSnapshot, TaskSpec

# Names load on first use: the journal backends in gateway_core.coordination import
# gateway_core.tasks.types, which must not pull the engine (and the backends) back in.
_WHERE = {
    **dict.fromkeys(("DEFAULT_DEDUP_WINDOW", "TaskEngine", "TaskHandle", "TaskOutcome"), "engine"),
    **dict.fromkeys(("Journal", "MemoryJournal", "SqliteJournal", "default_journal_path",
                     "open_journal"), "journal"),
    **dict.fromkeys(("CancelToken", "Poller", "PollSettings", "TaskCancelledError"), "poller"),
    **dict.fromkeys(("PROTOCOL_NAMES", "choose_protocol", "get_protocol"), "registry"),
    "find_result_urls": "results",
    **dict.fromkeys(("TaskState", "normalise_status", "parse_progress"), "status"),
    **dict.fromkeys(("TaskRecord", "TaskResult", "TaskSnapshot", "TaskSpec"), "types"),
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'gateway_core.tasks' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_DEDUP_WINDOW",
    "PROTOCOL_NAMES",
    "CancelToken",
    "Journal",
    "MemoryJournal",
    "PollSettings",
    "Poller",
    "SqliteJournal",
    "TaskCancelledError",
    "TaskEngine",
    "TaskHandle",
    "TaskOutcome",
    "TaskRecord",
    "TaskResult",
    "TaskSnapshot",
    "TaskSpec",
    "TaskState",
    "choose_protocol",
    "default_journal_path",
    "find_result_urls",
    "get_protocol",
    "normalise_status",
    "open_journal",
    "parse_progress",
]
