"""GatewayStructuredOutputParser on hand-made streams: partials, the strict end, both forms."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.exceptions import OutputParserException
from langchain_core.messages import AIMessageChunk
from langchain_core.messages.tool import tool_call_chunk
from pydantic import BaseModel

from langchain_gateway._structured import GatewayStructuredOutputParser, structured_target


class City(BaseModel):
    name: str
    population: int


SCHEMA = {"title": "City", "type": "object",
          "properties": {"name": {"type": "string"}, "population": {"type": "integer"}},
          "required": ["name", "population"]}


def _parser(schema: Any) -> GatewayStructuredOutputParser:
    spec, validate, is_model = structured_target(schema, None, None)
    return GatewayStructuredOutputParser(spec=spec, validate_value=validate,
                                         validates_partials=is_model)


def _text_chunks(text: str, size: int = 4) -> list[AIMessageChunk]:
    return [AIMessageChunk(content=text[i:i + size]) for i in range(0, len(text), size)]


def _tool_chunks(name: str, arguments: str) -> list[AIMessageChunk]:
    first = AIMessageChunk(content="", tool_call_chunks=[
        tool_call_chunk(name=name, args="", id="call_1", index=0)])
    rest = [AIMessageChunk(content="", tool_call_chunks=[
        tool_call_chunk(name=None, args=arguments[i:i + 5], id=None, index=0)])
        for i in range(0, len(arguments), 5)]
    return [first, *rest]


def test_text_json_yields_growing_partials() -> None:
    out = list(_parser(SCHEMA).transform(iter(_text_chunks(
        '```json\n{"name": "Lima", "population": 10000000}\n```'))))
    assert out[0] == {"name": "L"} or "name" in out[0]
    assert out[-1] == {"name": "Lima", "population": 10000000}
    assert len(out) >= 4


def test_tool_call_arguments_yield_partials() -> None:
    out = list(_parser(SCHEMA).transform(iter(_tool_chunks(
        "City", '{"name": "Oslo", "population": 700000}'))))
    assert len(out) >= 3
    assert out[-1] == {"name": "Oslo", "population": 700000}


def test_pydantic_partials_only_when_valid() -> None:
    out = list(_parser(City).transform(iter(_text_chunks(
        '{"name": "Rome", "population": 2800000}'))))
    assert all(isinstance(item, City) for item in out)
    assert out[-1] == City(name="Rome", population=2800000)


def test_a_stream_ending_without_valid_output_raises() -> None:
    with pytest.raises(OutputParserException, match="structured output"):
        list(_parser(City).transform(iter(_text_chunks('{"name": "Rome", "popul'))))
    with pytest.raises(OutputParserException):
        list(_parser(SCHEMA).transform(iter(_text_chunks("I cannot answer that."))))


async def test_async_transform() -> None:
    async def chunks() -> Any:
        for chunk in _text_chunks('{"name": "Kyoto", "population": 1400000}'):
            yield chunk

    out = [item async for item in _parser(SCHEMA).atransform(chunks())]
    assert len(out) >= 3
    assert out[-1]["name"] == "Kyoto"
