"""Audio over loopback against the emulator: speech to a playable file, transcription and
translation in every format, sync and async, from a path, bytes and a URL."""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

import pytest

from gateway_core import GatewayClient
from gateway_core.audio import MAX_UPLOAD_BYTES
from gateway_core.errors import BadRequestError, InvalidRequestError, ModelNotAvailableError
from gateway_core.media_items import sniff_mime
from tests.integration.media_support import Creates

SPEECH = "/v1/audio/speech"
TRANSCRIBE = "/v1/audio/transcriptions"
TEXT = "The meeting starts at nine. Bring the quarterly numbers! Questions go last."


@pytest.fixture
def client(gateway) -> GatewayClient:  # type: ignore[no-untyped-def]
    return GatewayClient(**gateway.settings())


def test_speech_is_a_playable_wav_streamed_to_the_file(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = client.speech(TEXT, tmp_path / "out" / "talk.wav", voice="nova",
                           response_format="wav", speed=1.25)
    assert result.path == tmp_path / "out" / "talk.wav"
    assert result.mime_type == "audio/wav"
    assert result.bytes_written == result.path.stat().st_size
    assert not list((tmp_path / "out").glob("*.part"))
    with wave.open(str(result.path)) as audio:  # the stdlib decoder accepts it
        assert (audio.getnchannels(), audio.getsampwidth(), audio.getframerate()) == (1, 2, 24000)
        frames = audio.readframes(audio.getnframes())
    assert len(frames) > 24000
    assert any(frames)


def test_speech_mp3_into_a_directory(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = client.speech("Hello.", tmp_path)
    assert result.path == tmp_path / "speech.mp3"
    assert sniff_mime(result.path.read_bytes()) == "audio/mpeg"


@pytest.mark.parametrize("fmt", ["json", "text", "srt", "vtt", "verbose_json"])
def test_transcription_round_trip_in_every_format(client, tmp_path: Path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    spoken = client.speech(TEXT, tmp_path / "talk.wav", response_format="wav")
    result = client.transcribe(spoken.path, response_format=fmt, language="en",
                               prompt="quarterly", temperature=0.0)
    assert result.text == TEXT
    assert result.response_format == fmt
    if fmt in ("srt", "vtt", "verbose_json"):
        assert [s.text for s in result.segments] == [
            "The meeting starts at nine.", "Bring the quarterly numbers!", "Questions go last."]
        starts = [s.start for s in result.segments]
        assert starts == sorted(starts)
        assert starts[0] == 0.0
        assert result.segments[-1].end == pytest.approx(spoken_seconds(spoken.path), abs=0.01)
    else:
        assert result.segments == []
    if fmt == "verbose_json":
        assert result.language == "english"


def spoken_seconds(path: Path) -> float:
    with wave.open(str(path)) as audio:
        return audio.getnframes() / audio.getframerate()


def test_the_form_carries_every_parameter(gateway, client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    spoken = client.speech("Short.", tmp_path / "a.mp3")
    creates = Creates(gateway, TRANSCRIBE)
    result = client.transcribe(spoken.path.read_bytes(), response_format="verbose_json",
                               timestamp_granularities=["segment", "word"], language="zh")
    assert creates.count == 1
    assert result.language == "chinese"
    assert [w["word"] for w in result.words] == ["Short."]


def test_translation_and_url_input(gateway, client) -> None:  # type: ignore[no-untyped-def]
    url = gateway.base_url.rstrip("/").removesuffix("/v1") + "/files/audio/clip-1.mp3"
    result = client.translate(url, response_format="verbose_json")
    assert result.text.startswith("This is recording ")
    assert result.language == "english"
    again = client.translate(url, response_format="verbose_json")
    assert again.text == result.text  # deterministic


def test_async_twins(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    async def run() -> tuple[str, str, int]:
        spoken = await client.aspeech("Async works. Twice.", tmp_path / "a.wav",
                                      response_format="wav")
        heard = await client.atranscribe(spoken.path, response_format="srt")
        english = await client.atranslate(spoken.path)
        return heard.text, english.text, len(heard.segments)

    assert asyncio.run(run()) == ("Async works. Twice.", "Async works. Twice.", 2)


def test_bad_input_fails_before_any_upload(gateway, client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    creates = Creates(gateway, TRANSCRIBE)
    big = tmp_path / "long.wav"
    with big.open("wb") as out:
        out.truncate(MAX_UPLOAD_BYTES + 1)
    with pytest.raises(InvalidRequestError, match="25 MB"):
        client.transcribe(big)
    with pytest.raises(InvalidRequestError, match="not audio"):
        client.transcribe(b"plain text, not a recording")
    with pytest.raises(InvalidRequestError, match="4,096"):
        client.speech("x" * 5000, tmp_path / "x.mp3")
    assert creates.count == 0


def test_gateway_refusals_are_typed_and_leave_no_file(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BadRequestError, match="opus"):
        client.speech("Hi.", tmp_path / "x.opus", response_format="opus")
    assert not list(tmp_path.iterdir())
    with pytest.raises(ModelNotAvailableError):
        client.transcribe(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28), model="no-such-model")
