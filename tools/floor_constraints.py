"""Print pip constraints pinning every declared dependency to its lowest allowed version.

pip has no "lowest" resolution, so ``make test-floor`` installs the project with
``-c`` this file's output: each ``name>=X`` in ``[project] dependencies`` and every extra
becomes ``name==X``. Transitive dependencies still resolve normally (like uv's
``--resolution lowest-direct``).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pip vendors the same parser
    from pip._vendor import tomli as tomllib

_FLOOR = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*([^;]*)")


def floors(pyproject: Path) -> dict[str, str]:
    """``{distribution: lowest version}`` for every requirement with a ``>=`` bound."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    requirements = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        requirements.extend(extra)
    pins: dict[str, str] = {}
    for requirement in requirements:
        match = _FLOOR.match(requirement)
        if match is None or match.group(1) == project["name"]:
            continue
        name = match.group(1).lower().replace("_", "-")
        for clause in match.group(3).split(","):
            clause = clause.strip()
            if clause.startswith(">="):
                version = clause[2:].strip()
                if name in pins and pins[name] != version:
                    raise SystemExit(f"{name}: two different floors, {pins[name]} and {version}")
                pins[name] = version
    return pins


def main() -> int:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "pyproject.toml")
    for name, version in sorted(floors(path).items()):
        print(f"{name}=={version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
