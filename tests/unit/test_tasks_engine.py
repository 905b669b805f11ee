"""The engine: submit once, journal before polling, dedup, resume, /content fallback."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway_core.errors import (
    BadRequestError,
    GatewayConnectionError,
    InvalidRequestError,
    ServerError,
    TaskError,
)
from gateway_core.tasks import SqliteJournal, TaskEngine
from tests.unit.media_fakes import (
    CONTENT,
    CREATE,
    MP4,
    POLL,
    FakeClock,
    FakeGateway,
    engine_for,
    respond,
)


def video(status: str, progress: int = 0, **extra: Any) -> dict[str, Any]:
    return {"id": "task_1", "task_id": "task_1", "object": "video", "model": "sora-2",
            "status": status, "progress": progress, **extra}


def sora_gateway(*polls: dict[str, Any], routes: dict[Any, Any] | None = None,
                 **settings: Any) -> FakeGateway:
    return FakeGateway({CREATE: [respond(video("queued"))],
                        POLL: [respond(p) for p in polls], **(routes or {})}, **settings)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_full_run_with_progress_and_metadata_url(clock: FakeClock) -> None:
    gw = sora_gateway(video("in_progress", 30), video("in_progress", 60),
                      video("completed", 100, metadata={"url": "https://cdn/v.mp4"}))
    engine_for(gw, clock)
    seen: list[int | None] = []
    handle = gw.client.create_video("a cat surfing", model="sora-2", seconds=4, size="720x1280",
                                    protocol="openai-videos")
    assert handle.task_id == "task_1"
    assert not handle.reused
    result = handle.result(on_progress=lambda s: seen.append(s.progress))
    assert result.urls == ["https://cdn/v.mp4"]
    assert seen == [0, 30, 60, 100]
    assert gw.count(*CREATE) == 1
    body = gw.bodies(*CREATE)[0]
    assert body == {"model": "sora-2", "prompt": "a cat surfing", "seconds": "4",
                    "size": "720x1280"}
    assert gw.requests[0].headers["authorization"] == "Bearer sk-media-unit-key-0123456789"


def test_content_fallback_binary_is_a_link_not_a_download(clock: FakeClock) -> None:
    content = httpx.Response(200, content=MP4, headers={"content-type": "video/mp4"})
    gw = sora_gateway(video("completed", 100), routes={CONTENT: [content]})
    engine_for(gw, clock)
    result = gw.client.create_video("x", model="sora-2", protocol="openai-videos").result()
    item = result.items[0]
    assert item.url == "https://gw.example.com/v1/videos/task_1/content"
    assert item.needs_auth
    assert item.mime_type == "video/mp4"
    assert not item.has_data
    assert item.fetch(gw.client.transport) == MP4  # only when asked


def test_content_fallback_json_url(clock: FakeClock) -> None:
    gw = sora_gateway(video("completed", 100),
                      routes={CONTENT: [respond({"url": "https://cdn/from-content.mp4"})]})
    engine_for(gw, clock)
    result = gw.client.create_video("x", model="sora-2", protocol="openai-videos").result()
    assert result.urls == ["https://cdn/from-content.mp4"]


def test_failure_names_task_protocol_and_reason(clock: FakeClock) -> None:
    gw = sora_gateway(video("failed", 100, error={"message": "upstream quota", "code": "x"}))
    engine_for(gw, clock)
    with pytest.raises(TaskError) as caught:
        gw.client.create_video("x", model="sora-2", protocol="openai-videos").result()
    message = str(caught.value)
    assert "task_1" in message
    assert "openai-videos" in message
    assert "upstream quota" in message
    assert caught.value.task_id == "task_1"
    assert caught.value.reason == "upstream quota"


def test_identical_request_returns_existing_task_unless_new(clock: FakeClock) -> None:
    gw = sora_gateway(video("in_progress", 30))
    engine_for(gw, clock)
    first = gw.client.create_video("same prompt", model="sora-2", protocol="openai-videos")
    again = gw.client.create_video("same prompt", model="sora-2", protocol="openai-videos")
    assert again.reused
    assert again.task_id == first.task_id
    assert gw.count(*CREATE) == 1
    other = gw.client.create_video("other prompt", model="sora-2", protocol="openai-videos")
    fresh = gw.client.create_video("same prompt", model="sora-2", protocol="openai-videos",
                                   new=True)
    assert not other.reused
    assert not fresh.reused
    assert gw.count(*CREATE) == 3


def test_dedup_window_expires(clock: FakeClock) -> None:
    now = [time.time()]  # the journal stamps rows with wall-clock time
    gw = sora_gateway(video("in_progress"))
    engine = TaskEngine(gw.client.transport, journal=False, poll=clock.poller(),
                        dedup_window=60, now=lambda: now[0])
    gw.client._task_engine = engine
    gw.client.create_video("p", model="sora-2", protocol="openai-videos")
    now[0] += 10_000
    assert not gw.client.create_video("p", model="sora-2", protocol="openai-videos").reused


def test_create_is_never_resent_after_the_body_left(clock: FakeClock) -> None:
    # The gateway answers 502 to the create: retryable in general, but not for a paid create.
    gw = FakeGateway({CREATE: [respond({"error": {"message": "bad gateway"}}, 502)]},
                     max_retries=3)
    engine_for(gw, clock)
    with pytest.raises(ServerError):
        gw.client.create_video("x", model="sora-2", protocol="openai-videos")
    assert gw.count(*CREATE) == 1
    # A 5xx may come after the upstream accepted the task: kept as unknown, not forgotten.
    assert [r.state for r in gw.client.list_tasks()] == ["unknown"]


def test_a_refused_create_is_forgotten(clock: FakeClock) -> None:
    gw = FakeGateway({CREATE: [respond({"error": {"message": "bad size"}}, 400)]})
    engine_for(gw, clock)
    with pytest.raises(BadRequestError):
        gw.client.create_video("x", model="sora-2", protocol="openai-videos")
    assert gw.client.list_tasks() == []  # the gateway said no: nothing can have been paid


def test_lost_connection_after_sending_blocks_silent_resubmission(clock: FakeClock) -> None:
    def drop(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset", request=request)

    gw = FakeGateway({CREATE: drop}, max_retries=3)
    engine_for(gw, clock)
    with pytest.raises(GatewayConnectionError):
        gw.client.create_video("x", model="sora-2", protocol="openai-videos")
    assert gw.count(*CREATE) == 1
    assert [r.state for r in gw.client.list_tasks()] == ["unknown"]
    with pytest.raises(TaskError, match="new=True"):
        gw.client.create_video("x", model="sora-2", protocol="openai-videos")
    assert gw.count(*CREATE) == 1


def test_connect_failure_is_retried_and_forgotten(clock: FakeClock) -> None:
    calls = []

    def refuse(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.ConnectError("refused", request=request)

    gw = FakeGateway({CREATE: refuse}, max_retries=0)
    engine_for(gw, clock)
    with pytest.raises(GatewayConnectionError):
        gw.client.create_video("x", model="sora-2", protocol="openai-videos")
    assert gw.client.list_tasks() == []  # never reached the gateway: nothing paid


def test_journal_written_before_polling_and_resume_after_crash(clock: FakeClock,
                                                               tmp_path: Path) -> None:
    path = tmp_path / "tasks.sqlite3"
    gw = sora_gateway(video("in_progress", 30),
                      video("completed", 100, metadata={"url": "https://cdn/v.mp4"}))
    engine_for(gw, clock, journal=path)

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt("process killed")

    handle = gw.client.create_video("x", model="sora-2", protocol="openai-videos")
    assert gw.count(*POLL) == 0
    stored = SqliteJournal(path).records()
    assert [(r.task_id, r.state) for r in stored] == [("task_1", "pending")]
    gw.client.tasks.poll = crash  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        handle.result()

    # A new process: new client, same journal file.
    gw2 = sora_gateway(video("in_progress", 30),
                       video("completed", 100, metadata={"url": "https://cdn/v.mp4"}))
    engine_for(gw2, FakeClock(), journal=path)
    outcomes = gw2.client.resume_tasks()
    assert len(outcomes) == 1
    assert outcomes[0].error is None
    assert outcomes[0].result is not None
    assert outcomes[0].result.urls == ["https://cdn/v.mp4"]
    assert gw2.count(*CREATE) == 0
    assert gw2.client.resume_tasks() == []  # finished now
    # An identical request is answered from the journal, no new create, no poll.
    polls = gw2.count(*POLL)
    again = gw2.client.create_video("x", model="sora-2", protocol="openai-videos")
    assert again.reused
    assert again.result().urls == ["https://cdn/v.mp4"]
    assert gw2.count(*CREATE) == 0
    assert gw2.count(*POLL) == polls


def test_wait_by_id_needs_protocol(clock: FakeClock) -> None:
    gw = sora_gateway(video("completed", 100, metadata={"url": "https://cdn/v.mp4"}))
    engine_for(gw, clock)
    with pytest.raises(InvalidRequestError):
        gw.client.wait_task("task_1")
    assert gw.client.wait_task("task_1", protocol="openai-videos").urls == ["https://cdn/v.mp4"]
    assert gw.client.list_tasks()[0].task_id == "task_1"


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"prompt": ""}, "empty"),
    ({"prompt": "x", "seconds": 100000}, "seconds"),
    ({"prompt": "x", "seconds": 0}, "seconds"),
    ({"prompt": "x", "size": "99999x99999"}, "size"),
    ({"prompt": "x", "aspect_ratio": "wide"}, "aspect_ratio"),
    ({"prompt": "x", "images": "/no/such/file.png"}, "does not exist"),
    ({"prompt": "x", "images": b"%PDF-1.4 not an image"}, "not a PNG"),
])
def test_bad_input_fails_before_any_request(clock: FakeClock, kwargs: dict[str, Any],
                                            match: str) -> None:
    gw = sora_gateway(video("queued"))
    engine_for(gw, clock)
    options = dict(kwargs)  # the parametrize dict is shared by every run of this test
    prompt = options.pop("prompt")
    with pytest.raises(InvalidRequestError, match=match):
        gw.client.create_video(prompt, model="sora-2", protocol="openai-videos", **options)
    assert gw.requests == []


def test_auto_protocol_from_endpoint_types(clock: FakeClock) -> None:
    models = {"data": [
        {"id": "sora-2", "supported_endpoint_types": ["openai-video", "openai"]},
        {"id": "kling-v2", "supported_endpoint_types": ["image-generation"]},
        {"id": "sora_video2", "supported_endpoint_types": ["openai"]},
    ]}
    gw = FakeGateway({("GET", "/v1/models"): [respond(models)]})
    engine = engine_for(gw, clock)
    assert engine.resolve("auto", "sora-2").name == "openai-videos"
    assert engine.resolve("auto", "kling-v2").name == "newapi-video"
    assert engine.resolve("auto", "sora_video2").name == "chat"
    assert engine.resolve("auto", "unlisted").name == "newapi-video"
    assert engine.resolve("auto", "mj_imagine").name == "midjourney"
    assert engine.resolve("newapi_video", "x").name == "newapi-video"
    assert gw.count("GET", "/v1/models") == 1  # cached
    with pytest.raises(InvalidRequestError):
        engine.resolve("nope", "x")


def test_auto_protocol_when_models_fail(clock: FakeClock) -> None:
    gw = FakeGateway({("GET", "/v1/models"): [respond({"error": {"message": "x"}}, 500)]})
    assert engine_for(gw, clock).resolve("auto", "sora-2").name == "newapi-video"


async def test_async_submit_and_wait(clock: FakeClock) -> None:
    gw = sora_gateway(video("in_progress", 50),
                      video("completed", 100, metadata={"url": "https://cdn/v.mp4"}))
    gw.use_async()
    engine_for(gw, clock)
    seen = []

    async def on_progress(snapshot: Any) -> None:
        seen.append(snapshot.progress)

    handle = await gw.client.acreate_video("a cat", model="sora-2", protocol="openai-videos")
    result = await gw.client.await_task(handle, on_progress=on_progress)
    assert result.urls == ["https://cdn/v.mp4"]
    assert seen == [0, 50, 100]
    again = await gw.client.acreate_video("a cat", model="sora-2", protocol="openai-videos")
    assert again.reused
    assert gw.count(*CREATE) == 1


async def test_async_resume(clock: FakeClock, tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    gw = sora_gateway(video("completed", 100, metadata={"url": "https://cdn/v.mp4"}))
    gw.use_async()
    engine_for(gw, clock, journal=path)
    await gw.client.acreate_video("a", model="sora-2", protocol="openai-videos")
    outcomes = await gw.client.aresume_tasks()
    assert [o.result.urls for o in outcomes if o.result] == [["https://cdn/v.mp4"]]
    assert json.loads(json.dumps([r.state for r in gw.client.list_tasks()])) == ["succeeded"]


def test_resume_reports_unknown_creates_with_what_to_check_and_never_resends(
        clock: FakeClock) -> None:
    gw = FakeGateway({CREATE: [respond({"error": {"message": "bad gateway"}}, 502)]})
    engine = engine_for(gw, clock)
    with pytest.raises(ServerError):
        gw.client.create_video("x", model="sora-2", protocol="openai-videos")
    # A worker that died while sending: its row is still "submitting", its lease ran out.
    dead = engine.journal.begin(protocol="openai-videos", gateway=engine.gateway, kind="video",
                                model="sora-2", fingerprint="other", request={},
                                lease=("elsewhere:1:x", time.time() - 1))
    live = engine.journal.begin(protocol="openai-videos", gateway=engine.gateway, kind="video",
                                model="sora-2", fingerprint="third", request={},
                                lease=("elsewhere:2:x", time.time() + 600))
    outcomes = gw.client.resume_tasks()
    assert len(outcomes) == 2  # the live worker's create in flight is not reported
    for outcome in outcomes:
        assert isinstance(outcome.error, TaskError)
        assert "outcome is unknown" in outcome.error.message
        assert "Check the gateway's task log" in outcome.error.message
        assert outcome.result is None
    assert {o.record.local_id for o in outcomes} >= {dead.local_id}
    assert live.local_id not in {o.record.local_id for o in outcomes}
    stored = engine.journal.get(dead.local_id)
    assert stored is not None
    assert stored.state == "unknown"  # no longer looks like a create in flight
    assert gw.count(*CREATE) == 1  # nothing was sent again


def test_a_create_answered_while_the_journal_is_read_is_not_called_unknown(
        clock: FakeClock) -> None:
    # A shared journal lists the ids of "submitting" rows, then reads the rows: a worker's
    # create answered in between is "pending" (no lease) by then, not an unknown outcome.
    from gateway_core.coordination.memory_journal import MemoryJournal

    class Racy(MemoryJournal):
        def records(self, gateway: str | None = None, states: Any = None, limit: int = 100,
                    before: int | None = None) -> Any:
            listed = super().records(gateway, None, limit, before)
            if states and "submitting" in states:
                return [r for r in listed if r.state in (*states, "pending")]
            return listed

    journal = Racy()
    lease = ("worker-elsewhere", time.time() + 900)
    answered = journal.begin(protocol="openai-videos", gateway="https://gw.example.com",
                             kind="video", model="sora-2", fingerprint="f1", request={},
                             lease=lease)
    journal.submitted(answered.local_id, "task_1", {})  # answered: pending, lease cleared
    dead = journal.begin(protocol="openai-videos", gateway="https://gw.example.com",
                         kind="video", model="sora-2", fingerprint="f2", request={},
                         lease=("worker-dead", time.time() - 1))
    gw = FakeGateway()
    engine = engine_for(gw, clock, journal=journal)
    engine.gateway = "https://gw.example.com"
    assert [r.local_id for r in engine.unconfirmed()] == [dead.local_id]
