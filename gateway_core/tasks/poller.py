"""Polling a task until it ends: backoff, overall timeout, cancellation, progress.

One loop for every protocol. The interval starts at ``interval`` (2 s) and grows by ``factor``
up to ``max_interval`` (15 s); the whole wait is bounded by ``timeout`` (15 min by default, after
which :class:`~gateway_core.errors.TaskTimeoutError` names the task so it can be resumed). A poll
that fails with a retryable error (429, 5xx, a dropped connection, after the transport's own
retries) is tolerated up to ``max_poll_errors`` times in a row: the task is already paid for,
so a hiccup must not lose it. The async loop only ever awaits; it never blocks the event loop.

Sleep and clock are injectable, so tests run the whole schedule instantly.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..errors import (
    APIError,
    GatewayError,
    InvalidRequestError,
    ModelNotAvailableError,
    ResponseFormatError,
    TaskError,
    TaskTimeoutError,
)
from .base import failure_of
from .types import TaskSnapshot

__all__ = ["CancelToken", "PollSettings", "Poller", "ProgressCallback", "TaskCancelledError"]

ProgressCallback = Callable[[TaskSnapshot], Any]


class TaskCancelledError(TaskError):
    """Waiting was cancelled by the caller. The task itself may still run (and be resumed)."""


class CancelToken:
    """Cancel a wait from another thread (or from a progress callback): ``token.cancel()``."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True if cancelled meanwhile."""
        return self._event.wait(seconds)


@dataclass(frozen=True)
class PollSettings:
    """How patiently to poll.

    Attributes:
        interval: First wait between polls, in seconds.
        max_interval: Longest wait between polls.
        factor: Growth of the wait after each poll.
        timeout: Overall seconds to wait for the task (``None``: no limit).
        max_poll_errors: Consecutive retryable poll failures tolerated.
    """

    interval: float = 2.0
    max_interval: float = 15.0
    factor: float = 1.5
    timeout: float | None = 900.0
    max_poll_errors: int = 5

    def __post_init__(self) -> None:
        if self.interval <= 0 or self.max_interval < self.interval or self.factor < 1:
            raise InvalidRequestError(
                "Poll settings need 0 < interval <= max_interval and factor >= 1."
            )
        if self.timeout is not None and self.timeout <= 0:
            raise InvalidRequestError("The task timeout must be positive (or None for no limit).")

    def delays(self) -> Any:
        """The wait before each next poll: interval, interval×factor, … capped."""
        delay = self.interval
        while True:
            yield delay
            delay = min(self.max_interval, delay * self.factor)


class _Progress:
    """Calls the user's callback when something visible changed."""

    def __init__(self, callback: ProgressCallback | None) -> None:
        self.callback = callback
        self.last: tuple[Any, ...] | None = None

    def changed(self, snapshot: TaskSnapshot) -> bool:
        key = (snapshot.state, snapshot.progress, snapshot.status)
        if self.callback is None or key == self.last:
            return False
        self.last = key
        return True


class Poller:
    """Runs the poll loop. ``sleep``/``asleep``/``clock`` default to the real ones."""

    def __init__(
        self,
        settings: PollSettings | None = None,
        *,
        sleep: Callable[[float], None] | None = None,
        asleep: Callable[[float], Awaitable[None]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings or PollSettings()
        self._sleep = sleep
        self._asleep = asleep
        self._clock = clock

    def with_timeout(self, timeout: float | None) -> Poller:
        """The same poller (same clock and sleep) with another overall timeout."""
        settings = self.settings
        changed = PollSettings(settings.interval, settings.max_interval, settings.factor,
                               timeout, settings.max_poll_errors)
        return Poller(changed, sleep=self._sleep, asleep=self._asleep, clock=self._clock)

    def pause(self, seconds: float) -> None:
        """Sleep with the injected sleep (used between re-submissions)."""
        (self._sleep or time.sleep)(seconds)

    async def apause(self, seconds: float) -> None:
        """Async twin of :meth:`pause`."""
        await (self._asleep or asyncio.sleep)(seconds)

    # ------------------------------------------------------------------ decisions

    def _deadline(self) -> float | None:
        timeout = self.settings.timeout
        return None if timeout is None else self._clock() + timeout

    def _check_end(self, snapshot: TaskSnapshot) -> TaskSnapshot | None:
        if snapshot.state == "succeeded":
            return snapshot
        if snapshot.state == "failed":
            raise failure_of(snapshot)
        return None

    def _on_error(self, error: GatewayError, failures: int, task_id: str, protocol: str) -> int:
        """Count a failed poll; raise when it is fatal or one too many."""
        if isinstance(error, TaskError):
            raise error
        failures += 1
        # An error body in an HTTP 200, a garbled or oversized answer, or "no channel for the
        # model" (relays route polls by model too) while polling is a hiccup between us and the
        # gateway: the paid task itself is unaffected, so it counts as transient, up to
        # max_poll_errors.
        transient = (error.retryable
                     or isinstance(error, (ResponseFormatError, ModelNotAvailableError))
                     or (isinstance(error, APIError) and error.status_code == 200))
        if not transient or failures > self.settings.max_poll_errors:
            raise TaskError(
                f"Polling task {task_id} ({protocol}) failed: {error.message} The task may "
                "still finish: resume it later with the same task id.",
                task_id=task_id, protocol=protocol, reason=error.message,
                status_code=error.status_code, code=error.code, request_id=error.request_id,
            ) from error
        return failures

    def _next_delay(self, delays: Any, deadline: float | None, last: TaskSnapshot | None,
                    task_id: str, protocol: str) -> float:
        delay: float = next(delays)
        if deadline is None:
            return delay
        remaining = deadline - self._clock()
        if remaining <= 0:
            where = f" (last status {last.status!r}, {last.state})" if last else ""
            raise TaskTimeoutError(
                f"Task {task_id} ({protocol}) did not finish within {self.settings.timeout:g} s"
                f"{where}. It may still finish and is already paid for: wait again or call "
                "resume_tasks() later; raise timeout for long videos.",
                task_id=task_id, protocol=protocol, reason="timeout",
            )
        return min(delay, remaining)

    @staticmethod
    def _cancelled(task_id: str, protocol: str) -> TaskCancelledError:
        return TaskCancelledError(
            f"Stopped waiting for task {task_id} ({protocol}); the task may still finish and "
            "can be resumed.", task_id=task_id, protocol=protocol, reason="cancelled",
        )

    # ------------------------------------------------------------------ loops

    def run(
        self,
        poll: Callable[[], TaskSnapshot],
        *,
        task_id: str,
        protocol: str,
        on_progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        first: TaskSnapshot | None = None,
    ) -> TaskSnapshot:
        """Poll until the task succeeds (returned), fails (raised), or time runs out."""
        wait = _Wait(self, task_id, protocol, cancel, on_progress)
        snapshot = first
        while True:
            if snapshot is not None:
                if wait.seen(snapshot):
                    _call(on_progress, snapshot)
                done = wait.finished(snapshot)
                if done is not None:
                    return done
            delay = wait.delay()
            if delay is not None:
                if self._sleep is not None:
                    self._sleep(delay)
                elif cancel is not None:
                    cancel.wait(delay)
                else:
                    time.sleep(delay)
                wait.check_cancel()
            try:
                snapshot = poll()
            except GatewayError as error:
                wait.failed(error)
                snapshot = None

    async def arun(
        self,
        poll: Callable[[], Awaitable[TaskSnapshot]],
        *,
        task_id: str,
        protocol: str,
        on_progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        first: TaskSnapshot | None = None,
    ) -> TaskSnapshot:
        """Async twin of :meth:`run`. Cancelling the awaiting asyncio task stops it too."""
        wait = _Wait(self, task_id, protocol, cancel, on_progress)
        sleep = self._asleep or asyncio.sleep
        snapshot = first
        while True:
            if snapshot is not None:
                if wait.seen(snapshot):
                    await _acall(on_progress, snapshot)
                done = wait.finished(snapshot)
                if done is not None:
                    return done
            delay = wait.delay()
            if delay is not None:
                await sleep(delay)
                wait.check_cancel()
            try:
                snapshot = await poll()
            except GatewayError as error:
                wait.failed(error)
                snapshot = None


class _Wait:
    """One wait's decisions, without I/O: when to poll, what a poll's answer or error means,
    when to report progress. :meth:`Poller.run` and :meth:`Poller.arun` only sleep, poll and
    call back, so a rule changed here holds for both."""

    def __init__(self, poller: Poller, task_id: str, protocol: str,
                 cancel: CancelToken | None, on_progress: ProgressCallback | None) -> None:
        self._poller = poller
        self._task_id = task_id
        self._protocol = protocol
        self._cancel = cancel
        self._deadline = poller._deadline()
        self._delays = poller.settings.delays()
        self._progress = _Progress(on_progress)
        self._failures = 0
        self._last: TaskSnapshot | None = None

    def check_cancel(self) -> None:
        if self._cancel is not None and self._cancel.cancelled:
            raise self._poller._cancelled(self._task_id, self._protocol)

    def delay(self) -> float | None:
        """Seconds to sleep before the next poll, None to poll at once (the first poll);
        raises when the wait is cancelled or out of time."""
        self.check_cancel()
        if self._last is None and not self._failures:
            return None
        return self._poller._next_delay(self._delays, self._deadline, self._last,
                                        self._task_id, self._protocol)

    def failed(self, error: GatewayError) -> None:
        """A poll that raised: counted, or raised when it is fatal or one too many."""
        self._failures = self._poller._on_error(error, self._failures, self._task_id,
                                                self._protocol)

    def seen(self, snapshot: TaskSnapshot) -> bool:
        """A poll's answer: whether it is news to report to the progress callback."""
        self._failures = 0
        self._last = snapshot
        return self._progress.changed(snapshot)

    def finished(self, snapshot: TaskSnapshot) -> TaskSnapshot | None:
        """The snapshot if the task succeeded, None while it runs; a failed task raises
        (after its progress was reported)."""
        return self._poller._check_end(snapshot)


def _call(callback: ProgressCallback | None, snapshot: TaskSnapshot) -> None:
    if callback is not None:
        callback(snapshot)


async def _acall(callback: ProgressCallback | None, snapshot: TaskSnapshot) -> None:
    if callback is not None:
        outcome = callback(snapshot)
        if inspect.isawaitable(outcome):
            await outcome
