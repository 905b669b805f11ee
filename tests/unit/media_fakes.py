"""A scripted fake gateway (httpx.MockTransport) and a fake clock for the media/task tests."""

from __future__ import annotations

import asyncio
import base64
import json
import struct
import zlib
from collections.abc import Callable
from typing import Any

import httpx

from gateway_core.client import GatewayClient
from gateway_core.tasks import Poller, PollSettings

KEY = "sk-media-unit-key-0123456789"
Route = Callable[[httpx.Request], httpx.Response]


def tiny_png(width: int = 2, height: int = 2) -> bytes:
    """A real, valid PNG (grey pixels)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0,
                                                               0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


PNG = tiny_png()
PNG_B64 = base64.b64encode(PNG).decode()
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
# The OpenAI-videos routes of task "task_1", as FakeGateway's routes name them.
CREATE = ("POST", "/v1/videos")
POLL = ("GET", "/v1/videos/task_1")
CONTENT = ("GET", "/v1/videos/task_1/content")


class FakeClock:
    """Monotonic time that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)

    def poller(self, **settings: Any) -> Poller:
        return Poller(PollSettings(**settings), sleep=self.sleep, asleep=self.asleep,
                      clock=self.clock)


class FakeGateway:
    """Routes ``(METHOD, path)`` to handlers; records every request."""

    def __init__(self, routes: dict[tuple[str, str], Route | list[httpx.Response]] | None = None,
                 **client_settings: Any) -> None:
        self.routes: dict[tuple[str, str], Route | list[httpx.Response]] = dict(routes or {})
        self.requests: list[httpx.Request] = []
        settings = {"max_retries": 0, **client_settings}
        self.client = GatewayClient(base_url="https://gw.example.com/v1", api_key=KEY,
                                    http_transport=httpx.MockTransport(self._handle),
                                    **settings)

    def use_async(self) -> None:
        """Nothing to do: the plugged mock serves async requests too."""

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        route = self.routes.get((request.method, request.url.path))
        if route is None:
            return httpx.Response(404, json={"error": {"message": f"no route {request.url.path}",
                                                       "type": "invalid_request_error"}})
        if isinstance(route, list):
            response = route.pop(0) if len(route) > 1 else route[0]
            return response
        return route(request)

    def count(self, method: str, path: str) -> int:
        return sum(1 for r in self.requests if r.method == method and r.url.path == path)

    def bodies(self, method: str, path: str) -> list[Any]:
        return [json.loads(r.content) for r in self.requests
                if r.method == method and r.url.path == path]


def respond(body: Any, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers={"x-oneapi-request-id": "rid-1", **headers})


def engine_for(gateway: FakeGateway, clock: FakeClock, journal: Any = False, **poll: Any) -> Any:
    """Configure the gateway's client with a fake-clock poller and the given journal."""
    settings = {"interval": 2.0, "max_interval": 15.0, "timeout": 900.0, **poll}
    return gateway.client.configure_tasks(journal=journal, poll=clock.poller(**settings))
