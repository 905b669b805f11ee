"""An incremental Server-Sent Events decoder: bytes in, events out.

Follows the WHATWG event-stream rules that matter for gateways: LF, CRLF and CR line ends (a CR
at the end of one chunk followed by LF at the start of the next is one line end), comment lines
(``: PING`` keep-alives), ``data:`` with or without the space, multi-line data joined by ``\\n``,
``event:``/``id:``/``retry:`` fields, a leading BOM. One tolerance beyond the spec: a last event
that is not followed by a blank line is still delivered by :meth:`SSEDecoder.flush`, because
relays often close the connection right after the final ``data:`` line.

Lines are decoded as UTF-8 only once complete, so a multi-byte character split across network
chunks is never damaged. The decoder does no JSON work; callers decide what ``data`` means.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["SSEDecoder", "ServerSentEvent"]


class ServerSentEvent(NamedTuple):
    """One dispatched event. ``event`` is ``"message"`` unless the stream named it."""

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Feed it the raw bytes of a response as they arrive; it returns the complete events."""

    __slots__ = ("_buffer", "_data", "_event", "_last_id", "_retry", "_skip_lf", "_started")

    def __init__(self) -> None:
        self._buffer = b""
        self._data: list[str] = []
        self._event: str | None = None
        self._last_id: str | None = None
        self._retry: int | None = None
        self._skip_lf = False
        self._started = False

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode ``chunk`` and return the events it completed (possibly none)."""
        if not chunk:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if not self._started:
            buffered = self._buffer + chunk
            if len(buffered) < 3 and b"\xef\xbb\xbf".startswith(buffered):
                self._buffer = buffered
                return []
            self._started = True
            if buffered.startswith(b"\xef\xbb\xbf"):
                buffered = buffered[3:]
            self._buffer = b""
            chunk = buffered
        buffer = self._buffer + chunk if self._buffer else chunk
        if b"\r" in buffer:
            if buffer.endswith(b"\r"):
                self._skip_lf = True
            buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = buffer.split(b"\n")
        self._buffer = lines.pop()
        events: list[ServerSentEvent] = []
        for line in lines:
            event = self._process_line(line)
            if event is not None:
                events.append(event)
        return events

    def flush(self) -> list[ServerSentEvent]:
        """End of stream: deliver a pending last line and a last event without a blank line."""
        events: list[ServerSentEvent] = []
        if self._buffer:
            line, self._buffer = self._buffer, b""
            event = self._process_line(line)
            if event is not None:
                events.append(event)
        event = self._dispatch()
        if event is not None:
            events.append(event)
        return events

    def _process_line(self, line: bytes) -> ServerSentEvent | None:
        if not line:
            return self._dispatch()
        if line[:5] == b"data:":
            value = line[6:] if line[5:6] == b" " else line[5:]
            self._data.append(value.decode("utf-8", "replace"))
            return None
        if line[:1] == b":":
            return None
        field, sep, raw = line.partition(b":")
        value = raw[1:] if sep and raw[:1] == b" " else raw
        if field == b"event":
            self._event = value.decode("utf-8", "replace")
        elif field == b"id":
            if b"\x00" not in value:
                self._last_id = value.decode("utf-8", "replace")
        elif field == b"retry":
            if value.isdigit():
                self._retry = int(value)
        elif field == b"data":  # "data" with no colon: an empty data line
            self._data.append("")
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        if not self._data:
            self._event = None
            return None
        data = self._data[0] if len(self._data) == 1 else "\n".join(self._data)
        event = ServerSentEvent(data, self._event or "message", self._last_id, self._retry)
        self._data = []
        self._event = None
        return event
