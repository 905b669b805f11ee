"""Audio results in the words and records the adapters hand on: the text a tool returns to a
model, and the (text, metadata) pieces a document loader or reader turns into documents.

Shared by the LangChain and LlamaIndex adapters so both cut transcripts and name timestamps the
same way (metadata keys ``start``/``end`` in seconds, ``source``, ``language``, ``duration``).
"""

from __future__ import annotations

from typing import Any

from .audio import SpeechResult, Transcription

__all__ = ["MEDIA_SUFFIXES", "describe_speech", "describe_transcription", "transcript_pieces"]

MEDIA_SUFFIXES = (".flac", ".mp3", ".mp4", ".mpeg", ".mpga", ".m4a", ".ogg", ".wav", ".webm")
"""The audio and video files the transcription endpoint accepts (OpenAI's list)."""


def clock(seconds: float) -> str:
    """``75.5`` -> ``"01:15.5"`` (hours only when needed)."""
    minutes, rest = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    stamp = f"{minutes:02d}:{rest:04.1f}"
    return f"{hours}:{stamp}" if hours else stamp


def describe_transcription(result: Transcription, source: str, max_chars: int = 20_000) -> str:
    """The transcript for a model: one ``[start-end] text`` line per segment when timed."""
    header = f"Transcript of {source}"
    if result.language:
        header += f" ({result.language}"
        header += f", {result.duration:.1f} s)" if result.duration else ")"
    if result.segments:
        body = "\n".join(f"[{clock(s.start)}-{clock(s.end)}] {s.text}" for s in result.segments)
    else:
        body = result.text
    if len(body) > max_chars:
        body = body[:max_chars] + f"\n… ({len(body) - max_chars:,} more characters cut)"
    return f"{header}:\n{body}"


def describe_speech(result: SpeechResult, model: str, voice: str) -> str:
    """What a speech tool tells the model."""
    return (f"Spoke the text with {model} (voice {voice}): saved {result.bytes_written:,} bytes "
            f"of {result.mime_type} to {result.path}")


def transcript_pieces(result: Transcription, source: str, *, per_segment: bool = True,
                      extra: dict[str, Any] | None = None) -> list[tuple[str, dict[str, Any]]]:
    """``(text, metadata)`` per segment (``per_segment`` and the answer is timed), else one
    piece with the whole transcript; every piece names its source, language and duration."""
    common: dict[str, Any] = {"source": source, **(extra or {})}
    if result.language:
        common["language"] = result.language
    if result.duration is not None:
        common["duration"] = result.duration
    if per_segment and result.segments:
        return [(segment.text, {**common, "start": segment.start, "end": segment.end,
                                "segment": segment.id if segment.id is not None else number})
                for number, segment in enumerate(result.segments) if segment.text]
    whole = dict(common)
    if result.segments:
        whole["start"] = result.segments[0].start
        whole["end"] = result.segments[-1].end
        whole["segments"] = [{"start": s.start, "end": s.end, "text": s.text}
                             for s in result.segments]
    return [(result.text, whole)] if result.text else []
