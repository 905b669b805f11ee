"""An incremental Server-Sent Events decoder: bytes in, events out.

Follows the WHATWG event-stream rules that matter for gateways: LF, CRLF and CR line ends (a CR
at the end of one chunk followed by LF at the start of the next is one line end), comment lines
(``: PING`` keep-alives), ``data:`` with or without the space, multi-line data joined by ``\\n``,
``event:``/``id:``/``retry:`` fields, a leading BOM. Two tolerances beyond the spec, both for
relays seen in the field and both only where the meaning is unambiguous:

* a last event that is not followed by a blank line is still delivered by
  :meth:`SSEDecoder.flush`, because relays often close the connection right after the final
  ``data:`` line;
* events ended by a single newline (``data: {…}\ndata: {…}\n``, no blank lines, from
  hand-written Go/Python relays): by the spec those lines join into one event whose data, two
  JSON documents separated by a newline, no consumer could read. When a second ``data:`` line
  arrives while the pending data is one complete JSON object, the pending one is dispatched
  first; from then on each complete JSON (or ``[DONE]``) line is an event as soon as it ends.
  Multi-line data that is not one JSON object per line (pretty-printed JSON, text) is joined
  as the spec says.

Lines are decoded as UTF-8 only once complete, so a multi-byte character split across network
chunks is never damaged. The decoder does no JSON work; callers decide what ``data`` means.
"""

from __future__ import annotations

import json
from typing import NamedTuple

from .errors import ResponseTooLargeError

__all__ = ["DEFAULT_MAX_EVENT_BYTES", "SSEDecoder", "ServerSentEvent"]

DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024
"""Largest event (its data lines plus the line being received) a decoder holds by default."""


class ServerSentEvent(NamedTuple):
    """One dispatched event. ``event`` is ``"message"`` unless the stream named it."""

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Feed it the raw bytes of a response as they arrive; it returns the complete events.

    ``max_event_bytes`` caps what one event may hold in memory: its ``data:`` lines plus the
    line still being received (line ends not counted). A gateway that sends a longer line, or
    never ends a line or an event, fails with
    :class:`~gateway_core.errors.ResponseTooLargeError` instead of growing memory without bound.
    Events completed before the offending line are still returned; the error is raised by the
    same call when there are none, else by the next :meth:`feed` or :meth:`flush`.
    """

    __slots__ = ("_buffer", "_data", "_data_bytes", "_data_event", "_error", "_event",
                 "_event_after_data", "_last_id", "_line_events", "_max_event_bytes", "_retry",
                 "_skip_lf", "_started")

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        if max_event_bytes < 1:
            raise ValueError(f"max_event_bytes must be >= 1, not {max_event_bytes!r}.")
        # The pending, incomplete line. It never holds a line end, and it grows in place, so a
        # long line arriving in many chunks costs linear, not quadratic, time.
        self._buffer = bytearray()
        self._data: list[str] = []
        self._data_bytes = 0
        self._error: ResponseTooLargeError | None = None
        self._event: str | None = None
        self._last_id: str | None = None
        self._max_event_bytes = max_event_bytes
        self._retry: int | None = None
        self._skip_lf = False
        self._started = False
        # Set once the stream proved to end its events with a single newline (see above).
        self._line_events = False
        # The event name when the pending data began, and whether an ``event:`` line came
        # after it: under the tolerance that later name belongs to the next event.
        self._data_event: str | None = None
        self._event_after_data = False

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode ``chunk`` and return the events it completed (possibly none)."""
        if self._error is not None:
            raise self._error
        if not chunk:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if not self._started:
            started = self._start(chunk)
            if started is None:
                return []
            chunk = started
        # Only the new bytes are searched: the pending line holds no line end, and a CR that
        # ended the previous chunk was handled by _skip_lf above.
        if b"\r" in chunk:
            if chunk.endswith(b"\r"):
                self._skip_lf = True
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if b"\n" not in chunk:
            if self._data_bytes + len(self._buffer) + len(chunk) > self._max_event_bytes:
                return self._too_large([])
            self._buffer += chunk
            return []
        lines = chunk.split(b"\n")
        if self._buffer:
            self._buffer += lines[0]
            lines[0] = bytes(self._buffer)
        tail = lines.pop()
        self._buffer = bytearray()
        return self._apply(lines, tail)

    def _apply(self, lines: list[bytes], tail: bytes) -> list[ServerSentEvent]:
        """Apply whole lines, then keep ``tail`` (a line not ended yet) pending."""
        events: list[ServerSentEvent] = []
        limit = self._max_event_bytes
        for line in lines:
            if not line:  # the end of an event
                event = self._dispatch()
                if event is not None:
                    events.append(event)
            elif self._data_bytes + len(line) > limit:
                return self._too_large(events)
            else:
                self._process_line(line, events)
        if self._data_bytes + len(tail) > limit:
            return self._too_large(events)
        self._buffer += tail
        return events

    def _start(self, chunk: bytes) -> bytes | None:
        """The stream's first bytes without a BOM; None while they may still be one."""
        buffered = bytes(self._buffer) + chunk
        if len(buffered) < 3 and b"\xef\xbb\xbf".startswith(buffered):
            self._buffer[:] = buffered
            return None
        self._started = True
        self._buffer.clear()
        return buffered[3:] if buffered.startswith(b"\xef\xbb\xbf") else buffered

    def flush(self) -> list[ServerSentEvent]:
        """End of stream: deliver a pending last line and a last event without a blank line."""
        if self._error is not None:
            raise self._error
        # The pending line is never empty, so it only adds a field (or, under the single-newline
        # tolerance, ends an event).
        events: list[ServerSentEvent] = []
        if self._buffer:
            line, self._buffer = bytes(self._buffer), bytearray()
            self._process_line(line, events)
        event = self._dispatch()
        return events if event is None else [*events, event]

    def _too_large(self, events: list[ServerSentEvent]) -> list[ServerSentEvent]:
        """Stop decoding: raise now, or after handing back the events already completed."""
        limit = self._max_event_bytes
        self._buffer = bytearray()
        self._data = []
        self._data_bytes = 0
        self._error = ResponseTooLargeError(
            f"The gateway sent a server-sent event larger than {limit:,} bytes (one line, or "
            "one event's data lines, with no end in sight); reading the stream stopped. Raise "
            "max_response_bytes in GatewayConfig if events this large are expected."
        )
        if events:
            return events
        raise self._error

    def _process_line(self, line: bytes, events: list[ServerSentEvent]) -> None:
        """Apply one non-empty line (the empty line that ends an event is handled by
        :meth:`_apply`); an event it completes is appended to ``events``."""
        if line[:5] == b"data:":
            text = (line[6:] if line[5:6] == b" " else line[5:]).decode("utf-8", "replace")
            if self._data or self._line_events:
                self._add_data(text, len(line), events)
            else:  # the first data line of an event: the common case, kept cheap
                self._data_event, self._event_after_data = self._event, False
                self._data_bytes += len(line)
                self._data.append(text)
            return
        if line[:1] == b":":
            return
        field, sep, raw = line.partition(b":")
        value = raw[1:] if sep and raw[:1] == b" " else raw
        if field == b"event":
            self._event = value.decode("utf-8", "replace")
            self._event_after_data = bool(self._data)
        elif field == b"id":
            if b"\x00" not in value:
                self._last_id = value.decode("utf-8", "replace")
        elif field == b"retry":
            if value.isdigit():
                self._retry = int(value)
        elif field == b"data":  # "data" with no colon: an empty data line
            self._data_bytes += len(line)
            self._data.append("")

    def _add_data(self, value: str, size: int, events: list[ServerSentEvent]) -> None:
        """Add a data line, dispatching what the single-newline tolerance says is complete."""
        # Only before the tolerance is on can one JSON object be pending here (after, it was
        # dispatched as it came), so it came by _process_line's first-data-line path, which
        # noted _data_event and _event_after_data.
        if len(self._data) == 1 and _line_event(value) and _one_json_object(self._data[0]):
            self._line_events = True  # the pending object was an event of its own
            later = self._event if self._event_after_data else None
            self._event = self._data_event
            events.append(self._take())
            self._event = later
        self._data_bytes += size
        self._data.append(value)
        if self._line_events and len(self._data) == 1 and (
                value == "[DONE]" or _one_json_object(value)):
            events.append(self._take())

    def _take(self) -> ServerSentEvent:
        event = self._dispatch()
        assert event is not None  # only called with data pending
        return event

    def _dispatch(self) -> ServerSentEvent | None:
        self._data_bytes = 0
        if not self._data:
            self._event = None
            return None
        data = self._data[0] if len(self._data) == 1 else "\n".join(self._data)
        event = ServerSentEvent(data, self._event or "message", self._last_id, self._retry)
        self._data = []
        self._event = None
        return event


def _line_event(value: str) -> bool:
    """A data line that can start an event of its own: a JSON object or ``[DONE]``."""
    return value[:1] == "{" or value == "[DONE]"


def _one_json_object(value: str) -> bool:
    if not (value[:1] == "{" and value.rstrip()[-1:] == "}"):
        return False
    try:
        json.loads(value)
    except ValueError:
        return False
    return True
