"""Generated media as values: a URL or inline bytes, a MIME type, and safe saving to disk.

Gateways answer with a link (``url``, site fields such as ``oss_url``), with base64
(``b64_json``; gpt-image models often send nothing else), or with a binary body
(``/v1/videos/{id}/content``). A :class:`MediaItem` holds whichever arrived and decodes base64
only when the bytes are asked for. Nothing is downloaded unless the caller asks
(:meth:`MediaItem.fetch`, :meth:`MediaItem.save` with ``download=True``); downloads follow
http(s) links only, check the content type, and stop at a size cap. Saving writes inside the
given directory only, under a sanitised file name.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import mimetypes
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .errors import InvalidRequestError, ResponseFormatError

if TYPE_CHECKING:
    from .transport import Transport

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MediaItem",
    "MediaKind",
    "safe_filename",
    "sniff_mime",
]

MediaKind = Literal["image", "video", "audio"]
DEFAULT_MAX_BYTES = 200 * 1024 * 1024  # a few minutes of 1080p video

_EXTENSIONS = {
    "image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp",
    "image/bmp": ".bmp", "image/avif": ".avif", "image/svg+xml": ".svg",
    "video/mp4": ".mp4", "video/quicktime": ".mov", "video/webm": ".webm",
    "audio/mpeg": ".mp3", "audio/wav": ".wav", "audio/ogg": ".ogg", "audio/mp4": ".m4a",
    "audio/flac": ".flac",
}
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


# Signatures that are a plain prefix of the file, in the order they are tried.
_PREFIXES: tuple[tuple[tuple[bytes, ...], str], ...] = (
    ((b"\x89PNG\r\n\x1a\n",), "image/png"),
    ((b"\xff\xd8\xff",), "image/jpeg"),
    ((b"GIF87a", b"GIF89a"), "image/gif"),
    ((b"\x1a\x45\xdf\xa3",), "video/webm"),
    ((b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"), "audio/mpeg"),
    ((b"OggS",), "audio/ogg"),
    ((b"fLaC",), "audio/flac"),
)
_RIFF_FORMS = {b"WEBP": "image/webp", b"WAVE": "audio/wav"}
# ISO base media (``....ftyp<brand>``): the brand tells the kind; any other brand is MP4 video.
_FTYP_BRANDS = {b"avif": "image/avif", b"avis": "image/avif", b"qt  ": "video/quicktime",
                b"M4A ": "audio/mp4", b"M4B ": "audio/mp4"}


def sniff_mime(data: bytes) -> str | None:
    """The MIME type announced by a file's first bytes (images, videos, audio), else None."""
    head = data[:32]
    if head[:4] == b"RIFF":
        return _RIFF_FORMS.get(head[8:12])
    if head[4:8] == b"ftyp":
        return _FTYP_BRANDS.get(head[8:12], "video/mp4")
    for prefixes, mime in _PREFIXES:
        if head.startswith(prefixes):
            return mime
    if head.startswith(b"BM") and len(data) > 26:
        return "image/bmp"
    stripped = head.lstrip()
    if stripped.startswith(b"<svg") or (stripped.startswith(b"<?xml") and b"<svg" in data[:512]):
        return "image/svg+xml"
    return None


def _mime_from_url(url: str) -> str | None:
    path = url.split("?", 1)[0].split("#", 1)[0]
    guessed, _ = mimetypes.guess_type(path)
    return guessed


def safe_filename(name: str, extension: str = "") -> str:
    """A file name without directories, odd characters or a leading dot (at most 100 chars)."""
    base = os.path.basename(name.replace("\\", "/"))
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = _UNSAFE_NAME.sub("_", stem).strip("._-")[:80] or "media"
    ext = extension or (("." + _UNSAFE_NAME.sub("", ext)[:8]) if ext else "")
    return f"{stem}{ext}"


def _kind_of(mime: str | None) -> MediaKind | None:
    if not mime:
        return None
    major = mime.split("/", 1)[0]
    if major in ("image", "video", "audio"):
        return major  # type: ignore[return-value]
    return None


class MediaItem:
    """One generated image, video or audio clip.

    Attributes:
        kind: ``"image"``, ``"video"`` or ``"audio"``.
        url: Where the gateway put it (may expire: OpenAI-style URLs last about an hour, some
            sites' ``url`` 24 h and ``oss_url`` 7 days), or None for inline base64.
        revised_prompt: The prompt the model actually used, when it says.
        extra: Site-specific fields kept as sent (``oss_url``, ``id``, ``duration``, …).
        needs_auth: The URL is on the gateway itself (``/v1/videos/{id}/content``) and needs
            the key to fetch; :meth:`fetch` / :meth:`save` send it only to the gateway's origin.

    ``data`` (bytes) is decoded from base64 on first access; ``mime_type`` comes from the
    gateway, else from the bytes' magic numbers, else from the URL's extension.
    """

    __slots__ = ("_b64", "_data", "_mime", "extra", "kind", "needs_auth", "revised_prompt",
                 "url")

    def __init__(
        self,
        kind: MediaKind,
        *,
        url: str | None = None,
        b64: str | None = None,
        data: bytes | None = None,
        mime_type: str | None = None,
        revised_prompt: str | None = None,
        extra: Mapping[str, Any] | None = None,
        needs_auth: bool = False,
    ) -> None:
        self.kind = kind
        self.url = url or None
        self._b64 = b64 or None
        self._data = data
        self._mime = mime_type
        self.revised_prompt = revised_prompt or None
        self.extra: dict[str, Any] = dict(extra or {})
        self.needs_auth = needs_auth

    def __repr__(self) -> str:
        where = self.url if self.url else ("<inline bytes>" if self.has_data else "<empty>")
        return f"MediaItem(kind={self.kind!r}, url={where!r}, mime_type={self.mime_type!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MediaItem):
            return NotImplemented
        return (self.kind, self.url, self._b64, self._data, self.extra) == (
            other.kind, other.url, other._b64, other._data, other.extra)

    __hash__ = None  # type: ignore[assignment]

    # ------------------------------------------------------------------ content

    @property
    def has_data(self) -> bool:
        """True when the bytes are here (inline base64 or already fetched)."""
        return self._data is not None or self._b64 is not None

    @property
    def data(self) -> bytes | None:
        """The bytes, decoded from base64 on first access; None when only a URL is known."""
        if self._data is None and self._b64 is not None:
            text = self._b64
            if text.startswith("data:") and "," in text:
                text = text.split(",", 1)[1]
            try:
                self._data = base64.b64decode(text + "=" * (-len(text) % 4))
            except (binascii.Error, ValueError) as exc:
                raise ResponseFormatError(
                    f"The gateway's base64 image data could not be decoded ({exc})."
                ) from None
            self._b64 = None
        return self._data

    @property
    def mime_type(self) -> str | None:
        """``image/png``, ``video/mp4``, …: as announced, else sniffed, else from the URL."""
        if self._mime:
            return self._mime
        if self.has_data:
            data = self.data
            sniffed = sniff_mime(data) if data else None
            if sniffed:
                self._mime = sniffed
                return sniffed
        if self.url and not self.url.startswith("data:"):
            return _mime_from_url(self.url)
        return None

    @property
    def data_uri(self) -> str | None:
        """``data:<mime>;base64,…`` for inline content (for chat image parts), else None."""
        data = self.data
        if data is None:
            return None
        mime = self.mime_type or "application/octet-stream"
        return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"

    @property
    def best_url(self) -> str | None:
        """The longest-lived link: a site's ``oss_url`` when present, else ``url``."""
        oss = self.extra.get("oss_url")
        if isinstance(oss, str) and oss.startswith(("http://", "https://")):
            return oss
        return self.url

    def to_dict(self, *, include_data: bool = False) -> dict[str, Any]:
        """A JSON-friendly summary (bytes left out unless ``include_data``)."""
        out: dict[str, Any] = {"kind": self.kind, "url": self.url, "mime_type": self.mime_type}
        if self.revised_prompt:
            out["revised_prompt"] = self.revised_prompt
        if self.extra:
            out["extra"] = dict(self.extra)
        if self.needs_auth:
            out["needs_auth"] = True
        if include_data and self.has_data:
            out["data_uri"] = self.data_uri
        elif self.has_data:
            out["inline_bytes"] = len(self.data or b"")
        return out

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> MediaItem:
        """The item back from :meth:`to_dict` (``include_data=True`` keeps the bytes): what a
        checkpointer or a workflow context stored comes back as a working ``MediaItem``."""
        return cls(
            record.get("kind") or "image", url=record.get("url"),
            b64=record.get("data_uri"), mime_type=record.get("mime_type"),
            revised_prompt=record.get("revised_prompt"), extra=record.get("extra"),
            needs_auth=bool(record.get("needs_auth")),
        )

    # ------------------------------------------------------------------ fetching / saving

    def fetch(self, transport: Transport, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
        """The bytes: inline ones, else downloaded from :attr:`url` (http(s) only, capped)."""
        if self.has_data:
            data = self.data or b""
            _check_size(len(data), max_bytes)
            return data
        url = self._download_url()
        with transport.stream("GET", url, what=f"Downloading the {self.kind}") as response:
            self._check_content_type(response.headers.get("content-type", ""))
            chunks: list[bytes] = []
            total = 0
            for chunk in response.iter_bytes():
                total += len(chunk)
                _check_size(total, max_bytes)
                chunks.append(chunk)
        self._data = b"".join(chunks)
        return self._data

    async def afetch(self, transport: Transport, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
        """Async twin of :meth:`fetch`."""
        if self.has_data:
            data = self.data or b""
            _check_size(len(data), max_bytes)
            return data
        url = self._download_url()
        async with transport.astream(
            "GET", url, what=f"Downloading the {self.kind}"
        ) as response:
            self._check_content_type(response.headers.get("content-type", ""))
            chunks: list[bytes] = []
            total = 0
            async for chunk in response.aiter_bytes():
                total += len(chunk)
                _check_size(total, max_bytes)
                chunks.append(chunk)
        self._data = b"".join(chunks)
        return self._data

    def save(
        self,
        directory: str | os.PathLike[str],
        *,
        name: str | None = None,
        transport: Transport | None = None,
        download: bool = False,
        max_bytes: int = DEFAULT_MAX_BYTES,
        overwrite: bool = False,
    ) -> Path:
        """Write the media into ``directory`` and return the file's path.

        Inline bytes are written directly. A URL-only item is downloaded only with
        ``download=True`` and a ``transport`` (``GatewayClient.transport``), so saving never
        fetches anything by surprise. The file name comes from ``name`` or the content's hash,
        sanitised; an existing file is never replaced unless ``overwrite``.
        """
        if not self.has_data:
            if not download or transport is None:
                raise InvalidRequestError(
                    f"This {self.kind} is only a link ({self.url}); pass download=True and "
                    "transport=client.transport to fetch it, or open the link yourself."
                )
            self.fetch(transport, max_bytes=max_bytes)
        return self._write(directory, name, max_bytes, overwrite)

    async def asave(
        self,
        directory: str | os.PathLike[str],
        *,
        name: str | None = None,
        transport: Transport | None = None,
        download: bool = False,
        max_bytes: int = DEFAULT_MAX_BYTES,
        overwrite: bool = False,
    ) -> Path:
        """Async twin of :meth:`save` (the file write itself is small and local)."""
        if not self.has_data:
            if not download or transport is None:
                raise InvalidRequestError(
                    f"This {self.kind} is only a link ({self.url}); pass download=True and "
                    "transport=client.transport to fetch it, or open the link yourself."
                )
            await self.afetch(transport, max_bytes=max_bytes)
        return self._write(directory, name, max_bytes, overwrite)

    # ------------------------------------------------------------------ internals

    def _download_url(self) -> str:
        url = self.url or ""
        if not url.startswith(("http://", "https://")):
            raise InvalidRequestError(
                f"Cannot download {url[:60]!r}: only http(s) links are fetched."
            )
        return url

    def _check_content_type(self, content_type: str) -> None:
        mime = content_type.split(";", 1)[0].strip().lower()
        kind = _kind_of(mime)
        if kind is not None:
            if not self._mime:
                self._mime = mime
            return
        if mime in ("", "application/octet-stream", "binary/octet-stream"):
            return
        raise ResponseFormatError(
            f"Expected a {self.kind} at {self.url} but the server sent {mime!r}; the link may "
            "have expired."
        )

    def _write(
        self, directory: str | os.PathLike[str], name: str | None, max_bytes: int, overwrite: bool
    ) -> Path:
        data = self.data or b""
        _check_size(len(data), max_bytes)
        if not data:
            raise ResponseFormatError(f"The {self.kind} is empty; nothing to save.")
        root = Path(directory).expanduser().resolve()
        root.mkdir(parents=True, exist_ok=True)
        extension = _EXTENSIONS.get(self.mime_type or "", "")
        stem = name or f"{self.kind}-{hashlib.sha256(data).hexdigest()[:16]}"
        filename = safe_filename(stem, extension if not name or "." not in name else "")
        target = (root / filename).resolve()
        if target.parent != root:
            raise InvalidRequestError(f"Refusing to write outside {root}: {filename!r}.")
        if target.exists() and not overwrite:
            if name is None and target.read_bytes() == data:
                return target
            target = _unique(target)
        # Written under a temporary name then renamed, so a crash leaves no half file.
        handle, temp = tempfile.mkstemp(dir=root, prefix=".partial-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.chmod(temp, _file_mode())  # mkstemp makes 0600; media is not secret
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return target


def _file_mode() -> int:
    """0666 less the process umask: what ``open(path, "w")`` would have given the file."""
    try:  # Linux states the umask without changing it (no race with other threads)
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _unique(target: Path) -> Path:
    for number in range(1, 10_000):
        candidate = target.with_name(f"{target.stem}-{number}{target.suffix}")
        if not candidate.exists():
            return candidate
    raise InvalidRequestError(f"Too many files named like {target.name} in {target.parent}.")


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise InvalidRequestError(
            f"The media is larger than max_bytes={max_bytes:,}; raise max_bytes to accept it."
        )
