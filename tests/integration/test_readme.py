"""The README's Python snippets run against the emulator, as a reader would paste them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_docstring_examples import run_block

ROOT = Path(__file__).resolve().parents[2]
_FENCE = re.compile(r"```python\n(.*?)```", re.DOTALL)


def readme_blocks() -> list[str]:
    return _FENCE.findall((ROOT / "README.md").read_text(encoding="utf-8"))


@pytest.mark.parametrize("number", range(len(readme_blocks())))
def test_readme_snippet_runs(number: int, gateway: Any, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_BASE_URL", gateway.base_url)
    monkeypatch.setenv("GATEWAY_API_KEY", gateway.api_key)
    monkeypatch.chdir(tmp_path)
    run_block(readme_blocks()[number], {"__name__": "__readme__"})
