"""What a new user meets in the first hour of ``gateway-kit``, run as real subprocesses: the
journal without a gateway, a busy port, a closed pipe, a broken stream, the emulator's key, file
permissions and a clean interpreter exit."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gateway_core.tasks.journal import SqliteJournal

pytestmark = pytest.mark.usefixtures("emulator")

GATEWAY_A = "https://relay-a.example"
GATEWAY_B = "https://relay-b.example"


def _env(gateway: Any | None, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env["GATEWAY_TASK_JOURNAL"] = str(tmp_path / "tasks.sqlite3")
    if gateway is not None:
        env.update(GATEWAY_BASE_URL=gateway.base_url, GATEWAY_API_KEY=gateway.api_key)
    env.update(extra)
    return env


def cli(env: dict[str, str], *args: str, python_flags: tuple[str, ...] = (),
        **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *python_flags, "-m", "gateway_cli", *args], env=env,
                          capture_output=True, text=True, timeout=120, **kwargs)


def _journal_with_tasks(path: Path) -> None:
    journal = SqliteJournal(path)
    for gateway, count in ((GATEWAY_A, 2), (GATEWAY_B, 4)):
        for number in range(count):
            record = journal.begin(protocol="openai-videos", gateway=gateway, kind="video",
                                   model="sora-2", fingerprint=f"{gateway}-{number}", request={})
            journal.submitted(record.local_id, f"task_{gateway[-9:-8]}{number}", {})


def test_tasks_list_needs_no_gateway_and_shows_every_gateway(tmp_path: Path) -> None:
    _journal_with_tasks(tmp_path / "tasks.sqlite3")
    result = cli(_env(None, tmp_path), "tasks", "list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "GATEWAY" in lines[0]
    assert len(lines) == 2 + 6  # header, rule, six tasks
    assert {GATEWAY_A, GATEWAY_B} <= {line.split()[-1] for line in lines[2:]}


def test_tasks_list_for_one_gateway_says_what_it_left_out(tmp_path: Path) -> None:
    _journal_with_tasks(tmp_path / "tasks.sqlite3")
    env = _env(None, tmp_path, GATEWAY_BASE_URL=GATEWAY_A + "/v1")
    result = cli(env, "tasks", "list")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 2 + 2
    assert "4 more for other gateways: gateway-kit tasks list --all" in result.stderr
    everything = cli(env, "tasks", "list", "--all", "--json")
    assert everything.returncode == 0, everything.stderr
    assert everything.stdout.count('"task_id"') == 6


def test_tasks_list_with_no_journal_creates_none(tmp_path: Path) -> None:
    result = cli(_env(None, tmp_path), "tasks", "list")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "No tasks in the journal."
    assert not (tmp_path / "tasks.sqlite3").exists()


def test_emulator_on_a_busy_port_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli(_env(None, tmp_path), "emulator", "--port", str(port))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "--port" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_emulator_prints_its_key_with_its_url(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway_cli", "emulator", "--keys", "sk-first-hour"],
        env=_env(None, tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        key_line = process.stdout.readline()
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert url.startswith("http://127.0.0.1:")
    assert key_line.startswith("key: sk-first-hour")
    assert f"GATEWAY_BASE_URL={url} GATEWAY_API_KEY=sk-first-hour" in key_line


def test_a_closed_pipe_ends_quietly(gateway: Any, tmp_path: Path) -> None:
    """`gateway-kit models | head -1`: the reader is gone before the output is written."""
    process = subprocess.Popen([sys.executable, "-m", "gateway_cli", "models"],
                               env=_env(gateway, tmp_path), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    process.stdout.close()  # like `head` exiting: every write now fails with EPIPE
    _, err = process.communicate(timeout=120)
    assert err == ""
    assert process.returncode == 141


def test_a_broken_stream_error_starts_on_its_own_line(gateway: Any, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gateway_cli", "chat", "one two three four five six", "--stream",
         "--model", "gpt-4o-mini@@cut-close:2", "--max-retries", "0"],
        env=_env(gateway, tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=120)
    assert result.returncode == 1, result.stdout
    lines = result.stdout.splitlines()
    errors = [line for line in lines if "gateway-kit:" in line]
    assert len(errors) == 1, result.stdout
    assert errors[0].startswith("gateway-kit: ")
    assert lines.index(errors[0]) > 0  # the partial answer came first, on its own line
    assert "Traceback" not in result.stdout


def test_saved_files_follow_the_umask(gateway: Any, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = cli(_env(gateway, tmp_path), "image", "a red fox", "--out", str(out), umask=0o022)
    assert result.returncode == 0, result.stderr
    saved = [path for path in out.iterdir() if path.is_file()]
    assert saved
    for path in saved:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


@pytest.mark.parametrize("command", [
    ("models",), ("balance",), ("chat", "hello"), ("chat", "hello", "--stream"),
    ("image", "a fox"), ("tasks", "list"), ("tasks", "resume"),
])
def test_no_resource_warning_at_exit(gateway: Any, tmp_path: Path,
                                     command: tuple[str, ...]) -> None:
    result = cli(_env(gateway, tmp_path), *command,
                 python_flags=("-W", "always::ResourceWarning", "-X", "tracemalloc=5"),
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "ResourceWarning" not in result.stderr
    assert "Exception ignored" not in result.stderr
