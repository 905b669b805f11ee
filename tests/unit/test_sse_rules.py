"""SSE decoder rules that mutation testing found unpinned: lenient decoding of bad UTF-8, the
space after the colon, ids with NUL, the per-event cap on every kind of line, a BOM only at the
very start of the stream, and the decoder's own argument check."""

from __future__ import annotations

import pytest

from gateway_core.errors import ResponseTooLargeError
from gateway_core.sse import ServerSentEvent, SSEDecoder


def decode(decoder: SSEDecoder, *chunks: bytes) -> list[ServerSentEvent]:
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    events.extend(decoder.flush())
    return events


def test_a_cap_below_one_byte_is_refused_with_the_value() -> None:
    with pytest.raises(ValueError, match=r"max_event_bytes must be >= 1, not 0\."):
        SSEDecoder(max_event_bytes=0)


def test_invalid_utf8_in_any_field_is_replaced_not_raised() -> None:
    stream = b"event: up\xffdate\nid: a\xfeb\ndata: caf\xc3\n\n"
    [event] = decode(SSEDecoder(), stream)
    assert event == ServerSentEvent("caf\ufffd", "up\ufffddate", "a\ufffdb")


def test_field_values_lose_one_leading_space_and_only_when_present() -> None:
    [event] = decode(SSEDecoder(), b"event:update\nid:7\ndata:x\n\n")
    assert (event.event, event.id, event.data) == ("update", "7", "x")
    [event] = decode(SSEDecoder(), b"event:  two\ndata: y\n\n")
    assert event.event == " two"


def test_an_id_holding_nul_is_ignored_and_the_previous_id_kept() -> None:
    events = decode(SSEDecoder(), b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n")
    assert [e.id for e in events] == ["1", "1"]


def test_a_bom_is_stripped_only_at_the_start_of_the_stream() -> None:
    # A BOM later in the stream is part of a field name, so the line is an unknown field.
    events = decode(SSEDecoder(), b"data: a\n\n", b"\xef\xbb\xbfdata: b\n\n")
    assert [e.data for e in events] == ["a"]


def test_a_short_first_chunk_that_is_not_a_bom_still_counts_against_the_cap() -> None:
    with pytest.raises(ResponseTooLargeError):
        SSEDecoder(max_event_bytes=1).feed(b"ab")


def test_any_complete_line_over_the_cap_is_refused_not_only_data_lines() -> None:
    for line in (b": " + b"k" * 200, b"event: " + b"e" * 200, b"id: " + b"i" * 200):
        with pytest.raises(ResponseTooLargeError):
            SSEDecoder(max_event_bytes=100).feed(line + b"\n")


def test_events_completed_before_an_oversized_comment_are_returned_first() -> None:
    decoder = SSEDecoder(max_event_bytes=100)
    assert decoder.feed(b"data: ok\n\n: " + b"x" * 200 + b"\n") == [ServerSentEvent("ok")]
    with pytest.raises(ResponseTooLargeError):
        decoder.flush()


def test_an_oversized_unfinished_line_after_an_event_fails_at_flush() -> None:
    decoder = SSEDecoder(max_event_bytes=100)
    assert decoder.feed(b"data: ok\n\n" + b"x" * 200) == [ServerSentEvent("ok")]
    with pytest.raises(ResponseTooLargeError):
        decoder.flush()


def test_a_bare_data_line_adds_to_the_event_size() -> None:
    # Three lines of 48 + 4 + 48 bytes: 100 fits a cap of 100; the bare "data" line counts.
    line = b"data: " + b"a" * 42
    assert len(decode(SSEDecoder(max_event_bytes=100), line + b"\ndata\n" + line + b"\n\n")) == 1
    with pytest.raises(ResponseTooLargeError):
        decode(SSEDecoder(max_event_bytes=99), line + b"\ndata\n" + line + b"\n\n")


def test_the_size_count_starts_from_zero_for_each_event() -> None:
    line = b"data: " + b"z" * 94  # exactly the cap of 100
    events = decode(SSEDecoder(max_event_bytes=100), b"data: a\n\n" + line + b"\n\n")
    assert [len(e.data) for e in events] == [1, 94]


def test_the_message_says_what_to_raise_and_where() -> None:
    with pytest.raises(ResponseTooLargeError) as caught:
        SSEDecoder(max_event_bytes=10).feed(b"x" * 11)
    assert caught.value.message == (
        "The gateway sent a server-sent event larger than 10 bytes (one line, or one event's "
        "data lines, with no end in sight); reading the stream stopped. Raise "
        "max_response_bytes in GatewayConfig if events this large are expected."
    )
