"""Values synthesised from a JSON Schema, so tool calls and structured answers are well-formed.

The emulator understands no language. It fills a schema mechanically: string properties that
carry the request itself (``prompt``, ``query``, ``text``, ...) get the user's text, integers and
numbers take the numbers found in the user's text in order, enums their first value, everything
else a placeholder of the right type. That is enough for agents and chains to run end to end.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

_TEXT_PROPS = {"prompt", "query", "question", "text", "input", "topic", "description", "content",
               "message", "instruction", "instructions", "request", "search", "q"}
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")


class NumberPool:
    """The numbers of the user's text, handed out in order (then 1, 2, 3 ...)."""

    def __init__(self, text: str) -> None:
        self._numbers = [float(n) for n in _NUMBER.findall(text)]
        self._fallback: Iterator[int] = iter(range(1, 1_000_000))

    def take(self) -> float:
        return self._numbers.pop(0) if self._numbers else float(next(self._fallback))


def synthesize(schema: Any, user_text: str, pool: NumberPool | None = None) -> Any:
    """A value that validates against ``schema`` (objects, arrays, refs, anyOf, enums)."""
    pool = pool or NumberPool(user_text)
    root = schema if isinstance(schema, dict) else {}
    return _value(root, root, user_text, pool, name="", depth=0)


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return target if isinstance(target, dict) else {}
    return node


def _value(node: Any, root: dict[str, Any], text: str, pool: NumberPool, *, name: str,
           depth: int) -> Any:
    if not isinstance(node, dict) or depth > 8:
        return None
    node = _resolve(node, root)
    if "const" in node:
        return node["const"]
    if node.get("enum"):
        return node["enum"][0]
    if "default" in node and node["default"] is not None:
        return node["default"]
    for key in ("anyOf", "oneOf", "allOf"):
        options = node.get(key)
        if isinstance(options, list) and options:
            usable = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")]
            return _value((usable or options)[0], root, text, pool, name=name, depth=depth + 1)
    kind = node.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind is None:
        kind = "object" if "properties" in node else "string"
    if kind == "object":
        properties = node.get("properties") or {}
        return {key: _value(sub, root, text, pool, name=key, depth=depth + 1)
                for key, sub in properties.items()}
    if kind == "array":
        return [_value(node.get("items", {}), root, text, pool, name=name, depth=depth + 1)]
    if kind == "integer":
        return int(pool.take())
    if kind == "number":
        return pool.take()
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _string(node, name, text)


def _string(node: dict[str, Any], name: str, text: str) -> str:
    if name.lower() in _TEXT_PROPS and text:
        return text
    fmt = node.get("format")
    if fmt == "date":
        return "2025-01-01"
    if fmt == "date-time":
        return "2025-01-01T00:00:00Z"
    if fmt in ("uri", "url"):
        return "https://example.com/"
    return f"example {name}".strip() if name else "example"
