"""The task journal at 100k rows: look-ups, listings and resume's full scan, per backend.

    PYTHONPATH=. python benchmarks/journal_scale.py [--rows 100000] [--redis]

Rows are bulk-loaded (SQLite directly, memory and Redis through the journal), 1% of them
unfinished, spread over 4 gateways. Each figure is the median of repeated calls, in ms.
``--redis`` also measures the Redis journal on a throwaway redis-server (tests/redis_server).
Issue #18's targets: find_task <= 1 ms at 100k rows; resume sees every unfinished task.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway_core.coordination.journal_base import UNFINISHED, Journal
from gateway_core.tasks import MemoryJournal, SqliteJournal

GATEWAYS = [f"https://gw{i}.example.com" for i in range(4)]


def state_of(i: int) -> str:
    return "running" if i % 100 == 5 else ("failed" if i % 10 == 3 else "succeeded")


def load_sqlite(path: Path, rows: int) -> SqliteJournal:
    journal = SqliteJournal(path)
    journal.records()  # creates the schema
    now = time.time()
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO tasks (task_id, protocol, gateway, kind, model, fingerprint, state, "
            "meta, request, result, created_at, updated_at) VALUES (?, 'openai-videos', ?, "
            "'video', 'sora-2', ?, ?, ?, '{}', '[]', ?, ?)",
            ((f"task-{i}", GATEWAYS[i % 4], f"fp-{i}", state_of(i),
              json.dumps({"model": "sora-2"}), now - rows + i, now - rows + i)
             for i in range(rows)))
    return journal


def load_through(journal: Journal, rows: int) -> Journal:
    for i in range(rows):
        record = journal.begin(protocol="openai-videos", gateway=GATEWAYS[i % 4], kind="video",
                               model="sora-2", fingerprint=f"fp-{i}", request={})
        journal.submitted(record.local_id, f"task-{i}", {"model": "sora-2"})
        if state_of(i) != "pending":
            journal.mark(record.local_id, state_of(i))
    return journal


def median_ms(call: Callable[[], Any], repeat: int = 50) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def unfinished_all(journal: Journal, gateway: str) -> int:
    count, before = 0, None
    while True:
        page = journal.records(gateway, UNFINISHED, 500, before)
        count += len(page)
        if len(page) < 500:
            return count
        before = page[-1].local_id


def measure(name: str, journal: Journal, rows: int) -> None:
    gateway = GATEWAYS[1]
    probe = [f"task-{i}" for i in range(1, rows, max(1, rows // 50))]
    index = iter(range(10**9))
    figures = {
        "find_task": median_ms(lambda: journal.find_task(
            GATEWAYS[int(probe[next(index) % len(probe)][5:]) % 4], "openai-videos",
            probe[next(index) % len(probe)])),
        "find_recent": median_ms(lambda: journal.find_recent(f"fp-{rows // 2}", 0.0)),
        "records(limit=100)": median_ms(lambda: journal.records(gateway, None, 100)),
        "records(unfinished, 100)": median_ms(lambda: journal.records(gateway, UNFINISHED, 100)),
        "page deep (before=mid)": median_ms(lambda: journal.records(gateway, None, 100,
                                                                     rows // 2)),
        "every unfinished (paged)": median_ms(lambda: unfinished_all(journal, gateway), 5),
    }
    expected = sum(1 for i in range(rows) if i % 4 == 1 and state_of(i) in UNFINISHED)
    seen = unfinished_all(journal, gateway)
    cells = " | ".join(f"{value:.3f}" for value in figures.values())
    print(f"| {name} | {rows:,} | {cells} | {seen}/{expected} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--redis", action="store_true")
    args = parser.parse_args()
    print("| backend | rows | find_task ms | find_recent ms | records(100) ms | "
          "unfinished(100) ms | deep page ms | every unfinished ms | resume sees |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        measure("sqlite", load_sqlite(Path(folder) / "tasks.sqlite3", args.rows), args.rows)
    measure("memory", load_through(MemoryJournal(), args.rows), args.rows)
    if args.redis:
        from gateway_core.coordination.redis_journal import RedisJournal
        from tests.redis_server import RedisServer

        with RedisServer() as server:
            rows = min(args.rows, 20_000)  # loaded request by request
            measure("redis", load_through(RedisJournal(server.url), rows), rows)


if __name__ == "__main__":
    main()
