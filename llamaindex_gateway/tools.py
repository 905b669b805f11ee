"""LlamaIndex tools for image and video generation through a relay gateway.

:class:`GatewayMediaToolSpec` is a ``BaseToolSpec`` with ``generate_image``, ``edit_image`` and
``generate_video`` (each with a native async twin), turned into ``FunctionTool``\\ s by
``to_tool_list()``. The functions take only what a model should choose (prompt, size or aspect
ratio, duration, image URLs); the requests, the task journal, polling and result links are
:mod:`gateway_core`'s.

A tool returns a :class:`MediaToolResult`: its text (what the model reads) names what was made
and where; ``ToolOutput.raw_output`` keeps the media items, task id, model and protocol. It is a
pydantic model whose items serialise as JSON, so a workflow ``Context`` holding it survives
``Context.to_dict()``. With ``image_blocks=True`` the tool's output blocks carry the images as
``ImageBlock``\\ s next to the text, for vision models (``raw_output`` is still the result).

Progress of a running task goes to the workflow's event stream (``handler.stream_events()``
yields :class:`MediaTaskProgress` while a ``FunctionAgent`` / ``AgentWorkflow`` runs the tool)
and, as before, to the instrumentation event :class:`MediaTaskProgressEvent`.
"""

# No ``from __future__ import annotations``: LlamaIndex builds each tool's schema from the
# functions' runtime annotations, which must be real types (``ImageSize``, ``AspectRatio``).
import inspect
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Any, Literal

from llama_index.core.base.llms.types import ImageBlock, TextBlock
from llama_index.core.instrumentation import get_dispatcher  # type: ignore[attr-defined]
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.tools import FunctionTool
from llama_index.core.tools.tool_spec.base import BaseToolSpec
from llama_index.core.workflow import Event
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator

from gateway_core.arguments import sort_arguments
from gateway_core.client import GatewayClient
from gateway_core.config import config_from_fields
from gateway_core.media_items import MediaItem
from gateway_core.media_report import (
    asave_items,
    describe_items,
    image_headline,
    save_items,
    video_headline,
)
from gateway_core.tasks import PollSettings, TaskSnapshot

__all__ = ["GatewayMediaToolSpec", "MediaTaskProgress", "MediaTaskProgressEvent",
           "MediaToolResult"]

dispatcher = get_dispatcher(__name__)

ImageSize = Literal["1024x1024", "1536x1024", "1024x1536", "1792x1024", "1024x1792", "auto"]
AspectRatio = Literal["16:9", "9:16", "1:1", "4:3", "3:4"]
Url = Annotated[str, Field(json_schema_extra={"format": "uri"})]


class MediaTaskProgressEvent(BaseEvent):
    """A media task moved (state, status or progress changed)."""

    tool: str
    task_id: str
    protocol: str
    state: str
    status: str | None = None
    progress: int | None = None

    @classmethod
    def class_name(cls) -> str:
        return "MediaTaskProgressEvent"


class MediaTaskProgress(Event):
    """A media task moved: written to the running workflow's event stream
    (``handler.stream_events()``)."""

    tool: str
    task_id: str
    protocol: str
    state: str
    status: str | None = None
    progress: int | None = None


def _as_item(value: Any) -> MediaItem:
    return value if isinstance(value, MediaItem) else MediaItem.from_dict(value)


def _as_record(item: MediaItem) -> dict[str, Any]:
    return item.to_dict(include_data=True)


# A MediaItem in memory, a JSON record when serialised (workflow contexts, to_dict, JSON).
StoredMediaItem = Annotated[MediaItem, PlainValidator(_as_item), PlainSerializer(_as_record)]


class MediaToolResult(BaseModel):
    """What a media tool made. ``str()`` is the text the model reads."""

    model_config = ConfigDict(arbitrary_types_allowed=True, protected_namespaces=())

    text: str
    items: list[StoredMediaItem]
    model: str
    protocol: str
    task_id: str | None = None
    paths: list[str] = Field(default_factory=list)
    extra: dict[str, Any] = Field(default_factory=dict)

    def __str__(self) -> str:
        return self.text

    @property
    def urls(self) -> list[str]:
        return [url for url in (item.best_url for item in self.items) if url]

    def blocks(self, images: bool) -> list[Any]:
        """The text, then (``images``) one ``ImageBlock`` per image, for vision models."""
        blocks: list[Any] = [TextBlock(text=self.text)]
        for item in self.items if images else ():
            if item.kind != "image":
                continue
            if item.has_data:
                blocks.append(ImageBlock(image=item.data, image_mimetype=item.mime_type))
            elif item.best_url and not item.needs_auth:
                blocks.append(ImageBlock(url=item.best_url))
        return blocks


class _MediaFunctionTool(FunctionTool):
    """A FunctionTool whose output blocks may carry the result's images."""

    def __init__(self, *args: Any, image_blocks: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._image_blocks = image_blocks

    def _parse_tool_output(self, raw_output: Any) -> list[Any]:
        if isinstance(raw_output, MediaToolResult):
            return raw_output.blocks(self._image_blocks)
        return super()._parse_tool_output(raw_output)


class GatewayMediaToolSpec(BaseToolSpec):
    """Image and video tools for LlamaIndex agents, through a relay gateway.

    Setup:
        .. code-block:: bash

            pip install "ai-gateway-kit[llamaindex]"
            export GATEWAY_BASE_URL="https://your-gateway.example.com/v1"
            export GATEWAY_API_KEY="sk-..."

    Instantiate:
        .. code-block:: python

            from llamaindex_gateway import GatewayMediaToolSpec

            spec = GatewayMediaToolSpec(image_model="gpt-image-1", video_model="sora-2",
                                        save_dir="out/media")
            tools = spec.to_tool_list()  # generate_image, edit_image, generate_video

    Call directly:
        .. code-block:: python

            result = spec.generate_image("a lighthouse at dusk, watercolour")
            str(result)   # 'Generated 1 image with gpt-image-1:\\n1. image: …'
            result.items[0].mime_type  # 'image/png'
            video = await spec.agenerate_video("waves at sunset", seconds=4)
            video.task_id, video.urls

    With an agent:
        .. code-block:: python

            from llama_index.core.agent.workflow import FunctionAgent
            from llamaindex_gateway import GatewayLLM

            agent = FunctionAgent(tools=spec.to_tool_list(), llm=GatewayLLM(model="gpt-4o-mini"))
            await agent.run("Draw a red fox, then make a short video of it running")

    Paid work is never paid twice: creates are sent once, video task ids are journaled before
    polling (``GatewayClient.resume_tasks()`` finishes them after a crash), and an identical
    request within ``dedup_window`` seconds returns the existing task.

    Args:
        image_model / edit_model / video_model: Models as the gateway names them
            (``edit_model`` defaults to ``image_model``).
        base_url / api_base, api_key: The gateway and key (``GATEWAY_BASE_URL`` /
            ``GATEWAY_API_KEY`` if not given).
        image_protocol: ``images`` (default), ``midjourney``, ``chat`` or ``auto``.
        video_protocol: ``auto`` (default), ``openai-videos``, ``newapi-video``,
            ``unified-video``, ``kling`` or ``chat``.
        task_timeout, poll_interval, max_poll_interval: How long and how often to poll.
        task_journal: Journal path, ``False`` for memory only, None for the default.
        save_dir: Save results there (inline images; links are downloaded) and report paths.
        image_blocks: Return images as ``ImageBlock``\\ s too (for vision models).
        extra_body: Provider-specific fields sent with every request (other unknown keyword
            arguments join it, with a warning; a misspelled setting is refused).
        default_headers, proxy: Extra headers, an http(s) or socks proxy.
        verify: TLS verification: True, False, or a CA bundle path.
        allow_insecure_http: Allow plain ``http://`` to a host that is not loopback (a
            self-hosted gateway on a trusted network).
    """

    spec_functions = [
        ("generate_image", "agenerate_image"),
        ("edit_image", "aedit_image"),
        ("generate_video", "agenerate_video"),
    ]

    def __init__(
        self,
        *,
        image_model: str = "gpt-image-1",
        video_model: str = "sora-2",
        edit_model: str | None = None,
        base_url: str | None = None,
        api_base: str | None = None,
        api_key: str | None = None,
        timeout: float = 300.0,
        max_retries: int = 2,
        default_headers: dict[str, str] | None = None,
        proxy: str | None = None,
        verify: bool | str | None = None,
        allow_insecure_http: bool | None = None,
        image_protocol: str = "images",
        video_protocol: str = "auto",
        task_timeout: float = 900.0,
        poll_interval: float = 2.0,
        max_poll_interval: float = 15.0,
        task_journal: str | bool | None = None,
        dedup_window: float = 600.0,
        save_dir: str | None = None,
        image_blocks: bool = False,
        extra_body: dict[str, Any] | None = None,
        client: GatewayClient | None = None,
        **kwargs: Any,
    ) -> None:
        if kwargs:  # migration names, typos and extra request fields, as every class here
            known = set(inspect.signature(GatewayMediaToolSpec.__init__).parameters)
            sorted_kwargs = sort_arguments(kwargs, owner=type(self).__name__, known=known,
                                           passthrough="extra_body")
            extra_body = {**sorted_kwargs.pop("extra_body", {}), **(extra_body or {})}
            base_url = base_url or sorted_kwargs.pop("base_url", None)
            api_key = api_key or sorted_kwargs.pop("api_key", None)
            proxy = proxy or sorted_kwargs.pop("proxy", None)
        self.image_model = image_model
        self.edit_model = edit_model or image_model
        self.video_model = video_model
        self.image_protocol = image_protocol
        self.video_protocol = video_protocol
        self.save_dir = save_dir
        self.image_blocks = image_blocks
        self.extra_body = dict(extra_body or {})
        self.task_timeout = task_timeout
        if client is None:
            client = GatewayClient(config_from_fields(SimpleNamespace(
                base_url=base_url or api_base, api_key=api_key, timeout=timeout,
                max_retries=max_retries, default_headers=default_headers, proxy=proxy,
                verify=verify, allow_insecure_http=allow_insecure_http)))
        client.configure_tasks(
            journal=task_journal, dedup_window=dedup_window,
            poll=PollSettings(interval=poll_interval,
                              max_interval=max(poll_interval, max_poll_interval),
                              timeout=task_timeout),
        )
        self.client = client

    def to_tool_list(self, spec_functions: Any = None,
                     func_to_metadata_mapping: Any = None) -> list[FunctionTool]:
        """The spec's functions as tools whose output blocks carry images when
        ``image_blocks`` is on (``raw_output`` is always the :class:`MediaToolResult`)."""
        return [
            _MediaFunctionTool(fn=tool._fn, async_fn=tool._async_fn, metadata=tool.metadata,
                               image_blocks=self.image_blocks)
            for tool in super().to_tool_list(spec_functions, func_to_metadata_mapping)
        ]

    def __repr__(self) -> str:
        return (f"GatewayMediaToolSpec(image_model={self.image_model!r}, "
                f"video_model={self.video_model!r}, client={self.client!r})")

    # ------------------------------------------------------------------ the tools

    def generate_image(self, prompt: str, size: ImageSize | None = None,
                       aspect_ratio: AspectRatio | None = None) -> Any:
        """Generate an image from a detailed text description (subject, style, composition).
        Returns links to (or saved paths of) the image. size and aspect_ratio are optional."""
        result = self.client.generate_image(prompt, **self._image_args(size, aspect_ratio))
        return self._image_result("Generated", self.image_model, result,
                                  self._save(result.items))

    async def agenerate_image(self, prompt: str, size: ImageSize | None = None,
                              aspect_ratio: AspectRatio | None = None) -> Any:
        """Generate an image from a detailed text description (subject, style, composition).
        Returns links to (or saved paths of) the image. size and aspect_ratio are optional."""
        result = await self.client.agenerate_image(prompt,
                                                   **self._image_args(size, aspect_ratio))
        return self._image_result("Generated", self.image_model, result,
                                  await self._asave(result.items))

    def edit_image(self, prompt: str, image_urls: list[Url], size: ImageSize | None = None
                   ) -> Any:
        """Edit or combine existing images, given as http(s) URLs, following an instruction.
        Returns links to (or saved paths of) the new image."""
        result = self.client.edit_image(prompt, list(image_urls), model=self.edit_model,
                                        size=None if size == "auto" else size, **self.extra_body)
        return self._image_result("Edited", self.edit_model, result, self._save(result.items))

    async def aedit_image(self, prompt: str, image_urls: list[Url],
                          size: ImageSize | None = None) -> Any:
        """Edit or combine existing images, given as http(s) URLs, following an instruction.
        Returns links to (or saved paths of) the new image."""
        result = await self.client.aedit_image(prompt, list(image_urls), model=self.edit_model,
                                               size=None if size == "auto" else size,
                                               **self.extra_body)
        return self._image_result("Edited", self.edit_model, result,
                                  await self._asave(result.items))

    def generate_video(self, prompt: str, seconds: int | None = None,
                       aspect_ratio: AspectRatio | None = None,
                       image_url: Url | None = None) -> Any:
        """Generate a short video from a text description (subject, motion, camera, style),
        optionally starting from an image URL. Takes minutes; returns a link to the video."""
        report = self._reporter()
        handle = self.client.create_video(prompt, on_progress=report,
                                          **self._video_args(seconds, aspect_ratio, image_url))
        result = handle.result(on_progress=report)
        return self._video_result(result, self._save(result.items), handle.reused)

    async def agenerate_video(self, prompt: str, seconds: int | None = None,
                              aspect_ratio: AspectRatio | None = None,
                              image_url: Url | None = None) -> Any:
        """Generate a short video from a text description (subject, motion, camera, style),
        optionally starting from an image URL. Takes minutes; returns a link to the video."""
        report = self._reporter()
        handle = await self.client.acreate_video(
            prompt, on_progress=report, **self._video_args(seconds, aspect_ratio, image_url))
        result = await handle.aresult(on_progress=report)
        return self._video_result(result, await self._asave(result.items), handle.reused)

    # ------------------------------------------------------------------ helpers

    def _image_args(self, size: str | None, aspect_ratio: str | None) -> dict[str, Any]:
        extra = dict(self.extra_body)
        if aspect_ratio:
            extra["aspect_ratio"] = aspect_ratio
        return {"model": self.image_model, "size": None if size == "auto" else size,
                "protocol": self.image_protocol, **extra}

    def _video_args(self, seconds: int | None, aspect_ratio: str | None,
                    image_url: str | None) -> dict[str, Any]:
        return {"model": self.video_model, "seconds": seconds, "aspect_ratio": aspect_ratio,
                "images": image_url, "protocol": self.video_protocol, **self.extra_body}

    def _reporter(self, tool: str = "generate_video") -> Any:
        """Progress to the running workflow's stream (if any) and as an instrumentation event."""
        stream = _workflow_stream()  # looked up in the tool's own context, before polling

        def report(snapshot: TaskSnapshot) -> None:
            fields: dict[str, Any] = {
                "tool": tool, "task_id": snapshot.task_id, "protocol": snapshot.protocol,
                "state": snapshot.state, "status": snapshot.status,
                "progress": snapshot.progress}
            if stream is not None:
                stream(MediaTaskProgress(**fields))
            dispatcher.event(MediaTaskProgressEvent(**fields))

        return report

    def _save(self, items: Sequence[MediaItem]) -> list[Path | None]:
        return save_items(items, self.save_dir, self.client.transport)

    async def _asave(self, items: Sequence[MediaItem]) -> list[Path | None]:
        return await asave_items(items, self.save_dir, self.client.transport)

    def _image_result(self, verb: str, model: str, result: Any,
                      paths: Sequence[Path | None]) -> MediaToolResult:
        count = len(result.items)
        headline = image_headline(count, model, verb)
        raw = result.raw if isinstance(result.raw, dict) else {}
        return MediaToolResult(
            text=describe_items(headline, result.items, paths), items=list(result.items),
            model=model, protocol=self.image_protocol, task_id=raw.get("task_id"),
            paths=[str(p) for p in paths if p], extra=dict(raw.get("extra") or {}),
        )

    def _video_result(self, result: TaskSnapshot, paths: Sequence[Path | None],
                      reused: bool) -> MediaToolResult:
        headline = video_headline(result.task_id, result.protocol, self.video_model)
        return MediaToolResult(
            text=describe_items(headline, result.items, paths), items=list(result.items),
            model=self.video_model, protocol=result.protocol, task_id=result.task_id,
            paths=[str(p) for p in paths if p], extra={"reused": reused},
        )



def _workflow_stream() -> Any:
    """``write_event_to_stream`` of the workflow step running this tool (a FunctionAgent's or
    AgentWorkflow's tool call), or None outside a workflow."""
    try:
        from workflows import Context
    except ImportError:  # llama-index-core without the workflows package
        return None
    try:
        context = Context.get_step_context()
    except Exception:  # not inside a workflow step (a direct call)
        return None
    write = context.write_event_to_stream

    def send(event: Event) -> None:
        try:
            write(event)
        except RuntimeError:  # a sync tool in a worker thread: no loop to stream on
            pass

    return send
