"""``deadline`` bounds a whole stream (issue 12), in both frameworks, sync and async: a stream
that goes silent past it ends with ``DeadlineExceededError`` carrying what it had delivered,
long before ``stream_idle_timeout``. The emulator sends two chunks, then pings for 30 s."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from llama_index.core.llms import ChatMessage

from gateway_core.errors import DeadlineExceededError
from langchain_gateway import ChatGateway
from llamaindex_gateway import GatewayLLM

pytestmark = pytest.mark.usefixtures("emulator")

PROMPT = "Tell me a long story."


def settings(gateway: Any) -> dict[str, Any]:
    # A 2 s deadline: the two chunks arrive within it (loopback), the 30 s silence cannot.
    return gateway.settings(deadline=2.0, stream_idle_timeout=60.0, default_headers={
        "X-Emulator-Faults": "stall-stream:2:30", "X-Emulator-Scenario": uuid.uuid4().hex})


def first_words(gateway: Any) -> str:
    chat = ChatGateway(model=gateway.chat_model, **gateway.settings())
    pieces = [chunk.text for chunk in chat.stream(PROMPT)]
    return "".join(pieces[:2])


def langchain_run(chat: ChatGateway, asynchronous: bool) -> list[str]:
    seen: list[str] = []

    async def consume() -> None:
        async for chunk in chat.astream(PROMPT):
            seen.append(chunk.text)

    if asynchronous:
        asyncio.run(consume())
    else:
        seen.extend(chunk.text for chunk in chat.stream(PROMPT))
    return seen


@pytest.mark.parametrize("asynchronous", [False, True])
def test_langchain_stream_ends_at_the_deadline_with_its_partial(
        gateway: Any, asynchronous: bool) -> None:
    expected = first_words(gateway)
    chat = ChatGateway(model=gateway.chat_model, **settings(gateway))
    with pytest.raises(DeadlineExceededError, match="deadline of 2 s") as info:
        langchain_run(chat, asynchronous)
    assert info.value.partial_text == expected
    assert info.value.partial is not None  # the AIMessageChunk received so far
    assert info.value.partial.text == expected


@pytest.mark.parametrize("asynchronous", [False, True])
def test_llamaindex_stream_ends_at_the_deadline_with_its_partial(
        gateway: Any, asynchronous: bool) -> None:
    expected = first_words(gateway)
    llm = GatewayLLM(model=gateway.chat_model, **settings(gateway))
    messages = [ChatMessage(role="user", content=PROMPT)]

    async def aconsume() -> None:
        async for _ in await llm.astream_chat(messages):
            pass

    def consume() -> None:
        if asynchronous:
            asyncio.run(aconsume())
            return
        for _ in llm.stream_chat(messages):
            pass

    with pytest.raises(DeadlineExceededError) as info:
        consume()
    assert info.value.partial_text == expected
