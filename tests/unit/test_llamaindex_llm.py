"""GatewayLLM against a mocked gateway (no sockets): conventions, requests sent, responses."""

from __future__ import annotations

import json
import pickle
import uuid
from typing import Any

import httpx
import pytest
from llama_index.core.base.llms.base import BaseLLM
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.callbacks import CallbackManager, CBEventType, LlamaDebugHandler
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from llama_index.core.types import PydanticProgramMode
from pydantic import BaseModel, ValidationError

from gateway_core import transport as transport_module
from gateway_core.chat import LEARNED
from gateway_core.errors import IncompleteStreamError, InvalidRequestError, ServerError
from llamaindex_gateway import GatewayLLM
from tests.unit.chat_streams import chunk, sse, usage_chunk

KEY = "sk-unit-test-key-7f3a9c"


class City(BaseModel):
    """A city."""

    name: str
    country: str


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def multiply(x: int, y: int) -> int:
    """Multiply two integers."""
    return x * y


TOOLS = [FunctionTool.from_defaults(add), FunctionTool.from_defaults(multiply)]


class Mock:
    """A GatewayLLM whose transport answers from ``replies`` (or a default answer)."""

    def __init__(self, model: str = "gpt-4o-mini", **kwargs: Any) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.replies: list[httpx.Response] = []
        kwargs.setdefault("max_retries", 0)
        self.llm = GatewayLLM(model=model, api_base=f"https://{uuid.uuid4().hex}.example.com",
                              api_key=KEY, http_transport=httpx.MockTransport(self.handle),
                              **kwargs)

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        self.paths.append(request.url.path)
        if self.replies:
            return self.replies.pop(0)
        if body.get("stream"):
            return stream_reply()
        return reply()

    def use_async(self) -> None:
        """Nothing to do: the plugged mock serves async requests too."""


def reply(content: str | None = "Hello!", **message: Any) -> httpx.Response:
    return httpx.Response(200, headers={"x-oneapi-request-id": "req-1"}, json={
        "id": "chatcmpl-1", "model": "gpt-4o-mini",
        "choices": [{"index": 0, "finish_reason": "tool_calls" if message.get("tool_calls")
                     else "stop", "message": {"role": "assistant", "content": content,
                                              **message}}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12}})


def tool_reply(*calls: tuple[str, str, Any]) -> httpx.Response:
    return reply(None, tool_calls=[
        {"id": call_id, "type": "function",
         "function": {"name": name, "arguments": json.dumps(args)}}
        for call_id, name, args in calls])


def stream_reply(*events: Any, done: bool = True) -> httpx.Response:
    if not events:
        events = (chunk({"role": "assistant", "reasoning_content": "hm"}),
                  chunk({"content": "Hel"}), chunk({"content": "lo"}), chunk({}, "stop"),
                  usage_chunk(9, 3))
    return httpx.Response(200, content=sse(events, done=done),
                          headers={"content-type": "text/event-stream",
                                   "x-oneapi-request-id": "req-2"})


def error_reply(status: int, message: str, param: str | None = None) -> httpx.Response:
    return httpx.Response(status, json={"error": {"message": message, "type": "invalid_request",
                                                  "param": param, "code": None}})


def user(text: str = "hi") -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


# --------------------------------------------------------------------------- conventions


def test_is_a_function_calling_llm() -> None:
    names = [base.__name__ for base in GatewayLLM.__mro__]
    assert BaseLLM.__name__ in names
    assert FunctionCallingLLM.__name__ in names
    assert GatewayLLM.class_name() == "GatewayLLM"
    assert not GatewayLLM.__abstractmethods__


def test_the_key_is_never_serialised_or_shown() -> None:
    llm = GatewayLLM(model="gpt-4o-mini", api_base="https://gw.example.com", api_key=KEY)
    for text in (repr(llm), str(llm), llm.to_json(), json.dumps(llm.to_dict()),
                 json.dumps(llm.to_payload(), default=str), repr(llm.client),
                 repr(llm.client.transport)):
        assert KEY not in text
    data = llm.to_dict()
    assert data["class_name"] == "GatewayLLM"
    assert "api_key" not in data
    assert data["api_base"] == "https://gw.example.com"


def test_serialisation_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_API_KEY", "sk-from-env")
    llm = GatewayLLM(model="deepseek-chat", api_base="https://gw.example.com", api_key=KEY,
                     temperature=0.2, max_tokens=100, additional_kwargs={"top_p": 0.5},
                     context_window=4096)
    again = GatewayLLM.from_json(llm.to_json())
    assert again.to_dict() == llm.to_dict()
    assert again.api_key is not None
    assert again.api_key.get_secret_value() == "sk-from-env"  # the key came from the env
    restored = pickle.loads(pickle.dumps(llm))
    assert restored.model == "deepseek-chat"


def test_base_url_alias_and_env_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    assert GatewayLLM(model="m", base_url="https://a.example.com", api_key=KEY).api_base == (
        "https://a.example.com")
    monkeypatch.setenv("GATEWAY_BASE_URL", "https://env.example.com/v1")
    monkeypatch.setenv("GATEWAY_API_KEY", "sk-env-key")
    llm = GatewayLLM(model="m")
    assert llm.base_url == "https://env.example.com/v1"
    assert llm.client.config.root_url == "https://env.example.com"
    assert llm.api_key is not None
    assert llm.api_key.get_secret_value() == "sk-env-key"


def test_unknown_constructor_arguments_are_refused() -> None:
    with pytest.raises(ValidationError, match="context_windw"):
        GatewayLLM(model="m", api_base="https://gw.example.com", api_key=KEY,
                   context_windw=1000)


@pytest.mark.parametrize(("model", "window", "tools"), [
    ("gpt-4o-mini", 128_000, True),
    ("deepseek-reasoner", 128_000, True),
    ("deepseek-r1", 128_000, False),
    ("my-private-finetune-v7", 128_000, True),  # unknown: the core's defaults
])
def test_metadata_from_the_profile(model: str, window: int, tools: bool) -> None:
    metadata = GatewayLLM(model=model, api_base="https://gw.example.com", api_key=KEY).metadata
    # num_output: max_tokens if set, else -1 as LlamaIndex's OpenAI / OpenAILike report
    assert (metadata.context_window, metadata.num_output) == (window, -1)
    assert metadata.is_function_calling_model is tools
    assert metadata.is_chat_model is True
    assert metadata.model_name == model


def test_metadata_overrides() -> None:
    llm = GatewayLLM(model="gpt-4o-mini", api_base="https://gw.example.com", api_key=KEY,
                     context_window=32_000, max_tokens=500, is_function_calling_model=False)
    metadata = llm.metadata
    assert (metadata.context_window, metadata.num_output) == (32_000, 500)
    assert metadata.is_function_calling_model is False
    profiled = GatewayLLM(model="unknown-x", api_base="https://gw.example.com", api_key=KEY,
                          capabilities={"context_window": 1_000_000, "tool_calling": False})
    assert profiled.metadata.context_window == 1_000_000
    assert profiled.metadata.is_function_calling_model is False


# --------------------------------------------------------------------------- requests


def test_chat_sends_the_parameters_and_returns_blocks_and_usage() -> None:
    mock = Mock(temperature=0.3, max_tokens=64, reasoning_effort="low",
                additional_kwargs={"top_p": 0.9, "seed": 1}, extra_body={"top_k": 4})
    mock.replies.append(reply("Hi", reasoning_content="thought"))
    response = mock.llm.chat(user())
    body = mock.bodies[0]
    assert body["messages"] == [{"role": "user", "content": "hi"}]
    assert (body["temperature"], body["max_tokens"], body["reasoning_effort"]) == (0.3, 64, "low")
    assert (body["top_p"], body["seed"], body["top_k"]) == (0.9, 1, 4)
    assert "stream" not in body
    assert mock.paths == ["/v1/chat/completions"]
    assert isinstance(response.message.blocks[0], ThinkingBlock)
    assert response.message.content == "Hi"
    assert response.raw["usage"]["total_tokens"] == 12
    assert response.additional_kwargs["prompt_tokens"] == 9
    assert response.additional_kwargs["request_id"] == "req-1"


def test_per_call_arguments_override_the_instance() -> None:
    mock = Mock(additional_kwargs={"top_p": 0.9, "seed": 1}, extra_body={"a": 1})
    mock.llm.chat(user(), top_p=0.1, extra_body={"b": 2})
    mock.llm.chat(user(), additional_kwargs={"seed": 7})
    first, second = mock.bodies
    assert (first["top_p"], first["seed"], first["a"], first["b"]) == (0.1, 1, 1, 2)
    assert (second["top_p"], second["seed"]) == (0.9, 7)


def test_completion_goes_through_chat_completions() -> None:
    mock = Mock()
    assert mock.llm.complete("Say hi").text == "Hello!"
    chunks = list(mock.llm.stream_complete("Say hi"))
    assert "".join(c.delta or "" for c in chunks) == "Hello"
    assert chunks[-1].text == "Hello"
    assert chunks[0].additional_kwargs == {"thinking_delta": "hm"}
    assert chunks[-1].additional_kwargs["reasoning_content"] == "hm"
    assert mock.paths == ["/v1/chat/completions"] * 2
    assert mock.bodies[0]["messages"] == [{"role": "user", "content": "Say hi"}]


def test_retries_happen_once_in_the_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport_module.time, "sleep", lambda seconds: None)
    mock = Mock(max_retries=2)
    mock.replies.extend(httpx.Response(500, json={"error": {"message": "boom"}})
                        for _ in range(10))
    with pytest.raises(ServerError):
        mock.llm.chat(user())
    assert len(mock.bodies) == 3  # one attempt and max_retries retries, nothing stacked


def test_stream_chat_messages_deltas_thinking_and_usage() -> None:
    mock = Mock()
    chunks = list(mock.llm.stream_chat(user()))
    assert mock.bodies[0]["stream_options"] == {"include_usage": True}
    assert [c.delta for c in chunks] == ["", "Hel", "lo", ""]
    assert chunks[0].additional_kwargs["thinking_delta"] == "hm"
    assert chunks[2].message.content == "Hello"
    final = chunks[-1]
    assert isinstance(final.message.blocks[0], ThinkingBlock)
    assert final.message.blocks[0].content == "hm"
    assert final.additional_kwargs["total_tokens"] == 12
    assert final.raw["usage"]["prompt_tokens"] == 9


async def test_async_stream_keeps_the_first_reasoning_chunk() -> None:
    mock = Mock()
    mock.use_async()
    chunks = [c async for c in await mock.llm.astream_chat(user())]
    assert chunks[0].additional_kwargs["thinking_delta"] == "hm"
    assert chunks[-1].message.blocks[0].content == "hm"
    response = await mock.llm.achat(user())
    assert response.message.content == "Hello!"
    completion = await mock.llm.acomplete("x")
    assert completion.text == "Hello!"
    pieces = [c.delta async for c in await mock.llm.astream_complete("x")]
    assert "".join(p or "" for p in pieces) == "Hello"


def test_a_stream_without_finish_reason_raises_with_the_partial_response() -> None:
    mock = Mock()
    mock.replies.append(stream_reply(chunk({"content": "Hal"}), chunk({"content": "f"})))
    received = []
    with pytest.raises(IncompleteStreamError) as caught:
        received.extend(response.delta for response in mock.llm.stream_chat(user()))
    assert "".join(received) == "Half"
    partial = caught.value.partial  # type: ignore[attr-defined]
    assert isinstance(partial, ChatResponse)
    assert partial.message.content == "Half"


def test_callbacks_and_events_fire() -> None:
    debug = LlamaDebugHandler()
    mock = Mock(callback_manager=CallbackManager([debug]))
    mock.llm.chat(user())
    list(mock.llm.stream_chat(user()))
    mock.llm.complete("x")
    pairs = debug.get_event_pairs(CBEventType.LLM)
    assert len(pairs) == 3
    assert all(len(pair) == 2 for pair in pairs)


# --------------------------------------------------------------------------- tools


def test_prepare_chat_with_tools_shapes() -> None:
    llm = Mock().llm
    prepared = llm._prepare_chat_with_tools(TOOLS, user_msg="add 2 and 3")
    assert [t["function"]["name"] for t in prepared["tools"]] == ["add", "multiply"]
    assert "tool_choice" not in prepared  # auto is the gateway's default
    assert prepared["parallel_tool_calls"] is False
    assert prepared["messages"][-1].content == "add 2 and 3"
    forced = llm._prepare_chat_with_tools(TOOLS, tool_required=True)
    assert forced["tool_choice"] == "required"
    single = llm._prepare_chat_with_tools(TOOLS[:1], tool_required=True)
    assert single["tool_choice"] == {"type": "function", "function": {"name": "add"}}
    named = llm._prepare_chat_with_tools(TOOLS, tool_choice="multiply",
                                         allow_parallel_tool_calls=True)
    assert named["tool_choice"] == {"type": "function", "function": {"name": "multiply"}}
    assert named["parallel_tool_calls"] is True
    with pytest.raises(InvalidRequestError, match="nope"):
        llm._prepare_chat_with_tools(TOOLS, tool_choice="nope")
    strict = llm._prepare_chat_with_tools(TOOLS[:1], strict=True)
    assert strict["tools"][0]["function"]["parameters"]["additionalProperties"] is False


def test_llamaindex_tools_passed_to_chat_are_converted() -> None:
    mock = Mock()
    mock.llm.chat(user(), tools=TOOLS[:1], tool_choice="add")
    body = mock.bodies[0]
    assert body["tools"][0]["function"]["name"] == "add"
    assert body["tool_choice"] == {"type": "function", "function": {"name": "add"}}


def test_no_tool_choice_is_ever_sent_without_tools() -> None:
    mock = Mock()
    mock.llm.chat_with_tools([], user_msg="hi", tool_required=True, tool_choice="required")
    assert "tool_choice" not in mock.bodies[0]
    assert "tools" not in mock.bodies[0]
    assert "parallel_tool_calls" not in mock.bodies[0]


def test_reasoner_gets_no_tool_choice_nor_parallel_flag() -> None:
    mock = Mock(model="deepseek-reasoner")
    mock.replies.append(tool_reply(("c1", "add", {"a": 1, "b": 2})))
    mock.llm.chat_with_tools(TOOLS, user_msg="add", tool_required=True)
    body = mock.bodies[0]
    assert body["tools"]
    assert "tool_choice" not in body
    assert "parallel_tool_calls" not in body


def test_chat_with_tools_and_tool_calls_from_response() -> None:
    mock = Mock()
    mock.replies.append(tool_reply(("c1", "add", {"a": 2, "b": 3}),
                                   ("c2", "multiply", {"x": 4, "y": 5})))
    response = mock.llm.chat_with_tools(TOOLS, user_msg="add and multiply",
                                        allow_parallel_tool_calls=True)
    calls = mock.llm.get_tool_calls_from_response(response)
    assert [(c.tool_id, c.tool_name, c.tool_kwargs) for c in calls] == [
        ("c1", "add", {"a": 2, "b": 3}), ("c2", "multiply", {"x": 4, "y": 5})]
    assert mock.bodies[0]["parallel_tool_calls"] is True
    mock.replies.append(tool_reply(("c1", "add", {"a": 2, "b": 3}),
                                   ("c2", "multiply", {"x": 4, "y": 5})))
    single = mock.llm.chat_with_tools(TOOLS, user_msg="add and multiply")
    assert len(mock.llm.get_tool_calls_from_response(single)) == 1  # LlamaIndex's rule


def test_no_tool_call_raises_only_when_asked() -> None:
    llm = Mock().llm
    response = llm.chat(user())
    with pytest.raises(ValueError, match="tool call"):
        llm.get_tool_calls_from_response(response)
    assert llm.get_tool_calls_from_response(response, error_on_no_tool_call=False) == []


def test_history_with_tool_calls_and_results_is_sent_back() -> None:
    mock = Mock()
    mock.replies.append(tool_reply(("c1", "add", {"a": 2, "b": 3})))
    first = mock.llm.chat_with_tools(TOOLS, user_msg="add 2 and 3")
    history = [*user("add 2 and 3"), first.message,
               ChatMessage(role="tool", content="5", additional_kwargs={"tool_call_id": "c1"})]
    mock.llm.chat_with_tools(TOOLS, chat_history=history)
    sent = mock.bodies[1]["messages"]
    assert sent[1] == {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "add",
                                                       "arguments": '{"a": 2, "b": 3}'}}]}
    assert sent[2] == {"role": "tool", "tool_call_id": "c1", "content": "5"}


def _tool_stream(*deltas: dict[str, Any]) -> httpx.Response:
    return stream_reply(*(chunk(d) for d in deltas), chunk({}, "tool_calls"), usage_chunk())


@pytest.mark.parametrize("name", ["plain", "noindex", "repeat-ids", "two-in-one-chunk",
                                  "args-object"])
def test_streamed_tool_calls_survive_relay_quirks(name: str) -> None:
    call = {"id": "call_A", "type": "function"}
    streams = {
        "plain": [{"tool_calls": [{"index": 0, **call, "function": {"name": "add",
                                                                    "arguments": ""}}]},
                  {"tool_calls": [{"index": 0, "function": {"arguments": '{"a": 2, '}}]},
                  {"tool_calls": [{"index": 0, "function": {"arguments": '"b": 3}'}}]}],
        "noindex": [{"tool_calls": [{**call, "function": {"name": "add", "arguments": ""}}]},
                    {"tool_calls": [{"function": {"arguments": '{"a": 2, "b": 3}'}}]}],
        "repeat-ids": [{"tool_calls": [{"index": 0, **call, "function": {
                           "name": "add", "arguments": '{"a": 2, '}}]},
                       {"tool_calls": [{"index": 0, **call, "function": {
                           "name": "add", "arguments": '"b": 3}'}}]}],
        "two-in-one-chunk": [{"tool_calls": [
            {"index": 0, **call, "function": {"name": "add", "arguments": '{"a": 2, "b": 3}'}},
            {"index": 1, "id": "call_B", "type": "function",
             "function": {"name": "multiply", "arguments": '{"x": 4, "y": 5}'}}]}],
        "args-object": [{"tool_calls": [{"index": 0, **call, "function": {
            "name": "add", "arguments": {"a": 2, "b": 3}}}]}],
    }
    mock = Mock()
    mock.replies.append(_tool_stream(*streams[name]))
    llm = mock.llm
    responses = list(llm.stream_chat_with_tools(TOOLS, user_msg="add 2 and 3",
                                                allow_parallel_tool_calls=True))
    for response in responses:  # FunctionAgent reads every chunk: partial JSON is fine
        llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
    calls = llm.get_tool_calls_from_response(responses[-1])
    assert calls[0].tool_id == "call_A"
    assert (calls[0].tool_name, calls[0].tool_kwargs) == ("add", {"a": 2, "b": 3})
    if name == "two-in-one-chunk":
        assert [(c.tool_id, c.tool_name, c.tool_kwargs) for c in calls[1:]] == [
            ("call_B", "multiply", {"x": 4, "y": 5})]
    else:
        assert len(calls) == 1
    blocks = [b for b in responses[-1].message.blocks if isinstance(b, ToolCallBlock)]
    assert all(isinstance(b.tool_kwargs, dict) for b in blocks)


# --------------------------------------------------------------------------- reasoning


@pytest.mark.parametrize(("model", "sent_back"), [("deepseek-reasoner", True),
                                                  ("gpt-4o-mini", False)])
def test_thinking_blocks_go_back_only_to_models_that_need_them(
    model: str, sent_back: bool
) -> None:
    mock = Mock(model=model)
    mock.replies.append(reply(None, reasoning_content="I add.", tool_calls=[
        {"id": "c1", "type": "function", "function": {"name": "add",
                                                      "arguments": '{"a":1,"b":2}'}}]))
    first = mock.llm.chat_with_tools(TOOLS, user_msg="add 1 and 2")
    assert isinstance(first.message.blocks[0], ThinkingBlock)
    history = [*user("add 1 and 2"), first.message,
               ChatMessage(role="tool", content="3", additional_kwargs={"tool_call_id": "c1"})]
    mock.llm.chat_with_tools(TOOLS, chat_history=history)
    assistant = mock.bodies[1]["messages"][1]
    assert ("reasoning_content" in assistant) is sent_back
    if sent_back:
        assert assistant["reasoning_content"] == "I add."


# --------------------------------------------------------------------------- structured


PROMPT = PromptTemplate("Name a city in {country}.")


def test_structured_predict_uses_a_forced_function_call_by_default() -> None:
    mock = Mock()
    mock.replies.append(tool_reply(("c1", "City", {"name": "Lyon", "country": "France"})))
    city = mock.llm.structured_predict(City, PROMPT, country="France")
    assert city == City(name="Lyon", country="France")
    body = mock.bodies[0]
    assert [t["function"]["name"] for t in body["tools"]] == ["City"]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "City"}}
    assert "response_format" not in body


@pytest.mark.parametrize("how", ["field", "llm_kwargs", "program_mode"])
def test_structured_predict_json_schema_when_asked(how: str) -> None:
    options: dict[str, Any] = {}
    llm_kwargs = None
    if how == "field":
        options["structured_output_method"] = "json_schema"
    elif how == "llm_kwargs":
        llm_kwargs = {"structured_output_method": "json_schema"}
    else:
        options["pydantic_program_mode"] = PydanticProgramMode.OPENAI
    mock = Mock(**options)
    mock.replies.append(reply('Sure:\n```json\n{"name": "Nice", "country": "France"}\n```'))
    city = mock.llm.structured_predict(City, PROMPT, llm_kwargs=llm_kwargs, country="France")
    assert city == City(name="Nice", country="France")
    body = mock.bodies[0]
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["name"] == "City"
    assert "tools" not in body
    assert "tool_choice" not in body


def test_json_schema_refused_falls_back_to_function_calling() -> None:
    mock = Mock(model="gpt-4o", structured_output_method="json_schema")
    LEARNED.forget(model="gpt-4o")
    mock.replies.append(error_reply(400, "This response_format type is unavailable now",
                                    "response_format"))
    mock.replies.append(tool_reply(("c1", "City", {"name": "Kyoto", "country": "Japan"})))
    city = mock.llm.structured_predict(City, PROMPT, country="Japan")
    assert city.name == "Kyoto"
    assert "response_format" in mock.bodies[0]
    assert mock.bodies[1]["tools"][0]["function"]["name"] == "City"
    LEARNED.forget(model="gpt-4o")


def test_text_program_mode_sends_no_tool_choice() -> None:
    mock = Mock(pydantic_program_mode=PydanticProgramMode.LLM)
    mock.replies.append(reply('{"name": "Oslo", "country": "Norway"}'))
    city = mock.llm.structured_predict(City, PROMPT, country="Norway")
    assert city.name == "Oslo"
    assert "tool_choice" not in mock.bodies[0]
    assert "tools" not in mock.bodies[0]


def test_models_without_function_calling_use_the_core_strategy() -> None:
    mock = Mock(model="deepseek-r1")
    mock.replies.append(reply('<think>hmm</think>{"name": "Rome", "country": "Italy"}'))
    city = mock.llm.structured_predict(City, PROMPT, country="Italy")
    assert city.name == "Rome"
    assert mock.bodies[0]["response_format"] == {"type": "json_object"}
    assert "tool_choice" not in mock.bodies[0]


def test_unreadable_structured_answer_is_a_clear_error() -> None:
    mock = Mock(structured_output_method="json_mode")
    mock.replies.append(reply("I cannot do that."))
    with pytest.raises(ValueError, match="City"):
        mock.llm.structured_predict(City, PROMPT, country="Nowhere")


def test_as_structured_llm() -> None:
    mock = Mock()
    mock.replies.append(tool_reply(("c1", "City", {"name": "Bern", "country": "CH"})))
    response = mock.llm.as_structured_llm(City).chat(user("A Swiss city"))
    assert response.raw == City(name="Bern", country="CH")
    assert json.loads(response.message.content or "") == {"name": "Bern", "country": "CH"}


def test_stream_structured_predict_partial_then_final() -> None:
    args = '{"name": "Porto", "country": "Portugal"}'
    pieces = [args[:12], args[12:30], args[30:]]
    for options in ({}, {"structured_output_method": "function_calling"}):
        mock = Mock(**options)
        mock.replies.append(_tool_stream(
            {"tool_calls": [{"index": 0, "id": "c1", "type": "function",
                             "function": {"name": "City", "arguments": pieces[0]}}]},
            *({"tool_calls": [{"index": 0, "function": {"arguments": p}}]} for p in pieces[1:])))
        outputs = list(mock.llm.stream_structured_predict(City, PROMPT, country="Portugal"))
        assert outputs[-1] == City(name="Porto", country="Portugal")
        assert len(outputs) >= 2


async def test_async_structured_predict_both_paths() -> None:
    for options in ({}, {"structured_output_method": "json_mode"}):
        mock = Mock(**options)
        mock.use_async()
        if options:
            mock.replies.append(reply('{"name": "Gent", "country": "Belgium"}'))
        else:
            mock.replies.append(tool_reply(("c1", "City", {"name": "Gent",
                                                           "country": "Belgium"})))
        city = await mock.llm.astructured_predict(City, PROMPT, country="Belgium")
        assert city == City(name="Gent", country="Belgium")
    mock = Mock(structured_output_method="json_schema")
    mock.use_async()
    mock.replies.append(stream_reply(chunk({"content": '{"name": "Graz", '}),
                                     chunk({"content": '"country": "Austria"}'}),
                                     chunk({}, "stop")))
    stream = await mock.llm.astream_structured_predict(City, PROMPT, country="Austria")
    outputs = [item async for item in stream]
    assert outputs[-1] == City(name="Graz", country="Austria")
    assert len(outputs) >= 2


@pytest.mark.parametrize(("max_tokens", "reserved"), [(None, 256), (2_000, 2_000)])
def test_prompt_helper_keeps_the_context_window(max_tokens: int | None, reserved: int) -> None:
    """glm-4.5 (128k window, 96k maximum output): PromptHelper reserves LlamaIndex's default
    256 tokens for the answer, or the configured max_tokens, not the model's maximum."""
    from llama_index.core.indices.prompt_helper import PromptHelper

    llm = GatewayLLM(model="glm-4.5", api_base="https://gw.example.com", api_key=KEY,
                     max_tokens=max_tokens)
    helper = PromptHelper.from_llm_metadata(llm.metadata)
    assert helper._get_available_context_size(num_prompt_tokens=1_000) == (
        128_000 - 1_000 - reserved)
