"""GatewayClient: the framework-free entry point. Sync methods, and ``a``-prefixed async twins.

Every adapter class (LangChain or LlamaIndex) holds one of these. Clients built from equal
settings share one :class:`~gateway_core.transport.Transport`, hence one connection pool.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .catalog import ModelInfo, parse_models
from .config import GatewayConfig
from .profiles import ModelProfile, resolve_profile

if TYPE_CHECKING:
    from .account import Balance
    from .audio import SpeechResult, Transcription
    from .chat.api import AsyncChatStream, ChatStream
    from .chat.types import ChatResult
    from .embeddings import EmbeddingResult
    from .images import ImageResult
    from .rerank import RerankResult
    from .switches import Thinking, WebSearchOptions
    from .tasks import TaskEngine, TaskHandle, TaskOutcome, TaskRecord, TaskResult, TaskSpec
    from .tasks.types import TaskSnapshot
    from .transport import Transport

__all__ = ["GatewayClient"]


class GatewayClient:
    """Talks to one relay gateway with one key.

    Setup:
        ``pip install ai-gateway-kit``; set ``GATEWAY_BASE_URL`` and ``GATEWAY_API_KEY`` or pass
        ``base_url=`` and ``api_key=``.

    Instantiate:
        .. code-block:: python

            from gateway_core import GatewayClient

            client = GatewayClient()  # or GatewayClient(base_url="https://…/v1", api_key="sk-…")
            [m.id for m in client.list_models()]

    Invoke:
        .. code-block:: python

            result = client.chat("Say hello", model="gpt-4o-mini")
            result.text, result.usage

    Stream:
        .. code-block:: python

            stream = client.stream_chat("Say hello", model="gpt-4o-mini")
            for delta in stream:
                print(delta.text, end="")
            stream.result.finish_reason  # "stop"

    Async:
        .. code-block:: python

            result = await client.achat("Say hello", model="gpt-4o-mini")

    Account:
        .. code-block:: python

            client.balance().describe()

    Args:
        config: A ready :class:`GatewayConfig`; or give its fields as keyword arguments
            (``base_url``, ``api_key``, ``timeout``, ``max_retries``, ``proxy``, …).
            ``None`` values are ignored so adapters can pass their optional fields through.
        http_transport: An ``httpx`` transport to send through instead of the network, as
            httpx's own ``transport=`` (``httpx.MockTransport(handler)`` in tests, an
            instrumented transport in production). Such a client gets a transport of its own
            (not shared with equal settings); everything else (headers, retries, limits)
            behaves the same.
    """

    def __init__(self, config: GatewayConfig | None = None, *, http_transport: Any = None,
                 **settings: Any) -> None:
        if config is None:
            config = GatewayConfig(**{k: v for k, v in settings.items() if v is not None})
        elif settings:
            config = config.replace(**settings)
        self.config = config
        # httpx loads with the first client, not on import
        from .transport import Transport, get_transport

        self.transport: Transport = (
            get_transport(config) if http_transport is None
            else Transport(config, http_transport=http_transport))

    def __repr__(self) -> str:
        return f"GatewayClient(base_url={self.config.base_url!r})"

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Close the sync connections of this client's transport now.

        The transport is shared with every object built from equal settings; they stay usable
        (the next call opens new connections). Also done by ``with GatewayClient(...)``.
        """
        self.transport.close()

    async def aclose(self) -> None:
        """Close the running loop's async connections (and the sync ones) now.

        Also done by ``async with GatewayClient(...)``. Without it, the connections close when
        the loop shuts down (``asyncio.run`` does that).
        """
        await self.transport.aclose()
        self.transport.close()

    def __enter__(self) -> GatewayClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> GatewayClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @classmethod
    def from_fields(cls, owner: Any, **overrides: Any) -> GatewayClient:
        """The client for an adapter object's connection fields (see
        :func:`~gateway_core.config.config_from_fields`)."""
        from .config import config_from_fields

        return cls(config_from_fields(owner, **overrides),
                   http_transport=getattr(owner, "http_transport", None))

    def profile(self, model: str, overrides: Any = None) -> ModelProfile:
        """The capability profile used for ``model`` (with optional user overrides)."""
        return resolve_profile(model, overrides)

    # ------------------------------------------------------------------ models (catalog)

    def list_models(self) -> list[ModelInfo]:
        """The models the key may use, with their endpoint types when the gateway lists them."""
        response = self.transport.request("GET", "/v1/models", what="Listing models")
        return parse_models(response.json())

    async def alist_models(self) -> list[ModelInfo]:
        """Async twin of :meth:`list_models`."""
        response = await self.transport.arequest("GET", "/v1/models", what="Listing models")
        return parse_models(response.json())

    # ------------------------------------------------------------------ chat (gateway_core.chat)

    def chat(
        self, messages: str | Sequence[Mapping[str, Any]], *, model: str,
        thinking: Thinking | None = None, web_search_options: WebSearchOptions | None = None,
        **params: Any,
    ) -> ChatResult:
        """One chat completion. ``messages`` are OpenAI-format dicts (or one user string).

        ``params`` are OpenAI parameters (``temperature``, ``max_tokens``, ``tools``,
        ``tool_choice``, ``response_format``, ``reasoning_effort``, …) plus ``extra_body``,
        ``profile`` (capability overrides) and ``timeout``. A parameter the gateway refuses is
        dropped and the call retried once (see :mod:`gateway_core.chat.api`). ``thinking``
        (Doubao: ``"disabled"`` is sent as ``{"type": "disabled"}``) and ``web_search_options``
        are left out for a model whose profile refuses them (:mod:`gateway_core.switches`).
        """
        from .chat import api as chat_api

        call = chat_api.make_call(model, thinking=thinking,
                                  web_search_options=web_search_options, **params)
        return chat_api.complete(self.transport, chat_api.as_messages(messages), call)

    async def achat(
        self, messages: str | Sequence[Mapping[str, Any]], *, model: str,
        thinking: Thinking | None = None, web_search_options: WebSearchOptions | None = None,
        **params: Any,
    ) -> ChatResult:
        """Async twin of :meth:`chat`."""
        from .chat import api as chat_api

        call = chat_api.make_call(model, thinking=thinking,
                                  web_search_options=web_search_options, **params)
        return await chat_api.acomplete(self.transport, chat_api.as_messages(messages), call)

    def stream_chat(
        self, messages: str | Sequence[Mapping[str, Any]], *, model: str,
        thinking: Thinking | None = None, web_search_options: WebSearchOptions | None = None,
        **params: Any,
    ) -> ChatStream:
        """A streamed chat completion: iterate for deltas, then read ``.result``.

        ``stream_usage=False`` stops asking for the final usage chunk. A stream that ends
        without a ``finish_reason`` raises :class:`~gateway_core.errors.IncompleteStreamError`
        with the partial text on it.
        """
        from .chat import api as chat_api

        call = chat_api.make_call(model, thinking=thinking,
                                  web_search_options=web_search_options, **params)
        return chat_api.ChatStream(self.transport, chat_api.as_messages(messages), call)

    def astream_chat(
        self, messages: str | Sequence[Mapping[str, Any]], *, model: str,
        thinking: Thinking | None = None, web_search_options: WebSearchOptions | None = None,
        **params: Any,
    ) -> AsyncChatStream:
        """Async twin of :meth:`stream_chat` (``async for delta in client.astream_chat(...)``)."""
        from .chat import api as chat_api

        call = chat_api.make_call(model, thinking=thinking,
                                  web_search_options=web_search_options, **params)
        return chat_api.AsyncChatStream(self.transport, chat_api.as_messages(messages), call)

    def chat_structured(
        self,
        messages: str | Sequence[Mapping[str, Any]],
        schema: Any,
        *,
        model: str,
        method: str | None = None,
        strict: bool | None = None,
        include_raw: bool = False,
        **params: Any,
    ) -> Any:
        """Structured output: a dict for a JSON schema, an instance for a pydantic model.

        The method (``json_schema``, ``function_calling``, ``json_mode``, ``prompt``) comes
        from the model's profile unless given, and falls back to the next one when the gateway
        refuses it. ``include_raw=True`` returns ``(parsed, ChatResult)``.
        """
        from .chat import api as chat_api
        from .chat.structured import parse_structured, structured_target

        spec, validate = structured_target(schema, method=method, strict=strict)
        result = chat_api.complete(self.transport, chat_api.as_messages(messages),
                                   chat_api.make_call(model, structured=spec, **params))
        parsed = validate(parse_structured(result, spec))
        return (parsed, result) if include_raw else parsed

    async def achat_structured(
        self,
        messages: str | Sequence[Mapping[str, Any]],
        schema: Any,
        *,
        model: str,
        method: str | None = None,
        strict: bool | None = None,
        include_raw: bool = False,
        **params: Any,
    ) -> Any:
        """Async twin of :meth:`chat_structured`."""
        from .chat import api as chat_api
        from .chat.structured import parse_structured, structured_target

        spec, validate = structured_target(schema, method=method, strict=strict)
        result = await chat_api.acomplete(self.transport, chat_api.as_messages(messages),
                                          chat_api.make_call(model, structured=spec, **params))
        parsed = validate(parse_structured(result, spec))
        return (parsed, result) if include_raw else parsed

    # ------------------------------------------------------------------ embeddings / rerank

    def embed(
        self, texts: Sequence[str], *, model: str, **params: Any
    ) -> EmbeddingResult:
        """Embed a list of texts; ``.vectors`` come back in input order.

        ``params``: ``dimensions``, ``encoding_format`` (``"float"`` default, ``"base64"``),
        ``batch_size`` (default 64 or the model profile's cap), ``empty_text`` (``"error"`` or
        ``"zeros"``), ``user``, ``extra_body``, ``timeout``, ``profile`` (capability overrides),
        ``expected_dimension``, ``on_progress``. See :mod:`gateway_core.embeddings`.
        """
        from .embeddings import embed, make_embed_call

        extra = self._embed_run_params(params)
        return embed(self.transport, texts, make_embed_call(model, **params), **extra)

    async def aembed(
        self, texts: Sequence[str], *, model: str, **params: Any
    ) -> EmbeddingResult:
        """Async twin of :meth:`embed`: up to ``max_concurrency`` (default 4) requests at once."""
        from .embeddings import aembed, make_embed_call

        extra = self._embed_run_params(params)
        return await aembed(self.transport, texts, make_embed_call(model, **params), **extra)

    @staticmethod
    def _embed_run_params(params: dict[str, Any]) -> dict[str, Any]:
        """Take the per-run arguments (not part of the request settings) out of ``params``."""
        return {key: params.pop(key) for key in ("expected_dimension", "on_progress")
                if key in params}

    def embed_query(self, text: str, *, model: str, **params: Any) -> list[float]:
        """The vector of one text (same parameters as :meth:`embed`)."""
        return self.embed([text], model=model, **params).vectors[0]

    async def aembed_query(self, text: str, *, model: str, **params: Any) -> list[float]:
        """Async twin of :meth:`embed_query`."""
        return (await self.aembed([text], model=model, **params)).vectors[0]

    def rerank(
        self,
        query: str,
        documents: Sequence[str | Mapping[str, Any]],
        *,
        model: str,
        top_n: int | None = None,
        **params: Any,
    ) -> RerankResult:
        """Rank documents by relevance to ``query``; ``.hits`` best first (``index``, score).

        ``params``: ``max_documents_per_request`` (default 100 or the profile's; more are split
        and merged by score), ``return_documents``, ``max_concurrency``, ``path``
        (``/v1/rerank``), ``extra_body``, ``timeout``, ``profile``. A gateway without rerank
        raises :class:`~gateway_core.errors.EndpointNotSupportedError`.
        """
        from .rerank import make_rerank_call, rerank

        call = make_rerank_call(model, top_n=top_n, **params)
        return rerank(self.transport, query, documents, call)

    async def arerank(
        self,
        query: str,
        documents: Sequence[str | Mapping[str, Any]],
        *,
        model: str,
        top_n: int | None = None,
        **params: Any,
    ) -> RerankResult:
        """Async twin of :meth:`rerank`."""
        from .rerank import arerank, make_rerank_call

        call = make_rerank_call(model, top_n=top_n, **params)
        return await arerank(self.transport, query, documents, call)

    # ------------------------------------------------------------------ audio (gateway_core.audio)

    @staticmethod
    def _speech_call(model: str, voice: str, response_format: str, speed: float | None,
                     instructions: str | None, timeout: float | None,
                     extra: dict[str, Any]) -> Any:
        from .audio import DEFAULT_AUDIO_TIMEOUT, SpeechCall

        return SpeechCall(model=model, voice=voice, response_format=response_format, speed=speed,
                          instructions=instructions, extra=extra,
                          timeout=timeout or DEFAULT_AUDIO_TIMEOUT)

    def speech(
        self, text: str, path: str | os.PathLike[str], *, model: str = "tts-1",
        voice: str = "alloy", response_format: str = "mp3", speed: float | None = None,
        instructions: str | None = None, timeout: float | None = None, **extra: Any,
    ) -> SpeechResult:
        """Text to speech (``/v1/audio/speech``), streamed into ``path`` (a file or directory).

        .. code-block:: python

            result = client.speech("Hello!", "hello.wav", voice="alloy", response_format="wav")
            result.path, result.bytes_written
        """
        from .audio import speech

        call = self._speech_call(model, voice, response_format, speed, instructions, timeout,
                                 extra)
        return speech(self.transport, text, call, path)

    async def aspeech(
        self, text: str, path: str | os.PathLike[str], *, model: str = "tts-1",
        voice: str = "alloy", response_format: str = "mp3", speed: float | None = None,
        instructions: str | None = None, timeout: float | None = None, **extra: Any,
    ) -> SpeechResult:
        """Async twin of :meth:`speech`."""
        from .audio import aspeech

        call = self._speech_call(model, voice, response_format, speed, instructions, timeout,
                                 extra)
        return await aspeech(self.transport, text, call, path)

    @staticmethod
    def _transcription_call(translate: bool, model: str, params: dict[str, Any]) -> Any:
        from .audio import DEFAULT_AUDIO_TIMEOUT, TranscriptionCall

        known = ("response_format", "language", "prompt", "temperature")
        fields = {name: params.pop(name) for name in known if name in params}
        granularities = params.pop("timestamp_granularities", None) or ()
        timeout = params.pop("timeout", None) or DEFAULT_AUDIO_TIMEOUT
        return TranscriptionCall(model=model, translate=translate, timeout=timeout,
                                 timestamp_granularities=tuple(granularities), extra=params,
                                 **{k: v for k, v in fields.items() if v is not None})

    def transcribe(self, audio: Any, *, model: str = "whisper-1", **params: Any) -> Transcription:
        """Speech to text (``/v1/audio/transcriptions``) from a path, bytes or http(s) URL.

        ``params``: ``response_format`` (``json``, ``text``, ``srt``, ``vtt``,
        ``verbose_json``), ``language``, ``prompt``, ``temperature``,
        ``timestamp_granularities``, ``timeout``. Files over 25 MB or in an unsupported format
        fail before any upload.

        .. code-block:: python

            result = client.transcribe("meeting.mp3", response_format="verbose_json")
            [(s.start, s.end, s.text) for s in result.segments]
        """
        from .audio import transcribe

        return transcribe(self.transport, audio,
                          self._transcription_call(False, model, dict(params)))

    async def atranscribe(self, audio: Any, *, model: str = "whisper-1",
                          **params: Any) -> Transcription:
        """Async twin of :meth:`transcribe`."""
        from .audio import atranscribe

        return await atranscribe(self.transport, audio,
                                 self._transcription_call(False, model, dict(params)))

    def translate(self, audio: Any, *, model: str = "whisper-1", **params: Any) -> Transcription:
        """Speech in any language to English text (``/v1/audio/translations``); the same
        ``params`` as :meth:`transcribe` except ``language``."""
        from .audio import transcribe

        return transcribe(self.transport, audio,
                          self._transcription_call(True, model, dict(params)))

    async def atranslate(self, audio: Any, *, model: str = "whisper-1",
                         **params: Any) -> Transcription:
        """Async twin of :meth:`translate`."""
        from .audio import atranscribe

        return await atranscribe(self.transport, audio,
                                 self._transcription_call(True, model, dict(params)))

    # ------------------------------------------------------------------ images / video / tasks

    @property
    def tasks(self) -> TaskEngine:
        """The task engine (journal + poller) for video, Midjourney, Suno and chat media.

        Created on first use with the default journal (``GATEWAY_TASK_JOURNAL`` or the user's
        cache directory); change it with :meth:`configure_tasks`.
        """
        engine: TaskEngine | None = getattr(self, "_task_engine", None)
        if engine is None:
            from .tasks import TaskEngine

            engine = TaskEngine(self.transport)
            self._task_engine = engine
        return engine

    def configure_tasks(
        self,
        *,
        journal: Any = None,
        poll: Any = None,
        dedup_window: float | None = None,
        submit_retries: int = 3,
    ) -> TaskEngine:
        """Set how tasks are journaled and polled; returns the new engine.

        Args:
            journal: A path for the SQLite journal, ``False`` for memory only (no file), a
                :class:`~gateway_core.tasks.Journal`, or None for the default.
            poll: :class:`~gateway_core.tasks.PollSettings` (``interval`` 2 s, ``max_interval``
                15 s, ``timeout`` 900 s) or a :class:`~gateway_core.tasks.Poller`.
            dedup_window: Seconds in which an identical request returns the existing task
                (default 600; 0 turns it off).
        """
        from .tasks import DEFAULT_DEDUP_WINDOW, TaskEngine

        window = DEFAULT_DEDUP_WINDOW if dedup_window is None else dedup_window
        self._task_engine = TaskEngine(self.transport, journal=journal, poll=poll,
                                       dedup_window=window, submit_retries=submit_retries)
        return self._task_engine

    def _image_protocol(self, protocol: str, model: str) -> str:
        if protocol != "auto":
            return protocol
        resolved = self.tasks.resolve("auto", model, "image").name
        return resolved if resolved in ("midjourney", "chat") else "images"

    async def _aimage_protocol(self, protocol: str, model: str) -> str:
        if protocol != "auto":
            return protocol
        resolved = (await self.tasks.aresolve("auto", model, "image")).name
        return resolved if resolved in ("midjourney", "chat") else "images"

    def generate_image(
        self, prompt: str, *, model: str, n: int | None = None, size: Any = None,
        quality: str | None = None, response_format: str | None = None,
        protocol: str = "images", timeout: float | None = None, new: bool = False,
        on_progress: Any = None, **extra: Any,
    ) -> ImageResult:
        """Generate images; ``.items`` are :class:`~gateway_core.media_items.MediaItem`\\ s.

        ``protocol``: ``"images"`` (``/v1/images/generations``, default), ``"midjourney"``,
        ``"chat"`` (an image model served through chat) or ``"auto"`` (from the model list).
        ``extra`` keys (``aspect_ratio``, ``seed``, ``negative_prompt``, ``background``, …) are
        sent as they are. Bad input raises :class:`~gateway_core.errors.InvalidRequestError`
        before anything is sent; the request is never sent twice.
        """
        from .images import ImageCall, check_prompt, generate_image

        check_prompt(prompt)
        chosen = self._image_protocol(protocol, model)
        if chosen != "images":
            return self._image_task(chosen, prompt, model, size, extra, timeout, new,
                                    on_progress)
        call = ImageCall.make(model, n=n, size=size, quality=quality,
                              response_format=response_format, timeout=timeout, **extra)
        return generate_image(self.transport, prompt, call)

    async def agenerate_image(
        self, prompt: str, *, model: str, n: int | None = None, size: Any = None,
        quality: str | None = None, response_format: str | None = None,
        protocol: str = "images", timeout: float | None = None, new: bool = False,
        on_progress: Any = None, **extra: Any,
    ) -> ImageResult:
        """Async twin of :meth:`generate_image`."""
        from .images import ImageCall, agenerate_image, check_prompt

        check_prompt(prompt)
        chosen = await self._aimage_protocol(protocol, model)
        if chosen != "images":
            return await self._aimage_task(chosen, prompt, model, size, extra, timeout, new,
                                           on_progress)
        call = ImageCall.make(model, n=n, size=size, quality=quality,
                              response_format=response_format, timeout=timeout, **extra)
        return await agenerate_image(self.transport, prompt, call)

    def _image_spec(self, protocol: str, prompt: str, model: str, size: Any,
                    extra: dict[str, Any]) -> TaskSpec:
        from .tasks.specs import make_spec

        images = extra.pop("images", None) or extra.pop("image", None)
        aspect = extra.pop("aspect_ratio", None)
        if protocol == "midjourney" and aspect:
            prompt = f"{prompt} --ar {aspect}"  # Midjourney takes the ratio in the prompt
            aspect = None
        return make_spec(kind="image", model=model, prompt=prompt, images=images, size=size,
                         aspect_ratio=aspect, params=extra)

    @staticmethod
    def _as_image_result(snapshot: TaskSnapshot, model: str) -> ImageResult:
        from .images import ImageResult

        return ImageResult(items=[i for i in snapshot.items if i.kind == "image"] or
                           snapshot.items, model=model, raw={"task": snapshot.raw,
                                                             "task_id": snapshot.task_id,
                                                             "extra": snapshot.extra})

    def _image_task(self, protocol: str, prompt: str, model: str, size: Any,
                    extra: dict[str, Any], timeout: float | None, new: bool,
                    on_progress: Any) -> ImageResult:
        spec = self._image_spec(protocol, prompt, model, size, extra)
        snapshot = self.tasks.run(protocol, spec, new=new, timeout=timeout,
                                  on_progress=on_progress)
        return self._as_image_result(snapshot, model)

    async def _aimage_task(self, protocol: str, prompt: str, model: str, size: Any,
                           extra: dict[str, Any], timeout: float | None, new: bool,
                           on_progress: Any) -> ImageResult:
        spec = self._image_spec(protocol, prompt, model, size, extra)
        snapshot = await self.tasks.arun(protocol, spec, new=new, timeout=timeout,
                                         on_progress=on_progress)
        return self._as_image_result(snapshot, model)

    def edit_image(
        self, prompt: str, images: Any, *, model: str, mask: Any = None, n: int | None = None,
        size: Any = None, quality: str | None = None, response_format: str | None = None,
        edit_format: str = "auto", timeout: float | None = None, **extra: Any,
    ) -> ImageResult:
        """Edit or combine images (``/v1/images/edits``).

        ``images``: one or several local paths, bytes, ``data:`` URIs or http(s) URLs. Files
        go as multipart (repeated ``image[]`` parts for several) with an optional ``mask``;
        all-URL inputs go as JSON (``edit_format="json"`` forces JSON, with data URIs for
        local files). Missing files and bytes that are not images fail before any request.
        """
        from .images import ImageCall, edit_image

        call = ImageCall.make(model, n=n, size=size, quality=quality,
                              response_format=response_format, timeout=timeout, **extra)
        return edit_image(self.transport, prompt, images, call, mask=mask,
                          edit_format=edit_format)  # type: ignore[arg-type]

    async def aedit_image(
        self, prompt: str, images: Any, *, model: str, mask: Any = None, n: int | None = None,
        size: Any = None, quality: str | None = None, response_format: str | None = None,
        edit_format: str = "auto", timeout: float | None = None, **extra: Any,
    ) -> ImageResult:
        """Async twin of :meth:`edit_image`."""
        from .images import ImageCall, aedit_image

        call = ImageCall.make(model, n=n, size=size, quality=quality,
                              response_format=response_format, timeout=timeout, **extra)
        return await aedit_image(self.transport, prompt, images, call, mask=mask,
                                 edit_format=edit_format)  # type: ignore[arg-type]

    @staticmethod
    def _video_spec(prompt: str, model: str, seconds: Any, size: Any, aspect_ratio: Any,
                    images: Any, params: dict[str, Any]) -> TaskSpec:
        from .tasks.specs import make_spec

        action = params.pop("action", "")
        return make_spec(kind="video", model=model, prompt=prompt, images=images,
                         seconds=seconds, size=size, aspect_ratio=aspect_ratio, action=action,
                         params=params)

    def create_video(
        self, prompt: str, *, model: str, seconds: Any = None, size: Any = None,
        aspect_ratio: Any = None, images: Any = None, protocol: str = "auto", new: bool = False,
        on_progress: Any = None, **params: Any,
    ) -> TaskHandle:
        """Start a video; returns a :class:`~gateway_core.tasks.TaskHandle` (``.result()``).

        The create request is sent once (``idempotent=False``) and its task id journaled
        before any poll, so a crash never costs a second payment (:meth:`resume_tasks`). An
        identical request within ``dedup_window`` returns the existing task unless
        ``new=True``. ``protocol``: ``"auto"`` (from the model's endpoint types, else
        ``newapi-video``), ``"openai-videos"``, ``"newapi-video"``, ``"unified-video"``,
        ``"kling"`` or ``"chat"``. ``images``: first frame / reference images. ``params``
        (``negative_prompt``, ``resolution``, ``metadata={…}``, …) are passed through.
        """
        spec = self._video_spec(prompt, model, seconds, size, aspect_ratio, images, params)
        return self.tasks.submit(protocol, spec, new=new, on_progress=on_progress)

    async def acreate_video(
        self, prompt: str, *, model: str, seconds: Any = None, size: Any = None,
        aspect_ratio: Any = None, images: Any = None, protocol: str = "auto", new: bool = False,
        on_progress: Any = None, **params: Any,
    ) -> TaskHandle:
        """Async twin of :meth:`create_video`."""
        spec = self._video_spec(prompt, model, seconds, size, aspect_ratio, images, params)
        return await self.tasks.asubmit(protocol, spec, new=new, on_progress=on_progress)

    def create_task(
        self, protocol: str, *, prompt: str | None = None, model: str | None = None,
        kind: str = "video", action: str = "", images: Any = None, new: bool = False,
        **params: Any,
    ) -> TaskHandle:
        """Start any task the engine knows (Midjourney ``imagine``/``blend``, Suno ``music``
        /``lyrics``, …); ``params`` go into the body as they are."""
        from .tasks.specs import make_spec

        spec = make_spec(kind=kind, model=model, prompt=prompt, images=images,  # type: ignore[arg-type]
                         action=action, prompt_required=False, params=params)
        return self.tasks.submit(protocol, spec, new=new)

    async def acreate_task(
        self, protocol: str, *, prompt: str | None = None, model: str | None = None,
        kind: str = "video", action: str = "", images: Any = None, new: bool = False,
        **params: Any,
    ) -> TaskHandle:
        """Async twin of :meth:`create_task`."""
        from .tasks.specs import make_spec

        spec = make_spec(kind=kind, model=model, prompt=prompt, images=images,  # type: ignore[arg-type]
                         action=action, prompt_required=False, params=params)
        return await self.tasks.asubmit(protocol, spec, new=new)

    def continue_song(self, clip_id: str, *, at: float, lyrics: str, tags: str | None = None,
                      title: str | None = None, model: str | None = None,
                      new: bool = False) -> TaskHandle:
        """Continue a Suno clip from second ``at`` with new ``lyrics`` (custom mode:
        ``continue_clip_id``, ``continue_at``)."""
        from .tasks.suno import continuation

        return self.create_task("suno", prompt=lyrics, model=model, kind="audio", new=new,
                                **continuation(clip_id, at, tags, title))

    async def acontinue_song(self, clip_id: str, *, at: float, lyrics: str,
                             tags: str | None = None, title: str | None = None,
                             model: str | None = None, new: bool = False) -> TaskHandle:
        """Async twin of :meth:`continue_song`."""
        from .tasks.suno import continuation

        return await self.acreate_task("suno", prompt=lyrics, model=model, kind="audio",
                                       new=new, **continuation(clip_id, at, tags, title))

    def suno_fetch(self, task_ids: list[str]) -> list[TaskSnapshot]:
        """Several Suno tasks in one request (``POST /suno/fetch``), in the gateway's order."""
        from .tasks.suno import fetch_call, parse_fetched

        call = fetch_call(list(task_ids))
        return parse_fetched(self.transport.request(call.method, call.path, json=call.json,
                                                    what=call.what).json())

    async def asuno_fetch(self, task_ids: list[str]) -> list[TaskSnapshot]:
        """Async twin of :meth:`suno_fetch`."""
        from .tasks.suno import fetch_call, parse_fetched

        call = fetch_call(list(task_ids))
        response = await self.transport.arequest(call.method, call.path, json=call.json,
                                                 what=call.what)
        return parse_fetched(response.json())

    def midjourney_action(self, task_id: str, custom_id: str, *, new: bool = False) -> TaskHandle:
        """A Midjourney follow-up (upscale, variation, …) by a button's ``customId``."""
        return self.create_task("midjourney", kind="image", action="action", new=new,
                                taskId=task_id, customId=custom_id)

    async def amidjourney_action(self, task_id: str, custom_id: str, *,
                                 new: bool = False) -> TaskHandle:
        """Async twin of :meth:`midjourney_action`."""
        return await self.acreate_task("midjourney", kind="image", action="action", new=new,
                                       taskId=task_id, customId=custom_id)

    def midjourney_modal(self, task_id: str, *, prompt: str | None = None, mask: Any = None,
                         new: bool = False) -> TaskHandle:
        """Answer a task waiting in ``MODAL`` (a Custom Zoom or Vary (Region) button opened
        it): its prompt and, for Vary (Region), the ``mask`` (path, bytes or data URI). The
        task then runs to its image."""
        return self.create_task("midjourney", kind="image", action="modal", prompt=prompt,
                                images=None if mask is None else [mask], new=new,
                                taskId=task_id)

    async def amidjourney_modal(self, task_id: str, *, prompt: str | None = None,
                                mask: Any = None, new: bool = False) -> TaskHandle:
        """Async twin of :meth:`midjourney_modal`."""
        return await self.acreate_task("midjourney", kind="image", action="modal",
                                       prompt=prompt, images=None if mask is None else [mask],
                                       new=new, taskId=task_id)

    def _handle(self, task: TaskHandle | str, protocol: str | None) -> TaskHandle:
        from .errors import InvalidRequestError
        from .tasks import TaskHandle

        if isinstance(task, TaskHandle):
            return task
        if not protocol or protocol == "auto":
            raise InvalidRequestError(
                "Waiting for a task by id needs its protocol, e.g. protocol='openai-videos'."
            )
        return self.tasks.attach(task, protocol)

    def wait_task(
        self, task: TaskHandle | str, *, protocol: str | None = None,
        timeout: float | None = None, on_progress: Any = None, cancel: Any = None,
    ) -> TaskResult:
        """Wait for a task (a handle, or an id plus its protocol) to end; its result."""
        return self._handle(task, protocol).result(timeout=timeout, on_progress=on_progress,
                                                   cancel=cancel)

    async def await_task(
        self, task: TaskHandle | str, *, protocol: str | None = None,
        timeout: float | None = None, on_progress: Any = None, cancel: Any = None,
    ) -> TaskResult:
        """Async twin of :meth:`wait_task`."""
        import asyncio

        handle = await asyncio.to_thread(self._handle, task, protocol)  # journal lookup
        return await handle.aresult(timeout=timeout, on_progress=on_progress, cancel=cancel)

    def resume_tasks(
        self, *, timeout: float | None = None, on_progress: Any = None
    ) -> list[TaskOutcome]:
        """Finish the journaled tasks of this gateway that were left running (after a crash)."""
        return self.tasks.resume(timeout=timeout, on_progress=on_progress)

    async def aresume_tasks(
        self, *, timeout: float | None = None, on_progress: Any = None
    ) -> list[TaskOutcome]:
        """Async twin of :meth:`resume_tasks` (tasks are awaited concurrently)."""
        return await self.tasks.aresume(timeout=timeout, on_progress=on_progress)

    def list_tasks(
        self, *, states: Sequence[str] | None = None, limit: int = 100
    ) -> list[TaskRecord]:
        """This gateway's journaled tasks, newest first (``states=("running",)`` to filter)."""
        return self.tasks.records(states=states, limit=limit)

    # ------------------------------------------------------------------ account (balance)

    def balance(self) -> Balance:
        """What the key has left (new-api token usage, else the billing endpoints)."""
        from .account import balance

        return balance(self.transport)

    async def abalance(self) -> Balance:
        """Async twin of :meth:`balance`."""
        from .account import abalance

        return await abalance(self.transport)
