"""A standard-library chat server for the targeted probes (floors, concurrency, tool calls).

Usage: ``python stream_server.py`` prints ``http://127.0.0.1:PORT`` and serves until killed.
It runs in its own process, so its CPU is never counted as the client's. Routes (POST, any
prefix before ``/v1/chat/completions``):

* ``stream: false``: one canned ``chat.completion`` with usage;
* ``stream: true``: a role chunk, ``CHUNKS`` one-token chunks, a finish chunk, a usage chunk,
  ``[DONE]``, written at once (``/spread/...``: in 20 writes spread over about one second, as a
  gateway relays an upstream that is generating);
* ``/toolcall/...``: a 1 MB tool call in 16-byte argument fragments, OpenAI style (id and name
  in the first fragment); ``/toolcall-noid/...``: the same with the name in every fragment and
  no id (the relay that made assembly parse the whole arguments per fragment).
"""

from __future__ import annotations

import asyncio
import json
import sys

CHUNKS = 2000
SPREAD_CHUNKS = 100
SPREAD_WRITES = 20
SPREAD_SECONDS = 1.0
TOOL_BYTES = 1_000_000
FRAGMENT = 16
MODEL = "bench-chat"
REPLY = "Hello, benchmark!"
USAGE = {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14}


def _event(payload: dict) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


def _chunk(delta: dict, finish: str | None = None) -> bytes:
    return _event({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": MODEL,
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})


def _text_stream(count: int) -> list[bytes]:
    events = [_chunk({"role": "assistant", "content": ""})]
    events += [_chunk({"content": f"t{i} "}) for i in range(count)]
    events.append(_chunk({}, "stop"))
    events.append(_event({"id": "c1", "object": "chat.completion.chunk", "created": 1,
                          "model": MODEL, "choices": [],
                          "usage": {"prompt_tokens": 9, "completion_tokens": count,
                                    "total_tokens": 9 + count}}))
    events.append(b"data: [DONE]\n\n")
    return events


def tool_arguments() -> str:
    rows, size = [], 2
    while size < TOOL_BYTES:
        row = {"id": len(rows), "text": "lorem ipsum dolor sit amet " * 2}
        rows.append(row)
        size += len(json.dumps(row)) + 2
    return json.dumps({"rows": rows})


def _tool_stream(with_id: bool) -> list[bytes]:
    text = tool_arguments()
    pieces = [text[i:i + FRAGMENT] for i in range(0, len(text), FRAGMENT)]
    events = [_chunk({"role": "assistant", "content": None})]
    for number, piece in enumerate(pieces):
        call: dict = {"index": 0, "function": {"arguments": piece}}
        if not with_id:
            call["function"]["name"] = "save_rows"
        elif number == 0:
            call.update({"id": "call_1", "type": "function"})
            call["function"]["name"] = "save_rows"
        events.append(_chunk({"tool_calls": [call]}))
    events.append(_chunk({}, "tool_calls"))
    events.append(b"data: [DONE]\n\n")
    return events


BODIES = {
    "chat": json.dumps({"id": "c1", "object": "chat.completion", "created": 1, "model": MODEL,
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": REPLY}}],
                        "usage": USAGE}).encode(),
    "stream": b"".join(_text_stream(CHUNKS)),
    "toolcall": b"".join(_tool_stream(True)),
    "toolcall-noid": b"".join(_tool_stream(False)),
}
SPREAD = _text_stream(SPREAD_CHUNKS)


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            length = 0
            for line in lines[1:]:
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            body = json.loads(await reader.readexactly(length)) if length else {}
            first = path.strip("/").split("/")[0]
            if not body.get("stream"):
                await _send(writer, "application/json", BODIES["chat"])
            elif first in ("toolcall", "toolcall-noid"):
                await _send(writer, "text/event-stream", BODIES[first])
            elif first == "spread":
                await _send_spread(writer)
            else:
                await _send(writer, "text/event-stream", BODIES["stream"])
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def _send(writer: asyncio.StreamWriter, kind: str, body: bytes) -> None:
    writer.write(f"HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n"
                 "Connection: keep-alive\r\n\r\n".encode() + body)
    await writer.drain()


async def _send_spread(writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                 b"Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n")
    per_write = -(-len(SPREAD) // SPREAD_WRITES)
    for start in range(0, len(SPREAD), per_write):
        data = b"".join(SPREAD[start:start + per_write])
        writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        await writer.drain()
        await asyncio.sleep(SPREAD_SECONDS / SPREAD_WRITES)
    writer.write(b"0\r\n\r\n")
    await writer.drain()


async def main() -> None:
    server = await asyncio.start_server(_handle, "127.0.0.1", 0, backlog=2048)
    port = server.sockets[0].getsockname()[1]
    print(f"http://127.0.0.1:{port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
