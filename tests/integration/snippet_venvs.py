"""Fresh virtual environments holding the built wheel with one extra each, for the docs tests.

Cost is bounded by caching: the venvs live in ``.venv-snippets/`` at the repository root, one per
distinct ``# pip install ...`` line, named by a hash of that line and of pyproject.toml (a change
of dependencies builds new ones). A cached venv only gets the freshly built wheel reinstalled
(``--no-deps``, a couple of seconds), so the code under test is always the working tree's. The
first run builds them in parallel (a few minutes on two cores); CI pays that once per run.
"""

from __future__ import annotations

import hashlib
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".venv-snippets"
PIP = ("-m", "pip", "--disable-pip-version-check", "-qq")
_INSTALL = re.compile(r"^# pip install (.+)$")
_FENCE = re.compile(r"```python\n(.*?)```", re.DOTALL)


@dataclass(frozen=True)
class Snippet:
    """One fenced Python block and the install line it names (none: the bare package)."""

    source: str
    number: int
    code: str

    @property
    def install(self) -> str:
        match = _INSTALL.match(self.code.splitlines()[0]) if self.code.strip() else None
        return match.group(1).strip() if match else "ai-gateway-kit"

    @property
    def name(self) -> str:
        return f"{self.source}#{self.number}"


def snippets(paths: list[Path]) -> list[Snippet]:
    found = []
    for path in paths:
        for number, code in enumerate(_FENCE.findall(path.read_text(encoding="utf-8")), 1):
            found.append(Snippet(str(path.relative_to(ROOT)), number, code))
    return found


def documented_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _requirements(install: str, wheel: Path) -> list[str]:
    """``"ai-gateway-kit[x]" pkg`` -> ``[<wheel>[x], pkg]``."""
    requirements = []
    for word in shlex.split(install):
        if word.startswith("ai-gateway-kit"):
            requirements.append(f"{wheel}{word[len('ai-gateway-kit'):]}")
        else:
            requirements.append(word)
    return requirements


def build_wheel() -> Path:
    """The package as a user gets it: a wheel built from the working tree."""
    out = CACHE / "wheel"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    subprocess.run([sys.executable, *PIP, "wheel", "--no-deps", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True, text=True, timeout=600)
    (wheel,) = out.glob("ai_gateway_kit-*.whl")
    return wheel


def venv_python(install: str) -> Path:
    digest = hashlib.sha256(install.encode() + (ROOT / "pyproject.toml").read_bytes())
    slug = re.sub(r"[^a-z0-9]+", "-", install.lower()).strip("-")[:40]
    return CACHE / f"{slug}-{digest.hexdigest()[:10]}" / "bin" / "python"


def prepare(installs: set[str], wheel: Path) -> dict[str, Path]:
    """A venv per install line (built in parallel when missing), each with the fresh wheel."""
    pythons = {install: venv_python(install) for install in installs}
    running = []
    for install, python in pythons.items():
        venv = python.parent.parent
        if (venv / ".ready").exists():
            command = (f"{shlex.quote(str(python))} {' '.join(PIP)} install --no-deps "
                       f"--force-reinstall {shlex.quote(str(wheel))}")
        else:
            shutil.rmtree(venv, ignore_errors=True)
            requirements = " ".join(shlex.quote(r) for r in _requirements(install, wheel))
            command = (f"{shlex.quote(sys.executable)} -m venv {shlex.quote(str(venv))} && "
                       f"{shlex.quote(str(python))} {' '.join(PIP)} install {requirements} && "
                       f"touch {shlex.quote(str(venv / '.ready'))}")
        running.append((install, subprocess.Popen(command, shell=True, stdout=subprocess.PIPE,
                                                  stderr=subprocess.STDOUT, text=True)))
    for install, process in running:
        output, _ = process.communicate(timeout=1200)
        if process.returncode != 0:
            raise RuntimeError(f"could not install {install!r}:\n{output[-3000:]}")
    return pythons
