"""Finish reasons and refusals reach the user (issue 12), in both frameworks, sync and async,
streamed and not. The emulator's ``+refuse`` model declines (OpenAI's ``refusal``), ``+filtered``
has its answer withheld (``finish_reason: content_filter``), and ``max_tokens`` cuts an answer
(``length``)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.exceptions import OutputParserException
from llama_index.core.llms import ChatMessage
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel

from gateway_core.errors import RefusalError
from langchain_gateway import ChatGateway, StructuredOutputRefusal
from llamaindex_gateway import GatewayLLM

pytestmark = pytest.mark.usefixtures("emulator")

REFUSAL = "I'm sorry, I can't help with that request."


class City(BaseModel):
    name: str
    country: str


def chat(gateway: Any, marker: str, **kwargs: Any) -> ChatGateway:
    return ChatGateway(model=f"{gateway.chat_model}+{marker}", **gateway.settings(), **kwargs)


def llm(gateway: Any, marker: str, **kwargs: Any) -> GatewayLLM:
    return GatewayLLM(model=f"{gateway.chat_model}+{marker}", **gateway.settings(), **kwargs)


STRUCTURED_LC = {
    "invoke": lambda model: model.invoke("Name a city."),
    "stream": lambda model: list(model.stream("Name a city.")),
    "ainvoke": lambda model: asyncio.run(model.ainvoke("Name a city.")),
}


@pytest.mark.parametrize("call", list(STRUCTURED_LC))
@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
def test_langchain_structured_refusal_is_an_output_parser_exception(
        gateway: Any, call: str, method: str) -> None:
    structured = chat(gateway, "refuse").with_structured_output(City, method=method)
    with pytest.raises(OutputParserException) as info:
        STRUCTURED_LC[call](structured)
    assert isinstance(info.value, StructuredOutputRefusal)
    assert isinstance(info.value, RefusalError)
    assert info.value.refusal == REFUSAL
    assert REFUSAL in str(info.value)


def test_langchain_include_raw_keeps_the_refusal_as_the_parsing_error(gateway: Any) -> None:
    structured = chat(gateway, "refuse").with_structured_output(City, include_raw=True)
    out = structured.invoke("Name a city.")
    assert out["parsed"] is None
    assert isinstance(out["parsing_error"], StructuredOutputRefusal)
    assert out["raw"].additional_kwargs["refusal"] == REFUSAL


@pytest.mark.parametrize("call", list(STRUCTURED_LC))
def test_langchain_filtered_structured_answer_is_a_refusal(gateway: Any, call: str) -> None:
    structured = chat(gateway, "filtered").with_structured_output(City)
    with pytest.raises(StructuredOutputRefusal) as info:
        STRUCTURED_LC[call](structured)
    assert info.value.finish_reason == "content_filter"


def test_langchain_plain_calls_show_refusal_and_finish_reasons(gateway: Any) -> None:
    refused = chat(gateway, "refuse").invoke("Name a city.")
    assert refused.additional_kwargs["refusal"] == REFUSAL
    streamed = None
    for chunk in chat(gateway, "refuse").stream("Name a city."):
        streamed = chunk if streamed is None else streamed + chunk
    assert streamed is not None
    assert streamed.additional_kwargs["refusal"] == REFUSAL
    filtered = chat(gateway, "filtered").invoke("hi")
    assert filtered.response_metadata["finish_reason"] == "content_filter"
    long = ChatGateway(model=gateway.chat_model, max_tokens=2, **gateway.settings())
    assert long.invoke("tell me a very long story please").response_metadata[
        "finish_reason"] == "length"
    last = list(long.stream("tell me a very long story please"))[-1]
    assert last.response_metadata["finish_reason"] == "length"

    async def both() -> tuple[Any, Any]:
        return (await chat(gateway, "filtered").ainvoke("hi"),
                [c async for c in chat(gateway, "refuse").astream("hi")])

    filtered_async, refused_chunks = asyncio.run(both())
    assert filtered_async.response_metadata["finish_reason"] == "content_filter"
    assert "".join(c.additional_kwargs.get("refusal", "") for c in refused_chunks) == REFUSAL


PROMPT = PromptTemplate("Name a city.")


@pytest.mark.parametrize("marker", ["refuse", "filtered"])
def test_llamaindex_structured_refusal_is_typed(gateway: Any, marker: str) -> None:
    model = llm(gateway, marker)
    with pytest.raises(RefusalError) as info:
        model.structured_predict(City, PROMPT)
    assert isinstance(info.value, ValueError)  # what LlamaIndex programs raise
    if marker == "refuse":
        assert info.value.refusal == REFUSAL
    else:
        assert info.value.finish_reason == "content_filter"
    with pytest.raises(RefusalError):
        asyncio.run(model.astructured_predict(City, PROMPT))


def test_llamaindex_plain_calls_show_refusal_and_finish_reasons(gateway: Any) -> None:
    messages = [ChatMessage(role="user", content="Name a city.")]
    refused = llm(gateway, "refuse").chat(messages)
    assert refused.message.additional_kwargs["refusal"] == REFUSAL
    last = list(llm(gateway, "refuse").stream_chat(messages))[-1]
    assert last.message.additional_kwargs["refusal"] == REFUSAL
    filtered = llm(gateway, "filtered").chat(messages)
    assert filtered.additional_kwargs["finish_reason"] == "content_filter"
    long = GatewayLLM(model=gateway.chat_model, max_tokens=2, **gateway.settings())
    assert long.chat(messages).additional_kwargs["finish_reason"] == "length"
