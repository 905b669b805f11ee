"""Steady-state client CPU per unit of work, every client in ONE warmed-up process, taking turns.

Usage: ``python probes/steady_state.py ROOT ROUNDS CLIENT...`` (run.py runs it in the peers venv,
with BENCH_EXPECTED set). Excludes start-up and first-call costs, which the whole-process
workloads include. For each round, each unit (chat call, stream, embedding call floats / base64)
and each client in turn (the starting client rotates every round), ``time.process_time()`` is
taken around a batch of verified units. Prints one JSON object: per client and unit, the median
over rounds of CPU seconds per call (per chunk for streams), or "n/a (not built)" / an error.
"""

from __future__ import annotations

import gc
import importlib
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "clients"))

from _common import EXPECTED, Mismatch, NotBuilt

# unit -> (method, batch of units per turn, divisor per unit: chunks per stream for streams)
UNITS = {
    "chat": ("chat", 100, 1),
    "stream": ("stream", 2, len(EXPECTED["tokens"])),
    "embed": ("embed", 5, 1),
    "embed_b64": ("embed_b64", 20, 1),
}
WARMUP = 3


def main() -> None:
    root, rounds, names = sys.argv[1].rstrip("/"), int(sys.argv[2]), sys.argv[3:]
    clients = {name: importlib.import_module(f"c_{name}").Client(root) for name in names}
    status: dict[str, dict[str, str]] = {name: {} for name in names}
    live: dict[str, list[str]] = {}
    for unit, (method, _, _) in UNITS.items():
        live[unit] = []
        for name, client in clients.items():
            fn = getattr(client, method, None)
            if fn is None:
                status[name][unit] = "n/a (no such API)"
                continue
            try:
                for _ in range(WARMUP):
                    fn()
            except NotBuilt as error:
                status[name][unit] = f"n/a (not built: {error})"
                continue
            except Mismatch as error:
                status[name][unit] = f"FAILED: {error}"
                continue
            live[unit].append(name)

    samples: dict[str, dict[str, list[float]]] = {name: {} for name in names}
    for number in range(rounds):
        for unit, (method, batch, divisor) in UNITS.items():
            order = live[unit][number % max(1, len(live[unit])):] + \
                live[unit][:number % max(1, len(live[unit]))]
            for name in order:
                fn = getattr(clients[name], method)
                gc.collect()
                start = time.process_time()
                for _ in range(batch):
                    fn()
                spent = time.process_time() - start
                samples[name].setdefault(unit, []).append(spent / (batch * divisor))

    result = {
        name: {
            unit: (statistics.median(samples[name][unit]) if unit in samples[name]
                   else status[name].get(unit, "n/a"))
            for unit in UNITS
        }
        for name in names
    }
    result["_rounds"] = rounds
    print(json.dumps(result))


if __name__ == "__main__":
    main()
