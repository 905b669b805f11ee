"""Chat-format media: image and video models reached through ``/v1/chat/completions``.

protocol.md §4.6. Some relays expose ``sora-2``, ``sora_video2``, ``chat-seededit`` … as chat
models: the (streamed) answer is Markdown with a parameter echo, ``> ID: task_…``, progress lines
("排队中…", "🏃 进度 76..", "生成完成 ✅") and finally links. There is nothing to poll: the job is
the stream, which can last minutes. Progress is read from the text as it arrives; the links are
taken from the final text with :func:`gateway_core.chat.media.extract_media_links`. The request
is paid, so it is journaled like any task, but an interrupted stream cannot be resumed.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from ..chat import api as chat_api
from ..chat.inline_media import extract_inline_images
from ..chat.media import extract_media_links
from ..chat.types import MediaLink
from ..errors import InvalidRequestError
from ..media_items import MediaItem
from ..transport import Transport
from .base import NO_MEDIA_LINK, TaskProtocol
from .types import TaskSnapshot, TaskSpec

__all__ = ["ChatMedia", "parse_chat_progress"]

_PROGRESS = re.compile(r"(?:进度|progress)[^\d\n]{0,12}(\d{1,3}(?:\.\d+)?)|(\d{1,3}(?:\.\d+)?)\s*%",
                       re.IGNORECASE)
_TASK_ID = re.compile(r"\bID\s*[:：]\s*`?([A-Za-z0-9_:.\-]{6,})", re.IGNORECASE)
_FAILURE_WORDS = ("失败", "failed", "error", "违规", "不合规", "rejected", "policy")

_QUOTED = 500  # characters of the answer quoted in the error (the whole is on partial_text)

DeltaCallback = Callable[[TaskSnapshot], Any]


def parse_chat_progress(text: str) -> int | None:
    """The last percentage mentioned in the text so far ("进度 76", "76%"), if any."""
    last = None
    for match in _PROGRESS.finditer(text):
        value = match.group(1) or match.group(2)
        number = round(float(value))
        if 0 <= number <= 100:
            last = number
    return last


def _item(link: MediaLink) -> MediaItem:
    """A link, or an inline ``data:`` image (kept as bytes, not as a URL)."""
    extra = {"title": link.title} if link.title else None
    if link.url.startswith("data:"):
        return MediaItem(link.kind, b64=link.url, extra=extra)
    return MediaItem(link.kind, url=link.url, extra=extra)


class ChatMedia(TaskProtocol):
    """``chat``: one streamed chat completion produces the media."""

    name = "chat"
    kinds = ("image", "video")
    one_shot = True

    def validate(self, spec: TaskSpec) -> None:
        if not spec.model:
            raise InvalidRequestError("Chat-format media needs a model (e.g. 'sora-2').")
        if not spec.prompt:
            raise InvalidRequestError("The prompt is empty: describe what to make.")

    def messages(self, spec: TaskSpec) -> list[dict[str, Any]]:
        text = spec.prompt or ""
        hints = []
        if spec.seconds is not None:
            hints.append(f"duration {spec.seconds}s")
        if spec.aspect_ratio:
            hints.append(f"aspect ratio {spec.aspect_ratio}")
        if spec.size:
            hints.append(f"size {spec.size}")
        if hints and spec.params.get("append_hints", True):
            text = f"{text}\n({', '.join(hints)})"
        if not spec.images:
            return [{"role": "user", "content": text}]
        parts: list[dict[str, Any]] = [{"type": "text", "text": text}]
        parts += [{"type": "image_url", "image_url": {"url": image.as_reference()}}
                  for image in spec.images]
        return [{"role": "user", "content": parts}]

    def call(self, spec: TaskSpec) -> chat_api.ChatCall:
        params = {k: v for k, v in spec.params.items() if k != "append_hints"}
        kind = spec.kind if spec.kind in ("image", "video") else None
        return chat_api.make_call(spec.model or "", media_kind=kind, **params)

    def running(self, text: str, task_id: str, model: str | None) -> TaskSnapshot:
        return TaskSnapshot(task_id=task_id, protocol=self.name, state="running",
                            status="streaming", progress=parse_chat_progress(text), model=model)

    def finish(self, text: str, completion_id: str | None, spec: TaskSpec) -> TaskSnapshot:
        """The final snapshot from the whole answer text."""
        task_id = self.task_id(text) or completion_id or ""
        kind = spec.kind if spec.kind in ("image", "video") else None
        links = extract_media_links(text, kind) + extract_inline_images(text)
        wanted = [link for link in links if link.kind == spec.kind] or links
        items = [_item(link) for link in wanted]
        if items:
            return TaskSnapshot(task_id=task_id, protocol=self.name, state="succeeded",
                                status="completed", progress=100, items=items,
                                raw={"text": text}, model=spec.model)
        lines = [line.strip().lstrip(">").strip() for line in text.strip().splitlines()]
        lines = [line for line in lines if line]
        failure = next((line for line in reversed(lines)
                        if any(word in line.lower() for word in _FAILURE_WORDS)), None)
        if failure:  # the relay's own failure line (a refusal, a provider error)
            return TaskSnapshot(task_id=task_id, protocol=self.name, state="failed",
                                status="failed", reason=failure[:300], raw={"text": text},
                                model=spec.model)
        return TaskSnapshot(task_id=task_id, protocol=self.name, state="failed",
                            status=NO_MEDIA_LINK, reason=_no_link(spec.kind, text),
                            raw={"text": text}, model=spec.model)

    @staticmethod
    def task_id(text: str) -> str | None:
        match = _TASK_ID.search(text)
        return match.group(1) if match else None

    # ------------------------------------------------------------------ running

    def run(self, transport: Transport, spec: TaskSpec,
            on_update: DeltaCallback | None = None) -> TaskSnapshot:
        stream = chat_api.ChatStream(transport, self.messages(spec), self.call(spec))
        text = ""
        last = None
        for delta in stream:
            if not delta.text:
                continue
            text += delta.text
            last = self._report(text, on_update, last, spec)
        result = stream.result
        final_text = result.text if result is not None else text
        return self.finish(final_text, result.id if result is not None else None, spec)

    async def arun(self, transport: Transport, spec: TaskSpec,
                   on_update: Callable[[TaskSnapshot], Awaitable[None]] | None = None
                   ) -> TaskSnapshot:
        stream = chat_api.AsyncChatStream(transport, self.messages(spec), self.call(spec))
        text = ""
        last: tuple[Any, ...] | None = None
        async for delta in stream:
            if not delta.text:
                continue
            text += delta.text
            snapshot = self.running(text, self.task_id(text) or "", spec.model)
            key = (snapshot.progress, snapshot.task_id)
            if on_update is not None and key != last:
                last = key
                await on_update(snapshot)
        result = stream.result
        final_text = result.text if result is not None else text
        return self.finish(final_text, result.id if result is not None else None, spec)

    def _report(self, text: str, on_update: DeltaCallback | None, last: Any,
                spec: TaskSpec) -> Any:
        if on_update is None:
            return last
        snapshot = self.running(text, self.task_id(text) or "", spec.model)
        key = (snapshot.progress, snapshot.task_id)
        if key != last:
            on_update(snapshot)
        return key

    def poll_call(self, task_id: str, meta: Mapping[str, Any]) -> Any:
        raise InvalidRequestError(
            f"Chat-format media task {task_id} cannot be polled: its result was the chat "
            "answer itself. Submit it again (new=True) if it was interrupted."
        )


def _no_link(kind: str, text: str) -> str:
    """Why a chat-format answer without a link made no media: the model's own words, so the
    caller sees whether it refused, asked a question, or is a text model (seed 002's
    documented answer is "Hello there, how may I assist you today?")."""
    said = " ".join(text.split())
    if not said:
        return f"no {kind} link came back: the model's answer was empty"
    quoted = said if len(said) <= _QUOTED else said[:_QUOTED] + "…"
    return f"no {kind} link came back: the model answered with text: {quoted!r}"
