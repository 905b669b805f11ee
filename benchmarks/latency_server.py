"""The canned embeddings answers, each sent after a fixed delay: a gateway with upstream latency.

Usage: ``python benchmarks/latency_server.py PORT DELAY_MS CANNED_DIR`` (run.py starts it for
the supplementary part of W3c only). nginx cannot delay an answer without extra modules
(``limit_rate`` lets the first second's worth of bytes through at once), and against an instant
server a single-threaded client is busy parsing all the time, so async concurrency has nothing
to overlap. Here every answer waits DELAY_MS, as an upstream model would, and the probe shows
whether requests really run side by side.

Standard library only: asyncio streams, HTTP/1.1 keep-alive, ``POST /v1/embeddings`` (floats)
and ``POST /b64/v1/embeddings`` (base64). The delay is a timer, not work, so the server uses
almost no CPU.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path


def main() -> None:
    port, delay, canned = int(sys.argv[1]), int(sys.argv[2]) / 1000, Path(sys.argv[3])
    bodies = {
        "/v1/embeddings": (canned / "embeddings.json").read_bytes(),
        "/b64/v1/embeddings": (canned / "embeddings_b64.json").read_bytes(),
    }

    def response(status: str, body: bytes) -> bytes:
        head = (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n")
        return head.encode() + body

    answers = {path: response("200 OK", body) for path, body in bodies.items()}
    missing = response("404 Not Found", b'{"error":{"message":"no canned answer"}}')

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                length = 0
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                if length:
                    await reader.readexactly(length)
                if path == "/healthz":
                    writer.write(response("200 OK", b"ok"))
                else:
                    await asyncio.sleep(delay)
                    writer.write(answers.get(path, missing))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def run() -> None:
        server = await asyncio.start_server(serve, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    asyncio.run(run())


if __name__ == "__main__":
    main()
