"""What the emulator remembers between requests: keys, the request log, fault scenarios."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

DEFAULT_KEY = "sk-emulator-local"


def bare_key(key: str) -> str:
    """new-api strips a leading ``sk-`` from both sides before comparing keys."""
    key = key.strip()
    return key[3:] if key.startswith("sk-") else key


@dataclass
class EmulatorState:
    """Shared by every route through ``request.app.state.emulator``."""

    keys: tuple[str, ...] = (DEFAULT_KEY,)
    time_scale: float = 1.0
    ping_interval: float = 0.0
    log: list[dict[str, Any]] = field(default_factory=list)
    scenarios: dict[str, list[str]] = field(default_factory=dict)
    gates: dict[str, tuple[asyncio.Event, list[int]]] = field(default_factory=dict)
    rate_limit: int | None = None
    rate_window: float = 60.0
    _admitted: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def clock(self) -> float:
        return time.monotonic()

    def key_is_valid(self, key: str) -> bool:
        return bare_key(key) in {bare_key(k) for k in self.keys}

    def record(self, entry: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.log.append(entry)
        return entry

    def admit(self, key: str) -> bool:
        """new-api's per-key request limit: at most ``rate_limit`` requests in any
        ``rate_window`` seconds (a sliding window of admitted requests' times)."""
        if self.rate_limit is None:
            return True
        now = self.clock()
        with self._lock:
            times = self._admitted.setdefault(bare_key(key), deque())
            while times and times[0] <= now - self.rate_window:
                times.popleft()
            if len(times) >= self.rate_limit:
                return False
            times.append(now)
            return True

    def requests(self, path: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self.log if path is None or e["path"] == path]

    def next_step(self, scenario: str, steps: str) -> str | None:
        """The next scripted step of ``scenario`` (its steps are read the first time it is seen)."""
        with self._lock:
            if scenario not in self.scenarios:
                self.scenarios[scenario] = [s.strip() for s in steps.split(",") if s.strip()]
            remaining = self.scenarios[scenario]
            return remaining.pop(0) if remaining else None

    async def gate(self, scenario: str, count: int, patience: float = 30.0) -> tuple[int, bool]:
        """Hold a request of ``scenario`` until ``count`` of them are held at once; from then
        on the gate stays open. Returns how many were held when this one arrived, and whether
        the gate opened (False: ``patience`` seconds passed first). Runs on the server's loop,
        so tests can see a client's concurrency without timing anything."""
        with self._lock:
            opened, held = self.gates.setdefault(scenario, (asyncio.Event(), [0]))
            held[0] += 1
            seen = held[0]
            if seen >= count:
                opened.set()
        try:
            await asyncio.wait_for(opened.wait(), patience)
        except asyncio.TimeoutError:
            return seen, False
        finally:
            with self._lock:
                held[0] -= 1
        return seen, True

    def reset(self) -> None:
        with self._lock:
            self.log.clear()
            self.scenarios.clear()
            self.gates.clear()
            self._admitted.clear()
