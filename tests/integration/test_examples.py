"""Every example runs to the end against the emulator, as `make demo` runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from examples.run_all import EXAMPLES

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_runs(name: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env["GATEWAY_TASK_JOURNAL"] = str(tmp_path / "tasks.sqlite3")
    result = subprocess.run([sys.executable, str(ROOT / "examples" / name)], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, (
        f"{name} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    assert "emulator" in result.stdout  # it ran against the bundled emulator, offline
