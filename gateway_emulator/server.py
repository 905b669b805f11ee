"""Serving the app with uvicorn, on a protocol that lets a fault drop the connection."""

from __future__ import annotations

import socket
import struct
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol


class AbortableH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, exposing ``emulator.abort`` to the app in the ASGI scope.

    The ``reset`` fault and ``cut-close`` streams need to end a TCP connection abruptly, which
    ASGI cannot express: this hands the app a callable that resets the socket, and one
    (``emulator.close``) that closes it after what was written, for ``close-after-done``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        inner = self.app

        async def app(scope: Any, receive: Any, send: Any) -> None:
            extensions = scope.setdefault("extensions", {})
            extensions["emulator.abort"] = self._reset_connection
            extensions["emulator.close"] = self._close_connection
            await inner(scope, receive, send)

        self.app = app

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        super().connection_made(transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # headers and body go out in separate writes: without this, Nagle plus the
            # client's delayed ACK add 40 ms to every response
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _close_connection(self) -> None:
        # what was written goes out, then FIN: the body just ends, its chunked framing unfinished
        self.transport.close()

    def _reset_connection(self) -> None:
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            # SO_LINGER 0: close() sends a RST, as a crashed proxy would
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()


def build_server(app: Any, host: str, port: int) -> uvicorn.Server:
    config = uvicorn.Config(app, host=host, port=port, http=AbortableH11Protocol,
                            log_level="warning", access_log=False, lifespan="off",
                            timeout_keep_alive=30)
    return uvicorn.Server(config)
