"""Identical and distinct paid requests from many tasks, processes and "machines".

Counted by the emulator: creates per logical task = 1, tasks never finished = 0. SQLite covers
the processes of one machine; Redis covers two "machines" (two groups of processes with their
own cache directories, sharing only the Redis URL). A real redis-server, no fakes.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from gateway_core.tasks.journal import open_journal
from tests.integration.media_support import FAST_POLL, Creates, media_client

ROOT = Path(__file__).resolve().parents[2]
CREATE = "/v1/videos"


def prompt() -> str:
    return f"a fleet-tested sunrise {uuid.uuid4().hex[:8]}"


def worker(gateway: Any, journal: str, *args: str, cache: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GATEWAY_TASK_JOURNAL": journal,
           "XDG_CACHE_HOME": str(cache), "FLEET_BASE_URL": gateway.base_url,
           "FLEET_API_KEY": gateway.api_key}
    return subprocess.Popen([sys.executable, "-m", "tests.integration.fleet_worker", *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)


def finish(process: subprocess.Popen[str]) -> list[str]:
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, err
    assert "database is locked" not in err
    return out.split("\n")[:-1]


@pytest.mark.parametrize("journal_kind", ["sqlite", "memory"])
async def test_eight_asyncio_tasks_with_one_request_pay_once_and_share_it(
        gateway: Any, tmp_path: Path, journal_kind: str) -> None:
    journal: Any = tmp_path / "tasks.sqlite3" if journal_kind == "sqlite" else False
    client = media_client(gateway, journal)
    creates = Creates(gateway, CREATE)
    text = prompt()
    handles = await asyncio.gather(*(client.acreate_video(text, model="sora-2",
                                                          protocol="openai-videos")
                                     for _ in range(8)))
    assert creates.count == 1
    assert len({handle.task_id for handle in handles}) == 1
    assert sum(not handle.reused for handle in handles) == 1  # one paid, seven shared
    results = await asyncio.gather(*(handle.aresult() for handle in handles))
    assert len({tuple(result.urls) for result in results}) == 1
    assert results[0].urls


@pytest.mark.slow
def test_eight_processes_with_one_request_make_one_task(gateway: Any, tmp_path: Path) -> None:
    journal = str(tmp_path / "tasks.sqlite3")
    creates = Creates(gateway, CREATE)
    text = prompt()
    workers = [worker(gateway, journal, "same", text, cache=tmp_path) for _ in range(8)]
    for process in workers:  # all of them are up and waiting: release them together
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    answers = {line for process in workers for line in finish(process)}
    assert creates.count == 1
    assert len(answers) == 1  # one task id and one result url for all eight


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_eight_times_twenty_tasks_and_a_resumer_lose_and_duplicate_nothing(
        gateway: Any, tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> None:
    journal = (str(tmp_path / "tasks.sqlite3") if backend == "sqlite"
               else request.getfixturevalue("redis_url"))
    creates = Creates(gateway, CREATE)
    tag = prompt()
    resumer = worker(gateway, journal, "resume", "30", cache=tmp_path / "resumer")
    workers = [worker(gateway, journal, "many", f"{tag} worker {w}", "20",
                      cache=tmp_path / f"machine-{w % 2}") for w in range(8)]
    created = [line for process in workers for line in finish(process)]
    finish(resumer)
    assert creates.count == 160
    assert len(set(created)) == 160
    client = media_client(gateway, False)
    client.configure_tasks(journal=journal, poll=FAST_POLL)
    for outcome in client.resume_tasks():  # whatever the resumer had not reached yet
        assert outcome.error is None
    stored = open_journal(journal).records(None, None, limit=1000)
    assert sorted(r.task_id or "" for r in stored) == sorted(created)
    assert {r.state for r in stored} == {"succeeded"}


@pytest.mark.slow
def test_two_machines_on_redis_make_one_task_and_adopt_a_killed_workers_task(
        gateway: Any, tmp_path: Path, redis_url: str) -> None:
    creates = Creates(gateway, CREATE)
    text = prompt()
    machines = [tmp_path / "machine-a", tmp_path / "machine-b"]
    workers = [worker(gateway, redis_url, "same", text, cache=machines[i % 2]) for i in range(8)]
    for process in workers:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    answers = {line for process in workers for line in finish(process)}
    assert creates.count == 1
    assert len(answers) == 1

    # A worker on machine A is killed while polling; machine B adopts and finishes the task.
    polling = worker(gateway, redis_url, "poll", prompt(), cache=machines[0])
    assert polling.stdout is not None
    task_id = polling.stdout.readline().strip()
    assert polling.stdout.readline().startswith("progress")
    polling.kill()
    polling.wait(timeout=10)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(GATEWAY_BASE_URL=gateway.base_url, GATEWAY_API_KEY=gateway.api_key,
               GATEWAY_TASK_JOURNAL=redis_url, XDG_CACHE_HOME=str(machines[1]),
               PYTHONPATH=str(ROOT))
    adopted = subprocess.run([sys.executable, "-m", "gateway_cli", "tasks", "resume", "--json",
                              "--quiet"], env=env, capture_output=True, text=True, timeout=120)
    assert adopted.returncode == 0, adopted.stderr
    assert [(row["task_id"], row["state"]) for row in json.loads(adopted.stdout)] == [
        (task_id, "succeeded")]
    assert creates.count == 2
    record = open_journal(redis_url).records(None, None, limit=10)[0]
    assert (record.task_id, record.state) == (task_id, "succeeded")


def test_paid_tasks_fail_closed_when_the_journals_redis_is_down(gateway: Any,
                                                                tmp_path: Path) -> None:
    from gateway_core import GatewayConnectionError
    from tests.redis_server import RedisServer

    server = RedisServer().start()
    url = server.url
    server.kill()  # a Redis that was there and is gone
    server.stop()
    client = media_client(gateway, False)
    client.configure_tasks(journal=url)
    creates = Creates(gateway, CREATE)
    with pytest.raises(GatewayConnectionError, match="Paid tasks are not submitted"):
        client.create_video(prompt(), model="sora-2", protocol="openai-videos")
    assert creates.count == 0
