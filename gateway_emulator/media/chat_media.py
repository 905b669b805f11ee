"""Chat-format media: a video model such as ``sora-2`` asked through ``/v1/chat/completions``
(protocol.md §4.6, a site convention).

The answer is text: a JSON echo of the parameters, ``> ID: task_…``, progress lines
("排队中", "生成中", "🏃 进度 N..", "生成完成 ✅") and finally a markdown link to an
MP4 served under ``/files``. Streamed, the lines arrive over the task's duration; not
streamed, the answer comes when the task ends. ``fail`` ends with "生成失败 ❌ <reason>"
and no link; ``stuck`` keeps reporting progress until ``STUCK_LIMIT`` task durations have
passed, then ends without a link.

The lead's chat route calls :func:`chat_media_response`; :func:`chat_media_answer` builds the same
answer without waiting (for callers that need just the body).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator, Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from ..models import ModelRef
from .files import image_url, video_url
from .tasks import FAIL_REASON, header_flags, new_task

STUCK_LIMIT = 10  # task durations a stuck chat answer keeps streaming before giving up
MAX_STUCK_SECONDS = 120.0

Plan = list[tuple[float, str]]  # (fraction of the task duration, content piece)


def _echo(prompt: str, images: list[str]) -> str:
    params: dict[str, Any] = {"prompt": prompt}
    if images:
        params["image"] = images[0] if len(images) == 1 else images
    return "```json\n" + json.dumps(params, ensure_ascii=False, indent=2) + "\n```\n\n"


def plan(task_id: str, prompt: str, images: list[str], flags: Iterable[str], url: str) -> Plan:
    """The content pieces of the answer and when (in task durations) each is sent."""
    flags = frozenset(flags)
    pieces: Plan = [(0.0, _echo(prompt, images)), (0.0, f"> ID: {task_id}\n"),
                    (0.1, "> 排队中.\n"), (0.4, "> 生成中..\n"), (0.5, "> 🏃 进度 30..\n"),
                    (0.7, "> 🏃 进度 60..\n"), (0.9, "> 🏃 进度 90..\n")]
    if "stuck" in flags:
        pieces += [(1.0 + step, "> 🏃 进度 95..\n") for step in range(STUCK_LIMIT - 1)]
        pieces.append((float(STUCK_LIMIT), "> 任务超时 ⏰ (still running, no result yet)\n"))
    elif "fail" in flags:
        pieces.append((1.0, f"> 生成失败 ❌ {FAIL_REASON}\n"))
    else:
        pieces.append((1.0, f"> 生成完成 ✅\n\n[点击这里]({url})\n"))
    return pieces


def _user_input(body: dict[str, Any]) -> tuple[str, list[str]]:
    """The last user message's text and its image_url parts."""
    for message in reversed(body.get("messages") or []):
        if not isinstance(message, dict) or message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content.strip(), []
        texts: list[str] = []
        images: list[str] = []
        for part in content if isinstance(content, list) else []:
            if not isinstance(part, dict):
                continue
            if part.get("type") == "text":
                texts.append(str(part.get("text", "")))
            elif part.get("type") == "image_url":
                image = part.get("image_url")
                url = image.get("url") if isinstance(image, dict) else image
                if isinstance(url, str):
                    images.append(url)
        return " ".join(texts).strip(), images
    return "", []


# ---------------------------------------------------------------- wire bodies


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def completion_body(model: str, content: str, prompt: str) -> dict[str, Any]:
    usage = {"prompt_tokens": _tokens(prompt), "completion_tokens": _tokens(content),
             "total_tokens": _tokens(prompt) + _tokens(content)}
    return {"id": "chatcmpl-" + secrets.token_hex(12), "object": "chat.completion",
            "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": "stop"}], "usage": usage}


class _Chunks:
    """``data:`` lines of one streamed answer."""

    def __init__(self, model: str, prompt: str, include_usage: bool) -> None:
        self.id = "chatcmpl-" + secrets.token_hex(12)
        self.model = model
        self.prompt = prompt
        self.include_usage = include_usage
        self.created = int(time.time())
        self.sent = ""

    def _line(self, choices: list[dict[str, Any]], **extra: Any) -> str:
        chunk = {"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                 "model": self.model, "choices": choices, **extra}
        return "data: " + json.dumps(chunk, ensure_ascii=False) + "\n\n"

    def content(self, piece: str) -> str:
        delta: dict[str, Any] = {"content": piece}
        if not self.sent:
            delta = {"role": "assistant", **delta}
        self.sent += piece
        return self._line([{"index": 0, "delta": delta, "finish_reason": None}])

    def end(self) -> list[str]:
        lines = [self._line([{"index": 0, "delta": {}, "finish_reason": "stop"}])]
        if self.include_usage:
            usage = {"prompt_tokens": _tokens(self.prompt),
                     "completion_tokens": _tokens(self.sent),
                     "total_tokens": _tokens(self.prompt) + _tokens(self.sent)}
            lines.append(self._line([], usage=usage))
        return [*lines, "data: [DONE]\n\n"]


def chat_media_answer(model: str, markers: Iterable[str], user_text: str, stream: bool, *,
                      base_url: str = "http://127.0.0.1", task_id: str | None = None,
                      images: list[str] | None = None) -> dict[str, Any] | list[str]:
    """The complete answer at once: a chat.completion body, or the SSE chunks of a stream."""
    task_id = task_id or "task_" + secrets.token_hex(16)
    url = f"{base_url.rstrip('/')}/files/videos/{task_id}.mp4"
    pieces = plan(task_id, user_text, images or [], markers, url)
    if not stream:
        return completion_body(model, "".join(text for _, text in pieces), user_text)
    chunks = _Chunks(model, user_text, include_usage=True)
    return [chunks.content(text) for _, text in pieces] + chunks.end()


# ---------------------------------------------------------------- the route's answer


def chat_media_response(request: Request, body: dict[str, Any], ref: ModelRef,
                        kind: str = "video") -> Response:
    """Answer a chat request for a media model: create the task, then report it over time
    (a video model links an .mp4; an image model through chat, such as chat-seededit, a .png)."""
    prompt, images = _user_input(body)
    flags = ref.markers | header_flags(request)
    task = new_task(request, protocol="chat", model=ref.base, prompt=prompt, flags=flags,
                    action="generate" if images else "textGenerate",
                    params={"seconds": "4", "size": "720x1280", "images": len(images)})
    url = (image_url(request, prompt or task.id, (1024, 1024)) if kind == "image"
           else video_url(request, task.id))
    pieces = plan(task.id, prompt, images, flags, url)
    limit = MAX_STUCK_SECONDS / STUCK_LIMIT
    duration = min(task.duration, limit) if "stuck" in flags else task.duration
    model = str(body.get("model") or ref.base)
    if body.get("stream"):
        options = body.get("stream_options") or {}
        include_usage = not (isinstance(options, dict) and options.get("include_usage") is False)
        chunks = _Chunks(model, prompt, include_usage)
        return StreamingResponse(_stream(pieces, duration, chunks),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    return _Delayed(completion_body(model, "".join(t for _, t in pieces), prompt),
                    pieces[-1][0] * duration)


async def _stream(pieces: Plan, duration: float, chunks: _Chunks) -> AsyncIterator[str]:
    elapsed = 0.0
    for at, text in pieces:
        if at > elapsed:
            await asyncio.sleep((at - elapsed) * duration)
            elapsed = at
        yield chunks.content(text)
    for line in chunks.end():
        yield line


class _Delayed(JSONResponse):
    """A JSON answer sent once the task has ended (non-streamed chat waits for the result)."""

    def __init__(self, content: Any, delay: float) -> None:
        super().__init__(content)
        self.delay = delay

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await asyncio.sleep(self.delay)
        await super().__call__(scope, receive, send)
