"""ChatGateway against a mocked gateway (no sockets): requests sent, messages returned."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from langchain_core.exceptions import ModelInvalidRequestError, ModelRateLimitError
from langchain_core.load import dumpd, dumps
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from gateway_core.errors import IncompleteStreamError, RateLimitError
from langchain_gateway import ChatGateway
from tests.unit.chat_streams import chunk, sse, usage_chunk


class Mock:
    def __init__(self, model: str = "gpt-4o-mini", **kwargs: Any) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.replies: list[httpx.Response] = []
        self.llm = ChatGateway(model=model, base_url=f"https://{uuid.uuid4().hex}.example.com",
                               api_key="sk-unit-test-key", max_retries=0,
                               http_transport=httpx.MockTransport(self.handle), **kwargs)

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        if self.replies:
            return self.replies.pop(0)
        if body.get("stream"):
            return stream_reply()
        return reply()

    def use_async(self) -> None:
        """Nothing to do: the plugged mock serves async requests too."""


def reply(content: str | None = "Hello!", **message: Any) -> httpx.Response:
    return httpx.Response(200, headers={"x-oneapi-request-id": "req-1"}, json={
        "id": "chatcmpl-1", "model": "gpt-4o-mini", "system_fingerprint": "fp_1",
        "choices": [{"index": 0, "finish_reason": "tool_calls" if message.get("tool_calls")
                     else "stop", "message": {"role": "assistant", "content": content,
                                              **message}}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12,
                  "prompt_tokens_details": {"cached_tokens": 2},
                  "completion_tokens_details": {"reasoning_tokens": 1}}})


def stream_reply(*events: Any, done: bool = True) -> httpx.Response:
    if not events:
        events = (chunk({"role": "assistant", "reasoning_content": "hm"}),
                  chunk({"content": "Hel"}), chunk({"content": "lo"}), chunk({}, "stop"),
                  usage_chunk(9, 3))
    return httpx.Response(200, content=sse(events, done=done),
                          headers={"content-type": "text/event-stream",
                                   "x-oneapi-request-id": "req-2"})


def test_invoke_sends_the_parameters_and_returns_a_full_message() -> None:
    mock = Mock(temperature=0.3, max_tokens=64, stop=["END"], reasoning_effort="low",
                extra_body={"top_k": 4}, model_kwargs={"seed": 1})
    message = mock.llm.invoke("hi")
    body = mock.bodies[0]
    assert body["messages"] == [{"role": "user", "content": "hi"}]
    assert (body["temperature"], body["max_tokens"], body["stop"]) == (0.3, 64, ["END"])
    assert (body["reasoning_effort"], body["top_k"], body["seed"]) == ("low", 4, 1)
    assert "stream" not in body
    assert message.text == "Hello!"
    assert message.usage_metadata == {
        "input_tokens": 9, "output_tokens": 3, "total_tokens": 12,
        "input_token_details": {"cache_read": 2}, "output_token_details": {"reasoning": 1}}
    metadata = message.response_metadata
    assert (metadata["model_name"], metadata["finish_reason"], metadata["request_id"]) == (
        "gpt-4o-mini", "stop", "req-1")
    assert metadata["system_fingerprint"] == "fp_1"


def test_per_call_model_override_and_ls_params() -> None:
    mock = Mock()
    mock.llm.invoke("hi", model="deepseek-chat", temperature=0)
    assert mock.bodies[0]["model"] == "deepseek-chat"
    params = mock.llm._get_ls_params(model="other", stop=["x"])
    host = mock.llm.base_url.split("://", 1)[1].split("/", 1)[0]
    assert params == {"ls_provider": "gateway", "ls_model_name": "other",  # unknown maker
                      "ls_model_type": "chat", "ls_stop": ["x"], "ls_gateway": host}
    assert mock.llm._get_ls_params(model="deepseek-chat")["ls_provider"] == "deepseek"


def test_stream_yields_deltas_then_one_usage_chunk() -> None:
    mock = Mock()
    chunks = list(mock.llm.stream("hi"))
    assert mock.bodies[0]["stream"] is True
    assert mock.bodies[0]["stream_options"] == {"include_usage": True}
    assert [c.text for c in chunks] == ["", "Hel", "lo", ""]
    assert [c.usage_metadata is not None for c in chunks] == [False, False, False, True]
    full = chunks[0]
    for piece in chunks[1:]:
        full += piece
    assert full.additional_kwargs["reasoning_content"] == "hm"
    assert full.response_metadata["finish_reason"] == "stop"
    assert full.response_metadata["request_id"] == "req-2"
    assert full.chunk_position == "last"
    assert [b["type"] for b in full.content_blocks] == ["reasoning", "text"]


def test_stream_usage_can_be_turned_off() -> None:
    mock = Mock(stream_usage=False)
    list(mock.llm.stream("hi"))
    assert "stream_options" not in mock.bodies[0]


def test_streaming_invoke_goes_through_the_stream() -> None:
    mock = Mock(streaming=True)
    message = mock.llm.invoke("hi")
    assert mock.bodies[0]["stream"] is True
    assert message.text == "Hello"
    assert message.usage_metadata is not None


def test_batch_and_several_choices() -> None:
    mock = Mock()
    assert [m.text for m in mock.llm.batch(["a", "b"])] == ["Hello!", "Hello!"]
    mock.replies.append(httpx.Response(200, json={"model": "m", "choices": [
        {"index": 0, "message": {"content": "one"}, "finish_reason": "stop"},
        {"index": 1, "message": {"content": "two"}, "finish_reason": "stop"}]}))
    result = mock.llm.generate([[HumanMessage("x")]], n=2)
    assert [g.text for g in result.generations[0]] == ["one", "two"]


async def test_async_invoke_stream_and_batch() -> None:
    mock = Mock()
    mock.use_async()
    assert (await mock.llm.ainvoke("hi")).text == "Hello!"
    text = "".join([c.text async for c in mock.llm.astream("hi")])
    assert text == "Hello"
    assert len(await mock.llm.abatch(["a", "b"])) == 2


class GetWeather(BaseModel):
    """Get the weather."""

    city: str = Field(description="The city")


class Lookup(TypedDict):
    """Look something up."""

    query: str


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def multiply(x: int, y: int) -> int:
    """Multiply two integers."""
    return x * y


@pytest.mark.parametrize(
    ("choice", "sent"),
    [("auto", "auto"), ("none", "none"), ("any", "required"), ("required", "required"),
     (True, "required"), ("add", {"type": "function", "function": {"name": "add"}}),
     ({"type": "function", "function": {"name": "multiply"}},
      {"type": "function", "function": {"name": "multiply"}}), (None, None)],
)
def test_bind_tools_of_every_kind(choice: Any, sent: Any) -> None:
    mock = Mock()
    schema = {"type": "function", "function": {"name": "raw", "parameters": {
        "type": "object", "properties": {}}}}
    bound = mock.llm.bind_tools([add, GetWeather, Lookup, multiply, schema], tool_choice=choice,
                                parallel_tool_calls=False, strict=True)
    bound.invoke("x")
    body = mock.bodies[0]
    assert [t["function"]["name"] for t in body["tools"]] == [
        "add", "GetWeather", "Lookup", "multiply", "raw"]
    assert all(t["function"].get("strict") is True for t in body["tools"])
    assert body.get("tool_choice") == sent
    assert body["parallel_tool_calls"] is False


def test_tool_calls_and_invalid_tool_calls_come_back() -> None:
    mock = Mock()
    mock.replies.append(reply(None, tool_calls=[
        {"id": "c1", "type": "function", "function": {"name": "add",
                                                      "arguments": '{"a": 1, "b": 2}'}},
        {"id": "c2", "type": "function", "function": {"name": "add", "arguments": "{a: 1"}}]))
    message = mock.llm.bind_tools([add]).invoke("1+2?")
    assert message.tool_calls == [{"name": "add", "args": {"a": 1, "b": 2}, "id": "c1",
                                   "type": "tool_call"}]
    assert message.invalid_tool_calls[0]["args"] == "{a: 1"
    assert message.invalid_tool_calls[0]["error"]


def test_streamed_tool_calls_from_a_repeating_relay() -> None:
    mock = Mock()
    mock.replies.append(stream_reply(*[
        chunk({"tool_calls": [{"index": 0, "id": "c1", "type": "function",
                               "function": {"name": "add", "arguments": piece}}]})
        for piece in ('{"a": 1', ', "b": 2}')], chunk({}, "tool_calls")))
    chunks = list(mock.llm.bind_tools([add]).stream("1+2?"))
    full = chunks[0]
    for piece in chunks[1:]:
        full += piece
    assert full.tool_calls == [{"name": "add", "args": {"a": 1, "b": 2}, "id": "c1",
                                "type": "tool_call"}]
    assert chunks[0].tool_call_chunks[0]["name"] == "add"
    assert chunks[1].tool_call_chunks[0]["name"] is None


def test_reasoning_is_sent_back_only_where_needed() -> None:
    history = [HumanMessage("q"),
               AIMessage("", additional_kwargs={"reasoning_content": "thinking"},
                         tool_calls=[{"name": "add", "args": {}, "id": "c1"}]),
               ToolMessage("3", tool_call_id="c1")]
    mock = Mock("deepseek-reasoner")
    mock.llm.invoke(history)
    assert mock.bodies[0]["messages"][1]["reasoning_content"] == "thinking"
    mock = Mock("gpt-4o-mini")
    mock.llm.invoke(history)
    assert "reasoning_content" not in mock.bodies[0]["messages"][1]


class Joke(BaseModel):
    """A joke."""

    setup: str
    punchline: str


class JokeDict(TypedDict):
    setup: str
    punchline: str


@pytest.mark.parametrize("schema", [Joke, JokeDict, Joke.model_json_schema()])
def test_structured_output_by_json_schema(schema: Any) -> None:
    mock = Mock("gpt-4o")
    mock.replies.append(reply('```json\n{"setup": "s", "punchline": "p"}\n```'))
    result = mock.llm.with_structured_output(schema).invoke("joke")
    assert mock.bodies[0]["response_format"]["type"] == "json_schema"
    expected = {"setup": "s", "punchline": "p"}
    assert (result.model_dump() if isinstance(result, BaseModel) else result) == expected


def test_structured_output_by_function_calling_with_include_raw() -> None:
    mock = Mock("deepseek-chat")
    mock.replies.append(reply(None, tool_calls=[{"id": "c", "type": "function", "function": {
        "name": "Joke", "arguments": '{"setup": "s", "punchline": "p"}'}}]))
    out = mock.llm.with_structured_output(Joke, include_raw=True).invoke("joke")
    body = mock.bodies[0]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "Joke"}}
    assert body["parallel_tool_calls"] is False
    assert out["parsed"] == Joke(setup="s", punchline="p")
    assert out["parsing_error"] is None
    assert isinstance(out["raw"], AIMessage)


def test_structured_output_parse_errors() -> None:
    mock = Mock("deepseek-chat")
    mock.replies.append(reply("not json"))
    out = mock.llm.with_structured_output(Joke, method="json_mode", include_raw=True).invoke("j")
    assert out["parsed"] is None
    assert out["parsing_error"] is not None
    assert mock.bodies[0]["response_format"] == {"type": "json_object"}
    with pytest.raises(ValueError, match="strict"):
        mock.llm.with_structured_output(Joke, method="json_mode", strict=True)
    with pytest.raises(ValueError, match="unsupported"):
        mock.llm.with_structured_output(Joke, tools=[])


def test_structured_output_fallback_when_json_schema_is_refused() -> None:
    mock = Mock("gpt-4o")
    mock.replies.append(httpx.Response(400, json={"error": {
        "message": "This response_format type is unavailable now", "type": "invalid_request"}}))
    mock.replies.append(reply(None, tool_calls=[{"id": "c", "type": "function", "function": {
        "name": "Joke", "arguments": '{"setup": "s", "punchline": "p"}'}}]))
    assert mock.llm.with_structured_output(Joke).invoke("joke") == Joke(setup="s", punchline="p")
    assert "response_format" in mock.bodies[0]
    assert "tools" in mock.bodies[1]


def test_errors_are_ours_and_langchains() -> None:
    mock = Mock()
    mock.replies.append(httpx.Response(429, json={"error": {"message": "负载已饱和"}}))
    with pytest.raises(RateLimitError) as caught:
        mock.llm.invoke("hi")
    assert isinstance(caught.value, ModelRateLimitError)
    assert caught.value.is_retryable
    mock.replies.append(httpx.Response(400, json={"error": {"message": "bad messages"}}))
    with pytest.raises(ModelInvalidRequestError):
        mock.llm.invoke("hi")


def test_cut_stream_raises_with_the_partial_chunk() -> None:
    mock = Mock()
    mock.replies.append(stream_reply(chunk({"content": "partial answer"})))
    received: list[Any] = []
    with pytest.raises(IncompleteStreamError) as caught:
        received.extend(mock.llm.stream("hi"))
    assert [c.text for c in received] == ["partial answer"]
    partial = caught.value.partial
    assert partial.text == "partial answer"
    assert caught.value.partial_text == "partial answer"


def test_the_key_never_shows() -> None:
    llm = ChatGateway(model="m", base_url="https://gw.example.com", api_key="sk-super-secret")
    assert "sk-super-secret" not in repr(llm)
    assert "sk-super-secret" not in str(llm)
    assert "sk-super-secret" not in dumps(llm)
    serialized = dumpd(llm)
    assert serialized["kwargs"]["api_key"] == {"lc": 1, "type": "secret",
                                               "id": ["GATEWAY_API_KEY"]}
    assert "sk-super-secret" not in repr(llm.client.config)


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_BASE_URL", "https://env.example.com/v1")
    monkeypatch.setenv("GATEWAY_API_KEY", "sk-from-env")
    llm = ChatGateway(model="m")
    assert llm.base_url == "https://env.example.com/v1"
    assert llm.api_key is not None
    assert llm.api_key.get_secret_value() == "sk-from-env"
    assert llm.client.config.root_url == "https://env.example.com"
    assert llm.timeout == 120.0


def test_profile_is_derived_from_the_gateway_profile() -> None:
    llm = ChatGateway(model="deepseek-reasoner", base_url="https://x", api_key="k",
                      capabilities={"context_window": 64000})
    assert llm.profile is not None
    assert llm.profile["max_input_tokens"] == 64000
    assert llm.profile["reasoning_output"] is True
    assert llm.gateway_profile().reasoning_roundtrip


def test_token_estimates_need_no_tokenizer() -> None:
    llm = ChatGateway(model="m", base_url="https://x", api_key="k")
    assert llm.get_num_tokens("") == 0
    assert llm.get_num_tokens("abcdefgh") == 2
    assert llm.get_num_tokens("你好世界") == 4
    messages = [HumanMessage("hello there"), AIMessage("", tool_calls=[
        {"name": "add", "args": {"a": 1}, "id": "c1"}]), ToolMessage("2", tool_call_id="c1")]
    with_tools = llm.get_num_tokens_from_messages(messages, tools=[add])
    assert with_tools > llm.get_num_tokens_from_messages(messages) > 12


def test_profile_carries_every_key_langchain_core_defines_that_we_know() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # langchain-core warns about keys it does not know
        reasoner = ChatGateway(model="gpt-5", base_url="https://gw.example.com", api_key="sk-p")
        profile = reasoner.profile
        video = ChatGateway(model="sora-2", base_url="https://gw.example.com",
                            api_key="sk-p").profile
    assert profile is not None
    assert video is not None
    assert profile["reasoning_effort_levels"] == ["minimal", "low", "medium", "high"]
    assert profile["image_tool_message"] is True
    assert profile["tool_call_streaming"] is True
    assert profile["image_outputs"] is False
    assert video["video_outputs"] is True
    deepseek = ChatGateway(model="deepseek-chat", base_url="https://gw.example.com",
                           api_key="sk-p").profile
    assert deepseek is not None
    assert "reasoning_effort_levels" not in deepseek  # absent when not configurable
    assert deepseek["structured_output"] is False
