"""ArgumentText answers "one whole JSON object yet?" exactly as parsing the text would."""

from __future__ import annotations

import pytest

from gateway_core.chat.argtext import ArgumentText, parse_arguments

TEXTS = [
    '{"a": 1}',
    ' {"a": "x\\"}"} \n',
    '{"a": [1, {"b": "\\\\"}]}',
    '"{\\"a\\": 1}"',  # double-encoded
    '"not an object"',
    '{"a": 1} {"b": 2}',
    '{"a": 1}}',
    "[1, 2]",
    '{"a": "\\',
    '{"a": "line\nbreak"}',
    "   ",
    '{"a": {"b": ',
]


def _expected(text: str) -> bool:
    return bool(text.strip()) and parse_arguments(text)[1] is None


@pytest.mark.parametrize("text", TEXTS)
def test_complete_at_every_split_and_after_every_fragment(text: str) -> None:
    for cut in range(len(text) + 1):
        for join_midway in (False, True):
            buffer = ArgumentText()
            buffer.append(text[:cut])
            assert buffer.complete() == _expected(text[:cut])
            if join_midway:
                assert str(buffer) == text[:cut]
            buffer.append(text[cut:])
            assert buffer.complete() == _expected(text)
            assert str(buffer) == text
            assert len(buffer) == len(text)


def test_character_by_character() -> None:
    for text in TEXTS:
        buffer = ArgumentText()
        for index, char in enumerate(text):
            buffer.append(char)
            assert buffer.complete() == _expected(text[:index + 1]), text[:index + 1]


def test_replace_starts_over() -> None:
    buffer = ArgumentText('{"a": 1} x')
    assert not buffer.complete()
    buffer.replace('{"a": 1}')
    assert buffer.complete()
    assert buffer.last_char == "}"
    assert not ArgumentText("  ").complete()
    assert ArgumentText("  ").blank
