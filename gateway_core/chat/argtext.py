"""A tool call's argument text as it streams in, with appends and completeness in linear time.

A 1 MB call arrives in tens of thousands of fragments. Growing one string per fragment copies
the text each time, and asking "is this a complete JSON object yet?" by parsing it (relays that
repeat a call's name without its id make the assembler ask on every fragment) parses it each
time: both quadratic. :class:`ArgumentText` keeps the fragments in a list and answers the
question with an incremental scan of the text not yet seen, parsing at most once.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["ArgumentText", "parse_arguments"]

# Each matches the empty string too, so _skip always finds an end.
_OUTSIDE = re.compile(r'[^"{}\[\]]*')  # up to the next character that matters outside strings
_INSIDE = re.compile(r'(?:[^"\\]|\\.)*', re.DOTALL)  # a string's body, up to its end or a last "\"
_BLANK = re.compile(r"\s*")

# Kinds of top-level value; only an object (or a string holding one) can be a call's arguments.
_UNDECIDED, _OBJECT, _STRING, _OTHER = range(4)


def _skip(pattern: re.Pattern[str], text: str, index: int) -> int:
    match = pattern.match(text, index)
    return match.end() if match else index


def parse_arguments(text: str) -> tuple[dict[str, Any] | None, str | None]:
    """``(args, None)`` for a JSON object (empty text counts as ``{}``), else ``(None, why)``."""
    if not text or text.isspace():
        return {}, None
    try:
        value = json.loads(text)
    except ValueError as exc:
        return None, f"arguments are not valid JSON ({exc})"
    except RecursionError:
        return None, "arguments are nested deeper than the JSON parser can follow"
    if isinstance(value, str):  # double-encoded by some relays
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return None, "arguments are a JSON string, not an object"
    if not isinstance(value, dict):
        return None, f"arguments are a JSON {type(value).__name__}, not an object"
    return value, None


class ArgumentText:
    """Argument text built from fragments. ``str(self)`` is the text (joined once, cached)."""

    __slots__ = ("_depth", "_escaped", "_in_string", "_kind", "_length", "_parts", "_scan_offset",
                 "_scanned", "_state", "_valid", "last_char")

    def __init__(self, text: str = "") -> None:
        self._parts: list[str] = []
        self._length = 0
        self.last_char = ""  # the last non-whitespace character
        self._reset()
        if text:
            self.append(text)

    def _reset(self) -> None:
        self._kind = _UNDECIDED
        self._depth = 0
        self._in_string = False
        self._escaped = False
        self._state = 0  # 0 open, 1 closed (a whole value), 2 something follows it: never valid
        self._scanned = 0  # parts wholly scanned
        self._scan_offset = 0  # characters of the next part already scanned
        self._valid: bool | None = None  # the one parse, once closed

    def __len__(self) -> int:
        return self._length

    def __str__(self) -> str:
        parts = self._parts
        if len(parts) > 1:
            if self._scanned:  # the scan resumes at the same character of the joined text
                self._scan_offset += sum(len(part) for part in parts[:self._scanned])
                self._scanned = 0
            parts[:] = ["".join(parts)]
        return parts[0] if parts else ""

    @property
    def blank(self) -> bool:
        """Empty or only whitespace."""
        return not self.last_char

    def append(self, piece: str) -> None:
        if not piece:
            return
        self._parts.append(piece)
        self._length += len(piece)
        tail = piece.rstrip()
        if tail:
            self.last_char = tail[-1]

    def replace(self, text: str) -> None:
        """Start over with ``text`` (relays that resend the whole arguments so far)."""
        self._parts = []
        self._length = 0
        self.last_char = ""
        self._reset()
        self.append(text)

    def complete(self) -> bool:
        """Whether the text is one whole JSON object (or a JSON string holding one)."""
        if self.last_char not in ("}", '"'):  # (also "" for blank text)
            return False
        self._scan()
        if self._state != 1:
            return False
        if self._valid is None:
            self._valid = parse_arguments(str(self))[1] is None
        return self._valid

    def _scan(self) -> None:
        parts = self._parts
        while self._scanned < len(parts) and self._state != 2 and self._kind != _OTHER:
            self._scan_piece(parts[self._scanned], self._scan_offset)
            self._scanned += 1
            self._scan_offset = 0

    def _scan_piece(self, piece: str, index: int) -> None:
        end = len(piece)
        if self._escaped and index < end:  # the text so far ended inside a string on "\"
            self._escaped = False
            index += 1
        while index < end:  # each step returns where to go on; ``end`` stops the piece
            if self._state == 1:
                if _skip(_BLANK, piece, index) < end:  # text after the whole value
                    self._state = 2
                return
            if self._kind == _UNDECIDED:
                index = self._start_value(piece, index)
            elif self._in_string:
                index = self._inside_string(piece, index)
            else:
                index = self._outside_string(piece, index)

    def _start_value(self, piece: str, index: int) -> int:
        """The first non-blank character decides the kind of the whole text."""
        end = len(piece)
        index = _skip(_BLANK, piece, index)
        if index == end:
            return end
        first = piece[index]
        self._kind = _OBJECT if first == "{" else _STRING if first == '"' else _OTHER
        if self._kind == _OTHER:
            return end
        self._in_string = first == '"'
        self._depth = 1 if first == "{" else 0
        return index + 1

    def _inside_string(self, piece: str, index: int) -> int:
        end = len(piece)
        index = _skip(_INSIDE, piece, index)
        if index == end:
            return end
        if piece[index] == "\\":  # a lone backslash ends the piece: escapes the next
            self._escaped = True
            return end
        self._in_string = False
        if self._depth == 0:
            self._state = 1
        return index + 1

    def _outside_string(self, piece: str, index: int) -> int:
        end = len(piece)
        index = _skip(_OUTSIDE, piece, index)
        if index == end:
            return end
        char = piece[index]
        if char == '"':
            self._in_string = True
        elif char in "{[":
            self._depth += 1
        else:
            self._depth -= 1
            if self._depth == 0:
                self._state = 1
        return index + 1
