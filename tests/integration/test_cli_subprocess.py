"""The ``gateway-kit`` command line, run as a real subprocess against the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.usefixtures("emulator")


def run(gateway: Any, *args: str, key: str | None = None, env_base: bool = True,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    if env_base:
        env["GATEWAY_BASE_URL"] = gateway.base_url
        env["GATEWAY_API_KEY"] = key or gateway.api_key
    return subprocess.run([sys.executable, "-m", "gateway_cli", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_models_table_and_json(gateway: Any) -> None:
    table = run(gateway, "models")
    assert table.returncode == 0, table.stderr
    assert "text-embedding-3-small" in table.stdout
    assert "MODEL" in table.stdout.splitlines()[0]
    rerank = run(gateway, "models", "--type", "rerank", "--json")
    listed = json.loads(rerank.stdout)
    assert {m["id"] for m in listed} == {"bge-reranker-v2-m3",
                                         "jina-reranker-v2-base-multilingual"}
    assert all(m["kind"] == "rerank" for m in listed)


def test_balance(gateway: Any) -> None:
    result = run(gateway, "balance", "--json")
    assert result.returncode == 0, result.stderr
    balance = json.loads(result.stdout)
    assert balance["source"] == "token_usage"
    assert gateway.api_key not in result.stdout
    text = run(gateway, "balance")
    assert text.returncode == 0
    assert text.stdout.strip()


def test_chat_plain_and_streamed(gateway: Any) -> None:
    plain = run(gateway, "chat", "hello there")
    assert plain.returncode == 0, plain.stderr
    assert "hello there" in plain.stdout
    streamed = run(gateway, "chat", "hello stream", "--stream", "--model", "deepseek-reasoner",
                   "--show-reasoning")
    assert streamed.returncode == 0, streamed.stderr
    assert "[reasoning]" in streamed.stdout
    assert "hello stream" in streamed.stdout


def test_options_override_the_environment(gateway: Any) -> None:
    result = run(gateway, "chat", "via flags", "--base-url", gateway.base_url,
                 "--api-key", gateway.api_key, env_base=False)
    assert result.returncode == 0, result.stderr


def test_errors_are_one_actionable_line_without_the_key(gateway: Any) -> None:
    wrong = "sk-cli-wrong-key-0123456789"
    result = run(gateway, "models", key=wrong)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert wrong not in result.stderr + result.stdout
    assert "GATEWAY_API_KEY" in result.stderr
    missing = run(gateway, "balance", env_base=False)
    assert missing.returncode == 2
    assert "--base-url" in missing.stderr
    unknown = run(gateway, "chat", "hi", "--model", "no-such-model", "--max-retries", "0")
    assert unknown.returncode == 1
    assert "no-such-model" in unknown.stderr


def test_debug_shows_the_traceback_but_not_the_key(gateway: Any) -> None:
    wrong = "sk-cli-wrong-key-debug-0123456789"
    result = run(gateway, "models", "--debug", key=wrong)
    assert result.returncode != 0
    assert "Traceback" in result.stderr
    assert wrong not in result.stderr + result.stdout


# ---------------------------------------------------------------- media commands


def media_env(gateway: Any, journal: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(GATEWAY_BASE_URL=gateway.base_url, GATEWAY_API_KEY=gateway.api_key,
               GATEWAY_TASK_JOURNAL=str(journal))
    return env


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gateway_cli", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_image_prints_links_and_saves_with_out(gateway: Any, tmp_path: Any) -> None:
    env = media_env(gateway, tmp_path / "journal.sqlite3")
    inline = cli(env, "image", "a red fox")  # gpt-image-1 answers base64 only
    assert inline.returncode == 0, inline.stderr
    assert "pass --out DIR" in inline.stdout
    saved = cli(env, "image", "a red fox", "--out", str(tmp_path / "out"), "--json")
    assert saved.returncode == 0, saved.stderr
    path = json.loads(saved.stdout)["items"][0]["path"]
    assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_unusable_out_is_refused_before_paying(emulator: Any, gateway: Any, tmp_path: Any
                                                  ) -> None:
    emulator.reset()
    env = media_env(gateway, tmp_path / "journal.sqlite3")
    not_a_dir = tmp_path / "file.txt"
    not_a_dir.write_text("x")
    for command in ("video", "image"):
        result = cli(env, command, "a cat surfing", "--out", str(not_a_dir))
        assert result.returncode == 2
        assert result.stderr.startswith("gateway-kit: --out ")
        assert result.stderr.count("\n") == 1
        assert "Traceback" not in result.stderr
    assert not [r for r in emulator.requests() if r["method"] == "POST"]


def test_video_with_progress_saves_the_file_and_is_journaled(gateway: Any, tmp_path: Any) -> None:
    env = media_env(gateway, tmp_path / "journal.sqlite3")
    result = cli(env, "video", "a cat surfing", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "%" in result.stderr  # progress lines
    saved = result.stdout.strip().split("video: ", 1)[1]
    assert Path(saved).read_bytes()[4:8] == b"ftyp"
    listed = json.loads(cli(env, "tasks", "list", "--json").stdout)
    assert [t["state"] for t in listed] == ["succeeded"]


def test_a_failed_video_is_one_line_naming_the_task(gateway: Any, tmp_path: Any) -> None:
    env = media_env(gateway, tmp_path / "journal.sqlite3")
    result = cli(env, "video", "anything", "--model", f"{gateway.video_model}+fail",
                 "--protocol", "newapi-video", "--quiet")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("gateway-kit: ")
    assert "task_" in lines[-1]
    assert "Traceback" not in result.stderr


def test_interrupted_video_is_resumed_without_paying_twice(
    emulator: Any, gateway: Any, tmp_path: Any
) -> None:
    import signal

    emulator.reset()  # the request log then holds this test's requests only
    env = media_env(gateway, tmp_path / "journal.sqlite3")
    prompt = f"resume me {tmp_path.name}"
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway_cli", "video", prompt, "--model",
         f"{gateway.video_model}+slow", "--protocol", "openai-videos"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # A runner started in the background (`cmd &` in a script) ignores SIGINT, and children
        # inherit that; Python then installs no KeyboardInterrupt handler. Undo it in the child.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert process.stderr is not None
    first = process.stderr.readline()  # "task task_… (openai-videos)": submitted and journaled
    task_id = first.split()[1]
    process.send_signal(signal.SIGINT)
    _, rest = process.communicate(timeout=60)
    assert process.returncode == 130
    assert f"gateway-kit tasks resume {task_id}" in rest
    resumed = cli(env, "tasks", "resume", task_id, "--json", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["state"] == "succeeded"
    creates = [r for r in emulator.requests("/v1/videos")
               if r["model"] == f"{gateway.video_model}+slow" and r["method"] == "POST"]
    assert len(creates) == 1


def test_tasks_resume_without_an_id_finishes_every_unfinished_task(gateway: Any,
                                                                   tmp_path: Any) -> None:
    from tests.integration.media_support import media_client

    journal = tmp_path / "journal.sqlite3"
    client = media_client(gateway, journal)
    ids = {client.create_video(f"left running {n} {tmp_path.name}", model=gateway.video_model,
                               protocol="openai-videos").task_id for n in range(2)}
    env = media_env(gateway, journal)
    resumed = cli(env, "tasks", "resume", "--json", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    rows = json.loads(resumed.stdout)
    assert {row["task_id"] for row in rows} == ids
    assert {row["state"] for row in rows} == {"succeeded"}
    again = cli(env, "tasks", "resume")
    assert again.returncode == 0
    assert "No unfinished tasks" in again.stdout


def test_the_emulator_command_serves_a_gateway(tmp_path: Any) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway_cli", "emulator", "--port", "0", "--keys", "sk-cli-1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/v1")
        env.update(GATEWAY_BASE_URL=base_url, GATEWAY_API_KEY="sk-cli-1")
        chat = cli(env, "chat", "hello emulator")
        assert chat.returncode == 0, chat.stderr
        assert "hello emulator" in chat.stdout
    finally:
        process.terminate()
        process.wait(timeout=10)
