"""4 processes x 2 threads hammer an emulator that enforces 120 requests per minute per key.

    PYTHONPATH=. python benchmarks/fleet_rate_limit.py [--seconds 10] [--rpm 120]

Three runs: no limiter, each process with its own in-process limiter, one Redis limiter
shared by all. Prints answered (200) and refused (429) requests as the emulator counted them,
the busiest 10 s window, and throughput. Needs redis-server (tests/redis_server).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway_emulator.testing import EmulatorProcess  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402


def run(emulator: EmulatorProcess, seconds: float, rpm: float, backend: str | None) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FLEET_BASE_URL": emulator.base_url,
           "FLEET_API_KEY": emulator.api_key, "FLEET_PREFIX": uuid.uuid4().hex}
    args = [str(seconds), "2", str(rpm), *([backend] if backend else [])]
    workers = [subprocess.Popen([sys.executable, "-m", "tests.integration.fleet_worker",
                                 "hammer", *args], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                text=True) for _ in range(4)]
    for worker in workers:
        worker.communicate(timeout=seconds + 120)
    log = emulator.requests("/v1/chat/completions")
    ok = sorted(entry["at"] for entry in log if entry["status"] == 200)
    refused = sum(1 for entry in log if entry["status"] == 429)
    busiest = max((sum(s <= t < s + 10 for t in ok) for s in ok), default=0)
    span = (ok[-1] - ok[0]) if len(ok) > 1 else 0.0
    print(f"| {'none' if rpm <= 0 else ('redis' if backend else 'per process')} | {len(ok)} | "
          f"{refused} | {busiest} | {len(ok) / span if span else 0:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rpm", type=float, default=120.0)
    args = parser.parse_args()
    print(f"4 processes x 2 threads, {args.seconds:g} s, the emulator allows {args.rpm:g}/min "
          "per key\n")
    print("| limiter | answered | refused (429) | busiest 10 s | answered per s |")
    print("|---|---|---|---|---|")
    with RedisServer() as redis, EmulatorProcess(
            extra_args=["--rate-limit", str(int(args.rpm))]) as emulator:
        for rpm, backend in ((0.0, None), (args.rpm, None), (args.rpm, redis.url)):
            emulator.reset()
            run(emulator, args.seconds, rpm, backend)


if __name__ == "__main__":
    main()
