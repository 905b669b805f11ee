"""OpenAI content parts for multimodal messages, built the same way for both frameworks.

Images go as ``image_url`` (a URL or a ``data:`` URL), audio as ``input_audio`` (base64 plus a
format), files and PDFs as ``file`` (``file_data`` as a data URL, or a URL, or ``file_id``), and
video as ``video_url`` — the part the relays' video-understanding models (Qwen-VL, Doubao, GLM)
read (docs/protocol.md §4.1).
"""

from __future__ import annotations

import base64
from typing import Any

from ..errors import InvalidRequestError

__all__ = [
    "audio_part",
    "data_url",
    "file_part",
    "guess_mime_type",
    "image_part",
    "text_part",
    "video_part",
]

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF", "application/pdf"),
    (b"ID3", "audio/mpeg"),
    (b"\xff\xfb", "audio/mpeg"),
    (b"OggS", "audio/ogg"),
    (b"fLaC", "audio/flac"),
    (b"\x1aE\xdf\xa3", "video/webm"),
)
_AUDIO_FORMATS = {
    "audio/wav": "wav", "audio/x-wav": "wav", "audio/wave": "wav", "audio/mpeg": "mp3",
    "audio/mp3": "mp3", "audio/ogg": "ogg", "audio/flac": "flac", "audio/webm": "webm",
    "audio/mp4": "m4a", "audio/aac": "aac",
}


def guess_mime_type(data: bytes) -> str | None:
    """A MIME type from the first bytes of a file, for the formats chat models accept."""
    for signature, mime in _SIGNATURES:
        if data.startswith(signature):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    return None


def _base64_text(data: bytes | str) -> str:
    if isinstance(data, bytes):
        return base64.b64encode(data).decode("ascii")
    return data.split(",", 1)[1] if data.startswith("data:") else data


def data_url(data: bytes | str, mime_type: str | None = None) -> str:
    """A ``data:`` URL from raw bytes or base64 text (the MIME type sniffed when not given)."""
    if isinstance(data, str) and data.startswith("data:"):
        return data
    if mime_type is None and isinstance(data, bytes):
        mime_type = guess_mime_type(data)
    if mime_type is None and isinstance(data, str):
        try:
            mime_type = guess_mime_type(base64.b64decode(data[:64] + "=" * (-len(data[:64]) % 4)))
        except ValueError:
            mime_type = None
    return f"data:{mime_type or 'application/octet-stream'};base64,{_base64_text(data)}"


def text_part(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def image_part(
    url: str | None = None,
    *,
    data: bytes | str | None = None,
    mime_type: str | None = None,
    detail: str | None = None,
) -> dict[str, Any]:
    """An ``image_url`` part from a URL, or from bytes / base64 text (sent as a data URL)."""
    if url is None and data is None:
        raise InvalidRequestError("An image needs a URL or data.")
    image: dict[str, Any] = {"url": url if url is not None else data_url(data or b"", mime_type)}
    if detail:
        image["detail"] = detail
    return {"type": "image_url", "image_url": image}


def audio_part(data: bytes | str, *, mime_type: str | None = None,
               audio_format: str | None = None) -> dict[str, Any]:
    """An ``input_audio`` part (base64 data and a format such as ``wav`` or ``mp3``)."""
    if isinstance(data, str) and data.startswith("data:"):
        header = data[5:].split(";", 1)[0]
        mime_type = mime_type or header
    if audio_format is None:
        if mime_type is None and isinstance(data, bytes):
            mime_type = guess_mime_type(data)
        audio_format = _format_of_mime(mime_type)
    return {
        "type": "input_audio",
        "input_audio": {"data": _base64_text(data), "format": audio_format or "wav"},
    }


def audio_url_part(url: str, *, mime_type: str | None = None,
                   audio_format: str | None = None) -> dict[str, Any]:
    """An ``input_audio`` part whose data is a URL (some relays, Qwen-Omni, accept that).

    The format: the one given, else the MIME type's, else the URL path's extension, else
    ``wav``; a ``data:`` URL is inline data (:func:`audio_part`).
    """
    if url.startswith("data:"):
        return audio_part(url, mime_type=mime_type, audio_format=audio_format)
    path = url.split("?", 1)[0].split("#", 1)[0].rsplit("/", 1)[-1]
    extension = path.rsplit(".", 1)[1].lower() if "." in path else None
    audio_format = audio_format or _format_of_mime(mime_type) or extension or "wav"
    return {"type": "input_audio", "input_audio": {"data": url, "format": audio_format}}


def _format_of_mime(mime_type: str | None) -> str | None:
    audio_format = _AUDIO_FORMATS.get((mime_type or "").lower())
    if audio_format is None and mime_type and mime_type.startswith("audio/"):
        audio_format = mime_type.split("/", 1)[1]
    return audio_format


def file_part(
    *,
    data: bytes | str | None = None,
    url: str | None = None,
    file_id: str | None = None,
    mime_type: str | None = None,
    filename: str | None = None,
) -> dict[str, Any]:
    """A ``file`` part: inline data (as a data URL), a URL, or an uploaded file's id."""
    file: dict[str, Any] = {}
    if file_id:
        file["file_id"] = file_id
    elif data is not None:
        file["file_data"] = data_url(data, mime_type or "application/pdf")
    elif url:
        file["file_data"] = url
    else:
        raise InvalidRequestError("A file needs data, a URL or a file id.")
    if filename or not file_id:
        file["filename"] = filename or _default_filename(mime_type or "application/pdf")
    return {"type": "file", "file": file}


def _default_filename(mime_type: str) -> str:
    extension = mime_type.split("/", 1)[-1].split(";", 1)[0] or "bin"
    return f"document.{extension}"


def video_part(url: str | None = None, *, data: bytes | str | None = None,
               mime_type: str | None = None) -> dict[str, Any]:
    """A ``video_url`` part (a URL, or a data URL for inline video)."""
    if url is None and data is None:
        raise InvalidRequestError("A video needs a URL or data.")
    target = url if url is not None else data_url(data or b"", mime_type or "video/mp4")
    return {"type": "video_url", "video_url": {"url": target}}
