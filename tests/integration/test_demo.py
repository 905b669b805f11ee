"""`make demo` never spends money: the emulator even with GATEWAY_BASE_URL / GATEWAY_API_KEY
exported; `make demo-live` (``run_all.py --live``) is the explicit choice and says what it pays
for. Each example is run against the exported variables in test_examples.py; these tests cover
the runner and the Makefile."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.recording_server import RecordingServer

ROOT = Path(__file__).resolve().parents[2]
RUN_ONE = ("import sys, examples.run_all as demo; demo.EXAMPLES = ('chat_core.py',); "
           "sys.exit(demo.main(sys.argv[1:]))")


def _env(recording_server: RecordingServer, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(GATEWAY_BASE_URL=recording_server.url, GATEWAY_API_KEY="sk-real-key-0123456789",
               GATEWAY_TASK_JOURNAL=str(tmp_path / "tasks.sqlite3"), PYTHONPATH=str(ROOT))
    return env


def test_the_runner_uses_the_emulator_with_the_variables_exported(
        recording_server: RecordingServer, tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-c", RUN_ONE], env=_env(recording_server, tmp_path),
                            cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert recording_server.requests == []
    assert "against the bundled emulator: no key, no network, nothing billed" in result.stdout
    assert "Not billed: using the bundled emulator at http://127.0.0.1:" in result.stdout
    assert "LIVE" not in result.stdout


def test_live_is_refused_without_a_gateway(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run([sys.executable, "-c", RUN_ONE, "--live"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "demo-live needs GATEWAY_BASE_URL and GATEWAY_API_KEY" in result.stderr


def test_live_says_where_it_goes_and_what_it_pays_for(recording_server: RecordingServer,
                                                      tmp_path: Path) -> None:
    env = _env(recording_server, tmp_path)
    env["GATEWAY_VIDEO_MODEL"] = "kling-v2-1"
    result = subprocess.run([sys.executable, "-c", RUN_ONE, "--live"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=240)
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"LIVE: the examples will call {recording_server.url} and your key "
                            "pays for")
    assert "2 video tasks (kling-v2-1)" in first
    assert "Using the live gateway at" in result.stdout
    assert recording_server.requests, "the live run did go to the configured gateway"


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_demo_never_passes_live_and_demo_live_does() -> None:
    demo = subprocess.run(["make", "-n", "demo"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    live = subprocess.run(["make", "-n", "demo-live"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    demo_line = [line for line in demo.stdout.splitlines() if "run_all.py" in line]
    live_line = [line for line in live.stdout.splitlines() if "run_all.py" in line]
    assert demo_line
    assert all("--live" not in line for line in demo_line)
    assert live_line
    assert all("--live" in line for line in live_line)
