"""A worker process for the fleet tests: ``python -m tests.integration.fleet_worker MODE ...``.

Modes (the journal comes from ``GATEWAY_TASK_JOURNAL``, a SQLite path or a redis:// URL):

* ``same PROMPT``: wait for a line on stdin (all workers start together), create one video,
  wait for its result, print ``task_id url``;
* ``many TAG N``: create N distinct videos (no waiting), print each task id;
* ``resume ROUNDS``: resume unfinished tasks ROUNDS times, print each finished task id;
* ``poll PROMPT``: create one video on a slow model and poll it forever (to be killed);
* ``hammer SECONDS THREADS RPM [REDIS_URL]``: chat from THREADS threads for SECONDS under a
  RPM limit (shared through Redis when a URL is given; 0: none), no retries; print
  ``ok N errors M``.
"""

from __future__ import annotations

import os
import sys

from gateway_core import GatewayClient
from gateway_core.tasks import PollSettings


def client() -> GatewayClient:
    made = GatewayClient(base_url=os.environ["FLEET_BASE_URL"],
                         api_key=os.environ["FLEET_API_KEY"])
    made.configure_tasks(poll=PollSettings(interval=0.02, max_interval=0.1, timeout=60))
    return made


def main(mode: str, *args: str) -> None:
    gateway = client()
    if mode == "same":
        sys.stdin.readline()
        handle = gateway.create_video(args[0], model="sora-2", protocol="openai-videos")
        result = handle.result()
        print(handle.task_id, result.urls[0], flush=True)
    elif mode == "many":
        for i in range(int(args[1])):
            handle = gateway.create_video(f"{args[0]} number {i}", model="sora-2",
                                          protocol="openai-videos")
            print(handle.task_id, flush=True)
    elif mode == "resume":
        for _ in range(int(args[0])):
            for outcome in gateway.resume_tasks():
                assert outcome.error is None, outcome.error
                print(outcome.record.task_id, flush=True)
    elif mode == "hammer":
        hammer(float(args[0]), int(args[1]), float(args[2]), args[3] if len(args) > 3 else None)
    elif mode == "poll":
        handle = gateway.create_video(args[0], model="sora-2+slow", protocol="openai-videos")
        print(handle.task_id, flush=True)
        handle.result(on_progress=lambda s: print("progress", s.state, flush=True))


def hammer(seconds: float, threads: int, rpm: float, backend: str | None) -> None:
    import threading
    import time

    from gateway_core import GatewayError
    from gateway_core.coordination import RateLimit

    gateway = GatewayClient(base_url=os.environ["FLEET_BASE_URL"],
                            api_key=os.environ["FLEET_API_KEY"], max_retries=0,
                            rate_limit=RateLimit(requests_per_minute=rpm, backend=backend,
                                                 prefix=os.environ.get("FLEET_PREFIX", "t"))
                            if rpm > 0 else None)  # rpm 0: no limiter (the baseline)
    counts = {"ok": 0, "errors": 0}
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def work() -> None:
        while time.monotonic() < end:
            try:
                gateway.chat("hammer", model="gpt-4o-mini")
                outcome = "ok"
            except GatewayError:
                outcome = "errors"
            with lock:
                counts[outcome] += 1

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    print("ok", counts["ok"], "errors", counts["errors"], flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
