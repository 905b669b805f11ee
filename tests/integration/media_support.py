"""Shared set-up for the media integration tests: a client with a fast poller and its own
journal, and request-log deltas (the emulator is shared by the whole run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gateway_core import GatewayClient
from gateway_core.tasks import PollSettings

FAST_POLL = PollSettings(interval=0.02, max_interval=0.1, timeout=20)


def media_client(gateway: Any, journal: Path | bool, **settings: Any) -> GatewayClient:
    client = GatewayClient(**gateway.settings(**settings))
    client.configure_tasks(journal=journal, poll=FAST_POLL)
    return client


class Creates:
    """Counts create requests made to one path since construction."""

    def __init__(self, gateway: Any, path: str) -> None:
        self.gateway = gateway
        self.path = path
        self.before = len(gateway.emulator.requests(path))

    @property
    def count(self) -> int:
        return len(self.gateway.emulator.requests(self.path)) - self.before
