"""Input images for edits and image-to-video: checked before anything is sent.

An input may be a local path, raw bytes, a ``data:`` URI or an http(s) URL. Files must exist
and bytes must really be an image (magic numbers, not the file name), so a typo or a PDF is a
clear :class:`~gateway_core.errors.InvalidRequestError` instead of a paid request that fails.
URLs are passed to the gateway as they are; nothing is downloaded here.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

from .errors import InvalidRequestError
from .media_items import MediaItem, sniff_mime

__all__ = ["MAX_INPUT_BYTES", "ImageInput", "InputImage", "load_image", "load_images"]

MAX_INPUT_BYTES = 50 * 1024 * 1024  # OpenAI's limit for gpt-image inputs
MAX_INPUT_IMAGES = 16
_IMAGE_MIMES = ("image/png", "image/jpeg", "image/webp", "image/gif", "image/bmp", "image/avif")

ImageInput = Union[str, bytes, "os.PathLike[str]", MediaItem]


@dataclass(frozen=True)
class InputImage:
    """One checked input: either a URL (sent as is) or bytes with their MIME type."""

    url: str | None = None
    data: bytes | None = None
    mime_type: str = "image/png"
    filename: str = "image.png"

    @property
    def is_url(self) -> bool:
        return self.url is not None

    def as_data_uri(self) -> str:
        """``data:image/png;base64,…`` (for JSON bodies and chat image parts)."""
        if self.url is not None:
            return self.url
        assert self.data is not None
        return f"data:{self.mime_type};base64,{base64.b64encode(self.data).decode('ascii')}"

    def as_reference(self) -> str:
        """The URL, or the data URI for local bytes."""
        return self.url if self.url is not None else self.as_data_uri()

    def as_file(self, name: str | None = None) -> tuple[str, bytes, str]:
        """``(filename, bytes, mime)`` for an httpx multipart part."""
        assert self.data is not None
        return (name or self.filename, self.data, self.mime_type)


def _checked_bytes(data: bytes, what: str, filename: str) -> InputImage:
    if not data:
        raise InvalidRequestError(f"{what} is empty.")
    if len(data) > MAX_INPUT_BYTES:
        raise InvalidRequestError(
            f"{what} is {len(data):,} bytes; gateways accept at most {MAX_INPUT_BYTES:,}. "
            "Resize or compress it first."
        )
    mime = sniff_mime(data)
    if mime not in _IMAGE_MIMES:
        found = f" (it looks like {mime})" if mime else ""
        raise InvalidRequestError(
            f"{what} is not a PNG, JPEG, WebP or GIF image{found}. Pass an image file, image "
            "bytes, a data: URI or an http(s) URL."
        )
    extension = {"image/jpeg": "jpg", "image/svg+xml": "svg"}.get(mime, mime.split("/")[1])
    stem = Path(filename).stem or "image"
    return InputImage(data=data, mime_type=mime, filename=f"{stem}.{extension}")


def load_image(value: Any, what: str = "The input image") -> InputImage:
    """Check one input image; raise :class:`InvalidRequestError` before any request if bad."""
    if isinstance(value, MediaItem):
        if value.has_data:
            return _checked_bytes(value.data or b"", what, "image")
        if value.url:
            return load_image(value.url, what)
        raise InvalidRequestError(f"{what} has neither a URL nor data.")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _checked_bytes(bytes(value), what, "image")
    if isinstance(value, os.PathLike):
        return _load_path(Path(value), what)
    if hasattr(value, "scheme") and hasattr(value, "host"):  # pydantic / httpx URL objects
        value = str(value)
    if not isinstance(value, str):
        raise InvalidRequestError(
            f"{what} must be a file path, bytes, a data: URI or an http(s) URL, not "
            f"{type(value).__name__}."
        )
    text = value.strip()
    if not text:
        raise InvalidRequestError(f"{what} is an empty string.")
    if text.startswith(("http://", "https://")):
        return InputImage(url=text)
    if text.startswith("data:"):
        header, _, payload = text.partition(",")
        if ";base64" not in header or not payload:
            raise InvalidRequestError(f"{what} is a data: URI without base64 content.")
        try:
            data = base64.b64decode(payload, validate=False)
        except (binascii.Error, ValueError):
            raise InvalidRequestError(f"{what} is a data: URI whose base64 is broken.") from None
        return _checked_bytes(data, what, "image")
    if "://" in text[:12]:
        raise InvalidRequestError(f"{what} {text[:80]!r}: only http(s) URLs are accepted.")
    return _load_path(Path(text).expanduser(), what)


def _load_path(path: Path, what: str) -> InputImage:
    if not path.is_file():
        raise InvalidRequestError(
            f"{what} {str(path)!r} does not exist or is not a file. Check the path (relative "
            f"paths start at {os.getcwd()})."
        )
    size = path.stat().st_size
    if size > MAX_INPUT_BYTES:
        raise InvalidRequestError(
            f"{what} {path.name} is {size:,} bytes; gateways accept at most {MAX_INPUT_BYTES:,}."
        )
    return _checked_bytes(path.read_bytes(), f"{what} {path.name}", path.name)


def load_images(values: Any, what: str = "Input image") -> list[InputImage]:
    """Check one or several inputs (a single value or a list)."""
    if values is None:
        return []
    if isinstance(values, (str, bytes, bytearray, memoryview, os.PathLike, MediaItem)):
        items: Sequence[Any] = [values]
    elif isinstance(values, Sequence):
        items = values
    else:
        raise InvalidRequestError(f"{what}s must be a list of images, not {type(values).__name__}.")
    if len(items) > MAX_INPUT_IMAGES:
        raise InvalidRequestError(
            f"{len(items)} input images is more than gateways accept ({MAX_INPUT_IMAGES})."
        )
    return [load_image(item, f"{what} {number}") for number, item in enumerate(items, 1)]
