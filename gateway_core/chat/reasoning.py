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
    """Length of the longest suffix of ``text`` that is a proper prefix of ``tag``.

    ``tag`` holds one ``<``, at its start, so only the last ``<`` of ``text`` can begin one.
    """
    start = text.rfind("<", max(0, len(text) - len(tag) + 1))
    if start >= 0 and tag.startswith(text[start:]):
        return len(text) - start
    return 0


class ThinkSplitter:
    """Feed content pieces; get back ``(text, reasoning)`` increments.

    ``passthrough`` becomes True once the content is known not to (or no longer) hold a think
    block: callers may then append text directly and skip the splitter.
    """

    __slots__ = ("_buffer", "_lead", "_space", "_started", "_state")

    def __init__(self) -> None:
        self._state = _START
        self._buffer = ""  # START: undecided text after the lead; THINK: a partial closing tag
        # START: leading whitespace pieces; THINK: trailing whitespace held back until more
        # reasoning follows. Lists, so a long run of whitespace pieces costs linear time.
        self._lead: list[str] = []
        self._space: list[str] = []
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
            return self._feed_start(piece)
        if state == _THINK:
            return self._feed_think(piece)
        return self._feed_after(piece)

    def _feed_start(self, piece: str) -> tuple[str, str]:
        if not self._buffer:
            stripped = piece.lstrip()
            if not stripped:
                self._lead.append(piece)
                return "", ""
            self._lead.append(piece[: len(piece) - len(stripped)])
            piece = stripped
        undecided = self._buffer + piece  # at most len(OPEN_TAG) - 1 + len(piece) characters
        if len(undecided) < len(OPEN_TAG) and OPEN_TAG.startswith(undecided):
            self._buffer = undecided
            return "", ""
        lead = "".join(self._lead)
        self._buffer, self._lead = "", []
        if not undecided.startswith(OPEN_TAG):
            self._state = _TEXT
            return lead + undecided, ""
        self._state = _THINK
        return self._feed_think(undecided[len(OPEN_TAG):])

    def _feed_think(self, piece: str) -> tuple[str, str]:
        if not self._buffer and "<" not in piece:  # the common case: plain reasoning text
            return "", self._reasoning(piece, final=False)
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
        stripped = text.rstrip()
        if not stripped:  # only whitespace: held back, released before the next reasoning
            if final:
                self._space = []
            else:
                self._space.append(text)
            return ""
        held = "".join(self._space)
        self._space = [] if final else [text[len(stripped):]]
        return held + stripped

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
            lead, self._lead = "".join(self._lead), []
            self._state = _TEXT
            return lead + buffered, ""
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
