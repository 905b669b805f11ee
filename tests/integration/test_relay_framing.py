"""Relays that frame their answers oddly (issue 12), through both frameworks, sync and async,
streamed and not: the emulator's ``X-Emulator-Relay`` flags relabel bodies, end events with one
newline, add a BOM, encode in GBK, always stream, ask for waits and answer with the web front
end. Every case gets the same answer as a well-behaved relay, or a typed error that says what
happened."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.messages import AIMessageChunk

from gateway_core.errors import (
    APIError,
    EndpointNotSupportedError,
    QuotaExceededError,
    RateLimitError,
)
from langchain_gateway import ChatGateway, GatewayEmbeddings, GatewayRerank
from llamaindex_gateway import GatewayLLM

pytestmark = pytest.mark.usefixtures("emulator")

PROMPT = "Say something about relays."
FRAMINGS = ["label-json", "label-text", "label-html", "label-none", "single-newline", "bom",
            "single-newline,label-json,bom", "always-stream", "always-stream,single-newline"]


def relay(gateway: Any, flags: str, **headers: str) -> dict[str, Any]:
    return gateway.settings(default_headers={"X-Emulator-Relay": flags, **headers})


def langchain_texts(chat: ChatGateway) -> list[str]:
    async def both_async() -> list[str]:
        invoked = await chat.ainvoke(PROMPT)
        pieces = [chunk.text async for chunk in chat.astream(PROMPT)]
        return [invoked.text, "".join(pieces)]

    streamed: AIMessageChunk | None = None
    for chunk in chat.stream(PROMPT):
        streamed = chunk if streamed is None else streamed + chunk
    assert streamed is not None
    return [chat.invoke(PROMPT).text, streamed.text, *asyncio.run(both_async())]


def llamaindex_texts(llm: GatewayLLM) -> list[str]:
    from llama_index.core.llms import ChatMessage

    messages = [ChatMessage(role="user", content=PROMPT)]

    async def both_async() -> list[str]:
        answer = await llm.achat(messages)
        chunks = [chunk async for chunk in await llm.astream_chat(messages)]
        return [str(answer.message.content), str(chunks[-1].message.content)]

    chunks = list(llm.stream_chat(messages))
    return [str(llm.chat(messages).message.content), str(chunks[-1].message.content),
            *asyncio.run(both_async())]


@pytest.fixture(scope="module")
def plain_answer(gateway: Any) -> str:
    return ChatGateway(model=gateway.chat_model, **gateway.settings()).invoke(PROMPT).text


@pytest.mark.parametrize("flags", FRAMINGS)
def test_langchain_reads_every_framing(gateway: Any, flags: str, plain_answer: str) -> None:
    chat = ChatGateway(model=gateway.chat_model, **relay(gateway, flags))
    assert langchain_texts(chat) == [plain_answer] * 4


@pytest.mark.parametrize("flags", FRAMINGS)
def test_llamaindex_reads_every_framing(gateway: Any, flags: str, plain_answer: str) -> None:
    llm = GatewayLLM(model=gateway.chat_model, **relay(gateway, flags))
    assert llamaindex_texts(llm) == [plain_answer] * 4


def test_usage_survives_an_always_streaming_relay(gateway: Any) -> None:
    chat = ChatGateway(model=gateway.chat_model, **relay(gateway, "always-stream"))
    usage = chat.invoke(PROMPT).usage_metadata
    assert usage is not None
    assert usage["total_tokens"] > 0


def test_a_gbk_error_message_is_readable_and_classified(gateway: Any) -> None:
    chat = ChatGateway(model=gateway.chat_model, max_retries=0, **relay(
        gateway, "gbk", **{"X-Emulator-Faults": "403-quota",
                           "X-Emulator-Scenario": uuid.uuid4().hex}))
    with pytest.raises(QuotaExceededError, match="用户额度不足") as info:
        chat.invoke(PROMPT)
    assert info.value.gateway_message is not None
    assert "用户额度不足" in info.value.gateway_message


def test_a_short_retry_after_ms_is_waited_then_retried(gateway: Any) -> None:
    before = len(gateway.emulator.requests("/v1/chat/completions"))
    chat = ChatGateway(model=gateway.chat_model, **relay(
        gateway, "retry-after-ms:20", **{"X-Emulator-Faults": "429-empty,ok",
                                         "X-Emulator-Scenario": uuid.uuid4().hex}))
    assert chat.invoke(PROMPT).text
    assert len(gateway.emulator.requests("/v1/chat/completions")) - before == 2


@pytest.mark.parametrize("framework", ["langchain", "llamaindex"])
def test_a_wait_beyond_max_retry_wait_is_raised_at_once_with_retry_after(
        gateway: Any, framework: str) -> None:
    before = len(gateway.emulator.requests("/v1/chat/completions"))
    settings = relay(gateway, "retry-after-ms:90000", **{
        "X-Emulator-Faults": "429-empty,ok", "X-Emulator-Scenario": uuid.uuid4().hex})
    call = (ChatGateway(model=gateway.chat_model, max_retry_wait=30, **settings).invoke
            if framework == "langchain"
            else GatewayLLM(model=gateway.chat_model, max_retry_wait=30, **settings).complete)
    with pytest.raises(RateLimitError) as info:
        call(PROMPT)
    assert info.value.retry_after == 90.0
    assert len(gateway.emulator.requests("/v1/chat/completions")) - before == 1


@pytest.mark.parametrize("call", ["invoke", "stream", "ainvoke", "embed", "rerank"])
def test_the_web_front_end_is_an_error_sent_once(gateway: Any, call: str) -> None:
    settings = relay(gateway, "front-end")
    log_before = len(gateway.emulator.requests())
    chat = ChatGateway(model=gateway.chat_model, **settings)
    calls = {
        "embed": lambda: GatewayEmbeddings(model=gateway.embedding_model,
                                           **settings).embed_query("x"),
        "rerank": lambda: GatewayRerank(model=gateway.rerank_model, **settings)
        .compress_documents([Document(page_content="a")], "x"),
        "invoke": lambda: chat.invoke(PROMPT),
        "stream": lambda: list(chat.stream(PROMPT)),
        "ainvoke": lambda: asyncio.run(chat.ainvoke(PROMPT)),
    }
    with pytest.raises(APIError, match="HTML") as info:
        calls[call]()
    assert info.value.html_page
    assert "New API" in str(info.value)
    assert len(gateway.emulator.requests()) == log_before  # the front end answered, not the API


def test_rerank_on_the_front_end_says_there_is_no_rerank_endpoint(gateway: Any) -> None:
    rerank = GatewayRerank(model=gateway.rerank_model, **relay(gateway, "front-end"))
    with pytest.raises(EndpointNotSupportedError, match="no rerank endpoint"):
        rerank.compress_documents([Document(page_content="a")], "x")
