"""The in-memory task store and the time-driven state machine every media protocol reads.

A task's state is computed, never stored: the elapsed time since creation (on the emulator's
clock) divided by its duration (``5 s × --time-scale``; ``slow`` ×10) picks the stage. Each
protocol module then writes that stage in its own vocabulary. No background threads.

Stages and coarse progress, by fraction ``f`` of the duration (protocol.md §12.1 defaults):
``f < 0.1`` not started (0 %), ``< 0.25`` submitted (10 %), ``< 0.4`` queued (20 %),
``< 1`` running (30 / 60 / 90 %), then succeeded or failed (100 %).

Test switches (docs/emulator-contract.md "Media"): model markers ``<model>+flag`` and the header
``X-Emulator-Task: flag,flag``. Prompt text is never looked at.
"""

from __future__ import annotations

import secrets
import string
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from starlette.requests import Request

from ..models import split_model

BASE_DURATION = 5.0
MAX_TASKS = 20_000
FLAGS = {
    "fail": "the task ends failed, with a reason in the protocol's field",
    "stuck": "the task never leaves the running state",
    "slow": "the task takes 10x longer",
    "legacy": "old new-api: upstream-style id, URL in fail_reason on success, no result_url",
    "shape2": "/v1/video/generations/{id} answers in poll shape 2 (protocol.md §12.3)",
    "shape3": "/v1/video/generations/{id} answers in poll shape 3 (protocol.md §12.3)",
    "content-json": "/v1/videos/{id}/content answers JSON {url} instead of bytes",
    "unknown-status": "the poll reports a status outside every vocabulary for a while",
    "banned": "Midjourney submit answers code 24 (properties.bannedWord)",
    "queue-full": "Midjourney submit answers code 23",
    "queued": "Midjourney submit answers code 22 (queued; the task is created)",
    "b64-only": "image answers carry only b64_json",
    "url-only": "image answers carry only url",
    "oss": "image answers carry the extra site field oss_url",
    "clip-error": "Suno: the second clip ends with status error",
    "echo-key": "a failed task's reason repeats the request's Authorization header (careless "
                "relays paste the upstream request into the reason)",
}
ODD_STATUS = "warming_up"  # in no protocol's vocabulary (protocol.md §16.6)
FAIL_REASON = "the emulator was asked to fail this task (flag: fail)"
_ALPHABET = string.ascii_letters + string.digits


class Stage(Enum):
    NOT_START = "NOT_START"
    SUBMITTED = "SUBMITTED"
    QUEUED = "QUEUED"
    RUNNING = "IN_PROGRESS"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"

    @property
    def done(self) -> bool:
        return self in (Stage.SUCCESS, Stage.FAILURE)


@dataclass
class Task:
    """One submitted job. ``id`` is exactly what the create response returned."""

    id: str
    protocol: str
    model: str
    prompt: str
    flags: frozenset[str]
    created: float  # emulator clock
    created_wall: float  # unix seconds
    duration: float
    action: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    echo: str = ""  # what flag echo-key repeats in the failure reason
    parent: str | None = None
    waiting_modal: bool = False  # Midjourney: needs /mj/submit/modal before it runs
    row: int = 0


@dataclass(frozen=True)
class Snapshot:
    """What a poll sees at one instant."""

    stage: Stage
    progress: int
    odd: bool  # report ODD_STATUS instead of the stage (flag unknown-status)
    submit_time: float  # unix seconds
    start_time: float | None
    finish_time: float | None
    updated: float

    @property
    def failed(self) -> bool:
        return self.stage is Stage.FAILURE

    @property
    def succeeded(self) -> bool:
        return self.stage is Stage.SUCCESS


def fraction_stage(f: float) -> tuple[Stage, int]:
    if f < 0.1:
        return Stage.NOT_START, 0
    if f < 0.25:
        return Stage.SUBMITTED, 10
    if f < 0.4:
        return Stage.QUEUED, 20
    if f < 0.6:
        return Stage.RUNNING, 30
    if f < 0.8:
        return Stage.RUNNING, 60
    return Stage.RUNNING, 90


def snapshot(task: Task, now: float) -> Snapshot:
    elapsed = max(0.0, now - task.created)
    if task.waiting_modal:
        return Snapshot(Stage.NOT_START, 0, False, task.created_wall, None, None,
                        task.created_wall)
    f = elapsed / task.duration if task.duration > 0 else float("inf")
    if "stuck" in task.flags:
        f = min(f, 0.95)
    wall = task.created_wall

    def at(fraction: float) -> float:
        return wall + fraction * task.duration

    if f >= 1:
        stage = Stage.FAILURE if "fail" in task.flags else Stage.SUCCESS
        return Snapshot(stage, 100, False, wall, at(0.4), at(1.0), at(1.0))
    stage, progress = fraction_stage(f)
    odd = "unknown-status" in task.flags and 0.1 <= f < 0.6
    return Snapshot(stage, progress, odd, wall, at(0.4) if f >= 0.4 else None, None,
                    wall + elapsed)


class TaskStore:
    """Tasks by id; the oldest are forgotten beyond MAX_TASKS."""

    def __init__(self) -> None:
        self._tasks: OrderedDict[str, Task] = OrderedDict()
        self._lock = threading.Lock()
        self._rows = 0

    def add(self, task: Task) -> Task:
        with self._lock:
            self._rows += 1
            task.row = self._rows
            self._tasks[task.id] = task
            while len(self._tasks) > MAX_TASKS:
                self._tasks.popitem(last=False)
        return task

    def get(self, task_id: str) -> Task | None:
        with self._lock:
            return self._tasks.get(task_id)


_STORE_LOCK = threading.Lock()


def store(request: Request) -> TaskStore:
    """The app's task store (kept across ``/_emulator/reset`` so resumed tasks survive)."""
    app_state = request.app.state
    with _STORE_LOCK:
        existing = getattr(app_state, "media_tasks", None)
        if existing is None:
            existing = TaskStore()
            app_state.media_tasks = existing
    return existing


def now(request: Request) -> float:
    return float(request.app.state.emulator.clock())


def header_flags(request: Request) -> frozenset[str]:
    raw = request.headers.get("x-emulator-task", "")
    return frozenset(f.strip().lower() for f in raw.split(",") if f.strip())


def request_flags(request: Request, model: object = None) -> frozenset[str]:
    """Switches of this request: the header plus the model's ``+markers``."""
    flags = header_flags(request)
    if isinstance(model, str) and model:
        flags |= split_model(model).markers
    return flags


def base_model(model: object) -> str:
    return split_model(model).base if isinstance(model, str) else ""


def new_task(request: Request, *, protocol: str, model: str, prompt: str,
             flags: frozenset[str], task_id: str | None = None, action: str = "",
             params: dict[str, Any] | None = None, parent: str | None = None) -> Task:
    """Create and store a task that starts now."""
    emulator = request.app.state.emulator
    duration = BASE_DURATION * float(emulator.time_scale) * (10 if "slow" in flags else 1)
    task = Task(id=task_id or public_task_id(), protocol=protocol, model=model, prompt=prompt,
                flags=flags, created=now(request), created_wall=time.time(), duration=duration,
                action=action, params=dict(params or {}), parent=parent)
    if "echo-key" in flags:
        task.echo = request.headers.get("authorization", "")
    return store(request).add(task)


def fail_reason(task: Task) -> str:
    """The failure reason a failed task reports (with the echoed header under echo-key)."""
    return f"{FAIL_REASON} [upstream request: Authorization: {task.echo}]" if task.echo \
        else FAIL_REASON


def public_task_id() -> str:
    """new-api's public id: ``task_`` + 32 random characters (protocol.md §12.1)."""
    return "task_" + "".join(secrets.choice(_ALPHABET) for _ in range(32))


def digits(count: int) -> str:
    return str(secrets.randbelow(9) + 1) + "".join(str(secrets.randbelow(10))
                                                   for _ in range(count - 1))


def provider_of(model: str) -> str:
    """The upstream family a model's tasks imitate (its raw JSON, ids and URL placement)."""
    for prefix, family in (("kling", "kling"), ("doubao", "doubao"), ("seedance", "doubao"),
                           ("sora", "sora"), ("veo", "gemini"), ("jimeng", "jimeng")):
        if model.startswith(prefix):
            return family
    return "generic"


def upstream_task_id(model: str) -> str:
    """The provider's own id, which old new-api versions returned (flag ``legacy``)."""
    family = provider_of(model)
    if family == "doubao":
        return f"cgt-{time.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(3)}"
    if family == "sora":
        return "video_" + secrets.token_hex(16)
    return digits(18)


def percent(progress: int) -> str:
    return f"{progress}%"
