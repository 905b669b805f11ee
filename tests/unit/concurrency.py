"""Measure how many requests a client keeps in flight, without timing anything.

A short sleep in a fake gateway makes the peak depend on how fast the machine schedules tasks;
on a loaded CI runner the requests may simply not overlap. Here each request instead waits at a
gate until ``expected`` requests are in flight at once; then the gate stays open. The peak is
therefore exactly the client's limit when the limit is ``expected``, more if the client starts
more requests than allowed before any finishes, and a client allowing fewer never opens the gate
(the wait fails after ``patience`` seconds instead of hanging the suite).
"""

from __future__ import annotations

import asyncio


class ConcurrencyProbe:
    def __init__(self, expected: int, patience: float = 30.0) -> None:
        self.expected = expected
        self.patience = patience
        self.now = 0
        self.peak = 0
        self._full = asyncio.Event()

    async def hold(self) -> None:
        """Call inside the fake gateway's handler, before answering."""
        self.now += 1
        self.peak = max(self.peak, self.now)
        if self.now >= self.expected:
            self._full.set()
        try:
            await asyncio.wait_for(self._full.wait(), self.patience)
        finally:
            self.now -= 1
