"""Chat calls over a mocked transport: refused parameters, method fallback, stream breaks."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from gateway_core.chat import (
    LearnedRejections,
    StructuredSpec,
    acomplete,
    as_messages,
    complete,
    make_call,
)
from gateway_core.chat.api import AsyncChatStream, ChatStream
from gateway_core.chat.rejection import find_rejected_param
from gateway_core.client import GatewayClient
from gateway_core.config import GatewayConfig
from gateway_core.errors import (
    BadRequestError,
    GatewayConnectionError,
    IncompleteStreamError,
    ResponseTooLargeError,
    error_from_response,
)
from gateway_core.transport import Transport
from tests.unit.chat_streams import chunk, sse

Handler = Callable[[dict[str, Any]], httpx.Response]
SCHEMA = {"title": "Joke", "type": "object", "properties": {"setup": {"type": "string"}},
          "required": ["setup"]}


class Gateway:
    """A mocked gateway: records request bodies, answers with a handler."""

    def __init__(self, handler: Handler) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.handler = handler
        config = GatewayConfig(base_url="https://gw.example.com/v1", api_key="sk-secret-key-1",
                               max_retries=0)
        self.transport = Transport(config, http_transport=httpx.MockTransport(self._handle))

    def _handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        return self.handler(body)

    def use_async(self) -> None:
        """Nothing to do: the plugged mock serves async requests too."""


def ok(text: str = "fine", **message: Any) -> httpx.Response:
    return httpx.Response(200, json={
        "id": "c", "model": "m", "choices": [{"index": 0, "finish_reason": "stop",
                                              "message": {"role": "assistant", "content": text,
                                                          **message}}]},
        headers={"x-oneapi-request-id": "rid-1"})


def refuse(message: str, status: int = 400, param: str | None = None) -> httpx.Response:
    return httpx.Response(status, json={"error": {"message": message, "param": param,
                                                  "type": "invalid_request_error"}})


def stream_ok(text: str = "streamed") -> httpx.Response:
    return httpx.Response(200, content=sse([chunk({"content": text}), chunk({}, "stop")]),
                          headers={"content-type": "text/event-stream"})


@pytest.fixture
def learned() -> LearnedRejections:
    return LearnedRejections()


def call(model: str = "gpt-4o-mini", learned: LearnedRejections | None = None,
         **params: Any) -> Any:
    made = make_call(model, **params)
    return made.replace(learned=learned) if learned is not None else made


MESSAGES = as_messages("hi")


def test_a_refused_parameter_is_dropped_retried_once_and_remembered(
    learned: LearnedRejections,
) -> None:
    def handler(body: dict[str, Any]) -> httpx.Response:
        if "parallel_tool_calls" in body:
            return refuse("Unrecognized request argument supplied: parallel_tool_calls")
        return ok()

    gateway = Gateway(handler)
    tools = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
    result = complete(gateway.transport, MESSAGES,
                      call(learned=learned, tools=tools, parallel_tool_calls=False))
    assert result.text == "fine"
    assert result.request_id == "rid-1"
    assert ["parallel_tool_calls" in b for b in gateway.bodies] == [True, False]
    assert learned.params("https://gw.example.com", "gpt-4o-mini") == {"parallel_tool_calls"}
    complete(gateway.transport, MESSAGES,
             call(learned=learned, tools=tools, parallel_tool_calls=False))
    assert len(gateway.bodies) == 3  # remembered: no second refusal


def test_max_tokens_refusal_switches_to_max_completion_tokens(learned: LearnedRejections) -> None:
    def handler(body: dict[str, Any]) -> httpx.Response:
        if "max_tokens" in body:
            return refuse("Unsupported parameter: 'max_tokens' is not supported with this "
                          "model. Use 'max_completion_tokens' instead.", param="max_tokens")
        return ok()

    gateway = Gateway(handler)
    complete(gateway.transport, MESSAGES, call(learned=learned, max_tokens=10))
    assert gateway.bodies[-1]["max_completion_tokens"] == 10
    assert "max_tokens" not in gateway.bodies[-1]


def test_other_bad_requests_are_raised_after_one_request(learned: LearnedRejections) -> None:
    gateway = Gateway(lambda body: refuse("Invalid 'temperature': decimal above maximum value."))
    with pytest.raises(BadRequestError, match="temperature"):
        complete(gateway.transport, MESSAGES, call(learned=learned, temperature=5))
    assert len(gateway.bodies) == 1
    assert not learned.params("https://gw.example.com", "gpt-4o-mini")


def test_a_gateway_that_keeps_refusing_is_not_retried_forever(learned: LearnedRejections) -> None:
    gateway = Gateway(lambda body: refuse("Unknown parameter: 'seed'"))
    with pytest.raises(BadRequestError):
        complete(gateway.transport, MESSAGES, call(learned=learned, seed=1))
    assert len(gateway.bodies) == 2


def test_streams_retry_without_stream_options(learned: LearnedRejections) -> None:
    def handler(body: dict[str, Any]) -> httpx.Response:
        if "stream_options" in body:
            return refuse("stream_options is not supported", param="stream_options")
        return stream_ok()

    gateway = Gateway(handler)
    stream = ChatStream(gateway.transport, MESSAGES, call(learned=learned))
    assert "".join(d.text for d in stream) == "streamed"
    assert stream.result is not None
    assert stream.result.text == "streamed"
    assert [("stream_options" in b) for b in gateway.bodies] == [True, False]


def test_structured_output_falls_back_and_remembers(learned: LearnedRejections) -> None:
    def handler(body: dict[str, Any]) -> httpx.Response:
        if "response_format" in body:
            return refuse("This response_format type is unavailable now")
        if "tools" in body:
            return ok("", tool_calls=[{"id": "t", "type": "function", "function": {
                "name": "Joke", "arguments": '{"setup": "s"}'}}])
        return ok()

    gateway = Gateway(handler)
    spec = StructuredSpec.from_schema(SCHEMA)
    result = complete(gateway.transport, MESSAGES, call("gpt-4o", learned, structured=spec))
    assert result.structured_method == "function_calling"
    assert result.tool_calls[0].args == {"setup": "s"}
    assert learned.methods("https://gw.example.com", "gpt-4o") == {"json_schema"}
    result = complete(gateway.transport, MESSAGES, call("gpt-4o", learned, structured=spec))
    assert len(gateway.bodies) == 3
    assert result.structured_method == "function_calling"


def test_structured_output_falls_back_to_the_prompt(learned: LearnedRejections) -> None:
    def handler(body: dict[str, Any]) -> httpx.Response:
        if "response_format" in body:
            return refuse("response_format is not supported")
        if "tools" in body:
            return refuse("tool calling is not supported for this model")
        return ok('{"setup": "s"}')

    gateway = Gateway(handler)
    spec = StructuredSpec.from_schema(SCHEMA)
    result = complete(gateway.transport, MESSAGES, call("gpt-4o", learned, structured=spec))
    assert result.structured_method == "prompt"
    assert [m for m in ("json_schema", "function_calling", "json_mode")
            if m in learned.methods("https://gw.example.com", "gpt-4o")] == [
        "json_schema", "function_calling", "json_mode"]
    assert "JSON schema" in gateway.bodies[-1]["messages"][0]["content"]


def _breaking_stream() -> httpx.Response:
    def body() -> Iterator[bytes]:
        yield sse([chunk({"reasoning_content": "r"}), chunk({"content": "half"})], done=False)
        raise httpx.ReadError("connection reset")

    return httpx.Response(200, stream=_IterStream(body()),
                          headers={"content-type": "text/event-stream"})


class _IterStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __init__(self, parts: Iterator[bytes]) -> None:
        self.parts = parts

    def __iter__(self) -> Iterator[bytes]:
        yield from self.parts

    async def __aiter__(self) -> Any:
        for part in self.parts:
            yield part


def test_a_stream_that_breaks_keeps_the_partial_answer() -> None:
    gateway = Gateway(lambda body: _breaking_stream())
    stream = ChatStream(gateway.transport, MESSAGES, call())
    received: list[Any] = []
    with pytest.raises(IncompleteStreamError, match="broke") as caught:
        received.extend(stream)
    assert isinstance(caught.value.__cause__, GatewayConnectionError)
    assert (caught.value.partial_text, caught.value.partial_reasoning) == ("half", "r")
    assert "".join(d.text for d in received) == "half"


async def test_async_calls_and_streams(learned: LearnedRejections) -> None:
    def handler(body: dict[str, Any]) -> httpx.Response:
        if body.get("stream"):
            return stream_ok("async stream")
        if "reasoning_effort" in body:
            return refuse("reasoning_effort is not supported", param="reasoning_effort")
        return ok("async")

    gateway = Gateway(handler)
    gateway.use_async()
    result = await acomplete(gateway.transport, MESSAGES,
                             call(learned=learned, reasoning_effort="low"))
    assert result.text == "async"
    assert len(gateway.bodies) == 2
    stream = AsyncChatStream(gateway.transport, MESSAGES, call(learned=learned))
    assert "".join([d.text async for d in stream]) == "async stream"
    assert stream.result is not None
    assert stream.result.finish_reason == "stop"


async def test_async_stream_break() -> None:
    gateway = Gateway(lambda body: _breaking_stream())
    gateway.use_async()
    with pytest.raises(IncompleteStreamError) as caught:
        async for _ in AsyncChatStream(gateway.transport, MESSAGES, call()):
            pass
    assert caught.value.partial_text == "half"


def test_client_chat_methods_and_structured_helper() -> None:
    def handler(body: dict[str, Any]) -> httpx.Response:
        if body.get("stream"):
            return stream_ok()
        return ok('```json\n{"setup": "s"}\n```')

    gateway = Gateway(handler)
    client = GatewayClient(base_url="https://gw.example.com/v1", api_key="sk-secret-key-1")
    client.transport = gateway.transport
    assert client.chat("hi", model="deepseek-chat").text.startswith("```json")
    stream = client.stream_chat([{"role": "user", "content": "hi"}], model="deepseek-chat")
    assert [d.text for d in stream] == ["streamed"]
    parsed, raw = client.chat_structured("joke", SCHEMA, model="deepseek-chat",
                                         method="json_mode", include_raw=True)
    assert parsed == {"setup": "s"}
    assert raw.structured_method == "json_mode"


@pytest.mark.parametrize(
    ("message", "param", "expected"),
    [
        ("Unrecognized request argument supplied: stream_options", None, "stream_options"),
        ("Unknown parameter: 'stream_options.include_usage'.", None, "stream_options"),
        ("[{'type': 'extra_forbidden', 'loc': ('body', 'parallel_tool_calls'), "
         "'msg': 'Extra inputs are not permitted'}]", None, "parallel_tool_calls"),
        ("This response_format type is unavailable now", None, "response_format"),
        ("reasoning_effort is not supported for this model", None, "reasoning_effort"),
        ("Unsupported value: 'temperature' does not support 0.5 with this model. Only the "
         "default (1) value is supported.", "temperature", "temperature"),
        ("Invalid 'temperature': decimal above maximum value.", "temperature", None),
        ("参数 enable_thinking 不支持", None, "enable_thinking"),
        ("strict mode is not supported by this provider", None, "strict"),
        ("Please stop: the temperature is not supported", None, "temperature"),
        ("model not found", None, None),
    ],
)
def test_refused_parameter_phrasings(message: str, param: str | None,
                                     expected: str | None) -> None:
    body = {"model": "m", "messages": [], "stream_options": {"include_usage": True},
            "parallel_tool_calls": False, "response_format": {"type": "json_schema"},
            "reasoning_effort": "low", "temperature": 0.5, "enable_thinking": True,
            "stop": ["x"], "tools": [{"type": "function", "function": {"name": "f",
                                                                       "strict": True}}]}
    payload = {"error": {"message": message, "param": param, "type": "invalid_request_error"}}
    error = error_from_response(400, json.dumps(payload).encode(), what="Chat completion")
    assert find_rejected_param(error, body) == expected


def test_an_oversized_event_mid_stream_keeps_the_partial_text() -> None:
    def endless_line() -> Iterator[bytes]:
        yield sse([chunk({"content": "half"})], done=False)
        yield b"data: " + b"x" * 4096
        for _ in range(400):  # 1.6 MB of one event that never ends, against a 1 MiB cap
            yield b"x" * 4096

    def handler(body: dict[str, Any]) -> httpx.Response:
        return httpx.Response(200, stream=_IterStream(endless_line()),
                              headers={"content-type": "text/event-stream"})

    gateway = Gateway(handler)
    gateway.transport.config = dataclasses.replace(gateway.transport.config,
                                                   max_response_bytes=1024 * 1024)
    with pytest.raises(IncompleteStreamError) as caught:
        for _ in ChatStream(gateway.transport, MESSAGES, call()):
            pass
    assert caught.value.partial_text == "half"
    assert isinstance(caught.value.__cause__, ResponseTooLargeError)
