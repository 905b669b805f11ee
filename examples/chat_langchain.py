"""ChatGateway in LangChain: invoke, stream, tool calling, structured output, an agent.

Run: python examples/chat_langchain.py (against the bundled emulator; with --live, against the
gateway in GATEWAY_BASE_URL / GATEWAY_API_KEY, which bills you).
"""

from __future__ import annotations

import gc

from _support import gateway, heading
from langchain.agents import create_agent
from langchain_core.messages import HumanMessage
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from langchain_gateway import ChatGateway


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"It is sunny and 22 °C in {city}."


class Movie(BaseModel):
    """A movie recommendation."""

    title: str = Field(description="The movie's title")
    year: int = Field(description="The year it was released")
    reason: str = Field(description="Why it fits the request, in one sentence")


def main() -> None:
    with gateway() as target:
        llm = ChatGateway(model=target.chat_model, temperature=0, **target.settings)

        heading("Invoke")
        message = llm.invoke([("system", "Translate the user's sentence into French."),
                              ("human", "I love programming.")])
        print(message.text)
        print("usage:", message.usage_metadata)
        print("model:", message.response_metadata["model_name"],
              "| finish:", message.response_metadata["finish_reason"])

        heading("Stream")
        # Pieces joined once (never `full = full + chunk`), the cyclic collector paused: what
        # a long stream needs (docs/chat.md, "Long streams"), harmless for a short one.
        pieces = []
        gc.disable()
        try:
            for chunk in llm.stream("Write a haiku about the sea."):
                print(chunk.text, end="", flush=True)
                pieces.append(chunk.text)
        finally:
            gc.enable()
        print(f"\n({len(''.join(pieces))} characters)")

        heading("Tool calling")
        with_tools = llm.bind_tools([get_weather])
        question = HumanMessage("What is the weather in Paris?")
        reply = with_tools.invoke([question])
        print("tool calls:", reply.tool_calls)
        history = [question, reply]
        for call in reply.tool_calls:
            history.append(get_weather.invoke(call))
        print("answer:", with_tools.invoke(history).text)

        heading("Structured output (LCEL chain)")
        prompt = ChatPromptTemplate.from_messages([
            ("system", "You recommend movies."),
            ("human", "Recommend one movie about {topic}."),
        ])
        chain = prompt | llm.with_structured_output(Movie)
        movie = chain.invoke({"topic": "space travel"})
        print(repr(movie))

        heading("Agent (langchain.agents.create_agent)")
        agent = create_agent(llm, tools=[get_weather],
                             system_prompt="Use the tools to answer.")
        state = agent.invoke({"messages": [HumanMessage("How is the weather in Tokyo?")]})
        for step in state["messages"]:
            calls = getattr(step, "tool_calls", None)
            print(f"{step.type:>6}: {step.text or calls}")


if __name__ == "__main__":
    main()
