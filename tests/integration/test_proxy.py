"""``proxy=`` really routes every request through the proxy (a forward proxy on loopback)."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from gateway_core import GatewayClient
from langchain_gateway import ChatGateway


class _ForwardProxy(BaseHTTPRequestHandler):
    """Plain-http forward proxy: the request line carries the absolute target URL."""

    seen: list[str] = []

    def _forward(self) -> None:
        target = urlsplit(self.path)
        self.seen.append(f"{self.command} {target.path}")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("proxy-connection", "connection", "host")}
        upstream = http.client.HTTPConnection(target.hostname or "", target.port, timeout=30)
        try:
            upstream.request(self.command, target.path or "/", body=body or None,
                             headers=headers)
            answer = upstream.getresponse()
            content = answer.read()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)
        finally:
            upstream.close()

    do_GET = do_POST = _forward  # noqa: N815  (http.server dispatches on these names)

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass


@pytest.fixture
def proxy() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    handler = type("Proxy", (_ForwardProxy,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_every_request_goes_through_the_configured_proxy(gateway: Any, proxy: Any) -> None:
    if gateway.live:
        pytest.skip("the loopback proxy forwards plain http only")
    url, seen = proxy
    client = GatewayClient(**gateway.settings(proxy=url))
    assert client.chat("through the proxy", model=gateway.chat_model).text
    assert client.embed(["a", "b"], model=gateway.embedding_model).vectors
    llm = ChatGateway(model=gateway.chat_model, **gateway.settings(proxy=url))
    assert llm.invoke("and from LangChain").content
    assert seen == ["POST /v1/chat/completions", "POST /v1/embeddings",
                    "POST /v1/chat/completions"]
