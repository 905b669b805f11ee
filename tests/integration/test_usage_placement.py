"""Usage wherever providers put it, counted once (issue 12), in both frameworks, sync and async,
streamed and not: at the top level, inside ``choices[0]`` (Moonshot / Kimi), repeated on every
chunk as a running total."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from llama_index.core.llms import ChatMessage

from langchain_gateway import ChatGateway
from llamaindex_gateway import GatewayLLM

pytestmark = pytest.mark.usefixtures("emulator")

PROMPT = "Count my tokens, please."


def langchain_totals(chat: ChatGateway) -> list[int]:
    async def run_async() -> list[int]:
        invoked = await chat.ainvoke(PROMPT)
        chunks = [c async for c in chat.astream(PROMPT)]
        total = sum((c.usage_metadata or {}).get("total_tokens", 0) for c in chunks)
        return [(invoked.usage_metadata or {}).get("total_tokens", 0), total]

    invoked = chat.invoke(PROMPT)
    streamed = sum((c.usage_metadata or {}).get("total_tokens", 0) for c in chat.stream(PROMPT))
    return [(invoked.usage_metadata or {}).get("total_tokens", 0), streamed,
            *asyncio.run(run_async())]


def llamaindex_totals(llm: GatewayLLM) -> list[int]:
    messages = [ChatMessage(role="user", content=PROMPT)]

    async def run_async() -> list[int]:
        answer = await llm.achat(messages)
        chunks = [c async for c in await llm.astream_chat(messages)]
        return [answer.additional_kwargs["total_tokens"],
                chunks[-1].additional_kwargs["total_tokens"]]

    chunks = list(llm.stream_chat(messages))
    return [llm.chat(messages).additional_kwargs["total_tokens"],
            chunks[-1].additional_kwargs["total_tokens"], *asyncio.run(run_async())]


@pytest.mark.parametrize("marker", ["usage-in-choice", "usage-every-chunk"])
def test_both_frameworks_count_usage_once_wherever_it_comes(gateway: Any, marker: str) -> None:
    plain = langchain_totals(ChatGateway(model=gateway.chat_model, **gateway.settings()))
    assert plain[0] > 0
    assert len(set(plain)) == 1  # the reference: top-level usage
    model = f"{gateway.chat_model}+{marker}"
    assert langchain_totals(ChatGateway(model=model, **gateway.settings())) == plain
    assert llamaindex_totals(GatewayLLM(model=model, **gateway.settings())) == plain
