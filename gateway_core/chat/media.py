"""Image and video links in chat-format media answers (protocol.md §4.6).

Relays expose image and video models (``sora-2``, ``chat-seededit``, …) through
``/v1/chat/completions``: the answer is Markdown with progress lines and, at the end, links such
as ``![image](https://…png)`` or ``[点击这里](https://…mp4)``. :func:`extract_media_links` finds
Markdown images, Markdown links and bare URLs, classifies each as image or video by extension,
then by the link text, then by the model's kind, and skips everything inside code blocks (where
relays echo the request, input image URLs included).
"""

from __future__ import annotations

import re

from .inline_media import extract_inline_images
from .types import MediaKind, MediaLink

__all__ = ["classify_url", "extract_media_links", "media_links"]

_IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".svg", ".avif", ".heic",
                     ".tif", ".tiff")
_VIDEO_EXTENSIONS = (".mp4", ".mov", ".webm", ".m3u8", ".avi", ".mkv", ".m4v", ".flv", ".wmv")
_VIDEO_WORDS = ("video", "视频", "mp4", "影片", "movie")
_IMAGE_WORDS = ("image", "图片", "图像", "picture", "photo", "照片", "img", "画")

_FENCED = re.compile(r"```.*?(?:```|$)|`[^`\n]*`", re.DOTALL)
# Every repeated class stops at the next ``[`` (and a title at the next quote or line end), so
# a failed match never rescans past the next link's start: linear even on ``"[" * n``.
_MARKDOWN = re.compile(
    r"(!?)\[([^\[\]\n]*)\]\(\s*<?(https?://[^\s)>\[\]]+)>?(?:\s+\"[^\"\n\[]*\")?\s*\)"
)
_BARE_URL = re.compile(r"https?://[^\s<>\"'`()\[\]{}，。、；！？）（]+")
_TRAILING = ".,;:!?'\"”’"


def classify_url(url: str) -> MediaKind | None:
    """``"image"`` or ``"video"`` from the URL path's extension, else None."""
    path = url.split("?", 1)[0].split("#", 1)[0].lower()
    if path.endswith(_IMAGE_EXTENSIONS):
        return "image"
    if path.endswith(_VIDEO_EXTENSIONS):
        return "video"
    return None


def _classify_words(title: str) -> MediaKind | None:
    lowered = title.lower()
    if any(word in lowered for word in _VIDEO_WORDS):
        return "video"
    if any(word in lowered for word in _IMAGE_WORDS):
        return "image"
    return None


def extract_media_links(text: str, default_kind: MediaKind | None = None) -> list[MediaLink]:
    """Media links in ``text``, in order, without duplicates.

    ``default_kind`` (the model's kind, for image/video models) classifies links whose URL
    and text say nothing; without it such links are not media and are skipped.
    """
    if "http" not in text:
        return []
    visible = _FENCED.sub(" ", text)
    found: dict[str, MediaLink] = {}
    for bang, title, url in _MARKDOWN.findall(visible):
        kind = classify_url(url) or _classify_words(title)
        if kind is None:
            kind = "image" if bang else default_kind
        if kind is not None and url not in found:
            found[url] = MediaLink(url=url, kind=kind, title=title.strip())
    remainder = _MARKDOWN.sub(" ", visible)
    for match in _BARE_URL.findall(remainder):
        url = match.rstrip(_TRAILING)
        kind = classify_url(url) or default_kind
        if kind is not None and url not in found:
            found[url] = MediaLink(url=url, kind=kind)
    return list(found.values())


def media_links(text: str, default_kind: MediaKind | None) -> list[MediaLink]:
    """Media links of a final answer text: Markdown and bare links, and ``data:`` images."""
    links: list[MediaLink] = extract_media_links(text, default_kind) if "http" in text else []
    if "data:image/" in text:
        links += extract_inline_images(text)
    return links
