"""The engine's rules, each pinned through its public API, sync and async alike.

Written against the mutants that survived ``make mutate`` (target ``engine``): who waits for
an identical create in flight and for how long, whose poll lease may be taken, what ``resume``
adopts and reports, what is re-sent (never a create), what the journal keeps (the route a Kling
task is polled on), and the errors a user sees. Time is a fake clock: nothing sleeps.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway_core.coordination.memory_journal import MemoryJournal
from gateway_core.errors import (
    APIError,
    BadRequestError,
    NoMediaLinkError,
    TaskError,
    TaskTimeoutError,
)
from gateway_core.tasks import (
    CancelToken,
    Poller,
    PollSettings,
    TaskCancelledError,
    TaskEngine,
    TaskSpec,
)
from gateway_core.tasks.base import NO_MEDIA_LINK
from gateway_core.tasks.specs import make_spec
from gateway_core.tasks.types import TaskRecord, TaskSnapshot
from tests.unit.chat_streams import chunk, sse
from tests.unit.media_fakes import CONTENT, CREATE, KEY, MP4, POLL, FakeClock, FakeGateway, respond

NOW = 1_000_000.0  # the engine's injected "now" at the fake clock's zero
SPEC = TaskSpec(model="sora-2", prompt="a cat")
ASYNC = {"submit": "asubmit", "wait": "await_", "poll": "apoll", "resume": "aresume",
         "run": "arun", "resolve": "aresolve", "result": "aresult"}
MODES = pytest.mark.parametrize("mode", ["sync", "async"])


def call(mode: str, target: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    """``target.name(...)``, or its async twin run to the end."""
    if mode == "sync":
        return getattr(target, name)(*args, **kwargs)
    return asyncio.run(getattr(target, ASYNC[name])(*args, **kwargs))


def video(status: str, progress: int = 0, **extra: Any) -> dict[str, Any]:
    return {"id": "task_1", "object": "video", "model": "sora-2", "status": status,
            "progress": progress, **extra}


DONE = video("completed", 100, metadata={"url": "https://cdn/v.mp4"})


class Clock(FakeClock):
    """The fake clock, with a hook run at each pause (to change the world meanwhile)."""

    def __init__(self) -> None:
        super().__init__()
        self.hook: Callable[[int], None] = lambda count: None

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        self.hook(len(self.sleeps))

    async def asleep(self, seconds: float) -> None:
        await super().asleep(seconds)
        self.hook(len(self.sleeps))


def engine_on(gw: FakeGateway, clock: FakeClock, journal: Any = False, **settings: Any
              ) -> TaskEngine:
    poll = Poller(PollSettings(**settings), sleep=clock.sleep, asleep=clock.asleep,
                  clock=clock.clock)
    engine = TaskEngine(gw.client.transport, journal=journal, poll=poll,
                        now=lambda: NOW + clock.now)
    gw.client._task_engine = engine
    return engine


def in_flight(engine: TaskEngine, until: float, spec: TaskSpec = SPEC,
              owner: str = "elsewhere:1:x") -> TaskRecord:
    """Another worker's create of ``spec``, sent and not yet answered."""
    return engine.journal.begin(
        protocol="openai-videos", gateway=engine.gateway, kind=spec.kind, model=spec.model,
        fingerprint=spec.fingerprint("openai-videos", engine.gateway), request=spec.summary(),
        lease=(owner, until))


def running_task(engine: TaskEngine, task_id: str = "task_1", protocol: str = "openai-videos",
                 meta: dict[str, Any] | None = None) -> TaskRecord:
    record = engine.journal.begin(protocol=protocol, gateway=engine.gateway, kind="video",
                                  model="sora-2", fingerprint=f"fp-{task_id}", request={})
    engine.journal.submitted(record.local_id, task_id, meta or {"model": "sora-2"})
    engine.journal.update(record.local_id, TaskSnapshot(task_id, protocol, "running"))
    stored = engine.journal.get(record.local_id)
    assert stored is not None
    return stored


@pytest.fixture
def clock() -> Clock:
    return Clock()


# ---------------------------------------------------------------- an identical create in flight

@MODES
def test_an_identical_request_waits_for_the_create_in_flight_then_shares_it(
        mode: str, clock: Clock) -> None:
    gw = FakeGateway({CREATE: [respond(video("queued"))]})
    engine = engine_on(gw, clock)
    first = in_flight(engine, until=NOW + 600)

    def answer(count: int) -> None:
        if count == 7:  # the other worker's create is answered during the 7th pause
            engine.journal.submitted(first.local_id, "task_9", {"model": "sora-2"})

    clock.hook = answer
    handle = call(mode, engine, "submit", "openai-videos", SPEC)
    assert (handle.task_id, handle.reused) == ("task_9", True)
    assert clock.sleeps == [0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 1.0]  # quick at first, then 1 s
    assert gw.requests == []  # nothing sent: the task is shared


@MODES
def test_a_create_in_flight_whose_lease_runs_out_is_unknown_and_never_resent(
        mode: str, clock: Clock) -> None:
    gw = FakeGateway({CREATE: [respond(video("queued"))]})
    engine = engine_on(gw, clock)
    first = in_flight(engine, until=NOW + 3)
    with pytest.raises(TaskError) as caught:
        call(mode, engine, "submit", "openai-videos", SPEC)
    assert clock.sleeps == [0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 1.0, 1.0]  # until the lease ended
    error = caught.value
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(first.created_at))
    assert error.message.startswith(
        f"A openai-videos request for sora-2 (journal record {first.local_id}) was sent at "
        f"{when} and its outcome is unknown")
    assert "engine.attach(task_id, protocol)" in error.message
    assert (error.protocol, error.reason) == ("openai-videos",
                                              "duplicate of an unconfirmed request")
    stored = engine.journal.get(first.local_id)
    assert stored is not None
    assert (stored.state, stored.reason) == (
        "unknown", "the worker sending it stopped before the gateway answered")
    assert gw.requests == []


def test_a_lease_that_ends_now_is_over(clock: Clock) -> None:
    engine = engine_on(FakeGateway(), clock)
    in_flight(engine, until=NOW)
    with pytest.raises(TaskError, match="outcome is unknown"):
        engine.submit("openai-videos", SPEC)
    assert clock.sleeps == []


def test_an_unknown_create_says_what_to_check(clock: Clock, tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "tasks.sqlite3"
    engine = engine_on(FakeGateway(), clock, journal=path)
    record = engine.journal.begin(protocol="openai-videos", gateway=engine.gateway,
                                  kind="video", model="sora-2", fingerprint="f", request={})
    engine.journal.mark(record.local_id, "unknown", "connection lost")
    sent = 1_700_000_000.0  # long ago: the message gives the time it was sent, not now
    with sqlite3.connect(path) as db:
        db.execute("UPDATE tasks SET created_at = ?", (sent,))
    [outcome] = engine.resume()
    assert outcome.error is not None
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(sent))
    assert outcome.error.message == (
        f"A openai-videos request for sora-2 (journal record {record.local_id}) was sent at "
        f"{when} and its outcome is unknown: the connection or the worker died before the "
        "gateway's task id arrived, so it may have been paid. Check the gateway's task log (or "
        "usage log) for a task created at that time with this prompt; attach it with "
        "engine.attach(task_id, protocol) if it is there, else pass new=True to submit again.")


def test_an_unknown_create_of_no_model_says_a_model(clock: Clock) -> None:
    engine = engine_on(FakeGateway(), clock)
    record = engine.journal.begin(protocol="suno", gateway=engine.gateway, kind="audio",
                                  model=None, fingerprint="f", request={})
    engine.journal.mark(record.local_id, "unknown", "connection lost")
    [outcome] = engine.resume()
    assert outcome.error is not None
    assert outcome.error.message.startswith(
        f"A suno request for a model (journal record {record.local_id})")
    stored = engine.journal.get(record.local_id)
    assert stored is not None
    assert stored.reason == "connection lost"  # an unknown row keeps what was known


def test_the_create_lease_covers_the_longest_create(clock: Clock) -> None:
    seen: list[TaskRecord] = []

    def create(request: httpx.Request) -> httpx.Response:
        seen.extend(engine.journal.records())  # the row as it is while the create is sent
        return respond(video("queued"))

    gw = FakeGateway({CREATE: create}, timeout=10.0, max_retries=2)
    config = gw.client.transport.config
    gw.client.transport.config = config.replace(deadline=None)  # no overall deadline
    engine = engine_on(gw, clock)
    assert engine.submit_lease == 10.0 * 3 + 30  # every attempt, plus a margin
    engine.submit("openai-videos", SPEC)
    [row] = seen
    assert (row.state, row.lease_until) == ("submitting", NOW + engine.submit_lease)
    assert row.lease_owner is not None
    assert row.lease_owner.startswith(f"{socket.gethostname()}:{os.getpid()}:")
    assert (row.gateway, row.kind, row.model, row.protocol) == (
        engine.gateway, "video", "sora-2", "openai-videos")
    assert row.request == SPEC.summary()
    [done] = engine.records()
    assert (done.state, done.lease_owner, done.lease_until) == ("pending", None, None)
    seen.clear()
    engine.submit("openai-videos", SPEC, new=True)  # no look-up, but a lease all the same
    assert [(r.state, r.lease_until) for r in seen[:1]] == [("submitting",
                                                              NOW + engine.submit_lease)]
    with_deadline = FakeGateway(timeout=10.0, max_retries=2, deadline=100.0)
    assert engine_on(with_deadline, clock).submit_lease == 130.0


def test_a_dedup_window_of_zero_always_creates(clock: Clock) -> None:
    gw = FakeGateway({CREATE: [respond(video("queued"))]})
    engine = engine_on(gw, clock)
    engine.dedup_window = 0
    engine.submit("openai-videos", SPEC)
    assert not engine.submit("openai-videos", SPEC).reused
    assert gw.count(*CREATE) == 2


def test_the_dedup_window_is_counted_back_from_now(clock: Clock) -> None:
    gw = FakeGateway({CREATE: [respond(video("queued"))]})
    engine = engine_on(gw, clock)
    engine._now = time.time  # the journal stamps rows with the wall clock
    engine.dedup_window = 3600
    engine.submit("openai-videos", SPEC)
    assert engine.submit("openai-videos", SPEC).reused
    assert gw.count(*CREATE) == 1


# ---------------------------------------------------------------- poll leases and resume

def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", ""])
    child.wait()  # reaped: the pid names no process now
    return child.pid


@pytest.mark.parametrize(("owner", "adopted"), [
    (lambda: f"{socket.gethostname()}:{_dead_pid()}:abc", True),  # died on this machine
    (lambda: f"{socket.gethostname()}:{os.getpid()}:abc", False),  # alive (another engine)
    (lambda: f"another-{socket.gethostname()}:{_dead_pid()}:abc", False),  # can't tell
    (lambda: f"{socket.gethostname()}:pid:abc", False),  # not an owner we wrote
    (lambda: f"{socket.gethostname()}:{_dead_pid()}", True),  # no engine part
])
def test_a_live_lease_is_taken_only_from_a_dead_local_process(
        clock: Clock, owner: Callable[[], str], adopted: bool) -> None:
    engine = engine_on(FakeGateway(), clock)
    record = running_task(engine)
    holder = owner()
    assert engine.journal.lease(record.local_id, holder, NOW + 100, NOW)
    assert [r.local_id for r in engine.adoptable()] == ([record.local_id] if adopted else [])
    stored = engine.journal.get(record.local_id)
    assert stored is not None
    if adopted:
        assert stored.lease_owner is not None
        assert stored.lease_owner.startswith(f"{socket.gethostname()}:{os.getpid()}:")
        assert stored.lease_until == NOW + 120  # POLL_LEASE from now
    else:
        assert (stored.lease_owner, stored.lease_until) == (holder, NOW + 100)


def test_a_process_of_another_user_is_alive(clock: Clock, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    engine = engine_on(FakeGateway(), clock)
    record = running_task(engine)
    engine.journal.lease(record.local_id, f"{socket.gethostname()}:4242:x", NOW + 100, NOW)

    def not_allowed(pid: int, signal: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "kill", not_allowed)
    assert engine.adoptable() == []


def test_an_expired_poll_lease_is_adopted_and_renewed_at_each_poll(clock: Clock) -> None:
    gw = FakeGateway({POLL: [respond(video("in_progress", 50)), respond(DONE)]})
    engine = engine_on(gw, clock)
    record = running_task(engine)
    engine.journal.lease(record.local_id, "elsewhere:1:x", NOW + 5, NOW)
    assert engine.adoptable() == []  # its worker may be alive: wait for its lease
    clock.now = 5.0
    [outcome] = engine.resume()
    assert outcome.result is not None
    assert outcome.result.urls == ["https://cdn/v.mp4"]
    stored = engine.journal.get(record.local_id)
    assert stored is not None
    assert stored.lease_until == NOW + clock.now + 120  # renewed at the last poll


def test_a_record_gone_while_its_lease_is_read_is_not_adopted(clock: Clock) -> None:
    class Gone(MemoryJournal):
        """Another worker holds the lease, then the record is discarded before it is read."""

        holding = False

        def lease(self, local_id: int, owner: str, until: float, now: float) -> bool:
            return not self.holding and super().lease(local_id, owner, until, now)

        def get(self, local_id: int) -> TaskRecord | None:
            return None if self.holding else super().get(local_id)

    journal = Gone()
    engine = engine_on(FakeGateway(), clock, journal=journal)
    running_task(engine)
    journal.holding = True
    assert engine.adoptable() == []


@MODES
def test_resume_polls_what_nobody_polls_then_reports_unknown_creates(mode: str,
                                                                     clock: Clock) -> None:
    gw = FakeGateway({
        POLL: [respond(DONE)],
        ("GET", "/v1/videos/task_2"): [respond({**video("failed"), "id": "task_2",
                                                "error": {"message": "quota"}})],
    })
    engine = engine_on(gw, clock)
    lost = engine.journal.begin(protocol="openai-videos", gateway=engine.gateway, kind="video",
                                model="sora-2", fingerprint="lost", request={})
    engine.journal.mark(lost.local_id, "unknown", "connection lost")
    done = running_task(engine, "task_1")
    failed = running_task(engine, "task_2")
    busy = running_task(engine, "task_3")
    engine.journal.lease(busy.local_id, "elsewhere:1:x", NOW + 60, NOW)
    elsewhere = engine.journal.begin(protocol="openai-videos", gateway="https://other",
                                     kind="video", model="m", fingerprint="x", request={})
    engine.journal.submitted(elsewhere.local_id, "task_4", {})
    outcomes = call(mode, engine, "resume", timeout=100)
    assert [o.record.local_id for o in outcomes] == [failed.local_id, done.local_id,
                                                     lost.local_id]
    failure, success, unknown = outcomes
    assert failure.result is None
    assert isinstance(failure.error, TaskError)
    assert failure.error.reason == "quota"
    assert success.error is None
    assert success.result is not None
    assert success.result.urls == ["https://cdn/v.mp4"]
    assert unknown.result is None
    assert unknown.error is not None
    assert "outcome is unknown" in unknown.error.message
    assert gw.count("GET", "/v1/videos/task_3") == 0  # a live worker polls it
    assert gw.count("GET", "/v1/videos/task_4") == 0  # another gateway's task


@MODES
def test_resume_passes_its_timeout_and_progress_callback(mode: str, clock: Clock) -> None:
    gw = FakeGateway({POLL: [respond(video("in_progress", 10))]})
    engine = engine_on(gw, clock, interval=2.0, max_interval=2.0)
    running_task(engine, "task_1")
    seen: list[int | None] = []
    [outcome] = call(mode, engine, "resume", timeout=30,
                     on_progress=lambda s: seen.append(s.progress))
    assert isinstance(outcome.error, TaskTimeoutError)
    assert seen == [10]
    assert clock.now == pytest.approx(30.0)  # the caller's timeout, not the default 900 s


def test_resume_and_unconfirmed_read_every_page(clock: Clock) -> None:
    engine = engine_on(FakeGateway(), clock)
    journal = engine.journal
    pages = 2 * 500
    for n in range(pages):
        record = journal.begin(protocol="openai-videos", gateway=engine.gateway, kind="video",
                               model="m", fingerprint=f"u{n}", request={})
        journal.mark(record.local_id, "unknown")
        record = journal.begin(protocol="openai-videos", gateway=engine.gateway, kind="video",
                               model="m", fingerprint=f"p{n}", request={})
        journal.submitted(record.local_id, f"t{n}", {})
    unknown = [r.local_id for r in engine.unconfirmed()]
    assert len(unknown) == len(set(unknown)) == pages  # each once: pages neither gap nor overlap
    assert unknown == sorted(unknown, reverse=True)
    unfinished = [r.local_id for r in engine.unfinished()]
    assert len(unfinished) == len(set(unfinished)) == pages
    assert unfinished == sorted(unfinished, reverse=True)


def test_unconfirmed_lists_dead_creates_not_live_ones(clock: Clock) -> None:
    engine = engine_on(FakeGateway(), clock)
    no_lease = engine.journal.begin(protocol="openai-videos", gateway=engine.gateway,
                                    kind="video", model="m", fingerprint="a", request={})
    ended = in_flight(engine, until=NOW, spec=TaskSpec(model="m", prompt="b"))
    in_flight(engine, until=NOW + 1, spec=TaskSpec(model="m", prompt="c"))
    elsewhere = engine.journal.begin(protocol="openai-videos", gateway="https://other",
                                     kind="video", model="m", fingerprint="d", request={})
    engine.journal.mark(elsewhere.local_id, "unknown")  # another gateway's: not reported here
    assert [r.local_id for r in engine.unconfirmed()] == [ended.local_id, no_lease.local_id]


def test_unfinished_leaves_out_chat_media_and_rows_without_an_id(clock: Clock) -> None:
    engine = engine_on(FakeGateway(), clock)
    video_task = running_task(engine, "task_1")
    running_task(engine, "chat-7", protocol="chat")  # one-shot: nothing to poll
    assert [r.local_id for r in engine.unfinished()] == [video_task.local_id]


# ---------------------------------------------------------------- creates: retries and refusals

@MODES
def test_a_full_queue_is_retried_with_growing_capped_pauses(mode: str, clock: Clock) -> None:
    full = respond({"code": 23, "description": "队列已满"})
    gw = FakeGateway({("POST", "/mj/submit/imagine"): [full]})
    engine = engine_on(gw, clock)
    engine.submit_retries = 5
    with pytest.raises(TaskError, match="queue is full"):
        call(mode, engine, "submit", "midjourney", TaskSpec(kind="image", prompt="a fox"))
    assert gw.count("POST", "/mj/submit/imagine") == 6
    assert clock.sleeps == [4.0, 8.0, 16.0, 30.0, 30.0]
    assert engine.records() == []  # refused every time: nothing paid, nothing kept


@MODES
def test_a_full_queue_then_accepted(mode: str, clock: Clock) -> None:
    gw = FakeGateway({("POST", "/mj/submit/imagine"): [
        respond({"code": 23, "description": "队列已满"}),
        respond({"code": 1, "description": "提交成功", "result": "77"})]})
    engine = engine_on(gw, clock)
    handle = call(mode, engine, "submit", "midjourney", TaskSpec(kind="image", prompt="a fox"))
    assert handle.task_id == "77"
    assert clock.sleeps == [4.0]
    assert [(r.task_id, r.state) for r in engine.records()] == [("77", "pending")]


@MODES
def test_a_refused_create_is_forgotten_and_a_5xx_kept_unknown(mode: str, clock: Clock) -> None:
    gw = FakeGateway({CREATE: [respond({"error": {"message": "bad size"}}, 400)]},
                     max_retries=3)
    engine = engine_on(gw, clock)
    with pytest.raises(BadRequestError):
        call(mode, engine, "submit", "openai-videos", SPEC)
    assert engine.records() == []
    gw.routes[CREATE] = [respond({"error": {"message": "in a 200", "type": "x"}})]
    with pytest.raises(APIError):  # an error envelope in a 200 is a refusal too
        call(mode, engine, "submit", "openai-videos", SPEC)
    assert engine.records() == []
    gw.routes[CREATE] = [respond({"error": {"message": "upstream died"}}, 502)]
    with pytest.raises(APIError):
        call(mode, engine, "submit", "openai-videos", SPEC)
    assert gw.count(*CREATE) == 3  # a paid create is never re-sent, retries or not
    [kept] = engine.records()
    assert kept.state == "unknown"
    assert (kept.reason or "").startswith("Creating a video failed: upstream died")


@MODES
def test_the_create_snapshot_is_journaled_with_the_route_meta(mode: str, clock: Clock) -> None:
    gw = FakeGateway({("POST", "/kling/v1/videos/image2video"): [
        respond({"code": 0, "data": {"task_id": "8461"}})]})
    engine = engine_on(gw, clock)
    spec = make_spec(kind="video", model="kling-v1", prompt="dance",
                     images=["https://x/a.png"], params={})
    handle = call(mode, engine, "submit", "kling", spec)
    assert handle.record.meta == {"model": "kling-v1", "action": "image2video"}
    [stored] = engine.records()
    assert stored.meta == {"model": "kling-v1", "action": "image2video"}


@MODES
def test_a_create_answered_with_a_state_journals_it(mode: str, clock: Clock) -> None:
    gw = FakeGateway({CREATE: [respond(video("in_progress", 40))]})
    engine = engine_on(gw, clock)
    call(mode, engine, "submit", "openai-videos", SPEC)
    [stored] = engine.records()
    assert (stored.task_id, stored.state, stored.progress) == ("task_1", "running", 40)


# ---------------------------------------------------------------- chat-format media (one shot)

def chat_answer(*pieces: str, completion_id: bool = True) -> httpx.Response:
    chunks = [chunk({"role": "assistant", "content": ""}),
              *[chunk({"content": p}) for p in pieces], chunk({}, "stop")]
    if not completion_id:
        for one in chunks:
            one.pop("id", None)
    body = sse(chunks)
    return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})


CHAT = ("POST", "/v1/chat/completions")


@MODES
def test_chat_media_runs_once_journals_and_reports_progress(mode: str, clock: Clock) -> None:
    gw = FakeGateway({CHAT: [chat_answer("🏃 进度 36..\n", "🏃 进度 76..\n",
                                         "[v](https://cdn/sora/out.mp4)",
                                         completion_id=False)]})
    engine = engine_on(gw, clock)
    seen: list[int | None] = []

    async def on_progress(snapshot: TaskSnapshot) -> None:
        seen.append(snapshot.progress)

    callback: Any = on_progress if mode == "async" else (lambda s: seen.append(s.progress))
    spec = TaskSpec(model="sora_video2", prompt="cat")
    handle = call(mode, engine, "submit", "chat", spec, on_progress=callback)
    [record] = engine.records()
    assert handle.task_id == f"chat-{record.local_id}"  # the answer named no id at all
    assert (record.task_id, record.state) == (handle.task_id, "succeeded")
    assert (handle.record.state, handle.record.reason) == ("succeeded", None)
    assert record.meta == {"model": "sora_video2"}
    assert 36 in seen
    assert 76 in seen
    assert call(mode, handle, "result").urls == ["https://cdn/sora/out.mp4"]
    again = call(mode, engine, "submit", "chat", spec)
    assert again.reused
    assert gw.count(*CHAT) == 1


@MODES
def test_run_shows_the_progress_of_chat_media(mode: str, clock: Clock) -> None:
    gw = FakeGateway({CHAT: [chat_answer("🏃 进度 36..\n", "[v](https://cdn/o.mp4)")]})
    engine = engine_on(gw, clock)
    seen: list[int | None] = []
    result = call(mode, engine, "run", "chat", TaskSpec(model="sora_video2", prompt="c"),
                  on_progress=lambda s: seen.append(s.progress))
    assert result.urls == ["https://cdn/o.mp4"]
    assert 36 in seen


@MODES
def test_chat_media_without_a_progress_callback(mode: str, clock: Clock) -> None:
    gw = FakeGateway({CHAT: [chat_answer("> ID: task_01ab\n", "[v](https://cdn/o.mp4)")]})
    engine = engine_on(gw, clock)
    handle = call(mode, engine, "submit", "chat", TaskSpec(model="sora_video2", prompt="c"))
    assert handle.task_id == "task_01ab"


@MODES
def test_a_refused_chat_media_request_is_forgotten(mode: str, clock: Clock) -> None:
    gw = FakeGateway({CHAT: [respond({"error": {"message": "no such model"}}, 400)]})
    engine = engine_on(gw, clock)
    with pytest.raises(BadRequestError):
        call(mode, engine, "submit", "chat", TaskSpec(model="sora_video2", prompt="cat"))
    assert engine.records() == []


# ---------------------------------------------------------------- polling

@MODES
def test_a_poll_updates_the_handle_record(mode: str, clock: Clock) -> None:
    gw = FakeGateway({CREATE: [respond(video("queued"))],
                      POLL: [respond(video("in_progress", 30))]})
    engine = engine_on(gw, clock)
    handle = call(mode, engine, "submit", "openai-videos", SPEC)
    snapshot = call(mode, handle, "poll") if mode == "sync" else asyncio.run(handle.apoll())
    assert snapshot.progress == 30
    assert (handle.record.state, handle.record.status, handle.record.progress) == (
        "running", "in_progress", 30)
    [stored] = engine.records()
    assert (stored.state, stored.status, stored.progress) == ("running", "in_progress", 30)


@MODES
def test_an_error_in_a_200_poll_is_a_typed_error_without_the_key(mode: str, clock: Clock
                                                                  ) -> None:
    gw = FakeGateway({
        CREATE: [respond(video("queued"))],
        POLL: [respond({"error": {"message": f"no channel for key {KEY}",
                                  "type": "new_api_error"}})],
    })
    engine = engine_on(gw, clock, max_poll_errors=0)
    handle = call(mode, engine, "submit", "openai-videos", SPEC)
    with pytest.raises(TaskError) as caught:
        call(mode, handle, "result")
    error = caught.value
    assert error.reason is not None
    assert error.reason.startswith("Checking task task_1 failed: no channel for key")
    assert KEY not in str(error)
    assert KEY not in error.reason
    assert error.request_id == "rid-1"
    assert error.status_code == 200


@MODES
def test_a_poll_error_never_shows_a_secret_header(mode: str, clock: Clock) -> None:
    token = "relay-token-5f1c9a7e"
    gw = FakeGateway({
        CREATE: [respond(video("queued"))],
        POLL: [respond({"error": {"message": f"bad token {token}", "type": "new_api_error"}})],
    }, headers={"X-Relay-Token": token})
    engine = engine_on(gw, clock, max_poll_errors=0)
    handle = call(mode, engine, "submit", "openai-videos", SPEC)
    with pytest.raises(TaskError) as caught:
        call(mode, handle, "result")
    assert "bad token" in str(caught.value)
    assert token not in str(caught.value)
    assert token not in (caught.value.reason or "")


@MODES
def test_a_poll_with_no_status_and_no_error_is_still_pending(mode: str, clock: Clock) -> None:
    gw = FakeGateway({CREATE: [respond(video("queued"))],
                      POLL: [respond({"id": "task_1"}), respond(DONE)]})
    engine = engine_on(gw, clock)
    handle = call(mode, engine, "submit", "openai-videos", SPEC)
    assert call(mode, handle, "result").urls == ["https://cdn/v.mp4"]
    assert gw.count(*POLL) == 2


@MODES
@pytest.mark.parametrize(("kind", "media_kind"), [("video", "video"), ("image", "image"),
                                                  ("audio", "audio"), ("other", "video")])
def test_a_result_without_a_link_is_the_content_route(mode: str, clock: Clock, kind: str,
                                                      media_kind: str) -> None:
    content = httpx.Response(200, content=MP4,
                             headers={"content-type": "video/mp4; codecs=avc1; x=1"})
    gw = FakeGateway({POLL: [respond(video("completed", 100))], CONTENT: [content]})
    engine = engine_on(gw, clock)
    handle = engine.attach("task_1", "openai-videos", kind=kind)
    result = call(mode, handle, "result")
    [item] = result.items
    assert (item.kind, item.url, item.mime_type, item.needs_auth) == (
        media_kind, "https://gw.example.com/v1/videos/task_1/content", "video/mp4", True)
    assert not item.has_data  # a link, not a download
    [stored] = engine.records()
    assert stored.state == "succeeded"
    assert [i.url for i in stored.items()] == [item.url]


@MODES
@pytest.mark.parametrize("answer", [{"url": "https://cdn/c.mp4"},
                                    {"fail_reason": "https://cdn/c.mp4"}])  # legacy new-api
def test_a_content_route_answering_json_gives_its_links(mode: str, clock: Clock,
                                                        answer: dict[str, Any]) -> None:
    gw = FakeGateway({POLL: [respond(video("completed", 100))], CONTENT: [respond(answer)]})
    engine = engine_on(gw, clock)
    handle = engine.attach("task_1", "openai-videos", kind="image")
    [item] = call(mode, handle, "result").items
    assert (item.kind, item.url, item.needs_auth) == ("image", "https://cdn/c.mp4", False)


@MODES
@pytest.mark.parametrize("content", [
    lambda: httpx.Response(200, content=b"{not json",
                           headers={"content-type": "application/json"}),
    lambda: httpx.Response(200, json={"status": "ok"}),
])
def test_no_link_anywhere_is_an_error_naming_the_task(
        mode: str, clock: Clock, content: Callable[[], httpx.Response]) -> None:
    gw = FakeGateway({POLL: [respond(video("completed", 100))], CONTENT: [content()]})
    engine = engine_on(gw, clock)
    handle = engine.attach("task_1", "openai-videos")
    with pytest.raises(TaskError) as caught:
        call(mode, handle, "result")
    error = caught.value
    assert (error.task_id, error.protocol, error.reason) == ("task_1", "openai-videos",
                                                             "no result link")
    assert error.message == (
        "Task task_1 (openai-videos) succeeded but the gateway gave no result link (looked in "
        "result_url, url, video_url, metadata.url, provider fields, fail_reason and the "
        "/content route). Check the task on the gateway's site.")
    [stored] = engine.records()
    assert stored.state == "succeeded"  # journaled: it is paid and done


@MODES
@pytest.mark.parametrize("headers", [{"content-type": ""}, {}])
def test_no_content_type_gives_no_mime_type(mode: str, clock: Clock, headers: dict[str, str]
                                            ) -> None:
    content = httpx.Response(200, content=MP4, headers=headers)
    gw = FakeGateway({POLL: [respond(video("completed", 100))], CONTENT: [content]})
    engine = engine_on(gw, clock)
    [item] = call(mode, engine.attach("task_1", "openai-videos"), "result").items
    assert item.mime_type is None
    assert item.needs_auth


@MODES
def test_a_failing_content_route_names_what_was_looked_for(mode: str, clock: Clock) -> None:
    gone = respond({"error": {"message": "not found", "type": "invalid_request_error"}}, 404)
    gw = FakeGateway({POLL: [respond(video("completed", 100))], CONTENT: [gone]})
    engine = engine_on(gw, clock)
    with pytest.raises(TaskError) as caught:
        call(mode, engine.attach("task_1", "openai-videos"), "result")
    assert "Locating the result of task_1 failed: not found" in caught.value.message
    [record] = engine.records()
    assert (record.kind, record.model) == ("video", None)  # attach's defaults


@MODES
def test_a_protocol_without_a_content_route_fetches_nothing(mode: str, clock: Clock) -> None:
    route = ("GET", "/kling/v1/videos/text2video/k1")
    gw = FakeGateway({route: [respond({"code": 0, "data": {"task_status": "succeed"}})]})
    engine = engine_on(gw, clock)
    with pytest.raises(TaskError, match="no result link"):
        call(mode, engine.attach("k1", "kling", model="kling-v1"), "result")
    assert [r.url.path for r in gw.requests] == ["/kling/v1/videos/text2video/k1"]


# ---------------------------------------------------------------- waiting

@MODES
def test_a_finished_task_is_answered_from_the_journal(mode: str, clock: Clock) -> None:
    gw = FakeGateway()
    engine = engine_on(gw, clock)
    record = running_task(engine)
    engine.journal.update(record.local_id, TaskSnapshot(
        "task_1", "openai-videos", "succeeded", status="completed", progress=100,
        items=[], extra={"text": "lyrics"}))
    failed = running_task(engine, "task_2")
    engine.journal.update(failed.local_id, TaskSnapshot(
        "task_2", "openai-videos", "failed", status="error", reason="quota"))
    found = engine.find("task_1", "openai_videos")  # the protocol by any of its spellings
    assert found is not None
    assert call(mode, found, "result").text == "lyrics"
    lost = engine.find("task_2", "openai-videos")
    assert lost is not None
    with pytest.raises(TaskError) as caught:
        call(mode, lost, "result")
    assert (caught.value.task_id, caught.value.protocol, caught.value.reason) == (
        "task_2", "openai-videos", "quota")
    chat = running_task(engine, "chat-9", protocol="chat")
    engine.journal.update(chat.local_id, TaskSnapshot(
        "chat-9", "chat", "failed", status=NO_MEDIA_LINK, reason="the model answered text"))
    answered_text = engine.find("chat-9", "chat")
    assert answered_text is not None
    with pytest.raises(NoMediaLinkError):  # the journaled status keeps the error's class
        call(mode, answered_text, "result")
    assert gw.requests == []  # nothing polled
    assert engine.find("task_3", "openai-videos") is None


@MODES
def test_a_create_that_already_ended_is_not_polled(mode: str, clock: Clock) -> None:
    gw = FakeGateway({CREATE: [respond(DONE)]})
    engine = engine_on(gw, clock)
    handle = call(mode, engine, "submit", "openai-videos", SPEC)
    assert call(mode, handle, "result").urls == ["https://cdn/v.mp4"]
    assert gw.count(*POLL) == 0
    failed = FakeGateway({CREATE: [respond({**video("failed"), "fail_reason": "nsfw"})]})
    engine = engine_on(failed, clock)
    handle = call(mode, engine, "submit", "openai-videos", SPEC)
    with pytest.raises(TaskError, match="nsfw"):
        call(mode, handle, "result")
    assert failed.count(*POLL) == 0


@MODES
def test_a_create_done_without_a_link_is_polled_for_it(mode: str, clock: Clock) -> None:
    gw = FakeGateway({CREATE: [respond(video("completed", 100))], POLL: [respond(DONE)]})
    engine = engine_on(gw, clock)
    handle = call(mode, engine, "submit", "openai-videos", SPEC)
    assert call(mode, handle, "result").urls == ["https://cdn/v.mp4"]


@MODES
def test_a_record_without_a_task_id_cannot_be_waited_for(mode: str, clock: Clock) -> None:
    gw = FakeGateway()
    engine = engine_on(gw, clock)
    record = engine.journal.begin(protocol="openai-videos", gateway=engine.gateway,
                                  kind="video", model="m", fingerprint="f", request={})
    with pytest.raises(TaskError) as caught:
        call(mode, engine, "wait", record)
    assert (caught.value.reason, caught.value.protocol) == ("no task id", "openai-videos")
    assert caught.value.message == ("This openai-videos request has no task id (its create "
                                    "never confirmed); it cannot be polled.")
    assert gw.requests == []


@MODES
def test_the_wait_timeout_is_the_callers(mode: str, clock: Clock) -> None:
    gw = FakeGateway({POLL: [respond(video("in_progress", 10))]})
    engine = engine_on(gw, clock, interval=2.0, max_interval=2.0, timeout=900.0)
    handle = engine.attach("task_1", "openai-videos")
    with pytest.raises(TaskTimeoutError) as caught:
        call(mode, handle, "result", timeout=10)
    assert clock.now == pytest.approx(10.0)
    assert caught.value.message.startswith("Task task_1 (openai-videos) did not finish within "
                                           "10 s")


@MODES
def test_run_submits_and_waits_passing_its_options(mode: str, clock: Clock) -> None:
    gw = FakeGateway({CREATE: [respond(video("queued"))],
                      POLL: [respond(video("in_progress", 50)), respond(DONE)]})
    engine = engine_on(gw, clock)
    seen: list[int | None] = []
    result = call(mode, engine, "run", "openai-videos", SPEC,
                  on_progress=lambda s: seen.append(s.progress))
    assert result.urls == ["https://cdn/v.mp4"]
    assert seen == [0, 50, 100]
    assert call(mode, engine, "run", "openai-videos", SPEC).urls == ["https://cdn/v.mp4"]
    assert gw.count(*CREATE) == 1  # the identical request is answered from the journal
    again = call(mode, engine, "run", "openai-videos", SPEC, new=True)
    assert again.urls == ["https://cdn/v.mp4"]
    assert gw.count(*CREATE) == 2
    gw.routes[POLL] = [respond(video("in_progress", 50))]
    started = clock.now
    with pytest.raises(TaskTimeoutError):
        call(mode, engine, "run", "openai-videos", SPEC, new=True, timeout=5)
    assert clock.now - started == pytest.approx(5.0)
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(TaskCancelledError):
        call(mode, engine, "run", "openai-videos", SPEC, new=True, cancel=cancel)


# ---------------------------------------------------------------- views and handles

def test_attach_journals_the_route_and_polls_it(clock: Clock, tmp_path: Path) -> None:
    route = ("GET", "/kling/v1/videos/image2video/8461")
    gw = FakeGateway({route: [respond({"code": 0, "data": {
        "task_status": "succeed", "task_result": {"videos": [{"url": "https://cdn/k.mp4"}]}}})]})
    engine = engine_on(gw, clock, journal=tmp_path / "j.sqlite3")
    handle = engine.attach("8461", "kling", model="kling-v1", kind="video",
                           meta={"action": "image2video"})
    assert engine.attach("8461", "kling").record.local_id == handle.record.local_id
    [stored] = engine.records()
    assert (stored.task_id, stored.model, stored.kind, stored.meta) == (
        "8461", "kling-v1", "video", {"model": "kling-v1", "action": "image2video"})
    assert stored.request == {"attached": "8461"}
    assert handle.result().urls == ["https://cdn/k.mp4"]
    assert gw.count(*route) == 1


def test_records_filters_by_state_and_limit(clock: Clock) -> None:
    engine = engine_on(FakeGateway(), clock)
    first = running_task(engine, "a")
    second = running_task(engine, "b")
    engine.journal.update(second.local_id, TaskSnapshot("b", "openai-videos", "failed"))
    third = running_task(engine, "c")
    assert [r.local_id for r in engine.records()] == [third.local_id, second.local_id,
                                                      first.local_id]
    assert [r.local_id for r in engine.records(states=["running"])] == [third.local_id,
                                                                        first.local_id]
    assert [r.local_id for r in engine.records(limit=1)] == [third.local_id]
    assert engine.records(states=[]) == []
    other = engine.journal.begin(protocol="openai-videos", gateway="https://other",
                                 kind="video", model="m", fingerprint="o", request={})
    assert other.local_id not in {r.local_id for r in engine.records()}  # this gateway's only
    for n in range(100):
        running_task(engine, f"more-{n}")
    assert len(engine.records()) == 100  # the default page


def test_a_handle_says_what_it_is(clock: Clock) -> None:
    gw = FakeGateway({CREATE: [respond(video("queued"))]})
    engine = engine_on(gw, clock)
    handle = engine.submit("openai-videos", SPEC)
    assert repr(handle) == "TaskHandle(task_id='task_1', protocol='openai-videos', state='pending')"
    assert handle.model == "sora-2"
    again = engine.submit("openai-videos", SPEC)
    assert repr(again) == ("TaskHandle(task_id='task_1', protocol='openai-videos', "
                           "state='pending', reused=True)")
    assert repr(engine) == f"TaskEngine(gateway={engine.gateway!r}, journal=MemoryJournal())"


@MODES
def test_auto_protocol_reads_the_model_list_once(mode: str, clock: Clock) -> None:
    models = {"data": [{"id": "sora-2", "supported_endpoint_types": ["openai-video"]}]}
    gw = FakeGateway({("GET", "/v1/models"): [respond(models)]})
    engine = engine_on(gw, clock)
    assert call(mode, engine, "resolve", " AUTO ", "sora-2").name == "openai-videos"
    assert call(mode, engine, "resolve", "auto", "mj_imagine").name == "midjourney"
    assert call(mode, engine, "resolve", "kling", "sora-2").name == "kling"
    assert gw.count("GET", "/v1/models") == 1


@MODES
@pytest.mark.parametrize("answer", [
    {"error": {"message": "no"}, "status": 500},  # the list failed
    {"error": {"message": "group has no models"}},  # an error in a 200
    {"object": "list"},  # not a model list
])
def test_auto_protocol_without_a_model_list(mode: str, clock: Clock, answer: dict[str, Any]
                                            ) -> None:
    body = dict(answer)  # the parametrize dict is shared by every run of this test
    gw = FakeGateway({("GET", "/v1/models"): [respond(body, body.pop("status", 200))]})
    engine = engine_on(gw, clock)
    assert call(mode, engine, "resolve", "auto", "sora-2", "video").name == "newapi-video"
    assert call(mode, engine, "resolve", "auto", "sora-2", "video").name == "newapi-video"
    assert gw.count("GET", "/v1/models") == 1  # a failed list is not asked for again


def test_a_resumed_kling_task_polls_the_route_it_was_created_on(clock: Clock,
                                                                 tmp_path: Path) -> None:
    # The route (image2video) lives only in the journaled meta: every poll's update must keep
    # it, or the resumed task polls text2video and never finishes.
    create = ("POST", "/kling/v1/videos/image2video")
    route = ("GET", "/kling/v1/videos/image2video/8461")
    running = respond({"code": 0, "data": {"task_status": "processing"}})
    done = respond({"code": 0, "data": {"task_status": "succeed", "task_result": {
        "videos": [{"url": "https://cdn/k.mp4"}]}}})
    path = tmp_path / "tasks.sqlite3"
    gw = FakeGateway({create: [respond({"code": 0, "data": {"task_id": "8461"}})],
                      route: [running]})
    engine = engine_on(gw, clock, journal=path)
    spec = make_spec(kind="video", model="kling-v1", prompt="dance",
                     images=["https://x/a.png"], params={})
    handle = engine.submit("kling", spec)
    assert handle.poll().state == "running"  # then the process dies
    again = FakeGateway({route: [done]})
    later = Clock()
    later.now = 120.0  # the dead worker's poll lease has run out
    outcomes = engine_on(again, later, journal=path).resume()
    assert [o.result.urls for o in outcomes if o.result] == [["https://cdn/k.mp4"]]
    assert [r.url.path for r in again.requests] == [route[1]]


def test_engine_defaults_and_poll_settings(clock: Clock) -> None:
    gw = FakeGateway({("POST", "/mj/submit/imagine"): [
        respond({"code": 23, "description": "队列已满"})]})
    engine = TaskEngine(gw.client.transport, journal=False, poll=PollSettings(interval=3.0))
    assert engine.poller.settings == PollSettings(interval=3.0)
    assert TaskEngine(gw.client.transport, journal=False).poller.settings == PollSettings()
    engine.poller = Poller(PollSettings(), sleep=clock.sleep, clock=clock.clock)
    with pytest.raises(TaskError, match="queue is full"):
        engine.submit("midjourney", TaskSpec(kind="image", prompt="a fox"))
    assert gw.count("POST", "/mj/submit/imagine") == 4  # three re-submissions by default


def test_identical_means_same_protocol_gateway_and_request(clock: Clock) -> None:
    shared = MemoryJournal()
    gw = FakeGateway({CREATE: [respond(video("queued"))],
                      ("POST", "/v1/video/generations"): [respond({"task_id": "n1"})]})
    engine = engine_on(gw, clock, journal=shared)
    engine.submit("openai-videos", SPEC)
    assert not engine.submit("newapi-video", SPEC).reused  # another protocol
    other = engine_on(FakeGateway({CREATE: [respond(video("queued"))]}), clock, journal=shared)
    other.gateway = "https://other-gateway.example.com"
    assert not other.submit("openai-videos", SPEC).reused  # another gateway
    engine.dedup_window = 0.5  # any positive window looks
    assert engine.submit("openai-videos", SPEC).reused


def test_two_engines_of_one_process_do_not_share_a_poll_lease(clock: Clock) -> None:
    shared = MemoryJournal()
    first = engine_on(FakeGateway(), clock, journal=shared)
    second = engine_on(FakeGateway(), clock, journal=shared)
    record = running_task(first)
    assert [r.local_id for r in first.adoptable()] == [record.local_id]
    assert second.adoptable() == []  # alive, in this very process: not taken over
    assert [r.local_id for r in first.adoptable()] == [record.local_id]  # renewed


@MODES
def test_a_local_image_is_sent_as_a_file(mode: str, clock: Clock) -> None:
    from tests.unit.media_fakes import PNG

    gw = FakeGateway({CREATE: [respond(video("queued"))]})
    engine = engine_on(gw, clock)
    spec = make_spec(kind="video", model="sora-2", prompt="a cat", images=[PNG], seconds=4,
                     params={})
    call(mode, engine, "submit", "openai-videos", spec)
    [request] = gw.requests
    assert request.headers["content-type"].startswith("multipart/form-data")
    body = request.content
    assert b'name="prompt"' in body
    assert b'name="seconds"' in body
    assert b'name="input_reference"' in body
    assert PNG in body


@MODES
def test_auto_submit_chooses_by_the_requested_model(mode: str, clock: Clock) -> None:
    models = {"data": [{"id": "sora-2", "supported_endpoint_types": ["openai-video"]}]}
    gw = FakeGateway({("GET", "/v1/models"): [respond(models)],
                      CREATE: [respond(video("queued"))]})
    engine = engine_on(gw, clock)
    handle = call(mode, engine, "submit", "auto", SPEC)
    assert (handle.protocol, handle.task_id) == ("openai-videos", "task_1")
    assert gw.count(*CREATE) == 1


@MODES
def test_submit_takes_a_protocol_object(mode: str, clock: Clock) -> None:
    from gateway_core.tasks import get_protocol

    gw = FakeGateway({CREATE: [respond(video("queued"))]})
    engine = engine_on(gw, clock)
    handle = call(mode, engine, "submit", get_protocol("openai-videos"), SPEC)
    assert (handle.protocol, handle.task_id) == ("openai-videos", "task_1")
    assert gw.count("GET", "/v1/models") == 0  # nothing to resolve


@MODES
def test_a_poll_sends_the_protocols_query_parameters(mode: str, clock: Clock) -> None:
    gw = FakeGateway({
        ("POST", "/v1/video/create"): [respond({"id": "veo:abc/x+y", "status": "pending"})],
        ("GET", "/v1/video/query"): [respond({"id": "veo:abc/x+y", "status": "success",
                                              "video_url": "https://cdn/u.mp4"})],
    })
    engine = engine_on(gw, clock)
    handle = call(mode, engine, "submit", "unified-video", TaskSpec(model="veo", prompt="x"))
    assert call(mode, handle, "result").urls == ["https://cdn/u.mp4"]
    [query] = [r for r in gw.requests if r.method == "GET"]
    assert query.url.params["id"] == "veo:abc/x+y"
