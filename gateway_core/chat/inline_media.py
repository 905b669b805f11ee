"""Images inlined in chat answers as ``data:`` URIs (Gemini image models through chat answer
``![image](data:image/png;base64,…)``), apart from the link extractor in :mod:`.media` so each
stays one linear scan.
"""

from __future__ import annotations

import re

from .types import MediaLink

__all__ = ["extract_inline_images"]

# One pass, no nested quantifiers: the base64 run is a single character class.
_DATA_URI = re.compile(r"data:(image/[A-Za-z0-9.+-]{1,40});base64,([A-Za-z0-9+/=]{16,})")


def extract_inline_images(text: str) -> list[MediaLink]:
    """Each distinct ``data:image/…;base64,…`` URI in ``text`` as an image link, in order."""
    if "data:image/" not in text:
        return []
    seen: dict[str, MediaLink] = {}
    for match in _DATA_URI.finditer(text):
        uri = match.group(0)
        if uri not in seen:
            seen[uri] = MediaLink(url=uri, kind="image")
    return list(seen.values())
