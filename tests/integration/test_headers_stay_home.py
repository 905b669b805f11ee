"""Headers stay home (issue 12): the key and the configured headers (``headers=`` /
``default_headers``; gateways such as Portkey authenticate by header) go to the gateway's own
origin only: never to a media link on a CDN, nor across a redirect. Two real loopback servers,
each recording what it receives: one is the gateway, the other a CDN on another port (another
origin)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest

from gateway_core import GatewayClient
from gateway_core.media_items import MediaItem
from langchain_gateway import ChatGateway
from llamaindex_gateway import GatewayLLM
from tests.integration.recording_server import RecordingServer
from tests.unit.media_fakes import tiny_png

KEY = "sk-headers-home-0123456789abcdef"
HOME = {"x-portkey-api-key": "pk-virtual-key-9876543210", "x-tenant": "team-a"}
PNG = tiny_png()
COMPLETION = json.dumps({
    "id": "c1", "object": "chat.completion", "model": "m",
    "choices": [{"index": 0, "finish_reason": "stop",
                 "message": {"role": "assistant", "content": "ok"}}]}).encode()


@pytest.fixture
def servers() -> Iterator[tuple[RecordingServer, RecordingServer]]:
    cdn = RecordingServer({"/img.png": (200, {"Content-Type": "image/png"}, PNG)})
    gateway = RecordingServer({
        "/v1/chat/completions": (200, {"Content-Type": "application/json"}, COMPLETION),
        "/files/img.png": (302, {"Location": f"{cdn.origin}/img.png"}, b""),
        "/files/same.png": (302, {"Location": "/files/final.png"}, b""),
        "/files/final.png": (200, {"Content-Type": "image/png"}, PNG),
    })
    yield gateway, cdn
    gateway.close()
    cdn.close()


def client_for(gateway: RecordingServer) -> GatewayClient:
    return GatewayClient(base_url=gateway.url, api_key=KEY, headers=HOME)


def assert_home(headers: dict[str, str]) -> None:
    assert headers["authorization"] == f"Bearer {KEY}"
    for name, value in HOME.items():
        assert headers[name] == value


def assert_foreign(headers: dict[str, str]) -> None:
    assert "authorization" not in headers
    for name in HOME:
        assert name not in headers
    assert KEY not in json.dumps(headers)


def test_the_gateway_gets_the_key_and_the_headers_in_every_framework(
        servers: tuple[RecordingServer, RecordingServer]) -> None:
    gateway, _ = servers
    client_for(gateway).chat("hi", model="m")
    ChatGateway(model="m", base_url=gateway.url, api_key=KEY, default_headers=HOME).invoke("hi")
    GatewayLLM(model="m", api_base=gateway.url, api_key=KEY,
               default_headers=HOME).complete("hi")
    assert len(gateway.headers) == 3
    for headers in gateway.headers:
        assert_home(headers)


@pytest.mark.parametrize("asynchronous", [False, True])
def test_a_cdn_link_gets_neither_the_key_nor_the_headers(
        servers: tuple[RecordingServer, RecordingServer], asynchronous: bool) -> None:
    gateway, cdn = servers
    client = client_for(gateway)
    item = MediaItem("image", url=f"{cdn.origin}/img.png")
    data = (asyncio.run(item.afetch(client.transport)) if asynchronous
            else item.fetch(client.transport))
    assert data == PNG
    assert cdn.requests == ["GET /img.png"]
    assert_foreign(cdn.headers[0])


@pytest.mark.parametrize("asynchronous", [False, True])
def test_a_redirect_to_another_origin_drops_them_a_same_origin_one_keeps_them(
        servers: tuple[RecordingServer, RecordingServer], asynchronous: bool) -> None:
    gateway, cdn = servers
    client = client_for(gateway)
    for path in ("/files/img.png", "/files/same.png"):
        item = MediaItem("image", url=f"{gateway.origin}{path}")
        data = (asyncio.run(item.afetch(client.transport)) if asynchronous
                else item.fetch(client.transport))
        assert data == PNG
    assert cdn.requests == ["GET /img.png"]
    assert_foreign(cdn.headers[0])
    assert gateway.requests == ["GET /files/img.png", "GET /files/same.png",
                                "GET /files/final.png"]
    for headers in gateway.headers:
        assert_home(headers)
