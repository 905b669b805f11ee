"""LlamaIndex audio through a relay gateway: a tool spec with ``speak`` and ``transcribe_audio``
(native async twins), and a reader that turns recordings and videos into Documents for RAG.

Requests, upload checks and parsing are :mod:`gateway_core.audio`'s; the text and metadata of
results are :mod:`gateway_core.audio_report`'s, shared with the LangChain adapter. Each timed
segment becomes one ``Document`` whose metadata holds ``start`` and ``end`` in seconds,
``source``, ``language`` and ``duration``.
"""

# No ``from __future__ import annotations``: LlamaIndex builds each tool's schema from the
# functions' runtime annotations.
import uuid
from pathlib import Path
from typing import Any

from llama_index.core.readers.base import BaseReader
from llama_index.core.schema import Document
from llama_index.core.tools.tool_spec.base import BaseToolSpec

from gateway_core.audio import Transcription
from gateway_core.audio_report import (
    MEDIA_SUFFIXES,
    describe_speech,
    describe_transcription,
    transcript_pieces,
)
from gateway_core.client import GatewayClient

__all__ = ["GatewayAudioReader", "GatewayAudioToolSpec"]


def _client(client: GatewayClient | None, connection: dict[str, Any]) -> GatewayClient:
    if client is not None:
        return client
    if connection.get("api_base") and not connection.get("base_url"):
        connection["base_url"] = connection.pop("api_base")
    connection.pop("api_base", None)
    return GatewayClient(**connection)


class GatewayAudioToolSpec(BaseToolSpec):
    """Speech and transcription tools for LlamaIndex agents, through a relay gateway.

    Instantiate:
        .. code-block:: python

            from llamaindex_gateway import GatewayAudioToolSpec

            spec = GatewayAudioToolSpec(speech_model="tts-1", voice="alloy",
                                        audio_format="wav", save_dir="out/audio")
            tools = spec.to_tool_list()  # speak, transcribe_audio

    Call directly:
        .. code-block:: python

            spec.speak("The build is green.")       # 'Spoke the text with tts-1 …'
            await spec.atranscribe_audio("meeting.mp3")  # 'Transcript of meeting.mp3 …'

    Args:
        speech_model, voice, audio_format, speed, instructions: How ``speak`` reads text.
        transcription_model, prompt: How ``transcribe_audio`` listens.
        save_dir: Where spoken audio is written.
        base_url / api_base, api_key, timeout, max_retries: The gateway (``GATEWAY_BASE_URL``
            / ``GATEWAY_API_KEY`` if not given), or a ready ``client``.
    """

    spec_functions = [("speak", "aspeak"), ("transcribe_audio", "atranscribe_audio")]

    def __init__(
        self,
        *,
        speech_model: str = "tts-1",
        voice: str = "alloy",
        audio_format: str = "mp3",
        speed: float | None = None,
        instructions: str | None = None,
        transcription_model: str = "whisper-1",
        prompt: str | None = None,
        save_dir: str = ".",
        max_chars: int = 20_000,
        client: GatewayClient | None = None,
        **connection: Any,
    ) -> None:
        self.speech_model = speech_model
        self.voice = voice
        self.audio_format = audio_format
        self.speed = speed
        self.instructions = instructions
        self.transcription_model = transcription_model
        self.prompt = prompt
        self.save_dir = save_dir
        self.max_chars = max_chars
        self.client = _client(client, connection)

    def __repr__(self) -> str:
        return (f"GatewayAudioToolSpec(speech_model={self.speech_model!r}, "
                f"transcription_model={self.transcription_model!r}, client={self.client!r})")

    def _speech_args(self) -> dict[str, Any]:
        target = Path(self.save_dir) / f"speech-{uuid.uuid4().hex[:12]}.{self.audio_format}"
        return {"path": target, "model": self.speech_model, "voice": self.voice,
                "response_format": self.audio_format, "speed": self.speed,
                "instructions": self.instructions}

    def _transcription_args(self, language: str | None) -> dict[str, Any]:
        return {"model": self.transcription_model, "response_format": "verbose_json",
                "language": language, "prompt": self.prompt}

    def speak(self, text: str) -> str:
        """Read a text aloud and save it as an audio file. Returns the file's path."""
        result = self.client.speech(text, **self._speech_args())
        return describe_speech(result, self.speech_model, self.voice)

    async def aspeak(self, text: str) -> str:
        """Read a text aloud and save it as an audio file. Returns the file's path."""
        result = await self.client.aspeech(text, **self._speech_args())
        return describe_speech(result, self.speech_model, self.voice)

    def transcribe_audio(self, audio: str, language: str | None = None) -> str:
        """Transcribe speech in an audio or video file (a path or http(s) URL) to text with
        timestamps. language: ISO-639-1 code such as 'en' or 'zh', if known."""
        result = self.client.transcribe(audio, **self._transcription_args(language))
        return describe_transcription(result, audio, self.max_chars)

    async def atranscribe_audio(self, audio: str, language: str | None = None) -> str:
        """Transcribe speech in an audio or video file (a path or http(s) URL) to text with
        timestamps. language: ISO-639-1 code such as 'en' or 'zh', if known."""
        result = await self.client.atranscribe(audio, **self._transcription_args(language))
        return describe_transcription(result, audio, self.max_chars)


class GatewayAudioReader(BaseReader):
    """Read recordings and videos (paths, directories or URLs) as transcript Documents.

    .. code-block:: python

        from llamaindex_gateway import GatewayAudioReader

        reader = GatewayAudioReader(model="whisper-1")
        docs = reader.load_data("standup.mp3")
        docs[0].metadata  # {'source': 'standup.mp3', 'start': 0.0, 'end': 4.2, …}
        docs = await reader.aload_data(["talks/", "https://example.com/keynote.mp4"])

    Args:
        model: The transcription model. ``per_segment=False`` gives one Document per file.
        language, prompt: Passed to the gateway.
        client / connection keyword arguments: as for :class:`GatewayAudioToolSpec`.
    """

    def __init__(self, *, model: str = "whisper-1", per_segment: bool = True,
                 language: str | None = None, prompt: str | None = None,
                 client: GatewayClient | None = None, **connection: Any) -> None:
        self.model = model
        self.per_segment = per_segment
        self.language = language
        self.prompt = prompt
        self.client = _client(client, connection)

    def _settings(self) -> dict[str, Any]:
        return {"model": self.model, "response_format": "verbose_json",
                "language": self.language, "prompt": self.prompt}

    @staticmethod
    def _sources(file: Any) -> list[str]:
        items = file if isinstance(file, (list, tuple)) else [file]
        out: list[str] = []
        for item in items:
            source = str(item)
            path = Path(source)
            if "://" not in source and path.is_dir():
                out += sorted(str(p) for p in path.rglob("*")
                              if p.suffix.lower() in MEDIA_SUFFIXES)
            else:
                out.append(source)
        return out

    def _documents(self, result: Transcription, source: str,
                   extra_info: dict[str, Any] | None) -> list[Document]:
        return [Document(text=text, metadata=metadata)
                for text, metadata in transcript_pieces(result, source,
                                                        per_segment=self.per_segment,
                                                        extra=extra_info)]

    def load_data(self, file: Any, extra_info: dict[str, Any] | None = None) -> list[Document]:
        """Transcribe one source or a list (paths, directories, URLs)."""
        documents: list[Document] = []
        for source in self._sources(file):
            result = self.client.transcribe(source, **self._settings())
            documents += self._documents(result, source, extra_info)
        return documents

    async def aload_data(self, file: Any,
                         extra_info: dict[str, Any] | None = None) -> list[Document]:
        """Async twin of :meth:`load_data` (native async requests)."""
        documents: list[Document] = []
        for source in self._sources(file):
            result = await self.client.atranscribe(source, **self._settings())
            documents += self._documents(result, source, extra_info)
        return documents
