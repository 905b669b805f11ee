"""Bodies as relays really send them (issue 12): the bytes decide what a body is, not its label;
a stream is bounded by the call's deadline; a key the gateway echoes never gets past the
transport.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

import gateway_core.transport as transport_module
from gateway_core import GatewayClient
from gateway_core.bodies import body_kind, body_text, charset_of
from gateway_core.chat.api import as_messages, complete_all, make_call
from gateway_core.errors import DeadlineExceededError, IncompleteStreamError

KEY = "sk-relaybodies-0123456789abcdef"


def chunk(text: str, finish: str | None = None) -> bytes:
    body = {"id": "c1", "object": "chat.completion.chunk", "model": "m",
            "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]}
    return f"data: {json.dumps(body)}\n\n".encode()


STREAM = chunk("Hel") + chunk("lo") + chunk("", "stop") + b"data: [DONE]\n\n"


def client_for(handler: Any, *, asynchronous: bool = False, **settings: Any) -> GatewayClient:
    return GatewayClient(base_url="https://relay.example/v1", api_key=KEY,
                         http_transport=httpx.MockTransport(handler), **settings)


class Pulled:
    """A streamed body that counts how many of its chunks have been read."""

    def __init__(self, parts: list[bytes]) -> None:
        self.parts = parts
        self.pulled = 0

    def __iter__(self) -> Iterator[bytes]:
        for part in self.parts:
            self.pulled += 1
            yield part



class APulled(Pulled):
    """The async twin (httpx takes a body with ``__iter__`` as a sync stream)."""

    __iter__ = None  # type: ignore[assignment]

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self.parts:
            self.pulled += 1
            yield part


# ------------------------------------------------------------------ what a body is

@pytest.mark.parametrize(("head", "kind"), [
    (b'{"a":1}', "json"), (b"\xef\xbb\xbf\r\n [1]", "json"), (b"  <!doctype html>", "html"),
    (b"data: {}", "sse"), (b"event: x", "sse"), (b": PING", "sse"), (b"id: 1", "sse"),
    (b"retry: 10", "sse"), (b"\n\n\t", "empty"), (b"", "empty"), (b"Bad Gateway", "text"),
])
def test_body_kind(head: bytes, kind: str) -> None:
    assert body_kind(head) == kind


@pytest.mark.parametrize(("content_type", "charset"), [
    ("application/json; charset=GBK", "gbk"), ("text/plain;charset=\"gb18030\"", "gb18030"),
    ("application/json", "utf-8"), ("text/html; charset=x-unknown-7", "utf-8"), ("", "utf-8"),
])
def test_charset_of(content_type: str, charset: str) -> None:
    assert charset_of(content_type) == charset


def test_body_text_decodes_the_declared_charset_and_drops_a_bom() -> None:
    assert body_text("额度不足".encode("gbk"), "text/plain; charset=gbk") == "额度不足"
    assert body_text(b"\xef\xbb\xbf{}") == "{}"


# ------------------------------------------------------------------ streams whatever the label

LABELS = ["application/json", "text/plain; charset=utf-8", "text/html", None]


@pytest.mark.parametrize("label", LABELS)
def test_an_event_stream_is_decoded_as_it_arrives_whatever_its_label(label: str | None) -> None:
    body = Pulled([STREAM[:30], STREAM[30:len(chunk("Hel"))], STREAM[len(chunk("Hel")):]])
    headers = {"content-type": label} if label else {}
    client = client_for(lambda request: httpx.Response(200, content=body, headers=headers))
    stream = client.stream_chat("hi", model="m")
    deltas = iter(stream)
    assert next(deltas).text == "Hel"
    assert body.pulled == 2  # the first event came before the rest of the body was read
    assert [d.text for d in deltas] == ["lo"]
    assert stream.result is not None
    assert stream.result.finish_reason == "stop"


@pytest.mark.parametrize("label", LABELS)
def test_async_an_event_stream_is_decoded_as_it_arrives_whatever_its_label(
        label: str | None) -> None:
    body = APulled([STREAM[:30], STREAM[30:len(chunk("Hel"))], STREAM[len(chunk("Hel")):]])
    headers = {"content-type": label} if label else {}

    async def run() -> list[str]:
        client = client_for(lambda request: httpx.Response(200, content=body, headers=headers),
                            asynchronous=True)
        texts, pulled_at_first = [], None
        async for delta in client.astream_chat("hi", model="m"):
            pulled_at_first = body.pulled if pulled_at_first is None else pulled_at_first
            texts.append(delta.text)
        assert pulled_at_first == 2
        return texts

    assert asyncio.run(run()) == ["Hel", "lo"]


def test_a_json_answer_labelled_as_a_stream_is_one_answer() -> None:
    completion = {"id": "c1", "object": "chat.completion", "model": "m", "choices": [
        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "hi"}}]}
    client = client_for(lambda request: httpx.Response(
        200, content=b"\n" + json.dumps(completion).encode(),
        headers={"content-type": "text/event-stream"}))
    stream = client.stream_chat("hi", model="m")
    assert "".join(d.text for d in stream) == "hi"


def test_text_that_is_neither_a_stream_nor_json_is_a_typed_error() -> None:
    client = client_for(lambda request: httpx.Response(200, text="upstream busy, try later"))
    with pytest.raises(transport_module.ResponseFormatError, match="upstream busy"):
        list(client.stream_chat("hi", model="m"))


# ------------------------------------------------------------------ SSE to a plain call

@pytest.mark.parametrize("label", ["text/event-stream", "application/json", None])
def test_a_plain_call_answered_with_a_stream_gets_the_whole_answer(label: str | None) -> None:
    headers = {"content-type": label} if label else {}
    client = client_for(lambda request: httpx.Response(200, content=STREAM, headers=headers))
    result = client.chat("hi", model="m")
    assert result.text == "Hello"
    assert result.finish_reason == "stop"
    every = complete_all(client.transport, as_messages("hi"), make_call("m", n=2))
    assert [r.text for r in every] == ["Hello"]


def test_async_a_plain_call_answered_with_a_stream_gets_the_whole_answer() -> None:
    async def run() -> str:
        client = client_for(lambda request: httpx.Response(200, content=STREAM),
                            asynchronous=True)
        return (await client.achat("hi", model="m")).text

    assert asyncio.run(run()) == "Hello"


def test_a_plain_call_answered_with_a_cut_stream_says_so_and_keeps_the_text() -> None:
    client = client_for(lambda request: httpx.Response(200, content=chunk("Hel") + chunk("lo")))
    with pytest.raises(IncompleteStreamError) as info:
        client.chat("hi", model="m")
    assert info.value.partial_text == "Hello"


# ------------------------------------------------------------------ the deadline over a stream

class Clock:
    def __init__(self) -> None:
        self.now = 500.0

    def monotonic(self) -> float:
        return self.now


def test_a_stream_that_outlives_the_deadline_ends_with_its_partial(
        monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    monkeypatch.setattr(transport_module.time, "monotonic", clock.monotonic)

    def slow_body() -> Iterator[bytes]:
        for part in (chunk("one "), chunk("two "), chunk("three"), chunk(" four"),
                     chunk("", "stop")):
            yield part
            clock.now += 4.0  # each chunk comes 4 s after the one before

    client = client_for(lambda request: httpx.Response(200, content=slow_body()), deadline=10.0)
    texts: list[str] = []

    def consume() -> None:
        texts.extend(delta.text for delta in client.stream_chat("hi", model="m"))

    with pytest.raises(DeadlineExceededError, match="deadline of 10 s") as info:
        consume()
    assert texts == ["one ", "two ", "three", " four"]  # " four" came at 12 s
    assert info.value.partial_text == "one two three four"
    assert not info.value.retryable
    chain, error = [], info.value
    while error is not None:  # the chain ends, and never at itself
        assert error not in chain
        chain.append(error)
        error = error.__cause__ or error.__context__


def test_an_answer_whose_finish_came_as_the_deadline_passed_is_kept(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # the finish chunk arrives at 12 s of 10: the whole answer is in hand, nothing is left to
    # wait for, so it is returned rather than raised as cut off
    clock = Clock()
    monkeypatch.setattr(transport_module.time, "monotonic", clock.monotonic)

    def slow_body() -> Iterator[bytes]:
        for part in (chunk("one "), chunk("two "), chunk("three"), chunk("", "stop")):
            yield part
            clock.now += 4.0

    client = client_for(lambda request: httpx.Response(200, content=slow_body()), deadline=10.0)
    stream = client.stream_chat("hi", model="m")
    assert "".join(delta.text for delta in stream) == "one two three"
    assert stream.result is not None
    assert stream.result.finish_reason == "stop"


def test_a_stream_within_the_deadline_is_untouched(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    monkeypatch.setattr(transport_module.time, "monotonic", clock.monotonic)

    def body() -> Iterator[bytes]:
        for part in (chunk("a"), chunk("b", "stop")):
            yield part
            clock.now += 4.9

    client = client_for(lambda request: httpx.Response(200, content=body()), deadline=10.0)
    assert "".join(d.text for d in client.stream_chat("hi", model="m")) == "ab"


# ------------------------------------------------------------------ an echoed key stays ours

def test_a_key_echoed_in_a_body_never_leaves_the_transport() -> None:
    echo = {"id": "c1", "object": "chat.completion", "model": "m", "choices": [
        {"index": 0, "finish_reason": "stop",
         "message": {"role": "assistant", "content": f"your key is {KEY} / {KEY[3:]}"}}]}
    client = client_for(lambda request: httpx.Response(200, json=echo))
    result = client.chat("hi", model="m")
    assert KEY not in repr(result.raw)
    assert KEY[3:] not in result.text
    assert result.text == "your key is *** / ***"


def test_a_secret_header_value_is_redacted_like_the_key() -> None:
    secret = "pk-portkey-secret-value-42"
    body = {"error": {"message": f"virtual key {secret} has no budget", "code": "budget"}}
    client = client_for(lambda request: httpx.Response(400, json=body),
                        headers={"x-portkey-api-key": secret, "x-trace": "visible-trace-1"})
    with pytest.raises(transport_module.APIError) as info:
        client.chat("hi", model="m")
    assert secret not in str(info.value)
    assert "***" in str(info.value)
    assert client.transport.config.secrets == (KEY, secret)


# ------------------------------------------------------------------ usage and legacy shapes

def completion(choice: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"id": "c1", "object": "chat.completion", "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop", **choice}], **top}


USAGE = {"prompt_tokens": 4, "completion_tokens": 6, "total_tokens": 10}


@pytest.mark.parametrize("body", [
    completion({"message": {"role": "assistant", "content": "hi"}}, usage=USAGE),
    completion({"message": {"role": "assistant", "content": "hi"}, "usage": USAGE}),  # Kimi
    completion({"text": "hi"}, usage=USAGE),  # a completions-shaped answer
])
def test_usage_and_text_wherever_the_provider_puts_them(body: dict[str, Any]) -> None:
    client = client_for(lambda request: httpx.Response(200, json=body))
    result = client.chat("hi", model="m")
    assert result.text == "hi"
    assert result.usage is not None
    assert result.usage.total_tokens == 10


def stream_of(*chunks: dict[str, Any]) -> bytes:
    return b"".join(f"data: {json.dumps(c)}\n\n".encode() for c in chunks) + b"data: [DONE]\n\n"


def piece(text: str, finish: str | None = None, **choice: Any) -> dict[str, Any]:
    return {"id": "c1", "object": "chat.completion.chunk", "model": "m",
            "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish,
                         **choice}]}


@pytest.mark.parametrize("body", [
    # Moonshot / Kimi: usage inside the choice of the last chunk
    stream_of(piece("Hel"), piece("lo", "stop", usage=USAGE)),
    # running totals repeated on every chunk: counted once (the last), never summed
    stream_of({**piece("Hel"), "usage": {**USAGE, "total_tokens": 5}},
              {**piece("lo", "stop"), "usage": USAGE}),
    # a usage-only chunk after the finish
    stream_of(piece("Hel"), piece("lo", "stop"),
              {"id": "c1", "model": "m", "choices": [], "usage": USAGE}),
    # legacy completions chunks: choices[].text
    stream_of({"id": "c1", "model": "m", "choices": [{"index": 0, "text": "Hel"}]},
              {"id": "c1", "model": "m", "choices": [{"index": 0, "text": "lo",
                                                      "finish_reason": "stop"}],
               "usage": USAGE}),
])
def test_a_stream_counts_usage_once_wherever_it_comes(body: bytes) -> None:
    client = client_for(lambda request: httpx.Response(200, content=body))
    stream = client.stream_chat("hi", model="m")
    assert "".join(d.text for d in stream) == "Hello"
    assert stream.result is not None
    assert stream.result.usage is not None
    assert stream.result.usage.total_tokens == 10


PREFIXED = b"\xef\xbb\xbf\r\n  \n" + STREAM  # a BOM and blank lines before the first event


@pytest.mark.parametrize("label", ["application/json", "text/html", None])
@pytest.mark.parametrize("cut", range(1, 40))
def test_the_kind_of_a_stream_is_read_whatever_the_first_reads_hold(
        cut: int, label: str | None) -> None:
    # The first bytes arrive in pieces of every size: the sniffing reads on until it knows.
    parts = [PREFIXED[i:min(i + cut, 40)] for i in range(0, 40, cut)] + [PREFIXED[40:]]
    headers = {"content-type": label} if label else {}
    client = client_for(lambda request: httpx.Response(200, content=iter(parts),
                                                       headers=headers))
    stream = client.stream_chat("hi", model="m")
    assert "".join(d.text for d in stream) == "Hello"
    assert stream.result is not None
    assert stream.result.finish_reason == "stop"
