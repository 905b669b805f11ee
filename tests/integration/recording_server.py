"""A loopback HTTP server that records every request it gets (and its headers) and answers 503,
or what ``answers`` says for a path: point the ``GATEWAY_*`` variables at it to prove that
something never talks to "the user's gateway", or use it as a CDN to see what reaches it."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Answer = tuple[int, dict[str, str], bytes]


class RecordingServer:
    """``url`` to export as GATEWAY_BASE_URL; ``requests`` lists "METHOD path" received and
    ``headers`` each request's headers (names lower-cased)."""

    def __init__(self, answers: dict[str, Answer] | None = None) -> None:
        self.requests: list[str] = []
        self.headers: list[dict[str, str]] = []
        self.answers = answers or {}
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                recorder.requests.append(f"{self.command} {self.path}")
                recorder.headers.append({k.lower(): v for k, v in self.headers.items()})
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                status, headers, body = recorder.answers.get(self.path, (503, {}, b""))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _record  # noqa: N815

            def log_message(self, format: str, *args: object) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.url = f"{self.origin}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
