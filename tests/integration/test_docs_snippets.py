"""Every Python snippet of the README and docs/ runs as pasted, from the built wheel, in a fresh
venv holding only what the snippet's ``# pip install ...`` line names, against the emulator
exported as GATEWAY_BASE_URL / GATEWAY_API_KEY. The same venvs show what a user without an extra
sees, and that the wheel carries its licence. (Venvs are cached: see snippet_venvs.py.)"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.snippet_venvs import (
    ROOT,
    Snippet,
    build_wheel,
    documented_files,
    prepare,
    snippets,
)

pytestmark = pytest.mark.usefixtures("emulator")

SNIPPETS = snippets(documented_files())
CORE = "ai-gateway-kit"
REPO = "https://github.com/ai-gateway-kit/ai-gateway-kit/blob/main/"


@pytest.fixture(scope="module")
def pythons() -> dict[str, Path]:
    wheel = build_wheel()
    return prepare({snippet.install for snippet in SNIPPETS} | {CORE}, wheel)


def _env(gateway: Any, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GATEWAY_", "PYTHONPATH", "VIRTUAL_ENV"))}
    env.update(GATEWAY_BASE_URL=gateway.base_url, GATEWAY_API_KEY=gateway.api_key,
               GATEWAY_TASK_JOURNAL=str(tmp_path / "tasks.sqlite3"))
    return env


def test_every_snippet_names_how_to_install_it() -> None:
    for snippet in SNIPPETS:
        assert snippet.code.startswith("# pip install "), snippet.name


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[s.name for s in SNIPPETS])
def test_snippet_runs_as_pasted(snippet: Snippet, pythons: dict[str, Path], gateway: Any,
                                tmp_path: Path) -> None:
    script = tmp_path / "snippet.py"
    script.write_text(snippet.code, encoding="utf-8")
    result = subprocess.run([str(pythons[snippet.install]), str(script)],
                            env=_env(gateway, tmp_path), cwd=tmp_path, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, (
        f"{snippet.name} ({snippet.install}) failed:\n{result.stdout[-2000:]}\n"
        f"{result.stderr[-3000:]}")


@pytest.mark.parametrize(("code", "message"), [
    ("from langchain_gateway import ChatGateway",
     'langchain_gateway.ChatGateway needs langchain-core, which is not installed: '
     'pip install "ai-gateway-kit[langchain]"'),
    ("from llamaindex_gateway import GatewayLLM",
     'llamaindex_gateway.GatewayLLM needs llama-index-core, which is not installed: '
     'pip install "ai-gateway-kit[llamaindex]"'),
])
def test_the_bare_package_names_the_missing_extra(code: str, message: str,
                                                  pythons: dict[str, Path],
                                                  tmp_path: Path) -> None:
    result = subprocess.run([str(pythons[CORE]), "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].endswith(message)


def test_the_bare_package_emulator_and_cli(pythons: dict[str, Path], tmp_path: Path) -> None:
    python = pythons[CORE]
    emulator = subprocess.run([str(python), "-m", "gateway_emulator"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
    assert emulator.returncode == 2
    assert emulator.stderr == ("The emulator needs starlette, which is not installed: "
                               'pip install "ai-gateway-kit[emulator]"\n')
    cli = subprocess.run([str(python.parent / "gateway-kit"), "--help"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode == 0, cli.stderr
    assert "tasks" in cli.stdout


def test_the_wheel_carries_the_licence(pythons: dict[str, Path]) -> None:
    code = ("import importlib.metadata as m; d = m.distribution('ai-gateway-kit'); "
            "print(d.metadata['License-Expression']); "
            "print(any(str(f).endswith('licenses/LICENSE') for f in d.files))")
    result = subprocess.run([str(pythons[CORE]), "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.stdout.split() == ["MIT", "True"], result.stderr


def test_readme_links_are_absolute_and_point_at_shipped_files() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)]+)\)", readme)
    assert links
    for link in links:
        assert link.startswith("https://"), f"relative link breaks on a package index: {link}"
        if link.startswith(REPO):
            assert (ROOT / link[len(REPO):]).exists(), link


def test_docs_point_only_at_files_the_repository_ships() -> None:
    for path in documented_files():
        text = path.read_text(encoding="utf-8")
        assert "/work/" not in text, path
        assert "research/" not in text, path
        for target in re.findall(r"\]\((?!https?://)([^)#]+)", text):
            assert (path.parent / target).exists(), f"{path.name} links to missing {target}"


def test_this_interpreter_is_not_the_snippets_one(pythons: dict[str, Path]) -> None:
    """The snippets really run outside the dev venv (no langchain in the bare venv)."""
    assert Path(sys.executable) not in pythons.values()
    result = subprocess.run([str(pythons[CORE]), "-c", "import langchain_core"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
