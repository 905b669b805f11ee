"""Structured output: which method to ask for, how to ask, how to read the answer.

Methods, best first when the profile allows them:

* ``json_schema``: ``response_format: {"type": "json_schema", …}``; ``strict`` where the profile
  says the model supports it *and* the schema can be strict (every property required), so a
  strict-mode 400 never costs the method;
* ``function_calling``: the schema as the only forced tool, ``parallel_tool_calls: false`` where
  the model accepts the parameter;
* ``json_mode``: ``response_format: {"type": "json_object"}`` with the schema in the prompt;
* ``prompt``: the schema in the prompt only (always possible, the last resort).

When the gateway refuses a method (a 400 about ``response_format``, ``json_schema``, tools or
``tool_choice``), the caller moves to the next one and :mod:`~gateway_core.chat.learned`
remembers it per model. Whatever method produced it, :func:`parse_structured` reads the answer
from the forced tool call or from the text, tolerating a Markdown fence, a ``<think>`` block or
prose before the JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import (
    APIError,
    GatewayError,
    InvalidRequestError,
    RefusalError,
    ResponseFormatError,
)
from ..profiles import ModelProfile
from .jsonscan import parse_json_text
from .types import ChatResult

__all__ = [
    "METHODS",
    "StructuredSpec",
    "apply_method",
    "candidate_methods",
    "make_strict",
    "parse_json_text",
    "parse_structured",
    "refuses_method",
    "schema_instruction",
    "strict_compatible",
    "structured_target",
]

METHODS = ("json_schema", "function_calling", "json_mode", "prompt")
_NAME = re.compile(r"[^a-zA-Z0-9_-]+")


@dataclass(frozen=True)
class StructuredSpec:
    """What to ask for: a JSON schema (object), its name, the requested method and strictness.

    ``method`` None lets the profile choose; ``strict`` None lets the profile and the schema
    decide (json_schema) or sends nothing (function_calling). ``answer_in_text``: the caller
    reads the answer's text (an OpenAI ``response_format`` it was given, e.g. LangChain's
    ``ProviderStrategy``), so ``function_calling`` is never used and the caller's own tools
    stay offered alongside the schema.
    """

    schema: Mapping[str, Any] | None
    name: str = "output"
    description: str | None = None
    method: str | None = None
    strict: bool | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    answer_in_text: bool = False

    def __post_init__(self) -> None:
        if self.method is not None and self.method not in METHODS:
            raise InvalidRequestError(
                f"Unknown structured-output method {self.method!r}; use one of {METHODS}."
            )
        if self.schema is None and self.method not in ("json_mode", "prompt"):
            raise InvalidRequestError(
                "Structured output needs a schema, except with method='json_mode'."
            )
        if self.strict and self.method == "json_mode":
            raise InvalidRequestError("strict=True cannot be combined with method='json_mode'.")

    @classmethod
    def from_schema(
        cls,
        schema: Mapping[str, Any] | None,
        *,
        method: str | None = None,
        strict: bool | None = None,
        name: str | None = None,
    ) -> StructuredSpec:
        """A spec from a JSON schema; the name comes from its ``title`` unless given."""
        title = name or (schema or {}).get("title") or "output"
        return cls(
            schema=schema,
            name=_NAME.sub("_", str(title))[:64] or "output",
            description=(schema or {}).get("description"),
            method=method,
            strict=strict,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form (for tracing and for binding as a call parameter)."""
        return {"schema": self.schema, "name": self.name, "description": self.description,
                "method": self.method, "strict": self.strict,
                "answer_in_text": self.answer_in_text}

    @classmethod
    def from_response_format(cls, response_format: Any) -> StructuredSpec | None:
        """The spec of an OpenAI ``{"type": "json_schema", "json_schema": {...}}`` response
        format (None for any other value): answered in text, method chosen per model."""
        if not isinstance(response_format, Mapping) or response_format.get(
                "type") != "json_schema":
            return None
        json_schema = response_format.get("json_schema")
        if not isinstance(json_schema, Mapping) or not isinstance(
                json_schema.get("schema"), Mapping):
            return None
        name = _NAME.sub("_", str(json_schema.get("name") or "output"))[:64] or "output"
        return cls(schema=json_schema["schema"], name=name,
                   description=json_schema.get("description"), strict=json_schema.get("strict"),
                   answer_in_text=True)

    @classmethod
    def coerce(cls, value: Any) -> StructuredSpec:
        if isinstance(value, StructuredSpec):
            return value
        if isinstance(value, Mapping):
            return cls(schema=value.get("schema"), name=value.get("name") or "output",
                       description=value.get("description"), method=value.get("method"),
                       strict=value.get("strict"),
                       answer_in_text=bool(value.get("answer_in_text")))
        raise InvalidRequestError(f"Not a structured-output spec: {value!r}")


def candidate_methods(
    profile: ModelProfile, requested: str | None = None, refused: Collection[str] = ()
) -> list[str]:
    """Methods to try in order: the requested one first, then the profile's, minus refused."""
    order = list(profile.structured_output_methods)
    if requested is not None:
        order = [requested, *[m for m in order if m != requested]]
    methods = [m for m in order if m not in refused]
    if requested == "json_mode" and "json_schema" in methods:
        methods.remove("json_schema")  # the caller chose a schema-free method on purpose
    return methods or ["prompt"]


# ------------------------------------------------------------------------- schemas


def strict_compatible(schema: Any) -> bool:
    """True if every object in ``schema`` requires all of its properties (OpenAI strict mode)."""
    if isinstance(schema, Mapping):
        properties = schema.get("properties")
        if isinstance(properties, Mapping) and set(properties) - set(schema.get("required") or ()):
            return False
        return all(strict_compatible(value) for value in schema.values())
    if isinstance(schema, list):
        return all(strict_compatible(value) for value in schema)
    return True


def make_strict(schema: Any) -> Any:
    """A copy with ``additionalProperties: false`` on every object (strict mode needs it)."""
    if isinstance(schema, Mapping):
        copy = {key: make_strict(value) for key, value in schema.items()}
        if copy.get("type") == "object" or "properties" in copy:
            copy.setdefault("additionalProperties", False)
        return copy
    if isinstance(schema, list):
        return [make_strict(value) for value in schema]
    return schema


def schema_instruction(spec: StructuredSpec) -> str:
    """The prompt text that asks for JSON matching the schema."""
    if spec.schema is None:
        return "Answer with a single JSON object and nothing else."
    schema = json.dumps(spec.schema, ensure_ascii=False, separators=(",", ":"))
    return (
        "Answer with a single JSON object that conforms to the JSON schema below, and nothing "
        "else: no Markdown fence, no explanation. The schema describes the object; do not "
        f"repeat the schema itself.\nJSON schema: {schema}"
    )


def _with_instruction(messages: Sequence[Mapping[str, Any]], text: str) -> list[dict[str, Any]]:
    result = [dict(m) for m in messages]
    if result and result[0].get("role") in ("system", "developer") and isinstance(
        result[0].get("content"), str
    ):
        result[0]["content"] = f"{result[0]['content']}\n\n{text}"
    else:
        result.insert(0, {"role": "system", "content": text})
    return result


def apply_method(
    method: str,
    spec: StructuredSpec,
    params: Mapping[str, Any],
    messages: Sequence[Mapping[str, Any]],
    profile: ModelProfile,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The parameters and messages that ask for ``spec`` by ``method``."""
    out = dict(params)
    for name in ("response_format", "tool_choice", "parallel_tool_calls"):
        if not spec.answer_in_text or name == "response_format":
            out.pop(name, None)
    if not spec.answer_in_text:
        out.pop("tools", None)  # only the schema is asked for (answer_in_text keeps them)
    msgs = [dict(m) for m in messages]
    if method == "json_schema":
        out["response_format"] = _json_schema_format(spec, profile)
    elif method == "function_calling":
        _ask_for_function(out, spec, profile)
    elif method in ("json_mode", "prompt"):
        if method == "json_mode":
            out["response_format"] = {"type": "json_object"}
        msgs = _with_instruction(msgs, schema_instruction(spec))
    else:
        raise InvalidRequestError(f"Unknown structured-output method {method!r}.")
    return out, msgs


def _json_schema_format(spec: StructuredSpec, profile: ModelProfile) -> dict[str, Any]:
    """``response_format`` of the json_schema method (strict where the schema allows it)."""
    schema = dict(spec.schema or {})
    strict = spec.strict
    if strict is None:
        strict = profile.strict_json_schema and strict_compatible(schema)
    json_schema: dict[str, Any] = {"name": spec.name, "schema": schema}
    if spec.description:
        json_schema["description"] = spec.description
    if strict:
        json_schema["schema"] = make_strict(schema)
        json_schema["strict"] = True
    elif spec.strict is False:
        json_schema["strict"] = False
    return {"type": "json_schema", "json_schema": json_schema}


def _ask_for_function(out: dict[str, Any], spec: StructuredSpec, profile: ModelProfile) -> None:
    """The function_calling method: the schema as the one tool, forced where the model allows."""
    function: dict[str, Any] = {"name": spec.name, "parameters": dict(spec.schema or {})}
    if spec.description:
        function["description"] = spec.description
    if spec.strict is not None:
        function["strict"] = spec.strict
        if spec.strict:
            function["parameters"] = make_strict(function["parameters"])
    out["tools"] = [{"type": "function", "function": function}]
    out.pop("strict", None)
    if profile.tool_choice:
        out["tool_choice"] = {"type": "function", "function": {"name": spec.name}}
    if "parallel_tool_calls" not in profile.rejected_params:
        out["parallel_tool_calls"] = False


_METHOD_WORDS = {
    "json_schema": ("response_format", "json_schema", "json schema", "structured output",
                    "response format"),
    "json_mode": ("response_format", "json_object", "json mode", "response format"),
    "function_calling": ("tool_choice", "tools", "tool call", "function call", "function_call",
                         "tool use", "function calling", "tool_calls"),
}
_REFUSED = ("not support", "unsupported", "unavailable", "unknown", "unrecognized",
            "not available", "not allowed", "not permitted", "invalid", "不支持")


def refuses_method(error: GatewayError, method: str) -> bool:
    """True if ``error`` (a 4xx, or an error inside a 200) refuses the method itself."""
    words = _METHOD_WORDS.get(method)
    if not words or not isinstance(error, APIError):
        return False
    if error.status_code not in (200, 400, 404, 415, 422, 500, 501):
        return False
    message = (error.gateway_message or error.message).lower()
    return any(w in message for w in words) and any(r in message for r in _REFUSED)


# ------------------------------------------------------------------------- parsing


def refusal_of(refusal: str | None, finish_reason: str | None, has_answer: bool
               ) -> RefusalError | None:
    """The error for an answer that cannot hold structured output because the model refused
    (its words) or a content filter withheld it; None otherwise. One decision for the core and
    both adapters."""
    if refusal:
        error = RefusalError(f"The model refused to answer in the requested structure: "
                             f"{refusal[:500]!r}. Reword the request, or handle the refusal.")
    elif finish_reason == "content_filter" and not has_answer:
        error = RefusalError("A content filter withheld the answer (finish_reason="
                             "'content_filter'), so there is no structured output. Reword the "
                             "request, or check the provider's content policy.")
    else:
        return None
    error.refusal = refusal or ""
    error.finish_reason = finish_reason
    return error


def parse_structured(result: ChatResult, spec: StructuredSpec) -> Any:
    """The structured value of an answer, whatever method produced it.

    A tool call named like the schema wins (its arguments, even if the model broke the JSON
    slightly: the raw text is parsed tolerantly); otherwise the answer text is parsed. A
    refusal raises :class:`~gateway_core.errors.RefusalError`; an answer cut at the token
    limit says so.
    """
    refused = refusal_of(result.refusal, result.finish_reason,
                         bool(result.text.strip() or result.all_tool_calls))
    if refused is not None:
        raise refused
    try:
        return _structured_value(result, spec)
    except ResponseFormatError as error:
        if result.finish_reason != "length":
            raise
        raise ResponseFormatError(
            f"{error.message} The answer was cut off at the token limit (finish_reason="
            "'length'): raise max_tokens.") from error


def _structured_value(result: ChatResult, spec: StructuredSpec) -> Any:
    for call in result.all_tool_calls:
        if call.name == spec.name:
            if call.args is not None:
                return call.args
            return parse_json_text(call.arguments)
    if result.text.strip():
        return parse_json_text(result.text)
    if result.tool_calls:  # a model that named the tool differently
        return result.tool_calls[0].args
    raise ResponseFormatError(
        "The model returned neither text nor a tool call to read structured output from "
        f"(finish_reason={result.finish_reason!r})."
    )


def _identity(value: Any) -> Any:
    return value


def structured_target(
    schema: Any, *, method: str | None = None, strict: bool | None = None
) -> tuple[StructuredSpec, Any]:
    """A spec and a validator for a JSON schema dict, a pydantic model or a TypedDict.

    The validator turns the parsed JSON into the caller's type (a model instance for pydantic,
    the dict otherwise) and raises pydantic's ``ValidationError`` when it does not fit.
    """
    if schema is None or isinstance(schema, Mapping):
        return StructuredSpec.from_schema(schema, method=method, strict=strict), _identity
    from pydantic import BaseModel, TypeAdapter

    if isinstance(schema, type) and issubclass(schema, BaseModel):
        spec = StructuredSpec.from_schema(schema.model_json_schema(), method=method,
                                          strict=strict, name=schema.__name__)
        return spec, schema.model_validate
    adapter: TypeAdapter[Any] = TypeAdapter(schema)
    name = getattr(schema, "__name__", None)
    spec = StructuredSpec.from_schema(adapter.json_schema(), method=method, strict=strict,
                                      name=name)
    return spec, adapter.validate_python
