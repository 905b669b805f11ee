"""Upstream error envelopes as relays pass them on (issue 12), through both frameworks, sync
and async, streamed and not, plus embeddings and rerank: the emulator's ``upstream-<name>``
steps answer in Anthropic's, Gemini's, Baidu's, DashScope's, Kling's, Zhipu's, new-api's and
FastAPI's own words. Each arrives as its typed error carrying the upstream's message; sent as a
stream event after some text (``upstream-event-<name>:N``), it also keeps that text."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from langchain_core.documents import Document
from llama_index.core.llms import ChatMessage
from llama_index.core.schema import NodeWithScore, TextNode

from gateway_core import errors as e
from langchain_gateway import ChatGateway, GatewayEmbeddings, GatewayRerank
from llamaindex_gateway import GatewayEmbedding, GatewayLLM
from llamaindex_gateway import GatewayRerank as LlamaRerank

pytestmark = pytest.mark.usefixtures("emulator")

# step -> (class, words of the upstream's message)
EXPECTED = {
    "anthropic-overloaded": (e.ServerError, "Overloaded"),
    "anthropic-rate-limit-200": (e.RateLimitError, "exceed the rate limit"),
    "gemini-exhausted-200": (e.RateLimitError, "Resource has been exhausted"),
    "gemini-bad-key": (e.AuthenticationError, "API key not valid"),
    "baidu-qps-200": (e.RateLimitError, "Open api qps request limit reached"),
    "dashscope-key-200": (e.AuthenticationError, "Invalid API-key provided"),
    "kling-balance-200": (e.QuotaExceededError, "账户余额不足"),
    "zhipu-concurrency": (e.RateLimitError, "并发数过高"),
    "success-false-200": (e.QuotaExceededError, "该令牌额度已用尽"),
    "fastapi-422": (e.BadRequestError, "body.messages: field required"),
    "fastapi-auth-200": (e.AuthenticationError, "Invalid authentication credentials"),
    "gemini-denied-array-200": (e.PermissionDeniedError, "The caller does not have permission"),
    "baidu-token-200": (e.AuthenticationError, "Access token invalid or no longer valid"),
    "openai-string-200": (e.AuthenticationError, "无效的令牌"),
}


def faulted(gateway: Any, step: str) -> dict[str, Any]:
    # Every attempt answers the fault (a retryable class is retried, then raised).
    return gateway.settings(max_retries=1, default_headers={
        "X-Emulator-Faults": ",".join([f"upstream-{step}"] * 2),
        "X-Emulator-Scenario": uuid.uuid4().hex})


def langchain_calls(gateway: Any, step: str) -> dict[str, Any]:
    def chat() -> ChatGateway:
        return ChatGateway(model=gateway.chat_model, **faulted(gateway, step))

    return {
        "invoke": lambda: chat().invoke("hi"),
        "stream": lambda: list(chat().stream("hi")),
        "ainvoke": lambda: asyncio.run(chat().ainvoke("hi")),
        "embed": lambda: GatewayEmbeddings(model=gateway.embedding_model,
                                           **faulted(gateway, step)).embed_query("x"),
        "rerank": lambda: GatewayRerank(model=gateway.rerank_model, **faulted(gateway, step))
        .compress_documents([Document(page_content="a")], "x"),
    }


def llamaindex_calls(gateway: Any, step: str) -> dict[str, Any]:
    messages = [ChatMessage(role="user", content="hi")]

    def llm() -> GatewayLLM:
        return GatewayLLM(model=gateway.chat_model, **faulted(gateway, step))

    async def astream() -> None:
        async for _ in await llm().astream_chat(messages):
            pass

    return {
        "chat": lambda: llm().chat(messages),
        "achat": lambda: asyncio.run(llm().achat(messages)),
        "stream_chat": lambda: list(llm().stream_chat(messages)),
        "astream_chat": lambda: asyncio.run(astream()),
        "embed": lambda: GatewayEmbedding(model_name=gateway.embedding_model,
                                          **faulted(gateway, step)).get_query_embedding("x"),
        "rerank": lambda: LlamaRerank(model=gateway.rerank_model, **faulted(gateway, step))
        .postprocess_nodes([NodeWithScore(node=TextNode(text="a"))], query_str="x"),
    }


@pytest.mark.parametrize("call", ["invoke", "stream", "ainvoke", "embed", "rerank"])
@pytest.mark.parametrize("step", list(EXPECTED))
def test_langchain_gets_the_typed_error_with_the_upstream_words(
        gateway: Any, step: str, call: str) -> None:
    cls, words = EXPECTED[step]
    with pytest.raises(cls) as info:
        langchain_calls(gateway, step)[call]()
    assert words in str(info.value)
    assert info.value.gateway_message is not None
    assert words in info.value.gateway_message


@pytest.mark.parametrize("call", ["chat", "achat", "stream_chat", "astream_chat", "embed",
                                  "rerank"])
@pytest.mark.parametrize("step", list(EXPECTED))
def test_llamaindex_gets_the_typed_error_with_the_upstream_words(
        gateway: Any, step: str, call: str) -> None:
    cls, words = EXPECTED[step]
    with pytest.raises(cls) as info:
        llamaindex_calls(gateway, step)[call]()
    assert words in str(info.value)


@pytest.mark.parametrize("prefix", ["/api", "/v1/v1", "/openai"])
def test_a_base_url_with_a_wrong_prefix_says_so(gateway: Any, prefix: str) -> None:
    root = gateway.base_url.removesuffix("/v1")
    chat = ChatGateway(model=gateway.chat_model, base_url=root + prefix,
                       api_key=gateway.api_key)
    with pytest.raises(e.BaseURLError, match="base URL") as info:
        chat.invoke("hi")
    assert "model name" not in str(info.value)
    llm = GatewayLLM(model=gateway.chat_model, api_base=root + prefix, api_key=gateway.api_key)
    with pytest.raises(e.BaseURLError):
        llm.complete("hi")


def test_a_model_the_gateway_lacks_names_the_closest(gateway: Any) -> None:
    before = len(gateway.emulator.requests("/v1/chat/completions"))
    chat = ChatGateway(model="gpt-4o-mni", **gateway.settings())
    with pytest.raises(e.ModelNotAvailableError) as info:
        chat.invoke("hi")
    assert "gpt-4o-mini" in info.value.suggestions
    assert len(gateway.emulator.requests("/v1/chat/completions")) - before == 1  # not retried
    llm = GatewayLLM(model="deepseek-reasonr", **gateway.settings())
    with pytest.raises(e.ModelNotAvailableError) as li:
        llm.complete("hi")
    assert li.value.suggestions[0] == "deepseek-reasoner"


def streamed(gateway: Any, step: str) -> dict[str, Any]:
    # The envelope arrives as a stream event after 3 chunks of the answer.
    return gateway.settings(max_retries=0, default_headers={
        "X-Emulator-Faults": f"upstream-event-{step}:3",
        "X-Emulator-Scenario": uuid.uuid4().hex})


async def _drain(stream: Any, texts: list[str]) -> None:
    async for piece in stream:
        texts.append(piece)


def stream_calls(gateway: Any, step: str) -> dict[str, Any]:
    """Each framework's stream, sync and async, collecting the text it yielded."""
    messages = [ChatMessage(role="user", content="Write a long paragraph.")]
    chat = ChatGateway(model=gateway.chat_model, **streamed(gateway, step))
    llm = GatewayLLM(model=gateway.chat_model, **streamed(gateway, step))

    async def li_astream(texts: list[str]) -> None:
        async for response in await llm.astream_chat(messages):
            texts.append(response.delta or "")

    return {
        "langchain-stream": lambda texts: texts.extend(
            str(c.content) for c in chat.stream("Write a long paragraph.")),
        "langchain-astream": lambda texts: asyncio.run(_drain(
            (str(c.content) async for c in chat.astream("Write a long paragraph.")), texts)),
        "llamaindex-stream": lambda texts: texts.extend(
            r.delta or "" for r in llm.stream_chat(messages)),
        "llamaindex-astream": lambda texts: asyncio.run(li_astream(texts)),
    }


@pytest.mark.parametrize("call", ["langchain-stream", "langchain-astream", "llamaindex-stream",
                                  "llamaindex-astream"])
@pytest.mark.parametrize("step", list(EXPECTED))
def test_an_envelope_as_a_stream_event_keeps_the_text_so_far(
        gateway: Any, step: str, call: str) -> None:
    cls, words = EXPECTED[step]
    texts: list[str] = []
    with pytest.raises(cls) as info:
        stream_calls(gateway, step)[call](texts)
    assert words in (info.value.gateway_message or "")
    assert "".join(texts)  # the text before the event reached the caller …
    assert info.value.partial_text == "".join(texts)  # … and is on the error
