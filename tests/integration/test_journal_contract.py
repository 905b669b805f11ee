"""One contract for every task journal: memory, SQLite and Redis (a real redis-server).

The rules are stated in ``gateway_core/coordination/journal_base.py``; each test runs against
the three backends, so they cannot drift apart again.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway_core.coordination.journal_base import Journal, UnknownRecordError
from gateway_core.coordination.redis_journal import RedisJournal
from gateway_core.media_items import MediaItem
from gateway_core.tasks import MemoryJournal, SqliteJournal, open_journal
from gateway_core.tasks.types import TaskSnapshot

GW = "https://gw"


@pytest.fixture(params=["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Journal]:
    if request.param == "memory":
        yield MemoryJournal()
    elif request.param == "sqlite":
        yield SqliteJournal(tmp_path / "nested" / "tasks.sqlite3")
    else:
        yield RedisJournal(request.getfixturevalue("redis_url"), prefix="contract")


def begin(journal: Journal, fingerprint: str = "fp1", gateway: str = GW, **extra: Any) -> int:
    record = journal.begin(protocol="openai-videos", gateway=gateway, kind="video",
                           model="sora-2", fingerprint=fingerprint,
                           request={"prompt": "a cat", "images": []}, **extra)
    assert record.state == "submitting"
    assert record.task_id is None
    assert record.request == {"prompt": "a cat", "images": []}
    return record.local_id


def snapshot(state: str, **fields: Any) -> TaskSnapshot:
    return TaskSnapshot(task_id="task_abc", protocol="openai-videos", state=state,  # type: ignore[arg-type]
                        **fields)


def test_lifecycle(journal: Journal) -> None:
    local_id = begin(journal)
    record = journal.submitted(local_id, "task_abc", {"model": "sora-2", "action": "x"})
    assert (record.task_id, record.state, record.meta["action"]) == ("task_abc", "pending", "x")
    journal.update(local_id, snapshot("running", status="in_progress", progress=30,
                                      extra={"buttons": [1]}))
    stored = journal.get(local_id)
    assert stored is not None
    assert (stored.state, stored.progress, stored.result) == ("running", 30, [])
    assert stored.meta == {"model": "sora-2", "action": "x", "extra": {"buttons": [1]}}
    journal.update(local_id, snapshot(
        "succeeded", status="completed", progress=100,
        items=[MediaItem("video", url="https://cdn/v.mp4", extra={"oss_url": "https://oss/v"})]))
    stored = journal.get(local_id)
    assert stored is not None
    assert stored.finished
    assert stored.items()[0].url == "https://cdn/v.mp4"
    assert stored.snapshot().urls == ["https://oss/v"]
    found = journal.find_task(GW, "openai-videos", "task_abc")
    assert found is not None
    assert found.local_id == local_id
    assert journal.find_task("https://other", "openai-videos", "task_abc") is None
    assert journal.find_task(GW, "kling", "task_abc") is None


def test_update_never_drops_meta(journal: Journal) -> None:
    local_id = begin(journal)
    journal.submitted(local_id, "task_abc", {"action": "text2video", "route": "/kling/v1/x"})
    journal.update(local_id, snapshot("running"))  # no extra at all
    journal.update(local_id, snapshot("running", extra={"a": 1}))
    journal.update(local_id, snapshot("running"))
    stored = journal.get(local_id)
    assert stored is not None
    assert stored.meta == {"action": "text2video", "route": "/kling/v1/x", "extra": {"a": 1}}


def test_recent_lookup_window_and_failed_rows(journal: Journal) -> None:
    local_id = begin(journal, "same")
    found = journal.find_recent("same", since=0)
    assert found is not None
    assert found.local_id == local_id
    assert journal.find_recent("same", since=found.created_at + 10) is None
    assert journal.find_recent("other", since=0) is None
    journal.mark(local_id, "failed", "boom")
    assert journal.find_recent("same", since=0) is None  # failed work may be retried
    stored = journal.get(local_id)
    assert stored is not None
    assert (stored.state, stored.reason) == ("failed", "boom")


def test_discard_and_listing(journal: Journal) -> None:
    first = begin(journal, "a")
    second = begin(journal, "b")
    journal.submitted(second, "task_2", {})
    journal.discard(first)
    journal.discard(first)  # forgetting twice is fine
    assert journal.get(first) is None
    assert [r.task_id for r in journal.records(GW, ("pending",))] == ["task_2"]
    assert journal.records("https://elsewhere") == []
    assert journal.find_recent("a", since=0) is None


def test_states_none_is_every_state_and_empty_is_none(journal: Journal) -> None:
    begin(journal, "a")
    journal.submitted(begin(journal, "b"), "t", {})
    assert len(journal.records(GW, None)) == 2
    assert len(journal.records(None, None)) == 2
    assert journal.records(GW, ()) == []
    assert journal.records(None, ()) == []
    assert journal.records(GW, None, limit=0) == []


@pytest.mark.parametrize("operation", ["submitted", "mark", "update", "lease"])
def test_an_unknown_id_is_one_typed_error(journal: Journal, operation: str) -> None:
    calls = {
        "submitted": lambda: journal.submitted(999, "t", {}),
        "mark": lambda: journal.mark(999, "unknown"),
        "update": lambda: journal.update(999, snapshot("running")),
        "lease": lambda: journal.lease(999, "me", 10.0, 0.0),
    }
    with pytest.raises(UnknownRecordError) as caught:
        calls[operation]()
    assert caught.value.local_id == 999
    assert caught.value.reason == "unknown record"
    assert caught.value.message == (
        "Task record 999 is not in the journal (discarded, or another journal file or Redis "
        "database). Check GATEWAY_TASK_JOURNAL.")
    assert journal.get(999) is None


def test_listing_is_newest_first_and_pages_without_gaps(journal: Journal) -> None:
    ids = [begin(journal, f"fp{i}", gateway=GW if i % 3 else "https://b") for i in range(25)]
    for local_id in ids[::2]:
        journal.submitted(local_id, f"task-{local_id}", {})
    mine = [i for n, i in enumerate(ids) if n % 3]
    seen: list[int] = []
    before = None
    while True:
        page = journal.records(GW, None, limit=4, before=before)
        seen.extend(record.local_id for record in page)
        if len(page) < 4:
            break
        before = page[-1].local_id
    assert seen == sorted(mine, reverse=True)
    pending = [r.local_id for r in journal.records(None, ("pending", "submitting"), limit=100)]
    assert pending == sorted(ids, reverse=True)
    only_pending = journal.records(GW, ("pending",), limit=3, before=ids[20])
    assert [r.local_id for r in only_pending] == sorted(
        [i for n, i in enumerate(ids) if n % 3 and n % 2 == 0 and i < ids[20]], reverse=True)[:3]


def test_claim_finds_or_creates_atomically_across_threads(journal: Journal) -> None:
    claims = []
    start = threading.Barrier(8)

    def claim() -> None:
        start.wait()
        claims.append(journal.claim(protocol="openai-videos", gateway=GW, kind="video",
                                    model="m", fingerprint="one", request={}, since=0.0,
                                    lease=("worker", 1e12)))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(c.created for c in claims) == 1
    assert len({c.record.local_id for c in claims}) == 1
    created = next(c for c in claims if c.created)
    assert (created.record.lease_owner, created.record.lease_until) == ("worker", 1e12)
    assert (created.record.protocol, created.record.gateway, created.record.kind,
            created.record.model, created.record.state) == ("openai-videos", GW, "video", "m",
                                                            "submitting")
    journal.mark(created.record.local_id, "failed")  # failed: the next claim makes a new row
    again = journal.claim(protocol="openai-videos", gateway=GW, kind="video", model="m",
                          fingerprint="one", request={}, since=0.0, lease=("w2", 1.0))
    assert again.created
    assert again.record.local_id != created.record.local_id


def test_leases_expire_and_belong_to_one_worker(journal: Journal) -> None:
    local_id = begin(journal)
    journal.submitted(local_id, "task_abc", {})
    assert journal.lease(local_id, "a", until=100.0, now=0.0)
    assert journal.lease(local_id, "a", until=200.0, now=50.0)  # renewal
    assert not journal.lease(local_id, "b", until=300.0, now=150.0)  # a still holds it
    assert journal.lease(local_id, "b", until=400.0, now=250.0)  # a's lease ran out: adopted
    stored = journal.get(local_id)
    assert stored is not None
    assert (stored.lease_owner, stored.lease_until) == ("b", 400.0)
    assert journal.lease(local_id, "c", until=500.0, now=400.0)  # a lease ends at its until


def test_pickles_and_still_works(journal: Journal) -> None:
    local_id = begin(journal)
    copy = pickle.loads(pickle.dumps(journal))
    if not isinstance(journal, MemoryJournal):  # shared storage: the copy sees the same rows
        assert copy.get(local_id) is not None
    copy.submitted(begin(copy, "other"), "t9", {})


@pytest.mark.redis
def test_open_journal_understands_redis_urls(redis_url: str, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    monkeypatch.setenv("GATEWAY_TASK_JOURNAL", redis_url)
    journal = open_journal(None)
    assert isinstance(journal, RedisJournal)
    assert "redis://127.0.0.1" in repr(journal)
    assert isinstance(open_journal("off"), MemoryJournal)


def test_the_recent_lookup_is_inclusive_and_skips_failed_rows(journal: Journal) -> None:
    older = begin(journal, "same")
    newer = begin(journal, "same")
    found = journal.find_recent("same", since=0)
    assert found is not None
    assert found.local_id == newer  # the newest of identical requests
    at = journal.find_recent("same", since=found.created_at)  # created exactly at ``since``
    assert at is not None
    assert at.local_id == newer
    journal.mark(newer, "failed")
    behind = journal.find_recent("same", since=0)  # a failed row hides no older live one
    assert behind is not None
    assert behind.local_id == older
    claimed = journal.claim(protocol="openai-videos", gateway=GW, kind="video", model="m",
                            fingerprint="same", request={}, since=0.0, lease=("w", 1.0))
    assert (claimed.created, claimed.record.local_id) == (False, older)


def test_a_record_keeps_what_it_was_given(journal: Journal) -> None:
    record = journal.begin(protocol="kling", gateway=GW, kind="image", model=None,
                           fingerprint="f", request={"prompt": "猫", "n": 2})
    assert (record.protocol, record.gateway, record.kind, record.model, record.fingerprint) == (
        "kling", GW, "image", None, "f")
    assert (record.lease_owner, record.lease_until) == (None, None)
    leased = journal.begin(protocol="kling", gateway=GW, kind="video", model="k",
                           fingerprint="g", request={}, lease=("me", 5.0))
    assert (leased.lease_owner, leased.lease_until, leased.model) == ("me", 5.0, "k")
    assert record.updated_at == record.created_at
    accepted = journal.submitted(leased.local_id, "t1", {"action": "image2video"})
    assert (accepted.state, accepted.lease_owner, accepted.lease_until) == ("pending", None, None)
    stored = journal.get(record.local_id)
    assert stored is not None
    assert stored.request == {"prompt": "猫", "n": 2}
    assert (stored.state, stored.task_id, stored.meta, stored.result) == (
        "submitting", None, {}, [])


def test_results_are_kept_once_finished_and_marks_clear_the_reason(journal: Journal) -> None:
    local_id = begin(journal)
    journal.submitted(local_id, "task_abc", {})
    partial = MediaItem("audio", url="https://cdn/partial.mp3")
    journal.update(local_id, snapshot("running", items=[partial], reason="still going"))
    stored = journal.get(local_id)
    assert stored is not None
    assert (stored.result, stored.reason) == ([], "still going")  # a running task's items wait
    journal.update(local_id, snapshot("failed", items=[partial], reason="quota", status="err"))
    stored = journal.get(local_id)
    assert stored is not None
    assert (stored.state, stored.status, stored.reason) == ("failed", "err", "quota")
    assert [item["url"] for item in stored.result] == ["https://cdn/partial.mp3"]
    journal.mark(local_id, "unknown")
    stored = journal.get(local_id)
    assert stored is not None
    assert (stored.state, stored.reason) == ("unknown", None)
    assert [r.local_id for r in journal.records(GW, ("unknown",))] == [local_id]
    assert journal.records(GW, ("failed",)) == []  # the old state's listing forgets it


def test_a_gateway_task_is_found_until_it_is_discarded(journal: Journal) -> None:
    first = begin(journal, "a")
    journal.submitted(first, "task_abc", {})
    again = begin(journal, "b")  # the same gateway task attached a second time
    journal.submitted(again, "task_abc", {})
    found = journal.find_task(GW, "openai-videos", "task_abc")
    assert found is not None
    assert found.local_id == again  # the newest
    journal.discard(again)
    journal.discard(first)
    assert journal.find_task(GW, "openai-videos", "task_abc") is None
    assert journal.records() == []


def test_listings_by_several_states_merge_newest_first(journal: Journal) -> None:
    ids = [begin(journal, f"fp{i}") for i in range(8)]
    for n, local_id in enumerate(ids):
        journal.submitted(local_id, f"t{n}", {})
        if n % 2:
            journal.update(local_id, snapshot("running"))
    both = journal.records(GW, ("pending", "running"), limit=5)
    assert [r.local_id for r in both] == sorted(ids, reverse=True)[:5]
    every = journal.records(None, ("running", "pending"), limit=100, before=ids[6])
    assert [r.local_id for r in every] == sorted(ids[:6], reverse=True)
    assert [r.state for r in journal.records(GW, ("running",), limit=2)] == ["running"] * 2
    assert journal.records(GW, ("pending",), limit=1, before=ids[0]) == []
    assert [r.local_id for r in journal.records(limit=3)] == sorted(ids, reverse=True)[:3]
    assert [r.local_id for r in journal.records(GW, None, 2, ids[3])] == [ids[2], ids[1]]


def test_a_pickled_copy_keeps_the_rows_and_never_reuses_an_id(journal: Journal) -> None:
    local_id = begin(journal)
    journal.submitted(local_id, "task_abc", {"action": "x"})
    copy = pickle.loads(pickle.dumps(journal))
    kept = copy.get(local_id)
    assert kept is not None
    assert (kept.task_id, kept.meta) == ("task_abc", {"action": "x"})
    found = copy.find_task(GW, "openai-videos", "task_abc")
    assert found is not None
    assert found.local_id == local_id
    assert [r.local_id for r in copy.records(GW, ("pending",))] == [local_id]
    assert begin(copy, "next") > local_id


def test_ids_count_from_one_and_updates_move_the_clock(journal: Journal) -> None:
    first = journal.begin(protocol="p", gateway=GW, kind="video", model=None, fingerprint="a",
                          request={})
    assert [first.local_id, begin(journal, "b"), begin(journal, "c")] == [1, 2, 3]
    accepted = journal.submitted(1, "t", {})
    assert accepted.updated_at >= first.updated_at
    journal.update(1, snapshot("running"))
    stored = journal.get(1)
    assert stored is not None
    assert stored.updated_at >= accepted.updated_at


def test_listings_of_an_empty_state_and_the_default_page(journal: Journal) -> None:
    assert journal.records(GW, ("running",)) == []  # a state no record ever had
    assert journal.records(None, ("running", "pending")) == []
    ids = [begin(journal, f"fp{n}") for n in range(101)]
    assert len(journal.records()) == 100  # the default page
    assert [r.local_id for r in journal.records(GW, None, 1)] == [ids[-1]]
    assert [r.local_id for r in journal.records(GW, ("submitting",), 1)] == [ids[-1]]
