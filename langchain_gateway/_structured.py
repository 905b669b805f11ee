"""Reading structured output from ChatGateway's answers, whole or while they stream.

The method (json_schema, function_calling, json_mode, prompt) is chosen per model by the core
(:mod:`gateway_core.chat.structured`) and may change mid-call when the gateway refuses one, so
the parser reads whichever form arrived: the forced tool call's arguments or JSON text. While
the answer streams it yields partial dicts as ``ChatOpenAI``'s parsers do (partial pydantic
objects only once they validate); at the end it parses strictly and raises
``OutputParserException`` on an answer that does not fit — a stream never ends silently wrong.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

from langchain_core.exceptions import OutputParserException
from langchain_core.messages import AIMessage, BaseMessage, BaseMessageChunk
from langchain_core.output_parsers.transform import BaseCumulativeTransformOutputParser
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, Generation
from pydantic import ConfigDict

from gateway_core.errors import RefusalError

if TYPE_CHECKING:
    from gateway_core.chat.structured import StructuredSpec

__all__ = ["GatewayStructuredOutputParser", "StructuredOutputRefusal", "structured_target"]


class StructuredOutputRefusal(OutputParserException, RefusalError):
    """The model refused to answer in the structure (its words in ``refusal``), or a content
    filter withheld the answer. An ``OutputParserException``, so existing handlers (and
    ``with_structured_output(..., include_raw=True)``) catch it; also the core's
    :class:`~gateway_core.errors.RefusalError`."""

    def __init__(self, refused: RefusalError, llm_output: str) -> None:
        super().__init__(refused.message, llm_output=llm_output)
        self.message = refused.message
        self.refusal = refused.refusal
        self.finish_reason = refused.finish_reason


def structured_target(
    schema: Any, method: str | None, strict: bool | None
) -> tuple[StructuredSpec, Callable[[Any], Any], bool]:
    """The core spec for a LangChain schema, the validator of the parsed value, and whether
    the schema is a pydantic model (partials are then yielded only once they validate)."""
    from gateway_core.chat.structured import StructuredSpec

    if schema is None:
        if method != "json_mode":
            raise ValueError("schema is required unless method='json_mode'.")
        return StructuredSpec(schema=None, method=method), _identity, False
    from langchain_core.utils.function_calling import convert_to_openai_function
    from langchain_core.utils.pydantic import is_basemodel_subclass

    function = convert_to_openai_function(schema)
    spec = StructuredSpec(
        schema=function.get("parameters") or {"type": "object", "properties": {}},
        name=function["name"],
        description=function.get("description") or None,
        method=method,
        strict=strict,
    )
    if isinstance(schema, type) and is_basemodel_subclass(schema):
        # pydantic v2 models validate with model_validate; pydantic.v1 models with parse_obj
        validate = getattr(schema, "model_validate", None) or getattr(schema, "parse_obj")  # noqa: B009
        return spec, validate, True
    return spec, _identity, False


def _identity(value: Any) -> Any:
    return value


def _final_value(message: BaseMessage, spec: StructuredSpec) -> Any:
    from gateway_core.chat.structured import parse_json_text, refusal_of

    refusal = message.additional_kwargs.get("refusal")
    refused = refusal_of(refusal if isinstance(refusal, str) else None,
                         message.response_metadata.get("finish_reason"),
                         bool(message.text.strip() or getattr(message, "tool_calls", None)))
    if refused is not None:
        raise StructuredOutputRefusal(refused, message.text)
    if isinstance(message, AIMessage):
        for call in message.tool_calls:
            if call["name"] == spec.name:
                return call["args"]
        for invalid in message.invalid_tool_calls:
            if invalid.get("name") == spec.name and invalid.get("args"):
                return parse_json_text(invalid["args"] or "")
        if not message.text.strip() and message.tool_calls:
            return message.tool_calls[0]["args"]
    return parse_json_text(message.text)


def _partial_value(message: BaseMessage, spec: StructuredSpec) -> Any:
    """What can be read of an unfinished answer, or None (nothing readable yet)."""
    from langchain_core.utils.json import parse_json_markdown, parse_partial_json

    if isinstance(message, AIMessage):
        for call in message.tool_calls:  # chunks' tool calls are parsed partially already
            if call["name"] == spec.name:
                return call["args"] or None
        if not message.text.strip() and message.tool_calls:
            return message.tool_calls[0]["args"] or None
    text = message.text.strip()
    if not text:
        return None
    try:
        value = parse_json_markdown(text, parser=parse_partial_json)
    except ValueError:  # prose before the JSON, or nothing complete yet
        return None
    return value if value else None


class GatewayStructuredOutputParser(BaseCumulativeTransformOutputParser[Any]):
    """The structured value of a ChatGateway answer; partial values while it streams."""

    spec: Any
    """The core's :class:`~gateway_core.chat.structured.StructuredSpec`."""
    validate_value: Callable[[Any], Any]
    """Turns the parsed JSON into the caller's type (a pydantic instance, or the dict)."""
    validates_partials: bool = False
    """Yield a partial only once it validates (pydantic schemas)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    @property
    def _type(self) -> str:
        return "gateway_structured_output"

    def parse(self, text: str) -> Any:
        return self.parse_result([Generation(text=text)])

    def parse_result(self, result: list[Generation], *, partial: bool = False) -> Any:
        generation = result[0]
        if not isinstance(generation, ChatGeneration):
            message: BaseMessage = AIMessage(content=generation.text)
        else:
            message = generation.message
        if partial:
            value = _partial_value(message, self.spec)
            if value is None or not self.validates_partials:
                return value
            try:
                return self.validate_value(value)
            except Exception:  # not valid yet: keep streaming
                return None
        try:
            return self.validate_value(_final_value(message, self.spec))
        except OutputParserException:
            raise
        except Exception as exc:  # JSON or validation failure
            raise OutputParserException(
                f"Could not read structured output ({type(exc).__name__}: {exc}).",
                llm_output=message.text,
            ) from exc

    # The framework's cumulative parser yields partials only; the final answer is parsed
    # strictly here too, so a stream that ends with an unusable answer raises.

    def _transform(self, input: Iterator[str | BaseMessage]) -> Iterator[Any]:
        accumulated: ChatGenerationChunk | None = None
        previous = None
        for chunk in input:
            accumulated = _accumulate(accumulated, chunk)
            parsed = self.parse_result([accumulated], partial=True)
            if parsed is not None and parsed != previous:
                yield parsed
                previous = parsed
        if accumulated is not None:
            final = self.parse_result([accumulated])
            if final != previous:
                yield final

    async def _atransform(self, input: AsyncIterator[str | BaseMessage]) -> AsyncIterator[Any]:
        accumulated: ChatGenerationChunk | None = None
        previous = None
        async for chunk in input:
            accumulated = _accumulate(accumulated, chunk)
            parsed = self.parse_result([accumulated], partial=True)
            if parsed is not None and parsed != previous:
                yield parsed
                previous = parsed
        if accumulated is not None:
            final = self.parse_result([accumulated])
            if final != previous:
                yield final


def _accumulate(
    accumulated: ChatGenerationChunk | None, chunk: str | BaseMessage
) -> ChatGenerationChunk:
    from langchain_core.messages import AIMessageChunk

    if isinstance(chunk, BaseMessageChunk):
        message: BaseMessageChunk = chunk
    elif isinstance(chunk, BaseMessage):
        message = AIMessageChunk(**chunk.model_dump(exclude={"type"}))
    else:
        message = AIMessageChunk(content=chunk)
    generation = ChatGenerationChunk(message=message)
    return generation if accumulated is None else accumulated + generation
