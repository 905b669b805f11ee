"""Finding a JSON value inside a model's prose, in time linear in the text.

The obvious search (``raw_decode`` from every ``{`` and ``[``) is quadratic on the inputs models
and attackers produce: every failed attempt rescans the rest of the text, and each
``JSONDecodeError`` counts the newlines before its position. Here one pass pairs brackets with a
stack, only the outermost balanced spans are parsed, and each character is parsed at most once
per pass, so a 200k-character answer costs milliseconds whatever it holds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from ..errors import ResponseFormatError
from .reasoning import split_think

__all__ = ["NOT_FOUND", "TooDeep", "balanced_spans", "fenced_blocks", "first_json_value",
           "parse_json_text"]

NOT_FOUND: Any = object()
"""Returned by :func:`first_json_value` when no span parses."""

# Strings are skipped whole (brackets inside them do not count); a quote that does not close on
# its line is prose (``He said "hi``), not a string.
_STRING_AWARE = re.compile(r'"(?:[^"\\\n]|\\.)*"|[{\[]+|[}\]]+')
_QUOTE_BLIND = re.compile(r"[{\[]+|[}\]]+")
_CLOSING = str.maketrans("{[", "}]")
_OPENING = {"}": "{", "]": "["}
_INFO_STRING = re.compile(r"[a-zA-Z0-9_-]*")
# How a JSON object or array can begin: rules out ``{name}`` and ``[1x`` before parsing them.
_VALUE_START = re.compile(r'\{\s*["}]|\[\s*[\[{"\-0-9tfn\]]')


class TooDeep(ValueError):
    """A balanced span nests deeper than Python's JSON parser can follow."""


def balanced_spans(text: str, *, string_aware: bool = True) -> list[tuple[int, int]]:
    """``(start, end)`` of balanced ``{…}`` / ``[…]`` spans: at least every outermost one.

    A closer that does not match the innermost open bracket abandons everything still open (a
    span cannot straddle it). Spans nested in a longer span may be left out.
    """
    pattern = _STRING_AWARE if string_aware else _QUOTE_BLIND
    positions: list[int] = []  # open brackets, innermost last
    openers: list[str] = []  # their characters, in the same order
    spans: list[tuple[int, int]] = []
    for match in pattern.finditer(text):
        token = match.group()
        first = token[0]
        if first == '"':
            continue
        if first in "{[":
            if len(token) == 1:
                positions.append(match.start())
                openers.append(first)
            else:
                positions.extend(range(match.start(), match.end()))
                openers.extend(token)
            continue
        count = len(token)
        if count == 1:  # the common case, kept cheap
            if openers and openers[-1] == _OPENING[first]:
                openers.pop()
                spans.append((positions.pop(), match.end()))
            else:  # a closer that matches nothing: abandon everything still open
                openers.clear()
                positions.clear()
            continue
        # A run of closers: matched against the innermost openers in one comparison.
        if count <= len(openers) and "".join(openers[-count:])[::-1].translate(_CLOSING) == token:
            spans.append((positions[-count], match.end()))
        else:  # close what matches, then abandon everything still open
            start = match.start()
            count = 0
            for closer in token:
                if count < len(openers) and openers[-1 - count] == _OPENING[closer]:
                    count += 1
                    spans.append((positions[-count], start + count))
                else:
                    count = len(openers)
                    break
        del positions[len(positions) - count:]
        del openers[len(openers) - count:]
    return spans


def _outermost(spans: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    spans.sort()
    reached = -1
    for start, end in spans:
        if start >= reached:
            reached = end
            yield start, end


def first_json_value(text: str) -> Any:
    """The first outermost balanced span of ``text`` that parses as JSON, else ``NOT_FOUND``.

    Raises :class:`TooDeep` when nothing parses and a span was too deeply nested to try.
    """
    if ("}" not in text and "]" not in text) or not _VALUE_START.search(text):
        return NOT_FOUND  # no closer, or nowhere a JSON object or array could begin
    too_deep = False
    # Quote-blind second: a stray quote in prose (He said "hi) can hide a value from the first.
    for string_aware in (True, False) if '"' in text else (True,):
        for start, end in _outermost(balanced_spans(text, string_aware=string_aware)):
            if not _VALUE_START.match(text, start):
                continue
            try:
                return json.loads(text[start:end])
            except ValueError:
                continue
            except RecursionError:
                too_deep = True
    if too_deep:
        raise TooDeep("nested deeper than the JSON parser can follow")
    return NOT_FOUND


def fenced_blocks(text: str) -> Iterator[str]:
    """The bodies of closed Markdown code fences (after the info string), in order."""
    position = 0
    while True:
        opening = text.find("```", position)
        if opening < 0:
            return
        closing = text.find("```", opening + 3)
        if closing < 0:
            return
        body = text[opening + 3:closing]
        info = _INFO_STRING.match(body)
        yield body[info.end() if info else 0:].strip()
        position = closing + 3


def parse_json_text(text: str) -> Any:
    """The JSON value in a model's answer: fences, ``<think>`` blocks and prose tolerated."""
    candidate = text.strip()
    if candidate.startswith("<think>") or "</think>" in candidate:
        candidate = split_think(candidate)[0].strip()
        if "</think>" in candidate:
            candidate = candidate.rsplit("</think>", 1)[1].strip()
    try:
        return json.loads(candidate)
    except (ValueError, RecursionError):
        pass
    for fenced in fenced_blocks(candidate):
        try:
            return json.loads(fenced)
        except (ValueError, RecursionError):
            continue
    try:
        value = first_json_value(candidate)
    except TooDeep:
        raise ResponseFormatError(
            f"The model's answer holds JSON nested deeper than Python's parser follows: "
            f"{text[:200]!r}. Ask for a flatter structure, or another structured output method."
        ) from None
    if value is NOT_FOUND:
        raise ResponseFormatError(
            f"The model's answer does not contain JSON: {text[:200]!r}. Try another structured "
            "output method or model."
        )
    return value
