"""How a relay frames its answers: labels, line ends, charsets and headers seen in the field.

Relays behind nginx, Cloudflare or a hand-written Go/Python server send correct content framed
oddly. ``X-Emulator-Relay: flag,flag`` makes this emulator do the same to any route's answer
(docs/emulator-contract.md "Relay framing"). Content is never looked at beyond its framing:

* ``label-json`` / ``label-text`` / ``label-html`` / ``label-none``: a 2xx answer's Content-Type
  becomes ``application/json`` / ``text/plain`` / ``text/html`` / absent, whatever the body is;
* ``single-newline``: event-stream events end with one newline instead of a blank line;
* ``bom``: the body starts with a UTF-8 byte order mark;
* ``gbk``: JSON bodies are encoded in GBK and labelled ``charset=GBK``;
* ``always-stream``: a JSON request is answered as if it had asked ``"stream": true``;
* ``retry-after-ms:N``: 429 and 503 answers carry ``retry-after-ms: N`` (and ``Retry-After`` in
  whole seconds, rounded up);
* ``front-end``: every request is answered by the site's web front end, an HTML page with 200.
"""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .middleware import read_body, replayer

__all__ = ["FRAMING_FLAGS", "RelayFraming"]

FRAMING_FLAGS = ("label-json", "label-text", "label-html", "label-none", "single-newline",
                 "bom", "gbk", "always-stream", "retry-after-ms", "front-end")
_LABELS = {"label-json": b"application/json", "label-text": b"text/plain; charset=utf-8",
           "label-html": b"text/html; charset=utf-8", "label-none": None}
_FRONT_END = ("<!doctype html><html lang=\"zh\"><head><meta charset=\"utf-8\">"
              "<title>New API</title></head><body><div id=\"root\"></div></body></html>")
_BODY_CHANGING = ("single-newline", "bom", "gbk")


def _flags(scope: Scope) -> dict[str, str]:
    for name, value in scope.get("headers", []):
        if name == b"x-emulator-relay":
            pairs = (part.strip().partition(":") for part in value.decode().split(","))
            return {flag: argument for flag, _, argument in pairs if flag}
    return {}


class RelayFraming:
    """A plain ASGI middleware applying the ``X-Emulator-Relay`` flags of each request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        flags = _flags(scope) if scope["type"] == "http" else {}
        if not flags:
            await self.app(scope, receive, send)
            return
        if "front-end" in flags:
            await _front_end(send)
            return
        if "always-stream" in flags:
            receive = await _streaming_request(receive)
        await self.app(scope, receive, _Reframer(flags, send).send)


async def _front_end(send: Send) -> None:
    body = _FRONT_END.encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/html; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def _streaming_request(receive: Receive) -> Receive:
    """The request body read whole, with ``"stream": true`` when it is a JSON object."""
    body = await read_body(receive)
    try:
        data: Any = json.loads(body) if body else None
    except ValueError:
        data = None
    if isinstance(data, dict):
        body = json.dumps({**data, "stream": True}).encode()
    return replayer(body, receive)


class _Reframer:
    """Rewrites the response's start message and body chunks as the flags say."""

    def __init__(self, flags: dict[str, str], send: Send) -> None:
        self.flags = flags
        self.downstream = send
        self.first = True
        self.event_stream = False
        self.json = False
        self.buffer: list[bytes] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            await self.downstream(self._start(message))
        elif message["type"] == "http.response.body":
            await self._body(message)
        else:
            await self.downstream(message)

    def _start(self, message: Message) -> Message:
        status = message["status"]
        headers = [(k, v) for k, v in message.get("headers", [])]
        content_type = next((v for k, v in headers if k == b"content-type"), b"")
        self.event_stream = b"event-stream" in content_type
        self.json = b"json" in content_type and "gbk" in self.flags
        if any(flag in self.flags for flag in _BODY_CHANGING):
            headers = [(k, v) for k, v in headers if k != b"content-length"]
        if self.json:
            headers = [(k, b"application/json; charset=GBK" if k == b"content-type" else v)
                       for k, v in headers]
        label = next((flag for flag in _LABELS if flag in self.flags), None)
        if label is not None and 200 <= status < 300:
            headers = [(k, v) for k, v in headers if k != b"content-type"]
            value = _LABELS[label]
            if value is not None:
                headers.append((b"content-type", value))
        wait = self.flags.get("retry-after-ms")
        if wait and status in (429, 503):
            seconds = math.ceil(float(wait) / 1000)
            headers += [(b"retry-after-ms", wait.encode()),
                        (b"retry-after", str(seconds).encode())]
        return {**message, "headers": headers}

    async def _body(self, message: Message) -> None:
        body: bytes = message.get("body", b"")
        if self.json:  # re-encoded whole, once complete
            self.buffer.append(body)
            if message.get("more_body"):
                return
            body = b"".join(self.buffer).decode("utf-8").encode("gbk", "replace")
        if self.event_stream and "single-newline" in self.flags:
            body = body.replace(b"\n\n", b"\n")
        if self.first and "bom" in self.flags:
            body = b"\xef\xbb\xbf" + body
        if body or not message.get("more_body"):
            self.first = False
        await self.downstream({**message, "body": body})
