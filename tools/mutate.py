"""``make mutate``: mutation testing of the modules whose rules cost users money.

Each target is one module (or the named functions of one) run against its own fast unit tests
only, in a scratch copy of the repository (``.mutate/<target>/``), so a run never touches the
working tree and each target's test selection stays separate. mutmut reads its settings from
``[tool.mutmut]`` in pyproject.toml; this script adds the per-target ``only_mutate`` and
test selection to the scratch copy's pyproject.toml and runs ``mutmut run`` there.

    python tools/mutate.py                 # every target, one after the other
    python tools/mutate.py sse toolcalls   # some of them
    python tools/mutate.py --list          # the targets

Each target prints ``killed / total`` and the surviving mutants' names (``mutmut show NAME``
in ``.mutate/<target>/`` prints the diff). Survivors judged equivalent are listed, with the
reason, in tests/mutation-survivors.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / ".mutate"
COPIED = ("gateway_core", "gateway_emulator", "gateway_cli", "langchain_gateway",
          "llamaindex_gateway", "tests", "cassettes", "pyproject.toml")


@dataclass(frozen=True)
class Target:
    module: str
    """The file mutated, relative to the repository root."""
    tests: tuple[str, ...]
    """The fast unit tests that pin its rules (the only tests run against its mutants)."""
    functions: tuple[str, ...] = ()
    """If given, only these functions' mutants are run (``Class.method`` or ``function``)."""
    select: tuple[str, ...] = ()
    """More pytest arguments narrowing the tests (``-m "not redis"``: leave out the backend
    that needs a server)."""


_JOURNAL_TESTS = ("tests/integration/test_journal_contract.py", "tests/unit/test_tasks_journal.py",
                  "tests/unit/test_journal_keeps_no_key.py")
_NO_REDIS = ("-m", "not redis")
_ERROR_TESTS = ("tests/unit/test_errors.py", "tests/unit/test_error_classification.py",
                "tests/unit/test_envelopes.py", "tests/unit/test_error_meaning.py")

TARGETS: dict[str, Target] = {
    "sse": Target("gateway_core/sse.py",
                  ("tests/unit/test_sse.py", "tests/unit/test_sse_rules.py")),
    "toolcalls": Target(
        "gateway_core/chat/toolcalls.py",
        ("tests/unit/test_chat_stream.py", "tests/unit/test_chat_response.py",
         "tests/unit/test_toolcall_repair.py"),
    ),
    "stream": Target(
        "gateway_core/chat/stream.py",
        ("tests/unit/test_chat_stream.py", "tests/unit/test_stream_accumulator_rules.py"),
    ),
    "engine": Target(
        "gateway_core/tasks/engine.py",
        ("tests/unit/test_tasks_engine.py", "tests/unit/test_tasks_engine_rules.py",
         "tests/unit/test_tasks_protocols.py", "tests/unit/test_journal_keeps_no_key.py",
         "tests/unit/test_error_chains.py"),
    ),
    # The journals: the contract suite runs against every backend; Redis is left out here (it
    # needs a redis-server; its own rules are pinned by the same suite in a full test run).
    "journal": Target("gateway_core/tasks/journal.py", _JOURNAL_TESTS, select=_NO_REDIS),
    "journal_base": Target("gateway_core/coordination/journal_base.py", _JOURNAL_TESTS,
                           select=_NO_REDIS),
    "memory_journal": Target("gateway_core/coordination/memory_journal.py", _JOURNAL_TESTS,
                             select=_NO_REDIS),
    "sqlite_journal": Target("gateway_core/coordination/sqlite_journal.py", _JOURNAL_TESTS,
                             select=_NO_REDIS),
    "transport": Target(
        "gateway_core/transport.py",
        ("tests/unit/test_transport.py", "tests/unit/test_retry_rules.py"),
        functions=("_retry_after", "_parse_retry_after", "RetryPolicy.*", "_map_exception",
                   "_translate", "_Attempts.*"),
    ),
    # Error classification, in three modules: the envelopes read out of a body, what an error
    # means (its kind), and the typed error built from both. One set of fast tests pins all.
    "errors": Target(
        "gateway_core/errors.py", _ERROR_TESTS,
        functions=("redact", "_split_request_id", "_classify", "_base_url_advice",
                   "error_from_response"),
    ),
    "error_meaning": Target("gateway_core/error_meaning.py", _ERROR_TESTS),
    # the connection pool's hand-out pass (its pools and transports are run over real HTTP by
    # tests/integration/test_pool_burst.py, too slow to run per mutant)
    "pool": Target("gateway_core/pool.py", ("tests/unit/test_pool.py",)),
    "envelopes": Target("gateway_core/envelopes.py", _ERROR_TESTS),
}


def _mutant_globs(target: Target) -> list[str]:
    """mutmut names a function's mutants ``pkg.mod.x_func__mutmut_N`` and a method's
    ``pkg.mod.xǁClassǁmethod__mutmut_N``."""
    dotted = target.module.removesuffix(".py").replace("/", ".")
    globs = []
    for function in target.functions:
        if "." in function:
            cls, method = function.split(".", 1)
            globs.append(f"{dotted}.xǁ{cls}ǁ{method}__mutmut_*")
        else:
            globs.append(f"{dotted}.x_{function}__mutmut_*")
    return globs


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def _prepare(name: str, target: Target) -> Path:
    workdir = SCRATCH / name
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis")
    for item in COPIED:
        source = ROOT / item
        if source.is_dir():
            shutil.copytree(source, workdir / item, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, workdir / item)
    tests = [t for t in target.tests if (ROOT / t).exists()] + list(target.select)
    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    # Per target: mutate one file, select only its tests. The rest comes from [tool.mutmut].
    pyproject = pyproject.replace(
        "[tool.mutmut]",
        "[tool.mutmut]\n"
        f"only_mutate = {_toml_list([target.module])}\n"
        f"pytest_add_cli_args_test_selection = {_toml_list(tests)}",
        1,
    )
    (workdir / "pyproject.toml").write_text(pyproject, "utf-8")
    return workdir


def _mutmut(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(workdir))
    return subprocess.run([sys.executable, "-m", "mutmut", *args], cwd=workdir, env=env,
                          text=True, capture_output=True, check=False)


def _results(workdir: Path) -> dict[str, str]:
    """``{mutant name: status}`` for every mutant mutmut generated and ran."""
    listing = _mutmut(workdir, "results", "--all", "true").stdout
    statuses = {}
    for line in listing.splitlines():
        mutant, sep, status = line.strip().rpartition(": ")
        if sep and "__mutmut_" in mutant:
            statuses[mutant] = status
    return statuses


def run_target(name: str, max_children: int) -> tuple[int, int, list[str]]:
    target = TARGETS[name]
    workdir = _prepare(name, target)
    args = ["run", "--max-children", str(max_children), *_mutant_globs(target)]
    done = _mutmut(workdir, *args)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"mutmut failed for {name} (exit {done.returncode})")
    statuses = _results(workdir)
    globs = _mutant_globs(target)
    if globs:
        import fnmatch

        statuses = {k: v for k, v in statuses.items()
                    if any(fnmatch.fnmatch(k, g) for g in globs)}
    killed = sum(1 for s in statuses.values() if s in ("killed", "timeout", "segfault"))
    survivors = sorted(k for k, s in statuses.items() if s not in ("killed", "timeout",
                                                                   "segfault"))
    return killed, len(statuses), [f"{k}: {statuses[k]}" for k in survivors]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", help="targets to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the targets and exit")
    parser.add_argument("--max-children", type=int, default=max(1, (os.cpu_count() or 2) - 1),
                        help="parallel mutant workers (default: CPU count - 1)")
    options = parser.parse_args()
    if options.list:
        for name, target in TARGETS.items():
            print(f"{name:15} {target.module}  <- {' '.join((*target.tests, *target.select))}")
        return
    names = options.targets or list(TARGETS)
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s) {unknown}; choose from {list(TARGETS)}")
    for name in names:
        killed, total, survivors = run_target(name, options.max_children)
        score = 100 * killed / total if total else 100.0
        print(f"{name}: {killed}/{total} mutants killed ({score:.1f}%)")
        for line in survivors:
            print(f"  survived  {line}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
