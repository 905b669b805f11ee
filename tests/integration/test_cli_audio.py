"""``gateway-kit speech`` and ``gateway-kit transcribe`` as real subprocesses against the
emulator."""

from __future__ import annotations

import json
import wave
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_cli_subprocess import run

pytestmark = pytest.mark.usefixtures("emulator")
TEXT = "First point. Second point!"


def test_speech_then_transcribe_in_each_format(gateway: Any, tmp_path: Path) -> None:
    target = tmp_path / "notes.wav"
    spoken = run(gateway, "speech", TEXT, "--out", str(target), "--format", "wav",
                 "--voice", "echo")
    assert spoken.returncode == 0, spoken.stderr
    assert spoken.stdout.strip() == str(target)
    with wave.open(str(target)) as audio:
        assert audio.getnframes() > 0

    plain = run(gateway, "transcribe", str(target))
    assert plain.stdout.strip() == TEXT
    srt = run(gateway, "transcribe", str(target), "--format", "srt")
    assert srt.stdout.startswith("1\n00:00:00,000 --> ")
    assert "\n\n2\n" in srt.stdout
    as_json = json.loads(run(gateway, "transcribe", str(target), "--json").stdout)
    assert [s["text"] for s in as_json["segments"]] == ["First point.", "Second point!"]
    assert as_json["language"] == "english"
    english = run(gateway, "transcribe", str(target), "--translate", "--format",
                  "verbose_json")
    assert english.stdout.splitlines()[1].endswith("] Second point!")


def test_audio_errors_are_one_line(gateway: Any, tmp_path: Path) -> None:
    missing = run(gateway, "transcribe", str(tmp_path / "nope.mp3"))
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr
    assert "Traceback" not in missing.stderr
    refused = run(gateway, "speech", "hi", "--out", str(tmp_path), "--format", "opus")
    assert refused.returncode == 1
    assert "opus" in refused.stderr
    assert not list(tmp_path.iterdir())
