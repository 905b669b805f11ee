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


# ------------------------------------------------------------------ single-newline events

SINGLE_NEWLINE = (b'data: {"n": 1}\ndata: {"n": 2}\r\ndata: {"n": 3, "t": "a\\nb"}\n'
                  b"data: [DONE]\n")


@pytest.mark.parametrize("cut", range(len(SINGLE_NEWLINE) + 1))
def test_events_ended_by_one_newline_are_one_event_per_json_line(cut: int) -> None:
    events = decode(SSEDecoder(), SINGLE_NEWLINE[:cut], SINGLE_NEWLINE[cut:])
    assert [e.data for e in events] == ['{"n": 1}', '{"n": 2}', '{"n": 3, "t": "a\\nb"}',
                                        "[DONE]"]


def test_once_seen_each_json_line_is_an_event_as_soon_as_it_ends() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"n": 1}\n') == []  # one line alone may still be continued
    assert [e.data for e in decoder.feed(b'data: {"n": 2}\n')] == ['{"n": 1}', '{"n": 2}']
    assert [e.data for e in decoder.feed(b'data: {"n": 3}\n')] == ['{"n": 3}']
    assert [e.data for e in decoder.feed(b"data: [DONE]\n")] == ["[DONE]"]


@pytest.mark.parametrize(("stream", "data"), [
    # Pretty-printed JSON over several data lines: joined, as the spec says.
    (b'data: {\ndata: "n": 1\ndata: }\n\n', '{\n"n": 1\n}'),
    # A complete object followed by text: not one JSON object per line, joined.
    (b'data: {"n": 1}\ndata: more\n\n', '{"n": 1}\nmore'),
    # Text lines: joined.
    (b"data: a\ndata: b\n\n", "a\nb"),
    # A line that only looks complete ({...} that is not JSON): joined.
    (b"data: {not json}\ndata: {\"n\": 2}\n\n", '{not json}\n{"n": 2}'),
])
def test_multi_line_data_that_is_not_one_object_per_line_is_joined(
        stream: bytes, data: str) -> None:
    assert [e.data for e in decode(SSEDecoder(), stream)] == [data]


def test_the_tolerance_keeps_event_names_and_ids() -> None:
    events = decode(SSEDecoder(), b'event: delta\nid: 4\ndata: {"a": 1}\ndata: {"a": 2}\n\n')
    assert [(e.event, e.id, e.data) for e in events] == [
        ("delta", "4", '{"a": 1}'), ("message", "4", '{"a": 2}')]


def test_under_the_tolerance_each_event_keeps_its_own_name() -> None:
    stream = (b'event: response.created\ndata: {"a": 1}\nevent: response.output_text.delta\n'
              b'data: {"a": 2}\nevent: response.completed\ndata: {"a": 3}\n')
    events = decode(SSEDecoder(), stream)
    assert [(e.event, e.data) for e in events] == [
        ("response.created", '{"a": 1}'), ("response.output_text.delta", '{"a": 2}'),
        ("response.completed", '{"a": 3}')]


def test_an_event_name_after_its_data_still_names_that_event() -> None:
    [event] = decode(SSEDecoder(), b'data: {"a": 1}\nevent: late\n\n')  # legal SSE
    assert (event.event, event.data) == ("late", '{"a": 1}')


# ------------------------------------------------------------------ the tolerance's edges


def test_done_after_one_pending_object_ends_it_by_itself() -> None:
    # The first sign of single-newline events can be [DONE] after the only chunk.
    events = decode(SSEDecoder(), b'data: {"n": 1}\ndata: [DONE]\n')
    assert [e.data for e in events] == ['{"n": 1}', "[DONE]"]


def test_done_in_another_case_is_text_and_is_joined() -> None:
    events = decode(SSEDecoder(), b'data: {"n": 1}\ndata: [done]\n\n')
    assert [e.data for e in events] == ['{"n": 1}\n[done]']


@pytest.mark.parametrize(("stream", "data"), [
    # Text, then an object: the pending text is no object, so the spec joins them.
    (b'data: hello\ndata: {"n": 1}\n\n', ['hello\n{"n": 1}']),
    # An object after a space too many is not taken for a line of its own, as on later lines.
    (b'data:  {"a": 1}\ndata: {"b": 2}\n\n', [' {"a": 1}\n{"b": 2}']),
    # Spaces after a complete object do not make it incomplete.
    (b'data: {"a": 1} \ndata: {"b": 2}\n', ['{"a": 1} ', '{"b": 2}']),
    # An object in the middle of text lines does not end the event.
    (b'data: text\ndata: {"a": 1}\ndata: more\n\n', ['text\n{"a": 1}\nmore']),
])
def test_only_a_pending_json_object_followed_by_another_splits(stream: bytes,
                                                              data: list[str]) -> None:
    assert [e.data for e in decode(SSEDecoder(), stream)] == data


def test_under_the_tolerance_pretty_printed_json_is_still_joined() -> None:
    stream = (b'data: {"a": 1}\ndata: {"b": 2}\n'
              b'data: {\ndata: "n": 1\ndata: }\n\ndata: x\ndata: y\n\n')
    assert [e.data for e in decode(SSEDecoder(), stream)] == [
        '{"a": 1}', '{"b": 2}', '{\n"n": 1\n}', "x\ny"]


def test_under_the_tolerance_a_last_line_without_its_newline_is_an_event_at_flush() -> None:
    decoder = SSEDecoder()
    assert [e.data for e in decoder.feed(b'data: {"a": 1}\ndata: {"b": 2}\ndata: {"c": 3}')] \
        == ['{"a": 1}', '{"b": 2}']
    assert [e.data for e in decoder.flush()] == ['{"c": 3}']


def test_crlf_ends_a_line_not_an_event() -> None:
    events = decode(SSEDecoder(), b"data: a\r\ndata: b\r\n\r\ndata: c\rdata: d\r\r")
    assert [e.data for e in events] == ["a\nb", "c\nd"]


def test_the_pending_line_after_a_line_end_still_grows_in_place() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"data: a\n\ndata: ")
    buffer = decoder._buffer
    assert isinstance(buffer, bytearray)
    decoder.feed(b"xyz")
    assert decoder._buffer is buffer
    assert [e.data for e in decoder.feed(b"\n\n")] == ["xyz"]
