"""What every client script shares: the command line, the checks, the loop timer.

A client module defines ``class Client(BaseClient)`` (``root`` is the nginx server root, e.g.
``http://127.0.0.1:18431``), a ``build(unit)`` that constructs the framework object a unit needs
(cached by :meth:`BaseClient.obj`), and up to four methods, each doing ONE verified unit of work
and raising :class:`Mismatch` on a wrong answer:

- ``chat()``: one non-streaming chat call (base URL ``root + /v1``);
- ``stream()``: one whole 2,000-chunk stream (``root + /stream/v1``);
- ``embed()``: one call of 64 texts, the server answers JSON floats (``root + /v1``);
- ``embed_b64()``: the same, the server answers base64 (``root + /b64/v1``).

A method whose class is not in the package yet raises :class:`NotBuilt`.

Run as a script (``python clients/c_x.py W1 ROOT COUNT``) a client imports what it needs,
builds its object, then does COUNT units of the workload and prints one line ``BENCH {json}``
with the loop-only CPU and wall time (after imports and construction, first call included). Exit codes:
0 ok, 1 wrong answer, 3 not built (the runner shows "n/a (not built)"). Standard library only,
so it costs the same in every client.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

API_KEY = "sk-bench-not-a-real-key"
EXIT_MISMATCH = 1
EXIT_NOT_BUILT = 3

WORKLOAD_METHODS = {"W1": "chat", "W2": "stream", "W3": "embed", "W3b": "embed_b64"}


class Mismatch(Exception):
    """A client got back something other than the canned answer."""


class NotBuilt(Exception):
    """The package class this client needs does not exist yet."""


def _load_expected() -> dict:
    path = os.environ.get("BENCH_EXPECTED")
    if not path:
        raise SystemExit("BENCH_EXPECTED is not set (run benchmarks/run.py)")
    return json.loads(Path(path).read_text())


EXPECTED = _load_expected()
CHAT_MODEL: str = EXPECTED["chat_model"]
EMBED_MODEL: str = EXPECTED["embed_model"]
PROMPT = "Say hello to the benchmark."
MESSAGES = [{"role": "user", "content": PROMPT}]
TEXTS: list[str] = EXPECTED["texts"]
_TOKENS: list[str] = EXPECTED["tokens"]
_PROBES: list[list[float]] = EXPECTED["probes"]
_DIMS: int = EXPECTED["dims"]


def check_reply(text: object, usage: tuple | None = None) -> None:
    if text != EXPECTED["reply"]:
        raise Mismatch(f"reply text differs: {text!r}")
    if usage is not None and list(usage) != EXPECTED["chat_usage"]:
        raise Mismatch(f"chat usage differs: {usage!r}")


def check_tokens(tokens: list, usage: tuple | None = None) -> None:
    """All 2,000 tokens, in order (empty pieces, e.g. the role chunk, already left out)."""
    if tokens != _TOKENS:
        first = next((i for i, (a, b) in enumerate(zip(tokens, _TOKENS, strict=False)) if a != b), None)
        raise Mismatch(f"stream differs: {len(tokens)} tokens, first difference at {first}")
    if usage is not None and list(usage) != EXPECTED["stream_usage"]:
        raise Mismatch(f"stream usage differs: {usage!r}")


def check_vectors(vectors: list) -> None:
    """64 vectors of 1,024, in input order (first and last value of each compared)."""
    if len(vectors) != len(_PROBES):
        raise Mismatch(f"{len(vectors)} vectors, expected {len(_PROBES)}")
    for vector, (first, last) in zip(vectors, _PROBES, strict=True):
        if len(vector) != _DIMS:
            raise Mismatch(f"vector of {len(vector)} values, expected {_DIMS}")
        if abs(vector[0] - first) > 1e-6 or abs(vector[-1] - last) > 1e-6:
            raise Mismatch("vector values differ (wrong order or wrong decoding)")


class BaseClient:
    """Caches one framework object per unit (each unit has its own base URL)."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._objects: dict[str, object] = {}

    def build(self, unit: str) -> object:
        raise NotImplementedError

    def obj(self, unit: str) -> Any:
        found = self._objects.get(unit)
        if found is None:
            found = self._objects[unit] = self.build(unit)
        return found


def main(client_class: type) -> None:
    workload, root, count = sys.argv[1], sys.argv[2].rstrip("/"), int(sys.argv[3])
    try:
        client = client_class(root)
        name = WORKLOAD_METHODS[workload]
        unit = getattr(client, name)
        client.obj(name)  # construction (and a package's lazy class import) before the loop
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for _ in range(count):
            unit()
        cpu1, wall1 = time.process_time(), time.perf_counter()
    except NotBuilt as error:
        print(f"not built: {error}", file=sys.stderr)
        raise SystemExit(EXIT_NOT_BUILT) from None
    except Mismatch as error:
        print(f"MISMATCH: {error}", file=sys.stderr)
        raise SystemExit(EXIT_MISMATCH) from None
    print("BENCH " + json.dumps({"loop_cpu": cpu1 - cpu0, "loop_wall": wall1 - wall0,
                                 "units": count}))
