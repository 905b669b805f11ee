"""The poll loop: backoff, overall timeout, cancellation, progress, transient failures."""

from __future__ import annotations

import asyncio

import pytest

from gateway_core.errors import (
    AuthenticationError,
    ContentPolicyError,
    ServerError,
    TaskError,
    TaskTimeoutError,
)
from gateway_core.media_items import MediaItem
from gateway_core.tasks import CancelToken, Poller, PollSettings, TaskCancelledError
from gateway_core.tasks.types import TaskSnapshot
from tests.unit.media_fakes import FakeClock


def snap(state: str, progress: int | None = None, status: str | None = None,
         reason: str | None = None) -> TaskSnapshot:
    items = [MediaItem("video", url="https://cdn/v.mp4")] if state == "succeeded" else []
    return TaskSnapshot(task_id="task_1", protocol="openai-videos", state=state,  # type: ignore[arg-type]
                        status=status or state, progress=progress, items=items, reason=reason)


def script(*snapshots: TaskSnapshot | Exception):
    queue = list(snapshots)
    calls = []

    def poll() -> TaskSnapshot:
        calls.append(1)
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return item

    poll.calls = calls  # type: ignore[attr-defined]
    return poll


def test_backoff_grows_from_two_to_fifteen_seconds() -> None:
    clock = FakeClock()
    poll = script(*[snap("running")] * 9, snap("succeeded"))
    result = clock.poller().run(poll, task_id="task_1", protocol="openai-videos")
    assert result.state == "succeeded"
    assert clock.sleeps[:4] == [2.0, 3.0, 4.5, 6.75]
    assert max(clock.sleeps) == 15.0
    assert clock.sleeps[-1] == 15.0
    assert len(poll.calls) == 10  # type: ignore[attr-defined]


def test_default_settings_match_the_brief() -> None:
    settings = PollSettings()
    assert (settings.interval, settings.max_interval, settings.timeout) == (2.0, 15.0, 900.0)
    with pytest.raises(ValueError):
        PollSettings(interval=0)
    with pytest.raises(ValueError):
        PollSettings(interval=20, max_interval=10)


def test_timeout_names_the_task_and_says_it_may_finish() -> None:
    clock = FakeClock()
    poll = script(snap("running", status="weird_state"))
    with pytest.raises(TaskTimeoutError) as caught:
        clock.poller(timeout=60).run(poll, task_id="task_1", protocol="openai-videos")
    error = caught.value
    assert error.task_id == "task_1"
    assert error.protocol == "openai-videos"
    assert "task_1" in str(error)
    assert "weird_state" in str(error)
    assert sum(clock.sleeps) == pytest.approx(60)  # never sleeps past the deadline


def test_failure_raises_with_reason_and_policy_errors_are_typed() -> None:
    clock = FakeClock()
    with pytest.raises(TaskError) as caught:
        clock.poller().run(script(snap("failed", reason="upstream exploded")), task_id="task_1",
                           protocol="openai-videos")
    assert "upstream exploded" in str(caught.value)
    assert caught.value.task_id == "task_1"
    assert not isinstance(caught.value, ContentPolicyError)
    with pytest.raises(ContentPolicyError):
        clock.poller().run(script(snap("failed", reason="prompt contains sensitive words")),
                           task_id="task_1", protocol="openai-videos")


def test_progress_reported_on_change_only() -> None:
    clock = FakeClock()
    seen: list[tuple[str, int | None]] = []
    poll = script(snap("pending", 0), snap("pending", 0), snap("running", 30), snap("running", 30),
                  snap("running", 60), snap("succeeded", 100))
    clock.poller().run(poll, task_id="task_1", protocol="p",
                       on_progress=lambda s: seen.append((s.state, s.progress)))
    assert seen == [("pending", 0), ("running", 30), ("running", 60), ("succeeded", 100)]


def test_transient_poll_errors_are_tolerated_then_fatal() -> None:
    clock = FakeClock()
    poll = script(ServerError("502", status_code=502), ServerError("502", status_code=502),
                  snap("succeeded"))
    assert clock.poller().run(poll, task_id="task_1", protocol="p").state == "succeeded"

    many = script(ServerError("down", status_code=503))
    with pytest.raises(TaskError) as caught:
        clock.poller(max_poll_errors=2).run(many, task_id="task_1", protocol="p")
    assert caught.value.task_id == "task_1"
    assert "resume" in str(caught.value)
    assert len(many.calls) == 3  # type: ignore[attr-defined]

    fatal = script(AuthenticationError("bad key", status_code=401))
    with pytest.raises(TaskError) as caught:
        clock.poller().run(fatal, task_id="task_1", protocol="p")
    assert caught.value.status_code == 401
    assert len(fatal.calls) == 1


def test_cancel_token_from_callback() -> None:
    clock = FakeClock()
    token = CancelToken()

    def on_progress(snapshot: TaskSnapshot) -> None:
        if snapshot.progress == 30:
            token.cancel()

    with pytest.raises(TaskCancelledError) as caught:
        clock.poller().run(script(snap("pending", 0), snap("running", 30), snap("succeeded")),
                           task_id="task_1", protocol="p", on_progress=on_progress,
                           cancel=token)
    assert caught.value.task_id == "task_1"


def test_cancel_from_another_thread_interrupts_the_real_sleep() -> None:
    import threading

    class WatchedToken(CancelToken):
        """Says when the poller has begun its (hour-long) sleep."""

        def __init__(self) -> None:
            super().__init__()
            self.sleeping = threading.Event()

        def wait(self, seconds: float) -> bool:
            self.sleeping.set()
            return super().wait(seconds)

    token = WatchedToken()
    poller = Poller(PollSettings(interval=3600, max_interval=3600))
    raised: list[BaseException] = []

    def wait_for_task() -> None:
        try:
            poller.run(script(snap("running")), task_id="t", protocol="p", cancel=token)
        except BaseException as exc:
            raised.append(exc)

    waiter = threading.Thread(target=wait_for_task, daemon=True)
    waiter.start()
    assert token.sleeping.wait(60)
    token.cancel()
    waiter.join(60)  # an uninterrupted sleep would last an hour
    assert not waiter.is_alive()
    assert [type(exc) for exc in raised] == [TaskCancelledError]


def test_first_snapshot_is_used_without_an_extra_poll() -> None:
    clock = FakeClock()
    poll = script(snap("succeeded"))
    clock.poller().run(poll, task_id="t", protocol="p", first=snap("pending", 0))
    assert len(poll.calls) == 1
    assert clock.sleeps == [2.0]


async def test_async_loop_never_blocks_the_event_loop() -> None:
    # real asyncio.sleep with tiny intervals: a concurrent ticker keeps running meanwhile
    poller = Poller(PollSettings(interval=0.01, max_interval=0.02, timeout=5))
    states = iter([snap("pending"), snap("running", 50), snap("running", 60), snap("succeeded")])

    async def poll() -> TaskSnapshot:
        return next(states)

    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.002)

    tick_task = asyncio.create_task(ticker())
    seen: list[int | None] = []

    async def on_progress(snapshot: TaskSnapshot) -> None:
        seen.append(snapshot.progress)

    result = await poller.arun(poll, task_id="t", protocol="p", on_progress=on_progress)
    tick_task.cancel()
    assert result.state == "succeeded"
    assert ticks >= 5
    assert seen == [None, 50, 60, None]


async def test_async_timeout_and_cancellation() -> None:
    clock = FakeClock()

    async def running() -> TaskSnapshot:
        return snap("running")

    with pytest.raises(TaskTimeoutError):
        await clock.poller(timeout=30).arun(running, task_id="t", protocol="p")

    poller = Poller(PollSettings(interval=10, max_interval=10))
    waiting = asyncio.create_task(poller.arun(running, task_id="t", protocol="p"))
    await asyncio.sleep(0.01)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting


def test_both_loops_report_the_same_progress_and_errors_in_the_same_order() -> None:
    """The sync and async loops are two drivers of one set of rules: same sleeps, same
    reports (a failed task's last state reported before it raises), same error."""

    def scripted() -> list[TaskSnapshot | Exception]:
        return [snap("pending", 0), ServerError("502", status_code=502), snap("running", 40),
                snap("running", 40), snap("failed", 40, reason="upstream exploded")]

    def sync_run() -> tuple[list[float], list[tuple[str, int | None]], str]:
        clock = FakeClock()
        seen: list[tuple[str, int | None]] = []
        with pytest.raises(TaskError) as caught:
            clock.poller().run(script(*scripted()), task_id="task_1", protocol="p",
                               on_progress=lambda s: seen.append((s.state, s.progress)))
        return clock.sleeps, seen, str(caught.value)

    def async_run() -> tuple[list[float], list[tuple[str, int | None]], str]:
        clock = FakeClock()
        seen: list[tuple[str, int | None]] = []
        queue = scripted()

        async def poll() -> TaskSnapshot:
            item = queue.pop(0)
            if isinstance(item, Exception):
                raise item
            return item

        async def drive() -> str:
            with pytest.raises(TaskError) as caught:
                await clock.poller().arun(
                    poll, task_id="task_1", protocol="p",
                    on_progress=lambda s: seen.append((s.state, s.progress)))
            return str(caught.value)

        return clock.sleeps, seen, asyncio.run(drive())

    expected_seen = [("pending", 0), ("running", 40), ("failed", 40)]
    sync_result = sync_run()
    assert sync_result[1] == expected_seen
    assert sync_result[0] == [2.0, 3.0, 4.5, 6.75]
    assert "upstream exploded" in sync_result[2]
    assert async_run() == sync_result
