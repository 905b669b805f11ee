"""The SSE decoder: spec cases, relay habits, and a split-invariance property test."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway_core.errors import ResponseTooLargeError
from gateway_core.sse import DEFAULT_MAX_EVENT_BYTES, ServerSentEvent, SSEDecoder


def decode(*chunks: bytes) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    events.extend(decoder.flush())
    return events


def datas(*chunks: bytes) -> list[str]:
    return [event.data for event in decode(*chunks)]


def test_basic_events() -> None:
    assert datas(b"data: a\n\ndata: b\n\n") == ["a", "b"]


def test_data_without_space() -> None:
    assert datas(b"data:a\n\ndata:  two spaces\n\n") == ["a", " two spaces"]


def test_crlf_and_cr_line_ends() -> None:
    assert datas(b"data: a\r\n\r\ndata: b\r\rdata: c\n\n") == ["a", "b", "c"]


def test_cr_then_lf_split_across_chunks() -> None:
    assert datas(b"data: a\r", b"\n\r", b"\n") == ["a"]


def test_comments_ignored() -> None:
    assert datas(b": PING\n\n: keep-alive\ndata: x\n\n") == ["x"]


def test_multiline_data() -> None:
    assert datas(b"data: one\ndata: two\n\n") == ["one\ntwo"]


def test_event_id_retry_fields() -> None:
    [event] = decode(b"event: response.completed\nid: 7\nretry: 300\ndata: {}\n\n")
    assert event == ServerSentEvent("{}", "response.completed", "7", 300)


def test_id_persists_and_event_resets() -> None:
    first, second = decode(b"event: e1\nid: 1\ndata: a\n\ndata: b\n\n")
    assert (first.event, first.id) == ("e1", "1")
    assert (second.event, second.id) == ("message", "1")


def test_last_event_without_blank_line() -> None:
    assert datas(b"data: a\n\ndata: [DONE]") == ["a", "[DONE]"]
    assert datas(b"data: a\n\ndata: [DONE]\n") == ["a", "[DONE]"]


def test_empty_events_are_not_dispatched() -> None:
    assert datas(b"\n\n\nevent: x\n\ndata: y\n\n") == ["y"]


def test_bom_is_stripped_even_when_split() -> None:
    assert datas(b"\xef", b"\xbb\xbfdata: a\n\n") == ["a"]


def test_multibyte_character_split_across_chunks() -> None:
    payload = "data: 你好，世界\n\n".encode()
    assert datas(payload[:8], payload[8:9], payload[9:]) == ["你好，世界"]


def test_field_without_colon() -> None:
    assert datas(b"data\n\n") == [""]


def test_unknown_fields_ignored() -> None:
    assert datas(b"foo: bar\ndata: x\n\n") == ["x"]


def test_invalid_retry_ignored() -> None:
    [event] = decode(b"retry: soon\ndata: x\n\n")
    assert event.retry is None


STREAM = (
    b"\xef\xbb\xbf: PING\r\n\r\n"
    b"data: {\"choices\":[{\"delta\":{\"content\":\"\xe4\xbd\xa0\"}}]}\n\n"
    b"event: meta\r\nid: 42\r\ndata: line1\r\ndata:line2\r\n\r\n"
    b"data: \xf0\x9f\x96\x8c\r\r"
    b"retry: 10\ndata: x\n\n"
    b"data: [DONE]"
)


@settings(deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=20))
def test_any_split_gives_the_same_events(cuts: list[int]) -> None:
    points = sorted(set(cuts))
    pieces = [STREAM[a:b] for a, b in zip([0, *points], [*points, len(STREAM)], strict=True)]
    assert decode(*pieces) == decode(STREAM)


@settings(deadline=None)
@given(st.binary(max_size=300), st.lists(st.integers(min_value=0, max_value=300), max_size=10))
def test_arbitrary_bytes_never_raise_and_split_invariantly(blob: bytes, cuts: list[int]) -> None:
    points = sorted({c for c in cuts if c <= len(blob)})
    pieces = [blob[a:b] for a, b in zip([0, *points], [*points, len(blob)], strict=True)]
    assert decode(*pieces) == decode(blob)


# --------------------------------------------------------------------------- the event-size cap


def decode_capped(cap: int, *chunks: bytes) -> tuple[list[ServerSentEvent], bool]:
    """The events delivered before the cap was hit, and whether it was hit."""
    decoder = SSEDecoder(max_event_bytes=cap)
    events: list[ServerSentEvent] = []
    try:
        for chunk in chunks:
            events.extend(decoder.feed(chunk))
        events.extend(decoder.flush())
    except ResponseTooLargeError:
        return events, True
    return events, False


def test_default_cap_is_16_mib() -> None:
    assert DEFAULT_MAX_EVENT_BYTES == 16 * 1024 * 1024


def test_line_over_the_cap_raises_while_it_is_still_arriving() -> None:
    decoder = SSEDecoder(max_event_bytes=1000)
    assert decoder.feed(b"data: " + b"x" * 500) == []
    with pytest.raises(ResponseTooLargeError) as caught:
        decoder.feed(b"x" * 500)  # still no line end: 1006 bytes pending
    assert "larger than 1,000 bytes" in caught.value.message
    assert "max_response_bytes" in caught.value.message
    with pytest.raises(ResponseTooLargeError):  # the decoder stays failed
        decoder.flush()


def test_a_stream_that_never_ends_a_line_is_stopped() -> None:
    decoder = SSEDecoder(max_event_bytes=64 * 1024)
    for _ in range(64):
        assert decoder.feed(b"y" * 1024) == []
    with pytest.raises(ResponseTooLargeError):
        decoder.feed(b"y")


def test_complete_line_over_the_cap_raises() -> None:
    with pytest.raises(ResponseTooLargeError):
        SSEDecoder(max_event_bytes=100).feed(b"data: " + b"x" * 100 + b"\n\n")


def test_line_exactly_at_the_cap_decodes_and_one_byte_more_does_not() -> None:
    line = b"data: " + b"z" * 994  # 1000 bytes without its line end
    pieces = [line[i:i + 64] for i in range(0, len(line), 64)]
    assert decode_capped(1000, *pieces, b"\r\n\r\n") == ([ServerSentEvent("z" * 994)], False)
    assert decode_capped(1000, *pieces, b"\n") == ([ServerSentEvent("z" * 994)], False)
    assert decode_capped(999, *pieces, b"\n\n") == ([], True)


def test_data_lines_of_one_event_count_together() -> None:
    body = b"data: " + b"a" * 44 + b"\n"  # 50 bytes per line
    assert decode_capped(100, body * 2 + b"\n")[1] is False
    assert decode_capped(100, body * 3 + b"\n")[1] is True


def test_the_cap_is_per_event_not_per_stream() -> None:
    event = b": keep-alive\ndata: " + b"b" * 90 + b"\n\n"
    events, hit = decode_capped(100, event * 1000)
    assert (len(events), hit) == (1000, False)


def test_events_before_the_oversized_line_are_delivered_first() -> None:
    decoder = SSEDecoder(max_event_bytes=100)
    assert decoder.feed(b"data: ok\n\ndata: " + b"x" * 200) == [ServerSentEvent("ok")]
    with pytest.raises(ResponseTooLargeError):
        decoder.feed(b"more")


def test_pending_line_grows_in_place() -> None:
    # Linear buffering, checked by structure rather than by timing: a line arriving in 2,000
    # chunks is appended to one bytearray, never rebuilt by concatenation on every feed.
    decoder = SSEDecoder()
    decoder.feed(b"data: ")
    buffer = decoder._buffer
    assert isinstance(buffer, bytearray)
    for _ in range(2000):
        assert decoder.feed(b"x" * 1024) == []
        assert decoder._buffer is buffer
    assert len(buffer) == 6 + 2000 * 1024
    [event] = decoder.feed(b"\n\n")
    assert event.data == "x" * 2000 * 1024


@settings(deadline=None)
@given(
    st.integers(min_value=1, max_value=60),
    st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=20),
)
def test_cap_hit_and_events_before_it_do_not_depend_on_the_split(cap: int, cuts: list[int]) -> None:
    points = sorted(set(cuts))
    pieces = [STREAM[a:b] for a, b in zip([0, *points], [*points, len(STREAM)], strict=True)]
    assert decode_capped(cap, *pieces) == decode_capped(cap, STREAM)
