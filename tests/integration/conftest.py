"""Fixtures for the integration tests (the gateway itself comes from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.recording_server import RecordingServer


@pytest.fixture
def recording_server() -> Iterator[RecordingServer]:
    """A loopback server standing in for "the user's real gateway": it must receive nothing."""
    server = RecordingServer()
    try:
        yield server
    finally:
        server.close()
