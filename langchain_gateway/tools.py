"""LangChain tools for image and video generation through a relay gateway.

:class:`GatewayImageTool`, :class:`GatewayImageEditTool` and :class:`GatewayVideoTool` are
``BaseTool``\\ s an agent can call. Their argument schemas hold only what a model should choose
(prompt, size or aspect ratio, duration, image URLs) — never timeouts, keys or polling.
All the work (requests, the task journal, polling, result links) is done by
:mod:`gateway_core`; these classes convert arguments and results.

Results use ``response_format="content_and_artifact"``: the content tells the model what was
made and where (links, saved paths, optionally image blocks it can look at); the artifact holds
the media items, task id, model and protocol for the program — as plain JSON values, so every
LangGraph checkpointer (memory, SQLite, Postgres; strict msgpack mode too) stores it and a
resumed thread still has the links and task ids. ``MediaItem.from_dict(artifact["items"][0])``
gives the working :class:`~gateway_core.media_items.MediaItem` back (``fetch``, ``save``).
Failures raise :class:`~langchain_core.tools.ToolException` whose text names the task and the
gateway's reason, so an agent can recover (``handle_tool_error`` is on by default).

While a task runs, its progress goes to LangGraph's custom stream (``get_stream_writer()``:
``agent.stream(..., stream_mode="custom")`` yields it) and, as before, to the LangChain custom
event ``gateway_media_progress`` (callbacks, ``astream_events``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from langchain_core.callbacks import (
    AsyncCallbackManagerForToolRun,
    CallbackManagerForToolRun,
    adispatch_custom_event,
    dispatch_custom_event,
)
from langchain_core.tools import BaseTool, ToolException
from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from gateway_core.client import GatewayClient
from gateway_core.errors import GatewayError
from gateway_core.media_items import MediaItem
from gateway_core.media_report import (
    asave_items,
    describe_items,
    image_headline,
    save_items,
    video_headline,
)
from gateway_core.tasks import PollSettings, TaskSnapshot

from ._connection import GatewayConnection

__all__ = ["PROGRESS_EVENT", "GatewayImageEditTool", "GatewayImageTool", "GatewayVideoTool"]

PROGRESS_EVENT = "gateway_media_progress"
ImageSize = Literal["1024x1024", "1536x1024", "1024x1536", "1792x1024", "1024x1792", "auto"]
AspectRatio = Literal["16:9", "9:16", "1:1", "4:3", "3:4"]
Url = Annotated[str, Field(json_schema_extra={"format": "uri"})]


# ---------------------------------------------------------------- argument schemas


class ImageToolInput(BaseModel):
    """Arguments of :class:`GatewayImageTool`."""

    prompt: str = Field(description="What the image should show, in detail (subject, style, "
                                    "composition, lighting).")
    size: ImageSize | None = Field(default=None, description="Pixel size; leave empty for the "
                                                             "model's default.")
    aspect_ratio: AspectRatio | None = Field(default=None, description="Aspect ratio, for "
                                                                       "models that take one.")


class ImageEditToolInput(BaseModel):
    """Arguments of :class:`GatewayImageEditTool`."""

    prompt: str = Field(description="How to change or combine the input images.")
    image_urls: list[Url] = Field(min_length=1, max_length=16,
                                  description="http(s) URLs of the input images.")
    size: ImageSize | None = Field(default=None, description="Pixel size of the result; leave "
                                                             "empty for the model's default.")


class VideoToolInput(BaseModel):
    """Arguments of :class:`GatewayVideoTool`."""

    prompt: str = Field(description="What happens in the video: subject, motion, camera, "
                                    "style.")
    seconds: int | None = Field(default=None, ge=1, le=60,
                                description="Length in seconds; leave empty for the default.")
    aspect_ratio: AspectRatio | None = Field(default=None, description="Frame aspect ratio.")
    image_url: Url | None = Field(default=None, description="Optional http(s) URL of an image "
                                                            "to use as the first frame.")


# ---------------------------------------------------------------- shared base


class _GatewayMediaTool(GatewayConnection, BaseTool):
    """Connection, journal and polling settings shared by the media tools."""

    model: str = Field(validation_alias=AliasChoices("model", "model_name"))
    """The image or video model as the gateway names it."""
    protocol: str = "auto"
    """The gateway's task format (see DESIGN: ``auto``, ``openai-videos``, ``newapi-video``,
    ``unified-video``, ``kling``, ``midjourney``, ``chat``; images also ``images``)."""
    timeout: float | None = Field(
        default=300.0, validation_alias=AliasChoices("timeout", "request_timeout"))
    """Read timeout of one HTTP request, in seconds."""
    task_timeout: float = 900.0
    """Overall seconds to wait for a task before the tool gives up (the task keeps its id)."""
    poll_interval: float = 2.0
    """First wait between polls; it grows up to ``max_poll_interval``."""
    max_poll_interval: float = 15.0
    task_journal: str | bool | None = None
    """Where paid tasks are journaled: a path, ``False`` for memory only, None for the default
    (``GATEWAY_TASK_JOURNAL`` or the user's cache directory)."""
    dedup_window: float = 600.0
    """Seconds in which an identical request returns the existing task instead of paying."""
    save_dir: str | None = None
    """If set, results are saved there (inline images, and downloads of links) and the paths
    are reported to the model."""
    image_blocks: bool = False
    """Add image content blocks to the result so a vision model can look at the images."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Provider-specific fields sent with every request (``negative_prompt``, ``seed``, …)."""
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    handle_tool_error: bool | str | Callable[[ToolException], str] | None = True

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=(),
                              arbitrary_types_allowed=True)

    def _build_client(self, client: GatewayClient) -> GatewayClient:
        """The task engine configured: journal, polling, de-duplication."""
        poll = PollSettings(interval=self.poll_interval,
                            max_interval=max(self.poll_interval, self.max_poll_interval),
                            timeout=self.task_timeout)
        client.configure_tasks(journal=self.task_journal, poll=poll,
                               dedup_window=self.dedup_window)
        return client

    # ---- results as text + artifact

    def _save(self, items: Sequence[MediaItem]) -> list[Path | None]:
        return save_items(items, self.save_dir, self.client.transport)

    async def _asave(self, items: Sequence[MediaItem]) -> list[Path | None]:
        return await asave_items(items, self.save_dir, self.client.transport)

    def _content(self, headline: str, items: Sequence[MediaItem],
                 paths: Sequence[Path | None]) -> str | list[str | dict[str, Any]]:
        text = describe_items(headline, items, paths)
        if not self.image_blocks:
            return text
        blocks: list[str | dict[str, Any]] = [{"type": "text", "text": text}]
        for item in items:
            if item.kind != "image":
                continue
            if item.has_data:
                blocks.append({"type": "image", "base64": (item.data_uri or "").split(",", 1)[1],
                               "mime_type": item.mime_type or "image/png"})
            elif item.best_url and not item.needs_auth:
                blocks.append({"type": "image", "url": item.best_url})
        return blocks

    def _artifact(self, items: list[MediaItem], *, task_id: str | None, protocol: str,
                  paths: Sequence[Path | None], extra: dict[str, Any] | None = None
                  ) -> dict[str, Any]:
        # JSON values only: checkpointers store it (a MediaItem object would crash their
        # serializer after the media was paid for); inline bytes kept as a data URI
        records = [item.to_dict(include_data=True) for item in items]
        return {"items": records, "urls": [i.best_url for i in items if i.best_url],
                "paths": [str(p) for p in paths if p], "task_id": task_id, "model": self.model,
                "protocol": protocol, **(extra or {})}


def _failure(error: GatewayError) -> ToolException:
    return ToolException(str(error))


def _progress_data(snapshot: TaskSnapshot, tool: str) -> dict[str, Any]:
    return {"tool": tool, "task_id": snapshot.task_id, "protocol": snapshot.protocol,
            "state": snapshot.state, "status": snapshot.status, "progress": snapshot.progress}


def _stream_writer() -> Callable[[Any], None] | None:
    """LangGraph's custom-stream writer of the current run, if there is one (LangGraph is
    optional: without it, or outside a graph, there is no custom stream)."""
    try:
        from langgraph.config import get_stream_writer
    except ImportError:
        return None
    try:
        return get_stream_writer()
    except (RuntimeError, KeyError):  # not inside a LangGraph run (or a plain LangChain one)
        return None


def _reporter(tool: str) -> Callable[[TaskSnapshot], None]:
    """Progress to LangGraph's custom stream and as the custom event
    ``gateway_media_progress`` of the current run."""
    writer = _stream_writer()  # looked up in the tool's own context, before polling starts

    def report(snapshot: TaskSnapshot) -> None:
        data = _progress_data(snapshot, tool)
        if writer is not None:
            writer({"type": PROGRESS_EVENT, **data})
        try:
            dispatch_custom_event(PROGRESS_EVENT, data)
        except RuntimeError:  # called outside a LangChain run: nobody to tell
            pass

    return report


def _areporter(tool: str) -> Callable[[TaskSnapshot], Any]:
    """Async twin of :func:`_reporter`."""
    writer = _stream_writer()

    async def report(snapshot: TaskSnapshot) -> None:
        data = _progress_data(snapshot, tool)
        if writer is not None:
            writer({"type": PROGRESS_EVENT, **data})
        try:
            await adispatch_custom_event(PROGRESS_EVENT, data)
        except RuntimeError:
            pass

    return report


# ---------------------------------------------------------------- images


class GatewayImageTool(_GatewayMediaTool):
    """Generate images through a relay gateway (gpt-image, DALL·E, Flux, Seedream, Midjourney…).

    Works with models that answer only base64 (gpt-image-1) and with site fields such as
    ``oss_url``; the request is sent once (never retried after it may have been paid).

    Setup:
        .. code-block:: bash

            pip install "ai-gateway-kit[langchain]"
            export GATEWAY_BASE_URL="https://your-gateway.example.com/v1"
            export GATEWAY_API_KEY="sk-..."

    Instantiate:
        .. code-block:: python

            from langchain_gateway import GatewayImageTool

            tool = GatewayImageTool(model="gpt-image-1", save_dir="out/images")

    Invoke directly with args:
        .. code-block:: python

            tool.invoke({"prompt": "a lighthouse at dusk, watercolour"})
            # 'Generated 1 image with gpt-image-1:\\n1. image: inline image/png (…) — saved to …'

    Invoke with a tool call (content and artifact):
        .. code-block:: python

            message = tool.invoke({"name": "generate_image", "id": "1", "type": "tool_call",
                                   "args": {"prompt": "a red fox"}})
            message.artifact["items"][0]["mime_type"]  # 'image/png' (JSON values only)

            from gateway_core.media_items import MediaItem

            MediaItem.from_dict(message.artifact["items"][0]).save("out/")  # the bytes


    Tool calling with an agent:
        .. code-block:: python

            from langchain.agents import create_agent
            from langchain_gateway import ChatGateway

            agent = create_agent(ChatGateway(model="gpt-4o-mini"), [tool])
            agent.invoke({"messages": [("user", "Draw a red fox")]})

    Agent with memory:
        .. code-block:: python

            from langgraph.checkpoint.memory import InMemorySaver

            agent = create_agent(ChatGateway(model="gpt-4o-mini"), [tool],
                                 checkpointer=InMemorySaver())
            config = {"configurable": {"thread_id": "1"}}
            agent.invoke({"messages": [("user", "Draw a red fox")]}, config)
            agent.invoke({"messages": [("user", "Now a blue one")]}, config)
            # the artifacts (links, task ids) are in the thread's checkpoints
    """

    name: str = "generate_image"
    description: str = (
        "Generate an image from a text description. Returns links to (or saved paths of) the "
        "image. Use a detailed prompt."
    )
    args_schema: type[BaseModel] = ImageToolInput
    protocol: str = "images"
    """``images`` (``/v1/images/generations``), ``midjourney``, ``chat`` or ``auto``."""

    def _call(self, prompt: str, size: str | None, aspect_ratio: str | None) -> dict[str, Any]:
        extra = dict(self.model_kwargs)
        if aspect_ratio:
            extra["aspect_ratio"] = aspect_ratio
        return {"model": self.model, "size": None if size == "auto" else size,
                "protocol": self.protocol, **extra}

    def _result(self, prompt: str, result: Any, paths: Sequence[Path | None]
                ) -> tuple[Any, dict[str, Any]]:
        count = len(result.items)
        headline = image_headline(count, self.model)
        task_id = (result.raw or {}).get("task_id") if isinstance(result.raw, dict) else None
        extra = (result.raw or {}).get("extra") if isinstance(result.raw, dict) else None
        return (self._content(headline, result.items, paths),
                self._artifact(result.items, task_id=task_id, protocol=self.protocol,
                               paths=paths, extra={"extra": extra} if extra else None))

    def _run(self, prompt: str, size: str | None = None, aspect_ratio: str | None = None,
             run_manager: CallbackManagerForToolRun | None = None) -> tuple[Any, dict[str, Any]]:
        try:
            result = self.client.generate_image(prompt, on_progress=_reporter(self.name),
                                                **self._call(prompt, size, aspect_ratio))
            return self._result(prompt, result, self._save(result.items))
        except GatewayError as error:
            raise _failure(error) from error

    async def _arun(self, prompt: str, size: str | None = None, aspect_ratio: str | None = None,
                    run_manager: AsyncCallbackManagerForToolRun | None = None
                    ) -> tuple[Any, dict[str, Any]]:
        try:
            result = await self.client.agenerate_image(
                prompt, on_progress=_areporter(self.name), **self._call(prompt, size, aspect_ratio))
            return self._result(prompt, result, await self._asave(result.items))
        except GatewayError as error:
            raise _failure(error) from error


class GatewayImageEditTool(_GatewayMediaTool):
    """Edit or combine images through a relay gateway's ``/v1/images/edits``.

    The model gives image URLs (sent as JSON, as gateways that take links expect); a program
    can also call :meth:`GatewayClient.edit_image` with local files (multipart).

    Instantiate:
        .. code-block:: python

            from langchain_gateway import GatewayImageEditTool

            tool = GatewayImageEditTool(model="gpt-image-1", save_dir="out/edits")

    Invoke:
        .. code-block:: python

            tool.invoke({"prompt": "make the sky purple",
                         "image_urls": ["https://example.com/photo.png"]})
    """

    name: str = "edit_image"
    description: str = (
        "Edit or combine existing images (given as http(s) URLs) following an instruction. "
        "Returns links to (or saved paths of) the new image."
    )
    args_schema: type[BaseModel] = ImageEditToolInput
    protocol: str = "images"

    def _result(self, result: Any, paths: Sequence[Path | None]) -> tuple[Any, dict[str, Any]]:
        headline = image_headline(len(result.items), self.model, "Edited")
        return (self._content(headline, result.items, paths),
                self._artifact(result.items, task_id=None, protocol="images", paths=paths))

    def _run(self, prompt: str, image_urls: list[str], size: str | None = None,
             run_manager: CallbackManagerForToolRun | None = None) -> tuple[Any, dict[str, Any]]:
        try:
            result = self.client.edit_image(prompt, list(image_urls), model=self.model,
                                            size=None if size == "auto" else size,
                                            **self.model_kwargs)
            return self._result(result, self._save(result.items))
        except GatewayError as error:
            raise _failure(error) from error

    async def _arun(self, prompt: str, image_urls: list[str], size: str | None = None,
                    run_manager: AsyncCallbackManagerForToolRun | None = None
                    ) -> tuple[Any, dict[str, Any]]:
        try:
            result = await self.client.aedit_image(prompt, list(image_urls), model=self.model,
                                                   size=None if size == "auto" else size,
                                                   **self.model_kwargs)
            return self._result(result, await self._asave(result.items))
        except GatewayError as error:
            raise _failure(error) from error


# ---------------------------------------------------------------- video


class GatewayVideoTool(_GatewayMediaTool):
    """Generate a video through a relay gateway (Sora, Kling, Veo, Seedance, Hailuo…).

    The create request is sent once and its task id journaled before polling, so a crash or
    timeout never pays twice (``GatewayClient.resume_tasks()`` finishes it later); an identical
    request within ``dedup_window`` returns the same task. Polling backs off from
    ``poll_interval`` to ``max_poll_interval`` and gives up after ``task_timeout``; the async
    path never blocks the event loop. Progress (``{"type": "gateway_media_progress",
    "task_id", "state", "status", "progress", …}``) goes to LangGraph's custom stream and is
    dispatched as the custom event ``gateway_media_progress``.

    Setup:
        .. code-block:: bash

            pip install "ai-gateway-kit[langchain]"
            export GATEWAY_BASE_URL="https://your-gateway.example.com/v1"
            export GATEWAY_API_KEY="sk-..."

    Instantiate:
        .. code-block:: python

            from langchain_gateway import GatewayVideoTool

            tool = GatewayVideoTool(model="sora-2")  # protocol="auto": from /v1/models

    Invoke:
        .. code-block:: python

            message = tool.invoke({"name": "generate_video", "id": "1", "type": "tool_call",
                                   "args": {"prompt": "waves at sunset", "seconds": 4}})
            message.content  # 'Video ready (task task_…, openai-videos, sora-2):\\n1. video: …'
            message.artifact["task_id"], message.artifact["urls"]

    Progress in a LangGraph agent:
        .. code-block:: python

            from langchain.agents import create_agent
            from langchain_gateway import ChatGateway

            agent = create_agent(ChatGateway(model="gpt-4o-mini"), [tool])
            for chunk in agent.stream({"messages": [("user", "A video of waves")]},
                                      stream_mode="custom"):
                print(chunk["task_id"], chunk["state"], chunk["progress"])

    Progress events (callbacks):
        .. code-block:: python

            from langchain_core.callbacks import BaseCallbackHandler
            from langchain_gateway.tools import PROGRESS_EVENT


            class PrintProgress(BaseCallbackHandler):
                def on_custom_event(self, name, data, **kwargs):
                    if name == PROGRESS_EVENT:
                        print(data["task_id"], data["state"], data["progress"])


            tool.invoke({"prompt": "a paper boat on a river"},
                        config={"callbacks": [PrintProgress()]})
            # task_… pending 0 / … running 30 / … succeeded 100
    """

    name: str = "generate_video"
    description: str = (
        "Generate a short video from a text description (optionally starting from an image "
        "URL). Takes minutes; returns a link to the video."
    )
    args_schema: type[BaseModel] = VideoToolInput

    def _spec(self, seconds: int | None, aspect_ratio: str | None, image_url: str | None
              ) -> dict[str, Any]:
        return {"model": self.model, "seconds": seconds, "aspect_ratio": aspect_ratio,
                "images": image_url, "protocol": self.protocol, **self.model_kwargs}

    def _result(self, result: TaskSnapshot, paths: Sequence[Path | None]
                ) -> tuple[Any, dict[str, Any]]:
        headline = video_headline(result.task_id, result.protocol, self.model)
        return (self._content(headline, result.items, paths),
                self._artifact(result.items, task_id=result.task_id, protocol=result.protocol,
                               paths=paths, extra={"reused": False}))

    def _run(self, prompt: str, seconds: int | None = None, aspect_ratio: str | None = None,
             image_url: str | None = None, run_manager: CallbackManagerForToolRun | None = None
             ) -> tuple[Any, dict[str, Any]]:
        report = _reporter(self.name)
        try:
            handle = self.client.create_video(prompt, on_progress=report,
                                              **self._spec(seconds, aspect_ratio, image_url))
            result = handle.result(on_progress=report)
            content, artifact = self._result(result, self._save(result.items))
            artifact["reused"] = handle.reused
            return content, artifact
        except GatewayError as error:
            raise _failure(error) from error

    async def _arun(self, prompt: str, seconds: int | None = None,
                    aspect_ratio: str | None = None, image_url: str | None = None,
                    run_manager: AsyncCallbackManagerForToolRun | None = None
                    ) -> tuple[Any, dict[str, Any]]:
        report = _areporter(self.name)
        try:
            handle = await self.client.acreate_video(
                prompt, on_progress=report, **self._spec(seconds, aspect_ratio, image_url))
            result = await handle.aresult(on_progress=report)
            content, artifact = self._result(result, await self._asave(result.items))
            artifact["reused"] = handle.reused
            return content, artifact
        except GatewayError as error:
            raise _failure(error) from error
