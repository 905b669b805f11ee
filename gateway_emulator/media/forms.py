"""Request bodies of the media routes: JSON, multipart/form-data or urlencoded.

new-api's body parser understands exactly these three content types; anything else parses as an
empty body (protocol.md §12.2). Multipart is parsed here (no python-multipart dependency).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_PARAM = re.compile(r';\s*(name|filename)="((?:[^"\\]|\\.)*)"', re.IGNORECASE)


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart body."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class Form:
    """The fields of a request body; ``files`` only for multipart."""

    fields: dict[str, Any] = field(default_factory=dict)
    files: list[Upload] = field(default_factory=list)
    kind: str = "empty"  # "json" | "multipart" | "urlencoded" | "empty"

    def uploads(self, *names: str) -> list[Upload]:
        return [f for f in self.files if f.field in names]


class BodyError(ValueError):
    """The body claims a content type but cannot be parsed as one."""


async def read_form(request: Request) -> Form:
    """The parsed body; raises :class:`BodyError` for broken JSON or multipart."""
    content_type = request.headers.get("content-type", "").lower()
    body = await request.body()
    if "application/json" in content_type:
        if not body.strip():
            return Form(kind="json")
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise BodyError(f"invalid JSON body: {exc}") from exc
        if not isinstance(data, dict):
            raise BodyError("the JSON body must be an object")
        return Form(fields=data, kind="json")
    if "multipart/form-data" in content_type:
        return parse_multipart(body, request.headers.get("content-type", ""))
    if "application/x-www-form-urlencoded" in content_type:
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        form = Form(kind="urlencoded")
        for name, value in pairs:
            _add(form.fields, name, value)
        return form
    return Form()


def parse_multipart(body: bytes, content_type: str) -> Form:
    match = _BOUNDARY.search(content_type)
    if match is None:
        raise BodyError("multipart body without a boundary")
    delimiter = b"--" + match.group(1).encode("latin-1")
    sections = body.split(delimiter)
    if len(sections) < 2:
        raise BodyError("multipart body without any part")
    form = Form(kind="multipart")
    for section in sections[1:]:
        if section.startswith(b"--"):
            break
        head, sep, data = section.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            raise BodyError("multipart part without headers")
        headers = _headers(head.decode("utf-8", "replace"))
        disposition = headers.get("content-disposition", "")
        params = {k.lower(): v for k, v in _PARAM.findall(disposition)}
        name = params.get("name")
        if name is None:
            continue
        data = data.removesuffix(b"\r\n")
        if "filename" in params:
            form.files.append(Upload(name, params["filename"],
                                     headers.get("content-type", "application/octet-stream"),
                                     data))
        else:
            _add(form.fields, name, data.decode("utf-8", "replace"))
    return form


def _headers(text: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in text.split("\r\n"):
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers


def _add(fields: dict[str, Any], name: str, value: str) -> None:
    """Repeated names (``images[]``) collect into a list."""
    if name in fields:
        current = fields[name]
        fields[name] = [*current, value] if isinstance(current, list) else [current, value]
    else:
        fields[name] = value


IMAGE_MAGIC = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}


def sniff_image(data: bytes) -> str | None:
    """The image MIME type from the magic number, or None if the bytes are no image."""
    for mime, magics in IMAGE_MAGIC.items():
        if any(data.startswith(m) for m in magics):
            return mime
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None
