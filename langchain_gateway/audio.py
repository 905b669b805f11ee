"""LangChain audio through a relay gateway: speech and transcription tools for agents, and a
blob parser / document loader that turns recordings and videos into Documents for RAG.

Requests, upload checks (25 MB, supported formats) and answer parsing are
:mod:`gateway_core.audio`'s; the text and metadata of results are
:mod:`gateway_core.audio_report`'s. These classes convert arguments and results.
Each timed segment becomes one ``Document`` whose metadata holds ``start`` and ``end`` in
seconds, ``source``, ``language`` and ``duration``, so an answer can cite the moment it came from.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.document_loaders import BaseBlobParser, BaseLoader, Blob
from langchain_core.documents import Document
from langchain_core.tools import BaseTool, ToolException
from langchain_core.utils import from_env, secret_from_env
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, model_validator
from typing_extensions import Self

from gateway_core.audio import SPEECH_FORMATS, Transcription
from gateway_core.audio_report import (
    MEDIA_SUFFIXES,
    describe_speech,
    describe_transcription,
    transcript_pieces,
)
from gateway_core.client import GatewayClient
from gateway_core.config import config_from_fields
from gateway_core.errors import GatewayError

__all__ = [
    "GatewayAudioLoader",
    "GatewayAudioParser",
    "GatewaySpeechTool",
    "GatewayTranscriptionTool",
]


class SpeechToolInput(BaseModel):
    """Arguments of :class:`GatewaySpeechTool`."""

    text: str = Field(description="The exact text to read aloud (at most 4096 characters).")


class TranscriptionToolInput(BaseModel):
    """Arguments of :class:`GatewayTranscriptionTool`."""

    audio: str = Field(description="Path or http(s) URL of the audio or video file to "
                                   "transcribe (mp3, wav, m4a, mp4, webm, ogg, flac).")
    language: str | None = Field(default=None, description="ISO-639-1 code of the spoken "
                                                           "language if known, e.g. 'en', 'zh'.")


class _GatewayAudioTool(BaseTool):
    """Connection settings shared by the audio tools."""

    base_url: str | None = Field(
        default_factory=from_env("GATEWAY_BASE_URL", default=None), alias="api_base"
    )
    """The gateway's base URL (with or without ``/v1``); ``GATEWAY_BASE_URL`` if not given."""
    api_key: SecretStr | None = Field(
        default_factory=secret_from_env("GATEWAY_API_KEY", default=None)
    )
    """The relay key; ``GATEWAY_API_KEY`` if not given. Never shown to the model."""
    timeout: float | None = Field(default=300.0, alias="request_timeout")
    max_retries: int = 2
    default_headers: dict[str, str] | None = None
    proxy: str | None = None
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Provider-specific fields sent with every request."""
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    handle_tool_error: bool | str | Callable[[ToolException], str] | None = True

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=(),
                              arbitrary_types_allowed=True)
    _gateway: GatewayClient | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check_connection_settings(self) -> Self:
        config_from_fields(self)  # a missing key or bad URL is reported now
        return self

    @property
    def client(self) -> GatewayClient:
        if self._gateway is None:
            self._gateway = GatewayClient.from_fields(self)
        return self._gateway


class GatewaySpeechTool(_GatewayAudioTool):
    """Read text aloud through a relay gateway (``/v1/audio/speech``); the audio is streamed
    into ``save_dir`` and the tool reports the file's path.

    Setup:
        .. code-block:: bash

            pip install "ai-gateway-kit[langchain]"
            export GATEWAY_BASE_URL="https://your-gateway.example.com/v1"
            export GATEWAY_API_KEY="sk-..."

    Instantiate:
        .. code-block:: python

            from langchain_gateway import GatewaySpeechTool

            tool = GatewaySpeechTool(model="tts-1", voice="alloy", audio_format="wav",
                                     save_dir="out/audio")

    Invoke:
        .. code-block:: python

            tool.invoke({"text": "The build is green."})
            # 'Spoke the text with tts-1 (voice alloy): saved 52,844 bytes of audio/wav to …'
            message = tool.invoke({"name": "speak", "id": "1", "type": "tool_call",
                                   "args": {"text": "Hello"}})
            message.artifact["path"]
    """

    name: str = "speak"
    description: str = ("Read a text aloud and save it as an audio file. Returns the file's "
                        "path.")
    args_schema: type[BaseModel] = SpeechToolInput
    model: str = Field(default="tts-1", alias="model_name")
    voice: str = "alloy"
    audio_format: str = "mp3"
    """One of mp3, opus, aac, flac, wav, pcm."""
    speed: float | None = None
    instructions: str | None = None
    """How to speak (tone, pace) for models that take it, e.g. gpt-4o-mini-tts."""
    save_dir: str = "."

    @model_validator(mode="after")
    def _check_format(self) -> Self:
        if self.audio_format not in SPEECH_FORMATS:
            raise ValueError(f"audio_format must be one of {', '.join(SPEECH_FORMATS)}.")
        return self

    def _target(self) -> Path:
        from uuid import uuid4

        return Path(self.save_dir) / f"speech-{uuid4().hex[:12]}.{self.audio_format}"

    def _settings(self) -> dict[str, Any]:
        return {"model": self.model, "voice": self.voice, "response_format": self.audio_format,
                "speed": self.speed, "instructions": self.instructions, **self.model_kwargs}

    def _answer(self, result: Any) -> tuple[str, dict[str, Any]]:
        return (describe_speech(result, self.model, self.voice),
                {"path": str(result.path), "bytes": result.bytes_written,
                 "mime_type": result.mime_type, "model": self.model, "voice": self.voice})

    def _run(self, text: str, run_manager: CallbackManagerForToolRun | None = None
             ) -> tuple[str, dict[str, Any]]:
        try:
            return self._answer(self.client.speech(text, self._target(), **self._settings()))
        except GatewayError as exc:
            raise ToolException(str(exc)) from exc

    async def _arun(self, text: str, run_manager: AsyncCallbackManagerForToolRun | None = None
                    ) -> tuple[str, dict[str, Any]]:
        try:
            result = await self.client.aspeech(text, self._target(), **self._settings())
        except GatewayError as exc:
            raise ToolException(str(exc)) from exc
        return self._answer(result)


class GatewayTranscriptionTool(_GatewayAudioTool):
    """Transcribe an audio or video file (path or URL) through a relay gateway
    (``/v1/audio/transcriptions``); the model reads the transcript with timestamps.

    Instantiate:
        .. code-block:: python

            from langchain_gateway import GatewayTranscriptionTool

            tool = GatewayTranscriptionTool(model="whisper-1")

    Invoke:
        .. code-block:: python

            tool.invoke({"audio": "meeting.mp3"})
            # 'Transcript of meeting.mp3 (english, 61.0 s):\\n[00:00.0-00:04.2] Welcome …'
            message = tool.invoke({"name": "transcribe_audio", "id": "1", "type": "tool_call",
                                   "args": {"audio": "https://example.com/talk.mp3"}})
            message.artifact.segments[0].start
    """

    name: str = "transcribe_audio"
    description: str = ("Transcribe speech in an audio or video file (a path or URL) to text "
                        "with timestamps.")
    args_schema: type[BaseModel] = TranscriptionToolInput
    model: str = Field(default="whisper-1", alias="model_name")
    prompt: str | None = None
    """Spellings and context that help recognition (names, jargon)."""
    max_chars: int = 20_000
    """Longest transcript handed to the model (the artifact always has all of it)."""

    def _settings(self, language: str | None) -> dict[str, Any]:
        return {"model": self.model, "response_format": "verbose_json", "language": language,
                "prompt": self.prompt, **self.model_kwargs}

    def _run(self, audio: str, language: str | None = None,
             run_manager: CallbackManagerForToolRun | None = None
             ) -> tuple[str, Transcription]:
        try:
            result = self.client.transcribe(audio, **self._settings(language))
        except GatewayError as exc:
            raise ToolException(str(exc)) from exc
        return describe_transcription(result, audio, self.max_chars), result

    async def _arun(self, audio: str, language: str | None = None,
                    run_manager: AsyncCallbackManagerForToolRun | None = None
                    ) -> tuple[str, Transcription]:
        try:
            result = await self.client.atranscribe(audio, **self._settings(language))
        except GatewayError as exc:
            raise ToolException(str(exc)) from exc
        return describe_transcription(result, audio, self.max_chars), result


class GatewayAudioParser(BaseBlobParser):
    """Transcribe audio/video blobs into Documents, one per timed segment.

    .. code-block:: python

        from langchain_core.document_loaders import Blob
        from langchain_gateway import GatewayAudioParser

        parser = GatewayAudioParser(model="whisper-1")
        docs = parser.parse(Blob.from_path("meeting.mp3"))
        docs[0].metadata  # {'source': 'meeting.mp3', 'language': 'english', 'start': 0.0, …}

    Args:
        model: The transcription model. ``per_segment=False`` gives one Document per file
            (its metadata then lists the segments). ``language``, ``prompt``: passed on.
        client: A ready :class:`GatewayClient`; else one is built from ``base_url``,
            ``api_key`` and the other connection keyword arguments (or the environment).
    """

    def __init__(self, *, model: str = "whisper-1", per_segment: bool = True,
                 language: str | None = None, prompt: str | None = None,
                 client: GatewayClient | None = None, **connection: Any) -> None:
        self.model = model
        self.per_segment = per_segment
        self.language = language
        self.prompt = prompt
        self.client = client or GatewayClient(**connection)

    def _settings(self) -> dict[str, Any]:
        return {"model": self.model, "response_format": "verbose_json",
                "language": self.language, "prompt": self.prompt}

    def documents(self, result: Transcription, source: str) -> list[Document]:
        return [Document(page_content=text, metadata=metadata)
                for text, metadata in transcript_pieces(result, source,
                                                        per_segment=self.per_segment)]

    @staticmethod
    def _input(blob: Blob) -> Any:
        return blob.path if blob.data is None and blob.path is not None else blob.as_bytes()

    def lazy_parse(self, blob: Blob) -> Iterator[Document]:
        result = self.client.transcribe(self._input(blob), **self._settings())
        yield from self.documents(result, str(blob.source or blob.path or "audio"))

    async def aparse(self, blob: Blob) -> list[Document]:
        """Async twin of :meth:`parse` (a native async request)."""
        result = await self.client.atranscribe(self._input(blob), **self._settings())
        return self.documents(result, str(blob.source or blob.path or "audio"))


class GatewayAudioLoader(BaseLoader):
    """Load recordings and videos (paths, directories or URLs) as transcript Documents.

    .. code-block:: python

        from langchain_gateway import GatewayAudioLoader

        docs = GatewayAudioLoader(["standup.mp3", "talks/"], model="whisper-1").load()
        [(d.metadata["start"], d.page_content) for d in docs[:3]]
        docs = await GatewayAudioLoader("https://example.com/keynote.mp4").aload()

    A directory contributes its audio and video files (mp3, wav, m4a, mp4, webm, …), sorted.
    Keyword arguments go to :class:`GatewayAudioParser`.
    """

    def __init__(self, sources: str | Path | Sequence[str | Path], **parser: Any) -> None:
        items = [sources] if isinstance(sources, (str, Path)) else list(sources)
        self.sources = [str(item) for item in items]
        self.parser = GatewayAudioParser(**parser)

    def _expanded(self) -> list[str]:
        out: list[str] = []
        for source in self.sources:
            path = Path(source)
            if "://" not in source and path.is_dir():
                out += sorted(str(p) for p in path.rglob("*")
                              if p.suffix.lower() in MEDIA_SUFFIXES)
            else:
                out.append(source)
        return out

    def lazy_load(self) -> Iterator[Document]:
        for source in self._expanded():
            result = self.parser.client.transcribe(source, **self.parser._settings())
            yield from self.parser.documents(result, source)

    async def alazy_load(self) -> AsyncIterator[Document]:
        for source in self._expanded():
            result = await self.parser.client.atranscribe(source, **self.parser._settings())
            for document in self.parser.documents(result, source):
                yield document
