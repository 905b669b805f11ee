"""The ``gateway-kit`` command line, run as a real subprocess against the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

pytestmark = pytest.mark.usefixtures("emulator")


def run(gateway: Any, *args: str, key: str | None = None, env_base: bool = True,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    if env_base:
        env["GATEWAY_BASE_URL"] = gateway.base_url
        env["GATEWAY_API_KEY"] = key or gateway.api_key
    return subprocess.run([sys.executable, "-m", "gateway_core", *args], env=env,
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
