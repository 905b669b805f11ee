"""GatewayLLM in LlamaIndex: chat, streaming, a FunctionAgent with a tool, structured output,
reasoning as ThinkingBlocks.

Run: python examples/chat_llamaindex.py (against the bundled emulator; with --live, against the
gateway in GATEWAY_BASE_URL / GATEWAY_API_KEY, which bills you).
"""

from __future__ import annotations

import asyncio
import os

from _support import Target, gateway, heading
from llama_index.core.agent.workflow import FunctionAgent, ToolCall, ToolCallResult
from llama_index.core.base.llms.types import ThinkingBlock
from llama_index.core.llms import ChatMessage
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel, Field

from llamaindex_gateway import GatewayLLM


def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"It is sunny and 22 °C in {city}."


class Movie(BaseModel):
    """A movie recommendation."""

    title: str = Field(description="The movie's title")
    year: int = Field(description="The year it was released")
    reason: str = Field(description="Why it fits the request, in one sentence")


async def agent_demo(llm: GatewayLLM) -> None:
    agent = FunctionAgent(tools=[get_weather], llm=llm,
                          system_prompt="Use the tools to answer.")
    handler = agent.run(user_msg="How is the weather in Tokyo?")
    async for event in handler.stream_events():
        if isinstance(event, ToolCallResult):
            print(f"  tool {event.tool_name}({event.tool_kwargs}) -> {event.tool_output}")
        elif isinstance(event, ToolCall):
            print(f"  calling {event.tool_name} ...")
    output = await handler
    print("answer:", output.response.content)


def main() -> None:
    with gateway() as target:
        run(target)


def run(target: Target) -> None:
    llm = GatewayLLM(model=target.chat_model, temperature=0, **target.settings)
    metadata = llm.metadata
    print(f"{metadata.model_name}: context window {metadata.context_window}, "
          f"function calling {metadata.is_function_calling_model}")

    heading("Chat")
    response = llm.chat([
        ChatMessage(role="system", content="Translate the user's sentence into French."),
        ChatMessage(role="user", content="I love programming."),
    ])
    print(response.message.content)
    print("tokens:", response.additional_kwargs.get("total_tokens"),
          "| finish:", response.additional_kwargs.get("finish_reason"))

    heading("Stream")
    haiku = [ChatMessage(role="user", content="Write a haiku about the sea.")]
    for chunk in llm.stream_chat(haiku):
        print(chunk.delta, end="", flush=True)
    print()

    heading("Complete (through /v1/chat/completions)")
    print(llm.complete("Name three primary colours.").text)

    heading("FunctionAgent with a Python tool")
    asyncio.run(agent_demo(llm))

    heading("Structured output (structured_predict)")
    prompt = PromptTemplate("Recommend one movie about {topic}.")
    movie = llm.structured_predict(Movie, prompt, topic="space travel")
    print(repr(movie))

    heading("Reasoning (ThinkingBlock)")
    reasoner = GatewayLLM(model=os.environ.get("GATEWAY_REASONING_MODEL", "deepseek-reasoner"),
                          **target.settings)
    answer = reasoner.chat([ChatMessage(role="user", content="What is 17 * 23?")])
    for block in answer.message.blocks:
        if isinstance(block, ThinkingBlock):
            print("thinking:", block.content)
    print("answer:", answer.message.content)


if __name__ == "__main__":
    main()
