"""gateway_core.audio without a network: request checks, upload checks, every answer format."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gateway_core.audio import (
    MAX_UPLOAD_BYTES,
    SpeechCall,
    TranscriptionCall,
    build_speech_body,
    build_transcription_form,
    load_audio,
    parse_timed_text,
    parse_transcription,
)
from gateway_core.errors import InvalidRequestError, ResponseFormatError

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28)
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\xc0" + bytes(413)

SRT = """1
00:00:00,000 --> 00:00:01,500
Hello there.

2
00:00:01,500 --> 00:01:02,250
General Kenobi!
"""

VTT = """WEBVTT

NOTE a comment

00:00.000 --> 00:01.500
Hello there.

01:00:01.500 --> 01:00:02.250
second line
continues
"""


def test_speech_body_carries_the_documented_fields() -> None:
    call = SpeechCall(model="gpt-4o-mini-tts", voice="coral", response_format="wav", speed=1.5,
                      instructions="cheerful", extra={"seed": 3, "skip": None})
    assert build_speech_body("Hi", call) == {
        "model": "gpt-4o-mini-tts", "input": "Hi", "voice": "coral", "response_format": "wav",
        "speed": 1.5, "instructions": "cheerful", "seed": 3,
    }


@pytest.mark.parametrize(("text", "changes", "words"), [
    ("", {}, "empty"),
    ("x" * 4097, {}, "4,096"),
    ("hi", {"response_format": "ogg"}, "response_format"),
    ("hi", {"speed": 5.0}, "0.25 and 4.0"),
    ("hi", {"speed": True}, "speed"),
    ("hi", {"voice": " "}, "voice"),
    ("hi", {"model": ""}, "tts-1"),
])
def test_speech_body_refuses_what_openai_refuses(text: str, changes: dict, words: str) -> None:  # type: ignore[type-arg]
    settings = {"model": "tts-1", "voice": "alloy", **changes}
    with pytest.raises(InvalidRequestError, match=words):
        build_speech_body(text, SpeechCall(**settings))


def test_transcription_form_fields() -> None:
    call = TranscriptionCall(response_format="verbose_json", language="zh", prompt="names: Ada",
                             temperature=0.2, timestamp_granularities=("segment", "word"))
    assert build_transcription_form(call) == [
        ("model", "whisper-1"), ("response_format", "verbose_json"), ("language", "zh"),
        ("prompt", "names: Ada"), ("temperature", "0.2"),
        ("timestamp_granularities[]", "segment"), ("timestamp_granularities[]", "word"),
    ]
    assert TranscriptionCall(translate=True).path == "/v1/audio/translations"
    assert TranscriptionCall().path == "/v1/audio/transcriptions"


@pytest.mark.parametrize(("settings", "words"), [
    ({"response_format": "xml"}, "response_format"),
    ({"temperature": 1.5}, "between 0 and 1"),
    ({"language": "English"}, "ISO-639-1"),
    ({"timestamp_granularities": ("word",)}, "verbose_json"),
    ({"response_format": "verbose_json", "timestamp_granularities": ("line",)}, "'line'"),
    ({"translate": True, "language": "fr"}, "English"),
])
def test_transcription_form_refusals(settings: dict, words: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(InvalidRequestError, match=words):
        build_transcription_form(TranscriptionCall(**settings))


def test_srt_and_vtt_cues_become_segments() -> None:
    srt = parse_timed_text(SRT)
    assert [(s.start, s.end, s.text) for s in srt] == [
        (0.0, 1.5, "Hello there."), (1.5, 62.25, "General Kenobi!")]
    vtt = parse_timed_text(VTT)
    assert [(s.start, s.end, s.text) for s in vtt] == [
        (0.0, 1.5, "Hello there."), (3601.5, 3602.25, "second line continues")]


def test_every_answer_format_reads_into_one_result() -> None:
    verbose = (b'{"task":"transcribe","language":"english","duration":3.5,"text":" Hi. Bye.",'
               b'"segments":[{"id":0,"start":0,"end":1.2,"text":" Hi."},'
               b'{"id":1,"start":1.2,"end":3.5,"text":" Bye."},{"bad":1}],'
               b'"words":[{"word":"Hi.","start":0,"end":1.2}]}')
    result = parse_transcription(verbose, "verbose_json", "rid")
    assert (result.text, result.language, result.duration) == ("Hi. Bye.", "english", 3.5)
    assert [(s.id, s.start, s.end, s.text) for s in result.segments] == [
        (0, 0.0, 1.2, "Hi."), (1, 1.2, 3.5, "Bye.")]
    assert result.words == [{"word": "Hi.", "start": 0, "end": 1.2}]
    assert result.request_id == "rid"
    assert parse_transcription(b'{"text":"Hi"}', "json").text == "Hi"
    assert parse_transcription(b"plain words\n", "text").text == "plain words"
    srt = parse_transcription(SRT.encode(), "srt")
    assert srt.text == "Hello there. General Kenobi!"
    assert len(srt.segments) == 2
    # a relay that always answers JSON is read the same whatever was asked
    assert parse_transcription(b'{"text":"Hi"}', "srt").text == "Hi"


@pytest.mark.parametrize(("body", "fmt", "words"), [
    (b"<html>oops</html>", "json", "not JSON"),
    (b'{"data":[]}', "json", "no 'text'"),
    (b"just words", "srt", "no timed cues"),
])
def test_bad_answers_are_typed_errors(body: bytes, fmt: str, words: str) -> None:
    with pytest.raises(ResponseFormatError, match=words):
        parse_transcription(body, fmt)


def test_uploads_are_checked_before_sending(tmp_path: Path) -> None:
    good = tmp_path / "talk.wav"
    good.write_bytes(WAV)
    upload = load_audio(good)
    assert upload.as_file() == ("talk.wav", WAV, "audio/wav")
    named = load_audio(MP3)
    assert (named.filename, named.mime_type) == ("audio.mp3", "audio/mpeg")
    # unknown magic but a documented extension is trusted (m4a/webm variants)
    odd = tmp_path / "voice.webm"
    odd.write_bytes(b"\x00" * 64)
    assert load_audio(odd).mime_type == "video/webm"
    with pytest.raises(InvalidRequestError, match="does not exist"):
        load_audio(tmp_path / "missing.mp3")
    with pytest.raises(InvalidRequestError, match="not audio"):
        load_audio(b"%PDF-1.7 not audio")
    with pytest.raises(InvalidRequestError, match="empty"):
        load_audio(b"")
    with pytest.raises(InvalidRequestError, match="only http"):
        load_audio("ftp://example.com/a.mp3")
    with pytest.raises(InvalidRequestError, match="transport"):
        load_audio("https://example.com/a.mp3")


def test_oversized_file_fails_from_its_size_without_being_read(tmp_path: Path) -> None:
    big = tmp_path / "long.mp3"
    with big.open("wb") as out:  # sparse: costs no disk
        out.truncate(MAX_UPLOAD_BYTES + 1)
    with pytest.raises(InvalidRequestError, match="25 MB"):
        load_audio(os.fspath(big))
    with pytest.raises(InvalidRequestError, match="25 MB"):
        load_audio(MP3 + bytes(MAX_UPLOAD_BYTES))
