"""The SSE decoder: spec cases, relay habits, and a split-invariance property test."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway_core.sse import ServerSentEvent, SSEDecoder


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
