"""Every example runs to the end against the emulator, as `make demo` runs them, and prints what
it promises: answers, streamed text, token usage, ranked sources, media links.

The checks read the labels the examples print themselves, never the wording of an answer (the
emulator's chat model only echoes or quotes, a live model would not).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from examples.run_all import EXAMPLES
from tests.integration.recording_server import RecordingServer

ROOT = Path(__file__).resolve().parents[2]
HEADING = re.compile(r"^=== (.+) ===$")
SCORE = r"(?P<score>[01]\.\d{3})"
SOURCE = r"\[(?P<source>[\w-]+\.md)\]"


def sections(stdout: str) -> dict[str, list[str]]:
    """The output split by the examples' ``=== heading ===`` lines (blank lines dropped); the
    lines before the first heading are under ``""``."""
    found: dict[str, list[str]] = {"": []}
    current = ""
    for line in stdout.splitlines():
        match = HEADING.match(line)
        if match:
            current = match.group(1)
            assert current not in found, f"heading {current!r} printed twice"
            found[current] = []
        elif line.strip():
            found[current].append(line)
    return found


def emulator_url(stdout: str) -> str:
    match = re.search(r"using the bundled emulator at (http://127\.0\.0\.1:\d+/v1)\b", stdout)
    assert match, "the example did not say it runs against the bundled emulator"
    return match.group(1)


def labelled(lines: list[str], label: str) -> str:
    """The text after ``label`` on the one line that starts with it; it must not be empty."""
    values = [line[len(label):].strip() for line in lines if line.startswith(label)]
    assert len(values) == 1, f"expected one {label!r} line in {lines}"
    assert values[0], f"{label!r} printed nothing"
    return values[0]


def ranked_sources(lines: list[str], pattern: str, count: int) -> list[re.Match[str]]:
    """The source lines under ``sources (reranked):``: ``count`` of them, scores in [0, 1] and
    best first."""
    assert lines[0] == "sources (reranked):"
    matches = [re.fullmatch(pattern, line) for line in lines[1:1 + count]]
    assert all(matches), f"not {count} scored sources: {lines}"
    scores = [float(m.group("score")) for m in matches if m]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores == sorted(scores, reverse=True), f"sources not ranked: {scores}"
    assert scores[0] > scores[-1]
    labelled(lines[1 + count:], "answer:")
    return [m for m in matches if m]


def check_chat_core(out: dict[str, list[str]]) -> None:
    call = out["A chat call"]
    assert not call[0].startswith("usage:")  # the answer comes first
    usage = re.fullmatch(r"usage: (\d+) in, (\d+) out \(request id (\S+)\)", call[-1])
    assert usage, call
    assert int(usage.group(1)) > 0
    assert int(usage.group(2)) > 0
    stream = out["A stream"]
    assert len(stream) >= 2
    assert not stream[0].startswith("finish_reason=")  # streamed text first
    done = re.fullmatch(r"finish_reason=stop, usage=(\d+)", stream[-1])
    assert done, stream
    assert int(done.group(1)) > 0
    reasoning = out["Reasoning (deepseek-reasoner)"]
    assert labelled(reasoning, "reasoning:") != "(none returned)"
    labelled(reasoning, "answer:")
    labelled(reasoning, "follow-up:")


def check_chat_langchain(out: dict[str, list[str]]) -> None:
    invoke = out["Invoke"]
    assert not invoke[0].startswith("usage:")
    usage = re.search(r"'input_tokens': (\d+), 'output_tokens': (\d+), 'total_tokens': (\d+)",
                      labelled(invoke, "usage:"))
    assert usage, invoke
    tokens_in, tokens_out, total = map(int, usage.groups())
    assert tokens_in > 0
    assert tokens_out > 0
    assert total == tokens_in + tokens_out
    assert re.fullmatch(r"model: \S+ \| finish: stop", invoke[-1]), invoke
    assert out["Stream"], "nothing was streamed"
    tools = out["Tool calling"]
    assert re.match(r"\[\{'name': 'get_weather', 'args': \{'city': '[^']+'\}",
                    labelled(tools, "tool calls:")), tools
    labelled(tools, "answer:")
    assert out["Structured output (LCEL chain)"][0].startswith("Movie(title=")
    steps = [line.split(":")[0].strip() for line in out["Agent (langchain.agents.create_agent)"]]
    assert steps == ["human", "ai", "tool", "ai"]


def check_chat_llamaindex(out: dict[str, list[str]]) -> None:
    assert re.search(r": context window \d+, function calling True$", out[""][-1])
    chat = out["Chat"]
    assert not chat[0].startswith("tokens:")
    tokens = re.fullmatch(r"tokens: (\d+) \| finish: stop", chat[-1])
    assert tokens, chat
    assert int(tokens.group(1)) > 0
    assert out["Stream"], "nothing was streamed"
    assert out["Complete (through /v1/chat/completions)"]
    agent = out["FunctionAgent with a Python tool"]
    assert agent[0] == "  calling get_weather ..."
    assert re.fullmatch(r"  tool get_weather\(\{'city': '[^']+'\}\) -> .+", agent[1]), agent
    labelled(agent, "answer:")
    assert out["Structured output (structured_predict)"][0].startswith("Movie(title=")
    reasoning = out["Reasoning (ThinkingBlock)"]
    labelled(reasoning, "thinking:")
    labelled(reasoning, "answer:")


def check_rag_langchain(out: dict[str, list[str]]) -> None:
    search = out["Vector search alone (top 4 by embedding similarity)"]
    assert len(search) == 4
    hits = [re.fullmatch(r"  (-?\d\.\d{3})  (\w+)", line) for line in search]
    assert all(hits), search
    similarity = [float(m.group(1)) for m in hits if m]
    assert similarity == sorted(similarity, reverse=True)
    pattern = rf"  {SCORE}  (?P<id>\w+)\s+{SOURCE} .+"
    for heading in ("RAG chain: retrieve 4, rerank to 2, answer", "Same chain, async"):
        sources = ranked_sources(out[heading], pattern, count=2)
        assert len({m.group("id") for m in sources}) == 2


def check_rag_llamaindex(out: dict[str, list[str]]) -> None:
    for heading in ("Query engine: retrieve 4, rerank to 2, answer", "Same engine, async"):
        ranked_sources(out[heading], rf"  {SCORE}  {SOURCE} .+", count=2)


def check_media_results(out: dict[str, list[str]], results: list[str], base_url: str) -> None:
    """One image (inline or a link) saved as .png, one video linked on the emulator and saved as
    .mp4."""
    text = "\n".join(results)
    assert re.search(r"^  image image/png: (inline bytes|https?://\S+)$", text, re.M), text
    assert re.search(r"^  saved: \S+\.png$", text, re.M), text
    video = re.search(rf"^  video video/mp4: ({re.escape(base_url)}/\S+)$", text, re.M)
    assert video, text
    assert re.search(r"^  saved: \S+\.mp4$", text, re.M), text
    assert out["Agent's answer"]


def check_progress(lines: list[str]) -> str:
    """The video task's progress lines end with success; returns the task id."""
    progress = [re.fullmatch(r"  \[generate_video\] task (\S+): (\w+)( \d+%)?", line)
                for line in lines if line.startswith("  [generate_video]")]
    assert progress, lines
    assert all(progress), lines
    last = progress[-1]
    assert last is not None
    assert last.group(2) == "succeeded"
    return last.group(1)


def check_agent_media_langchain(out: dict[str, list[str]], base_url: str) -> None:
    task = check_progress(out["Agent: generate an image and a short video"])
    results = out["Tool results (artifacts)"]
    assert re.search(r"^generate_image: model=\S+ protocol=\S+ task=", "\n".join(results), re.M)
    assert f"generate_video: model=sora-2 protocol=openai-videos task={task}" in results
    check_media_results(out, results, base_url)


def check_agent_media_llamaindex(out: dict[str, list[str]], base_url: str) -> None:
    run = out["FunctionAgent: generate an image and a short video"]
    task = check_progress(run)
    for tool in ("generate_image", "generate_video"):
        assert any(line.startswith(f"  calling {tool}(") for line in run), run
        assert f"  {tool} done" in run
    results = out["Tool results"]
    assert f"model=sora-2 protocol=openai-videos task={task}" in results
    check_media_results(out, results, base_url)


CHECKS: dict[str, Callable[..., None]] = {
    "chat_core.py": check_chat_core,
    "chat_langchain.py": check_chat_langchain,
    "chat_llamaindex.py": check_chat_llamaindex,
    "rag_langchain.py": check_rag_langchain,
    "rag_llamaindex.py": check_rag_llamaindex,
    "agent_media_langchain.py": check_agent_media_langchain,
    "agent_media_llamaindex.py": check_agent_media_llamaindex,
}


def test_every_example_is_checked() -> None:
    assert set(CHECKS) == set(EXAMPLES)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_runs(name: str, tmp_path: Path, recording_server: RecordingServer) -> None:
    """As `make demo` runs it, with the quickstart's variables exported: the example still
    uses the bundled emulator, and the "user's gateway" receives nothing (nothing is billed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env["GATEWAY_TASK_JOURNAL"] = str(tmp_path / "tasks.sqlite3")
    env["GATEWAY_BASE_URL"] = recording_server.url
    env["GATEWAY_API_KEY"] = "sk-real-key-that-must-not-be-used"
    # Warnings shown once each: a ResourceWarning at exit (an unclosed socket, loop or file) fails.
    result = subprocess.run([sys.executable, "-W", "always::ResourceWarning",
                             str(ROOT / "examples" / name)], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, (
        f"{name} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    assert recording_server.requests == []
    assert "ResourceWarning" not in result.stderr, result.stderr[-3000:]
    base_url = emulator_url(result.stdout)  # it ran against the bundled emulator, offline
    assert "GATEWAY_BASE_URL is ignored here: add --live to use it" in result.stdout
    check = CHECKS[name]
    out = sections(result.stdout)
    try:
        if name.startswith("agent_media_"):
            check(out, base_url)
        else:
            check(out)
    except AssertionError as error:
        raise AssertionError(f"{name} output:\n{result.stdout[-4000:]}") from error
