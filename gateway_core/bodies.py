"""What a gateway's body is, decided by its bytes, not by its Content-Type label.

Relays behind nginx, Cloudflare or a hand-written Go/Python server label bodies wrongly: a
server-sent event stream as ``application/json`` or ``text/plain``, a JSON error as
``text/html``, a Chinese message in GBK. The label is a hint; the first significant bytes
decide, the same way for plain calls, streams and error bodies:

* ``{`` or ``[``: a JSON document;
* ``<``: an HTML page (a web front end or a proxy's error or challenge page), never an answer;
* ``data:``, ``event:``, ``id:``, ``retry:`` or ``:`` (a comment): a server-sent event stream;
* nothing but whitespace: empty; anything else: text.
"""

from __future__ import annotations

import codecs
from typing import Literal

__all__ = ["BodyKind", "body_kind", "body_text", "charset_of", "significant_start"]

BodyKind = Literal["json", "sse", "html", "empty", "text"]

_BOM = b"\xef\xbb\xbf"
_WHITESPACE = b" \t\r\n"
_SSE_FIELDS = (b"data:", b"event:", b"id:", b"retry:", b":")
# Enough to tell the kinds apart: the longest marker above, after the BOM and whitespace.
SNIFF_BYTES = 8


def significant_start(head: bytes) -> int:
    """Index of the first byte after a UTF-8 BOM and leading whitespace (len(head) if none)."""
    start = len(_BOM) if head.startswith(_BOM) else 0
    length = len(head)
    while start < length and head[start] in _WHITESPACE:
        start += 1
    return start


def body_kind(head: bytes) -> BodyKind:
    """The kind of a body from its first bytes (give at least the first few significant ones:
    a stream's first chunk may be shorter than an ``event:`` field name)."""
    rest = head[significant_start(head):]
    if not rest:
        return "empty"
    first = rest[:1]
    if first in (b"{", b"["):
        return "json"
    if first == b"<":
        return "html"
    if rest.startswith(_SSE_FIELDS):
        return "sse"
    return "text"


def charset_of(content_type: str) -> str:
    """The ``charset`` parameter of a Content-Type, if Python knows it; else UTF-8."""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.strip().partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'")
            try:
                return codecs.lookup(charset).name
            except LookupError:
                break
    return "utf-8"


def body_text(content: bytes, content_type: str = "") -> str:
    """The body as text in its declared charset (GBK, GB18030, …), BOM removed; undecodable
    bytes become U+FFFD rather than an exception."""
    text = content.decode(charset_of(content_type), "replace")
    return text[1:] if text[:1] == "\ufeff" else text
