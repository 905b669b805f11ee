"""Audio commands: ``speech`` (text to an audio file) and ``transcribe`` (an audio or video
file, or URL, to text; ``--translate`` for English from any language).

``transcribe`` prints what was asked for as is (``--format srt`` gives an SRT file on stdout,
ready to redirect), or with ``--json`` one object with the text, language and timed segments.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway_core.audio import SPEECH_FORMATS, TRANSCRIPT_FORMATS

from .output import print_json

if TYPE_CHECKING:
    from gateway_core.client import GatewayClient

__all__ = ["add_audio_commands"]


def add_audio_commands(sub: Any) -> None:
    """Register ``speech`` and ``transcribe`` on the sub-parser collection."""
    speech = sub.add_parser("speech", help="read a text aloud into an audio file")
    speech.add_argument("text", help="the text to speak ('-' reads it from stdin)")
    speech.add_argument("--out", type=Path, default=Path("."),
                        help="the audio file or a directory to put it in (default: .)")
    speech.add_argument("--model", default="tts-1", help="speech model (default: %(default)s)")
    speech.add_argument("--voice", default="alloy", help="voice (default: %(default)s)")
    speech.add_argument("--format", choices=SPEECH_FORMATS, default="mp3",
                        help="audio format (default: %(default)s)")
    speech.add_argument("--speed", type=float, help="0.25 to 4.0")
    speech.add_argument("--instructions", help="how to speak (gpt-4o-mini-tts)")
    speech.add_argument("--json", action="store_true", help="machine-readable output")
    speech.set_defaults(handler=speech_command)

    transcribe = sub.add_parser("transcribe", help="turn speech in an audio or video file "
                                "into text")
    transcribe.add_argument("audio", help="a file path or an http(s) URL (at most 25 MB)")
    transcribe.add_argument("--model", default="whisper-1",
                            help="transcription model (default: %(default)s)")
    transcribe.add_argument("--format", choices=TRANSCRIPT_FORMATS, default="text",
                            help="what to print (default: %(default)s)")
    transcribe.add_argument("--language", help="ISO-639-1 code of the speech, e.g. en, zh")
    transcribe.add_argument("--prompt", help="spellings and context that help recognition")
    transcribe.add_argument("--temperature", type=float, help="0 to 1")
    transcribe.add_argument("--translate", action="store_true",
                            help="translate into English instead")
    transcribe.add_argument("--json", action="store_true",
                            help="one JSON object with text, language and segments")
    transcribe.set_defaults(handler=transcribe_command)


def speech_command(client: GatewayClient, args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.text == "-" else args.text
    result = client.speech(text, args.out, model=args.model, voice=args.voice,
                           response_format=args.format, speed=args.speed,
                           instructions=args.instructions)
    if args.json:
        print_json({"path": str(result.path), "bytes": result.bytes_written,
                    "mime_type": result.mime_type})
    else:
        print(result.path)
    return 0


def transcribe_command(client: GatewayClient, args: argparse.Namespace) -> int:
    asked = "verbose_json" if args.json else args.format
    run = client.translate if args.translate else client.transcribe
    extra = {} if args.translate else {"language": args.language}
    result = run(args.audio, model=args.model, response_format=asked, prompt=args.prompt,
                 temperature=args.temperature, **extra)
    if args.json:
        print_json({"text": result.text, "language": result.language,
                    "duration": result.duration,
                    "segments": [dataclasses.asdict(s) for s in result.segments]})
    elif asked in ("srt", "vtt") and isinstance(result.raw, str):
        sys.stdout.write(result.raw)
    elif asked == "verbose_json" and result.segments:
        for segment in result.segments:
            print(f"[{segment.start:8.2f} - {segment.end:8.2f}] {segment.text}")
    else:
        print(result.text)
    return 0
