"""Audio: text to speech (``/v1/audio/speech``), speech to text (``/v1/audio/transcriptions``)
and translation to English (``/v1/audio/translations``).

protocol.md §10 and OpenAI's audio reference, which new-api relays as is. Speech is a JSON
request answered with binary audio, streamed straight into a file so a long reading never sits
in memory. Transcription and translation are multipart uploads; the file is checked before
anything is sent (it exists, is at most 25 MB, OpenAI's limit, and is one of the documented
formats), so a typo or an oversized recording fails here instead of after an upload.

Answers in every documented ``response_format`` (``json``, ``text``, ``srt``, ``vtt``,
``verbose_json``) are read into one :class:`Transcription`; ``srt``/``vtt`` cues become
segments with start and end times, so RAG loaders get timestamps whatever format was asked.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InvalidRequestError, ResponseFormatError
from .media_items import MediaItem, sniff_mime

if TYPE_CHECKING:
    from .transport import Response, Transport

__all__ = [
    "AUDIO_FORMATS",
    "MAX_UPLOAD_BYTES",
    "SPEECH_FORMATS",
    "AudioUpload",
    "Segment",
    "SpeechCall",
    "SpeechResult",
    "Transcription",
    "TranscriptionCall",
    "aload_audio",
    "aspeech",
    "atranscribe",
    "build_speech_body",
    "build_transcription_form",
    "load_audio",
    "parse_timed_text",
    "parse_transcription",
    "speech",
    "transcribe",
]

SPEECH_PATH = "/v1/audio/speech"
TRANSCRIPTIONS_PATH = "/v1/audio/transcriptions"
TRANSLATIONS_PATH = "/v1/audio/translations"
MAX_UPLOAD_BYTES = 25 * 1024 * 1024  # OpenAI: "File uploads are currently limited to 25 MB"
MAX_SPEECH_CHARS = 4096  # OpenAI: the input's maximum length
AUDIO_FORMATS = ("flac", "mp3", "mp4", "mpeg", "mpga", "m4a", "ogg", "wav", "webm")
SPEECH_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
TRANSCRIPT_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
DEFAULT_AUDIO_TIMEOUT = 300.0  # a long recording takes minutes to transcribe
_SNIFFED = {"audio/wav": "wav", "audio/mpeg": "mp3", "audio/ogg": "ogg", "audio/flac": "flac",
            "audio/mp4": "m4a", "video/mp4": "mp4", "video/webm": "webm",
            "video/quicktime": "mp4"}
_MIMES = {"wav": "audio/wav", "mp3": "audio/mpeg", "mpga": "audio/mpeg", "mpeg": "audio/mpeg",
          "ogg": "audio/ogg", "flac": "audio/flac", "m4a": "audio/mp4", "mp4": "video/mp4",
          "webm": "video/webm", "opus": "audio/ogg", "aac": "audio/aac", "pcm": "audio/L16"}


# ---------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class AudioUpload:
    """One checked audio file, ready to be a multipart part."""

    data: bytes
    filename: str
    mime_type: str

    def as_file(self) -> tuple[str, bytes, str]:
        return (self.filename, self.data, self.mime_type)


def _format_of(data: bytes, filename: str) -> str | None:
    sniffed = _SNIFFED.get(sniff_mime(data) or "")
    if sniffed:
        return sniffed
    suffix = Path(filename).suffix.lower().lstrip(".")
    return suffix if suffix in AUDIO_FORMATS else None


def _checked(data: bytes, filename: str, what: str) -> AudioUpload:
    if not data:
        raise InvalidRequestError(f"{what} is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidRequestError(
            f"{what} is {len(data):,} bytes; transcription accepts at most "
            f"{MAX_UPLOAD_BYTES:,} (25 MB). Split the recording or compress it (e.g. mono mp3)."
        )
    audio_format = _format_of(data, filename)
    if audio_format is None:
        raise InvalidRequestError(
            f"{what} is not audio in a supported format ({', '.join(AUDIO_FORMATS)}). "
            "Convert it first, e.g. `ffmpeg -i input output.mp3`."
        )
    stem = Path(filename).stem or "audio"
    return AudioUpload(data=data, filename=f"{stem}.{audio_format}",
                       mime_type=_MIMES[audio_format])


def _path_upload(path: Path, what: str) -> AudioUpload:
    if not path.is_file():
        raise InvalidRequestError(
            f"{what} {str(path)!r} does not exist or is not a file (relative paths start at "
            f"{os.getcwd()})."
        )
    size = path.stat().st_size  # checked before reading: never load a 2 GB video by mistake
    if size > MAX_UPLOAD_BYTES:
        raise InvalidRequestError(
            f"{what} {path.name} is {size:,} bytes; transcription accepts at most "
            f"{MAX_UPLOAD_BYTES:,} (25 MB). Split the recording or compress it."
        )
    return _checked(path.read_bytes(), path.name, f"{what} {path.name}")


def _classify(value: Any, what: str) -> AudioUpload | MediaItem:
    """An upload for local input, or a :class:`MediaItem` to download for a URL."""
    if isinstance(value, MediaItem):
        if value.has_data:
            return _checked(value.data or b"", "audio", what)
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _checked(bytes(value), "audio", what)
    if isinstance(value, os.PathLike):
        return _path_upload(Path(value), what)
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequestError(
            f"{what} must be a file path, bytes or an http(s) URL, not {value!r:.60}."
        )
    text = value.strip()
    if text.startswith(("http://", "https://")):
        return MediaItem("audio", url=text)
    if "://" in text[:12]:
        raise InvalidRequestError(f"{what} {text[:80]!r}: only http(s) URLs are accepted.")
    return _path_upload(Path(text).expanduser(), what)


def _url_name(item: MediaItem) -> str:
    return (item.url or "audio").split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or "audio"


def load_audio(value: Any, transport: Transport | None = None,
               what: str = "The audio file") -> AudioUpload:
    """Check one input (path, bytes, :class:`MediaItem` or URL, which is downloaded with a
    25 MB cap before anything is uploaded)."""
    found = _classify(value, what)
    if isinstance(found, AudioUpload):
        return found
    if transport is None:
        raise InvalidRequestError(f"{what} is a URL; a transport is needed to download it.")
    data = found.fetch(transport, max_bytes=MAX_UPLOAD_BYTES)
    return _checked(data, _url_name(found), what)


async def aload_audio(value: Any, transport: Transport | None = None,
                      what: str = "The audio file") -> AudioUpload:
    """Async twin of :func:`load_audio`."""
    found = _classify(value, what)
    if isinstance(found, AudioUpload):
        return found
    if transport is None:
        raise InvalidRequestError(f"{what} is a URL; a transport is needed to download it.")
    data = await found.afetch(transport, max_bytes=MAX_UPLOAD_BYTES)
    return _checked(data, _url_name(found), what)


# ---------------------------------------------------------------------- speech


@dataclass(frozen=True)
class SpeechCall:
    """Settings of one ``/v1/audio/speech`` request."""

    model: str
    voice: str
    response_format: str = "mp3"
    speed: float | None = None
    instructions: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    timeout: float = DEFAULT_AUDIO_TIMEOUT


def build_speech_body(text: str, call: SpeechCall) -> dict[str, Any]:
    """The JSON body, after the checks OpenAI documents (input length, format, speed)."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidRequestError("The text to speak is empty.")
    if len(text) > MAX_SPEECH_CHARS:
        raise InvalidRequestError(
            f"The text to speak is {len(text):,} characters; speech accepts at most "
            f"{MAX_SPEECH_CHARS:,}. Split it and speak the parts in turn."
        )
    if not call.model.strip():
        raise InvalidRequestError("model is required: name the speech model, e.g. 'tts-1'.")
    if not call.voice.strip():
        raise InvalidRequestError("voice is required, e.g. 'alloy'.")
    if call.response_format not in SPEECH_FORMATS:
        raise InvalidRequestError(
            f"response_format {call.response_format!r} is not one of {', '.join(SPEECH_FORMATS)}."
        )
    body: dict[str, Any] = {"model": call.model, "input": text, "voice": call.voice,
                            "response_format": call.response_format}
    if call.speed is not None:
        if isinstance(call.speed, bool) or not 0.25 <= float(call.speed) <= 4.0:
            raise InvalidRequestError(f"speed must be between 0.25 and 4.0, not {call.speed!r}.")
        body["speed"] = float(call.speed)
    if call.instructions:
        body["instructions"] = call.instructions
    body.update({k: v for k, v in call.extra.items() if v is not None})
    return body


@dataclass(frozen=True)
class SpeechResult:
    """Where the audio went: ``path``, its size, MIME type and the gateway's request id."""

    path: Path
    bytes_written: int
    mime_type: str
    request_id: str | None = None


def _target(path: str | os.PathLike[str], call: SpeechCall) -> Path:
    target = Path(path).expanduser()
    if target.is_dir():
        target = target / f"speech.{call.response_format}"
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _speech_result(target: Path, written: int, headers: Any, call: SpeechCall,
                   request_id: str | None) -> SpeechResult:
    if written == 0:
        target.unlink(missing_ok=True)
        raise ResponseFormatError("The gateway answered the speech request with no audio.",
                                  request_id=request_id)
    mime = str(headers.get("content-type", "")).split(";")[0] or _MIMES[call.response_format]
    return SpeechResult(path=target, bytes_written=written, mime_type=mime,
                        request_id=request_id)


def speech(transport: Transport, text: str, call: SpeechCall,
           path: str | os.PathLike[str]) -> SpeechResult:
    """``POST /v1/audio/speech``, the audio streamed into ``path`` (a file or a directory).

    Written to ``<path>.part`` first, so a dropped connection never leaves a truncated file
    under the final name.
    """
    body = build_speech_body(text, call)
    target = _target(path, call)
    partial = target.with_name(target.name + ".part")
    written = 0
    try:
        with transport.stream("POST", SPEECH_PATH, json=body, idempotent=False,
                              what="Synthesising speech") as response, partial.open("wb") as out:
            for chunk in response.iter_bytes():
                out.write(chunk)
                written += len(chunk)
            headers, request_id = response.headers, response.request_id
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)
    return _speech_result(target, written, headers, call, request_id)


async def aspeech(transport: Transport, text: str, call: SpeechCall,
                  path: str | os.PathLike[str]) -> SpeechResult:
    """Async twin of :func:`speech`."""
    body = build_speech_body(text, call)
    target = _target(path, call)
    partial = target.with_name(target.name + ".part")
    written = 0
    try:
        async with transport.astream("POST", SPEECH_PATH, json=body, idempotent=False,
                                     what="Synthesising speech") as response:
            with partial.open("wb") as out:
                async for chunk in response.aiter_bytes():
                    out.write(chunk)
                    written += len(chunk)
            headers, request_id = response.headers, response.request_id
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)
    return _speech_result(target, written, headers, call, request_id)


# ---------------------------------------------------------------------- transcription


@dataclass(frozen=True)
class TranscriptionCall:
    """Settings of one transcription (``translate=False``) or translation request."""

    model: str = "whisper-1"
    response_format: str = "json"
    language: str | None = None
    prompt: str | None = None
    temperature: float | None = None
    timestamp_granularities: tuple[str, ...] = ()
    translate: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)
    timeout: float = DEFAULT_AUDIO_TIMEOUT

    @property
    def path(self) -> str:
        return TRANSLATIONS_PATH if self.translate else TRANSCRIPTIONS_PATH


def build_transcription_form(call: TranscriptionCall) -> list[tuple[str, str]]:
    """The form fields besides the file, after OpenAI's documented checks."""
    if call.response_format not in TRANSCRIPT_FORMATS:
        raise InvalidRequestError(
            f"response_format {call.response_format!r} is not one of "
            f"{', '.join(TRANSCRIPT_FORMATS)}."
        )
    if call.translate and call.language:
        raise InvalidRequestError(
            "Translation always produces English; language= applies only to transcription."
        )
    fields: list[tuple[str, str]] = [("model", call.model),
                                     ("response_format", call.response_format)]
    if call.language:
        if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z]{2})?", call.language):
            raise InvalidRequestError(
                f"language {call.language!r} is not an ISO-639-1 code such as 'en' or 'zh'."
            )
        fields.append(("language", call.language))
    if call.prompt:
        fields.append(("prompt", call.prompt))
    if call.temperature is not None:
        if isinstance(call.temperature, bool) or not 0.0 <= float(call.temperature) <= 1.0:
            raise InvalidRequestError(
                f"temperature must be between 0 and 1, not {call.temperature!r}."
            )
        fields.append(("temperature", repr(float(call.temperature))))
    if call.timestamp_granularities:
        if call.response_format != "verbose_json":
            raise InvalidRequestError(
                "timestamp_granularities needs response_format='verbose_json'."
            )
        for granularity in call.timestamp_granularities:
            if granularity not in ("segment", "word"):
                raise InvalidRequestError(
                    f"timestamp granularity {granularity!r} is not 'segment' or 'word'."
                )
            fields.append(("timestamp_granularities[]", granularity))
    fields += [(k, str(v)) for k, v in call.extra.items() if v is not None]
    return fields


@dataclass(frozen=True)
class Segment:
    """A stretch of the transcript with its start and end in seconds."""

    start: float
    end: float
    text: str
    id: int | None = None


@dataclass
class Transcription:
    """The text of a recording, with segments and language when the format carries them.

    Attributes:
        text: The whole transcript.
        segments: Timed stretches (``verbose_json``, ``srt``, ``vtt``), else empty.
        language: The detected or given language (``verbose_json``).
        duration: The recording's length in seconds (``verbose_json``).
        words: Word timings when asked for with ``timestamp_granularities=("word",)``.
        response_format: The format the gateway was asked for.
        usage: Token or seconds usage when the gateway reports it.
        request_id: ``X-Oneapi-Request-Id`` of the answer.
        raw: The body as received (text, or the decoded JSON).
    """

    text: str
    segments: list[Segment] = field(default_factory=list)
    language: str | None = None
    duration: float | None = None
    words: list[dict[str, Any]] = field(default_factory=list)
    response_format: str = "json"
    usage: dict[str, Any] | None = None
    request_id: str | None = None
    raw: Any = field(default=None, repr=False)


_CUE_TIME = re.compile(
    r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})\s*-->\s*(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})"
)


def _seconds(hours: str | None, minutes: str, seconds: str, millis: str) -> float:
    whole = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
    return round(whole + int(millis.ljust(3, "0")) / 1000, 3)


def parse_timed_text(text: str) -> list[Segment]:
    """The cues of an SRT or WebVTT document as segments (headers and notes skipped)."""
    segments: list[Segment] = []
    for block in re.split(r"\r?\n\s*\r?\n", text.strip()):
        lines = [line for line in block.splitlines() if line.strip()]
        for index, line in enumerate(lines):
            match = _CUE_TIME.search(line)
            if match is None:
                continue
            groups = match.groups()
            cue = " ".join(part.strip() for part in lines[index + 1:]).strip()
            if cue:
                segments.append(Segment(start=_seconds(*groups[:4]), end=_seconds(*groups[4:]),
                                        text=cue, id=len(segments)))
            break
    return segments


def _json_segments(entries: Any) -> list[Segment]:
    segments: list[Segment] = []
    for number, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, Mapping):
            continue
        start, end = entry.get("start"), entry.get("end")
        if not isinstance(start, (int, float)) or not isinstance(end, (int, float)):
            continue
        ident = entry.get("id")
        segments.append(Segment(start=float(start), end=float(end),
                                text=str(entry.get("text", "")).strip(),
                                id=ident if isinstance(ident, int) else number))
    return segments


def parse_transcription(content: bytes, response_format: str,
                        request_id: str | None = None) -> Transcription:
    """Read an answer in any documented format (a JSON answer is accepted whatever was asked:
    some relays always answer JSON)."""
    decoded = content.decode("utf-8", "replace")
    stripped = decoded.lstrip()
    if stripped.startswith("{"):
        import json

        try:
            body = json.loads(decoded)
        except ValueError:
            body = None
        if isinstance(body, Mapping):
            return _from_json(body, response_format, request_id)
    if response_format in ("json", "verbose_json"):
        raise ResponseFormatError(
            f"The transcription answer is not JSON: {decoded[:200]!r}.", request_id=request_id
        )
    if response_format in ("srt", "vtt"):
        segments = parse_timed_text(decoded)
        if not segments and decoded.strip():
            raise ResponseFormatError(
                f"The {response_format} answer has no timed cues: {decoded[:200]!r}.",
                request_id=request_id,
            )
        text = " ".join(segment.text for segment in segments)
        return Transcription(text=text, segments=segments, response_format=response_format,
                             request_id=request_id, raw=decoded)
    return Transcription(text=decoded.strip(), response_format=response_format,
                         request_id=request_id, raw=decoded)


def _from_json(body: Mapping[str, Any], response_format: str,
               request_id: str | None) -> Transcription:
    text = body.get("text")
    if not isinstance(text, str):
        raise ResponseFormatError(
            "The transcription answer has no 'text'; is this an audio endpoint?",
            request_id=request_id,
        )
    duration = body.get("duration")
    language = body.get("language")
    usage = body.get("usage")
    words = body.get("words")
    return Transcription(
        text=text.strip(),
        segments=_json_segments(body.get("segments")),
        language=language if isinstance(language, str) else None,
        duration=float(duration) if isinstance(duration, (int, float, str))
        and str(duration).replace(".", "", 1).isdigit() else None,
        words=[dict(w) for w in words if isinstance(w, Mapping)] if isinstance(words, list) else [],
        response_format=response_format,
        usage=dict(usage) if isinstance(usage, Mapping) else None,
        request_id=request_id,
        raw=dict(body),
    )


def _transcription(response: Response, call: TranscriptionCall) -> Transcription:
    return parse_transcription(response.content, call.response_format, response.request_id)


def _what(call: TranscriptionCall) -> str:
    return "Translating audio" if call.translate else "Transcribing audio"


def transcribe(transport: Transport, audio: Any, call: TranscriptionCall) -> Transcription:
    """``POST /v1/audio/transcriptions`` (or ``/translations``) with the file as multipart.

    Sent once: a transcription is billed by the minute, so it is never re-sent after the
    upload may have reached the gateway.
    """
    fields = build_transcription_form(call)
    upload = load_audio(audio, transport)
    response = transport.request(
        "POST", call.path, data=_form_dict(fields), files=[("file", upload.as_file())],
        idempotent=False, timeout=call.timeout, what=_what(call),
    )
    return _transcription(response, call)


async def atranscribe(transport: Transport, audio: Any, call: TranscriptionCall) -> Transcription:
    """Async twin of :func:`transcribe`."""
    fields = build_transcription_form(call)
    upload = await aload_audio(audio, transport)
    response = await transport.arequest(
        "POST", call.path, data=_form_dict(fields), files=[("file", upload.as_file())],
        idempotent=False, timeout=call.timeout, what=_what(call),
    )
    return _transcription(response, call)


def _form_dict(fields: list[tuple[str, str]]) -> dict[str, Any]:
    """httpx form data; a repeated name (``timestamp_granularities[]``) becomes a list."""
    out: dict[str, Any] = {}
    for name, value in fields:
        if name in out:
            current = out[name]
            out[name] = [*current, value] if isinstance(current, list) else [current, value]
        else:
            out[name] = value
    return out
