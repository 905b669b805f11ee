"""Checks made before a chat request is sent: a mistake here costs nothing to report now, and a
round trip (and sometimes money) to hear about from the gateway, in a less helpful wording."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import InvalidRequestError

ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
_SCHEMA_TYPES = frozenset({"object", "array", "string", "integer", "number", "boolean", "null"})
_TOOL_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def check_model(model: object) -> str:
    if not isinstance(model, str) or not model.strip() or any(c.isspace() for c in model):
        raise InvalidRequestError(
            f"model must be a model name such as 'gpt-4o-mini', got {model!r}. "
            "`gateway-kit models` lists the gateway's models.")
    return model


def check_text(text: str, where: str) -> None:
    """Text that cannot be encoded as UTF-8 (lone surrogates from a bad decode) is refused."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidRequestError(
            f"{where} is not valid UTF-8 text (position {exc.start}); decode the source bytes "
            "with the right encoding, or errors='replace'.") from None


def check_messages(messages: Sequence[Mapping[str, Any]]) -> None:
    if isinstance(messages, (str, bytes)) or not isinstance(messages, Sequence):
        raise InvalidRequestError("messages must be a list of OpenAI message dicts or one string.")
    if not messages:
        raise InvalidRequestError("The conversation is empty: send at least one message.")
    has_content = False
    for position, message in enumerate(messages):
        if not isinstance(message, Mapping):
            continue  # reported by prepare_messages with the type it got
        where = f"Message {position} ({message.get('role')!r})"
        role = message.get("role")
        if not isinstance(role, str) or role not in ROLES:
            raise InvalidRequestError(
                f"{where}: role must be one of {', '.join(sorted(ROLES))}.")
        content = message.get("content")
        if isinstance(content, (bytes, bytearray)):
            raise InvalidRequestError(
                f"{where}: content is bytes. Decode text to str, or send images and files as "
                "content parts (gateway_core.chat.image_part / file_part).")
        if isinstance(content, str):
            check_text(content, where)
            has_content = has_content or bool(content.strip())
        elif isinstance(content, list):
            has_content = has_content or bool(content)
            for part in content:
                if isinstance(part, Mapping) and isinstance(part.get("text"), str):
                    check_text(part["text"], where)
        elif content is not None:
            raise InvalidRequestError(
                f"{where}: content must be a string or a list of content parts, "
                f"got {type(content).__name__}.")
        has_content = has_content or bool(message.get("tool_calls"))
    if not has_content:
        raise InvalidRequestError("Every message is empty: the prompt has no text to answer.")


def check_tool(tool: Mapping[str, Any]) -> None:
    """An OpenAI function tool whose name and parameters a gateway will accept."""
    if tool.get("type", "function") != "function":
        return  # provider built-ins (web_search ...) are passed through as they are
    function = tool.get("function")
    if not isinstance(function, Mapping):
        raise InvalidRequestError("A function tool needs a 'function' object with a name.")
    name = function.get("name")
    if not isinstance(name, str) or not _TOOL_NAME.match(name):
        raise InvalidRequestError(
            f"Tool name {name!r} is not accepted by OpenAI-compatible APIs: use 1-64 letters, "
            "digits, '_' or '-'.")
    parameters = function.get("parameters")
    if parameters is None:
        return
    problem = schema_problem(parameters, "parameters")
    if problem is None and (not isinstance(parameters, Mapping)
                            or parameters.get("type", "object") != "object"):
        problem = "parameters: the top level must be an object schema"
    if problem:
        raise InvalidRequestError(
            f"Tool {name!r} has a parameters schema that is not valid JSON Schema ({problem}).")


def schema_problem(schema: Any, path: str, depth: int = 0) -> str | None:
    """The first structural problem of a JSON Schema, or None (a light check, not a validator)."""
    if isinstance(schema, bool):
        return None
    if not isinstance(schema, Mapping):
        return f"{path} must be an object, got {type(schema).__name__}"
    if depth > 32:
        return f"{path} nests too deeply"
    return (_type_problem(schema, path) or _required_problem(schema, path)
            or _subschemas_problem(schema, path, depth))


def _type_problem(schema: Mapping[str, Any], path: str) -> str | None:
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind is not None else []
    for item in kinds:
        if not isinstance(item, str) or item not in _SCHEMA_TYPES:
            return f"{path}.type {item!r} is not a JSON Schema type"
    return None


def _required_problem(schema: Mapping[str, Any], path: str) -> str | None:
    required = schema.get("required")
    if required is not None and not (
        isinstance(required, list) and all(isinstance(r, str) for r in required)
    ):
        return f"{path}.required must be a list of property names"
    return None


def _subschemas_problem(schema: Mapping[str, Any], path: str, depth: int) -> str | None:
    """The first problem of the schemas nested under properties, items and the combinators."""
    properties = schema.get("properties")
    if properties is not None and not isinstance(properties, Mapping):
        return f"{path}.properties must be an object"
    nested: list[tuple[Any, str]] = [
        (sub, f"{path}.properties.{key}") for key, sub in (properties or {}).items()]
    if "items" in schema:
        nested.append((schema["items"], f"{path}.items"))
    for key in ("anyOf", "oneOf", "allOf"):
        options = schema.get(key)
        if options is None:
            continue
        if not isinstance(options, list):
            return f"{path}.{key} must be a list"
        nested.extend((option, f"{path}.{key}[{index}]") for index, option in enumerate(options))
    for sub, where in nested:
        if (problem := schema_problem(sub, where, depth + 1)):
            return problem
    return None
