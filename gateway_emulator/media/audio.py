"""Audio: ``/v1/audio/speech`` (JSON in, audio out) and ``/v1/audio/transcriptions`` /
``/v1/audio/translations`` (multipart in) (protocol.md §10, OpenAI's audio reference).

* Speech answers real, playable audio: ``wav`` (PCM 16-bit, 24 kHz, mono: one tone per word,
  its pitch from the word's hash), ``pcm`` (the same samples, headerless, as OpenAI sends) and
  ``mp3`` (silent MPEG-1 Layer III frames of the same length). The spoken text is stored in the
  file's metadata (a RIFF ``LIST/INFO`` ``ICMT`` chunk, an ID3v2.4 ``TXXX`` frame), so
  transcribing the emulator's own speech gives the text back: a deterministic round trip.
* Transcription reads that text back, or for any other file a fixed sentence naming the file's
  hash and length. The text is cut into sentences spread over the recording's length to make
  segments, answered as ``json``, ``text``, ``srt``, ``vtt`` or ``verbose_json``.
* Checks as OpenAI documents them: 25 MB upload limit (413), the supported formats (by magic
  number), ``response_format``, ``temperature`` 0-1, ``speed`` 0.25-4, input at most 4096 chars.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import struct
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from ..envelopes import openai_error
from ..models import check_model
from .forms import BodyError, read_form

RATE = 24_000
MAX_UPLOAD = 25 * 1024 * 1024
MAX_INPUT = 4096
SPEECH_FORMATS = {"wav": "audio/wav", "pcm": "audio/pcm", "mp3": "audio/mpeg"}
DOCUMENTED_SPEECH_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
TRANSCRIPT_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
_MP3_FRAME = bytes([0xFF, 0xFB, 0x90, 0xC0]) + bytes(413)  # 128k, 44.1 kHz, mono, silent
_MP3_FRAME_SECONDS = 1152 / 44_100
_SENTENCE = re.compile(r"[^.!?。！？]+[.!?。！？]*")
_LANGUAGES = {"en": "english", "zh": "chinese", "ja": "japanese", "fr": "french",
              "de": "german", "es": "spanish", "ko": "korean", "ru": "russian"}


def _bad(request: Request, message: str, param: str | None = None, status: int = 400) -> Response:
    return openai_error(request, status, message, code="invalid_request",
                        type_="invalid_request_error", param=param)


# ---------------------------------------------------------------- synthesis


def _seconds_for(text: str, speed: float) -> float:
    return max(0.5, min(60.0, 0.06 * len(text) / speed))


def _samples(text: str, seconds: float) -> bytes:
    words = text.split() or [text]
    count = int(seconds * RATE)
    per_word = max(1, count // len(words))
    out = bytearray()
    for index in range(count):
        word = words[min(index // per_word, len(words) - 1)]
        pitch = 220 + int(hashlib.sha256(word.encode()).hexdigest()[:4], 16) % 440
        fade = min(1.0, (index % per_word) / 240, (per_word - index % per_word) / 240)
        value = int(8000 * fade * math.sin(2 * math.pi * pitch * index / RATE))
        out += struct.pack("<h", value)
    return bytes(out)


def _chunk(kind: bytes, data: bytes) -> bytes:
    padded = data + (b"\0" if len(data) % 2 else b"")
    return kind + struct.pack("<I", len(data)) + padded


def wav_bytes(text: str, seconds: float) -> bytes:
    """A RIFF/WAVE file: ``fmt``, ``LIST/INFO/ICMT`` (the text) and ``data``."""
    pcm = _samples(text, seconds)
    fmt = struct.pack("<HHIIHH", 1, 1, RATE, RATE * 2, 2, 16)
    info = _chunk(b"LIST", b"INFO" + _chunk(b"ICMT", text.encode("utf-8") + b"\0"))
    body = b"WAVE" + _chunk(b"fmt ", fmt) + info + _chunk(b"data", pcm)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _syncsafe(size: int) -> bytes:
    return bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])


def mp3_bytes(text: str, seconds: float) -> bytes:
    """An ID3v2.4 tag (``TXXX`` "text", UTF-8) and silent frames lasting ``seconds``."""
    payload = b"\x03text\x00" + text.encode("utf-8")
    frame = b"TXXX" + _syncsafe(len(payload)) + b"\x00\x00" + payload
    tag = b"ID3\x04\x00\x00" + _syncsafe(len(frame)) + frame
    return tag + _MP3_FRAME * max(1, round(seconds / _MP3_FRAME_SECONDS))


# ---------------------------------------------------------------- reading uploads


def _wav_info(data: bytes) -> tuple[str | None, float | None]:
    text: str | None = None
    seconds: float | None = None
    byte_rate = 0
    position = 12
    while position + 8 <= len(data):
        kind = data[position:position + 4]
        size = struct.unpack("<I", data[position + 4:position + 8])[0]
        content = data[position + 8:position + 8 + size]
        if kind == b"fmt " and len(content) >= 12:
            byte_rate = struct.unpack("<I", content[8:12])[0]
        elif kind == b"LIST" and content[:4] == b"INFO":
            inner = content.find(b"ICMT")
            if inner >= 0:
                length = struct.unpack("<I", content[inner + 4:inner + 8])[0]
                text = content[inner + 8:inner + 8 + length].rstrip(b"\0").decode("utf-8",
                                                                                   "replace")
        elif kind == b"data" and byte_rate:
            seconds = size / byte_rate
        position += 8 + size + (size % 2)
    return text, seconds


def _mp3_info(data: bytes) -> tuple[str | None, float | None]:
    text: str | None = None
    start = 0
    if data.startswith(b"ID3") and len(data) >= 10:
        size = sum((data[6 + i] & 0x7F) << (7 * (3 - i)) for i in range(4))
        tag = data[10:10 + size]
        marker = tag.find(b"TXXX")
        if marker >= 0:
            payload = tag[marker + 10:]
            if payload.startswith(b"\x03text\x00"):
                length = sum((tag[marker + 4 + i] & 0x7F) << (7 * (3 - i)) for i in range(4))
                text = tag[marker + 10 + 6:marker + 10 + length].decode("utf-8", "replace")
        start = 10 + size
    frames = data[start:].count(b"\xff\xfb")
    return text, frames * _MP3_FRAME_SECONDS if frames else None


def audio_format(data: bytes) -> str | None:
    """The upload's container by magic number, among OpenAI's supported formats."""
    head = data[:16]
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "mp3"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"fLaC"):
        return "flac"
    if head[4:8] == b"ftyp":
        return "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    return None


def _heard(data: bytes, kind: str) -> tuple[str, float]:
    """What the recording 'says' and how long it is."""
    text, seconds = (_wav_info(data) if kind == "wav" else
                     _mp3_info(data) if kind == "mp3" else (None, None))
    seconds = seconds if seconds else max(1.0, len(data) / 16_000)
    if not text:
        digest = hashlib.sha256(data).hexdigest()[:8]
        text = f"This is recording {digest}. It lasts {seconds:.1f} seconds."
    return text, round(seconds, 3)


def _segments(text: str, seconds: float) -> list[dict[str, Any]]:
    sentences = [s.strip() for s in _SENTENCE.findall(text) if s.strip()] or [text]
    total = sum(len(s) for s in sentences)
    start = 0.0
    out = []
    for number, sentence in enumerate(sentences):
        end = seconds if number == len(sentences) - 1 else start + seconds * len(sentence) / total
        out.append({"id": number, "seek": 0, "start": round(start, 3), "end": round(end, 3),
                    "text": " " + sentence, "tokens": [], "temperature": 0.0,
                    "avg_logprob": -0.2, "compression_ratio": 1.2, "no_speech_prob": 0.01})
        start = end
    return out


def _stamp(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _timed(segments: list[dict[str, Any]], vtt: bool) -> str:
    blocks = ["WEBVTT"] if vtt else []
    for segment in segments:
        separator = "." if vtt else ","
        times = (f"{_stamp(segment['start'], separator)} --> "
                 f"{_stamp(segment['end'], separator)}")
        cue = segment["text"].strip()
        blocks.append(f"{times}\n{cue}" if vtt else f"{segment['id'] + 1}\n{times}\n{cue}")
    return "\n\n".join(blocks) + "\n"


def _language(text: str, given: str | None) -> str:
    if given:
        return _LANGUAGES.get(given.lower(), given.lower())
    return "chinese" if re.search(r"[\u4e00-\u9fff]", text) else "english"


# ---------------------------------------------------------------- routes


async def speech(request: Request) -> Response:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return _bad(request, "invalid JSON body")
    if not isinstance(body, dict):
        return _bad(request, "the JSON body must be an object")
    model = body.get("model") or "tts-1"  # new-api's default when omitted
    refused = check_model(request, model)
    if refused is not None:
        return refused
    text = body.get("input")
    if not isinstance(text, str) or not text.strip():
        return _bad(request, "input is required", "input")
    if len(text) > MAX_INPUT:
        return _bad(request, f"input is longer than {MAX_INPUT} characters", "input")
    if not isinstance(body.get("voice"), str) or not body["voice"]:
        return _bad(request, "voice is required", "voice")
    fmt = body.get("response_format", "mp3")
    if fmt not in DOCUMENTED_SPEECH_FORMATS:
        return _bad(request, f"response_format must be one of {DOCUMENTED_SPEECH_FORMATS}",
                    "response_format")
    if fmt not in SPEECH_FORMATS:
        return _bad(request, f"this gateway's speech channel does not produce {fmt}; "
                    "use mp3, wav or pcm", "response_format")
    speed = body.get("speed", 1.0)
    if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not 0.25 <= speed <= 4:
        return _bad(request, "speed must be between 0.25 and 4.0", "speed")
    seconds = _seconds_for(text, float(speed))
    audio = (wav_bytes(text, seconds) if fmt == "wav" else
             mp3_bytes(text, seconds) if fmt == "mp3" else _samples(text, seconds))
    return Response(audio, media_type=SPEECH_FORMATS[fmt])


async def transcriptions(request: Request) -> Response:
    return await _transcribe(request, translate=False)


async def translations(request: Request) -> Response:
    return await _transcribe(request, translate=True)


async def _transcribe(request: Request, *, translate: bool) -> Response:
    if "multipart/form-data" not in request.headers.get("content-type", ""):
        return _bad(request, "expected multipart/form-data with a 'file' part", "file")
    if int(request.headers.get("content-length") or 0) > MAX_UPLOAD + 64 * 1024:
        return _bad(request, f"Maximum content size limit ({MAX_UPLOAD}) exceeded", "file", 413)
    try:
        form = await read_form(request)
    except BodyError as exc:
        return _bad(request, str(exc))
    fields = form.fields
    model = fields.get("model") or "whisper-1"
    refused = check_model(request, model)
    if refused is not None:
        return refused
    uploads = form.uploads("file")
    if len(uploads) != 1:
        return _bad(request, "exactly one 'file' part is required", "file")
    data = uploads[0].data
    if len(data) > MAX_UPLOAD:
        return _bad(request, f"Maximum content size limit ({MAX_UPLOAD}) exceeded", "file", 413)
    kind = audio_format(data)
    if kind is None:
        return _bad(request, "Invalid file format. Supported formats: ['flac', 'm4a', 'mp3', "
                    "'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']", "file")
    refused = _field_problem(request, fields, translate=translate)
    if refused is not None:
        return refused
    text, seconds = _heard(data, kind)
    return _transcript(text, seconds, fields, translate=translate)


def _field_problem(request: Request, fields: dict[str, Any], *, translate: bool
                   ) -> Response | None:
    """The 400 for a bad response_format, temperature or (translations) language field."""
    if fields.get("response_format", "json") not in TRANSCRIPT_FORMATS:
        return _bad(request, f"response_format must be one of {TRANSCRIPT_FORMATS}",
                    "response_format")
    temperature = fields.get("temperature")
    if temperature is not None:
        try:
            if not 0 <= float(temperature) <= 1:
                raise ValueError
        except ValueError:
            return _bad(request, "temperature must be between 0 and 1", "temperature")
    if translate and fields.get("language"):
        return _bad(request, "translations take no language parameter", "language")
    return None


def _transcript(text: str, seconds: float, fields: dict[str, Any], *, translate: bool
                ) -> Response:
    """What was heard, in the asked response_format."""
    fmt = fields.get("response_format", "json")
    segments = _segments(text, seconds)
    if fmt == "text":
        return PlainTextResponse(text + "\n")
    if fmt in ("srt", "vtt"):
        return PlainTextResponse(_timed(segments, fmt == "vtt"),
                                 media_type="text/vtt" if fmt == "vtt" else "text/plain")
    if fmt == "json":
        return JSONResponse({"text": text, "usage": {"type": "duration",
                                                     "seconds": math.ceil(seconds)}})
    answer: dict[str, Any] = {
        "task": "translate" if translate else "transcribe",
        "language": "english" if translate else _language(text, fields.get("language")),
        "duration": seconds, "text": text, "segments": segments,
    }
    granularities = fields.get("timestamp_granularities[]") or []
    if "word" in (granularities if isinstance(granularities, list) else [granularities]):
        answer["words"] = _words(segments)
    return JSONResponse(answer)


def _words(segments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    words = []
    for segment in segments:
        parts = segment["text"].split()
        step = (segment["end"] - segment["start"]) / max(1, len(parts))
        for number, word in enumerate(parts):
            start = segment["start"] + number * step
            words.append({"word": word, "start": round(start, 3), "end": round(start + step, 3)})
    return words


def routes() -> list[BaseRoute]:
    return [
        Route("/v1/audio/speech", speech, methods=["POST"]),
        Route("/v1/audio/transcriptions", transcriptions, methods=["POST"]),
        Route("/v1/audio/translations", translations, methods=["POST"]),
    ]
