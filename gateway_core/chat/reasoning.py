"""Reasoning written inline as ``<think>…</think>`` at the start of ``content``.

Some models (MiniMax, R1 distills) and new-api's "thinking to content" channel option put the
thinking into the answer text itself. :class:`ThinkSplitter` separates it incrementally, with
tags split across chunk boundaries at any position; feeding a text whole or in pieces gives the
same result. Only a block that opens the content counts, so an answer that merely mentions the
tag later is left alone. Whitespace just inside the tags and just after the closing tag is
dropped (new-api writes ``<think>\\n…\\n</think>\\n``).
"""

from __future__ import annotations

__all__ = ["ThinkSplitter", "split_think"]

OPEN_TAG = "<think>"
CLOSE_TAG = "</think>"

_START, _THINK, _AFTER, _TEXT = range(4)


def _partial_tag_suffix(text: str, tag: str) -> int:
    """Length of the longest suffix of ``text`` that is a proper prefix of ``tag``."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0


class ThinkSplitter:
    """Feed content pieces; get back ``(text, reasoning)`` increments.

    ``passthrough`` becomes True once the content is known not to (or no longer) hold a think
    block: callers may then append text directly and skip the splitter.
    """

    __slots__ = ("_buffer", "_space", "_started", "_state")

    def __init__(self) -> None:
        self._state = _START
        self._buffer = ""  # START: undecided prefix; THINK: a possible partial closing tag
        self._space = ""  # THINK: trailing whitespace held back until more reasoning follows
        self._started = False  # THINK: reasoning text has begun (leading space dropped)

    @property
    def passthrough(self) -> bool:
        return self._state == _TEXT

    def feed(self, piece: str) -> tuple[str, str]:
        """Split one content piece into (answer text, reasoning) increments."""
        state = self._state
        if state == _TEXT:
            return piece, ""
        if state == _START:
            buffered = self._buffer + piece
            stripped = buffered.lstrip()
            if not stripped or (len(stripped) < len(OPEN_TAG) and OPEN_TAG.startswith(stripped)):
                self._buffer = buffered
                return "", ""
            self._buffer = ""
            if not stripped.startswith(OPEN_TAG):
                self._state = _TEXT
                return buffered, ""
            self._state = _THINK
            return self._feed_think(stripped[len(OPEN_TAG):])
        if state == _THINK:
            return self._feed_think(piece)
        return self._feed_after(piece)

    def _feed_think(self, piece: str) -> tuple[str, str]:
        buffered = self._buffer + piece
        end = buffered.find(CLOSE_TAG)
        if end >= 0:
            reasoning = self._reasoning(buffered[:end], final=True)
            self._buffer = ""
            self._state = _AFTER
            text, _ = self._feed_after(buffered[end + len(CLOSE_TAG):])
            return text, reasoning
        keep = _partial_tag_suffix(buffered, CLOSE_TAG)
        if keep:
            self._buffer = buffered[-keep:]
            buffered = buffered[:-keep]
        else:
            self._buffer = ""
        return "", self._reasoning(buffered, final=False)

    def _reasoning(self, text: str, *, final: bool) -> str:
        if not self._started:
            text = text.lstrip()
            if not text:
                return ""
            self._started = True
        text = self._space + text
        stripped = text.rstrip()
        self._space = "" if final else text[len(stripped):]
        return stripped

    def _feed_after(self, piece: str) -> tuple[str, str]:
        text = piece.lstrip()
        if text:
            self._state = _TEXT
        return text, ""

    def flush(self) -> tuple[str, str]:
        """End of content: release whatever is still held back."""
        state, buffered = self._state, self._buffer
        self._buffer = ""
        if state == _START:
            self._state = _TEXT
            return buffered, ""
        if state == _THINK:
            # An unclosed think block: everything in it is reasoning.
            self._state = _AFTER
            return "", self._reasoning(buffered, final=True)
        return "", ""


def split_think(content: str) -> tuple[str, str]:
    """``(text, reasoning)`` of a whole content string."""
    if "<think>" not in content:
        return content, ""
    splitter = ThinkSplitter()
    text, reasoning = splitter.feed(content)
    more_text, more_reasoning = splitter.flush()
    return text + more_text, reasoning + more_reasoning
