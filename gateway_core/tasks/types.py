"""The values the task engine passes around: what to make, where a task stands, what it made."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..media_inputs import InputImage
from ..media_items import MediaItem, MediaKind
from .status import TaskState, is_terminal

__all__ = ["HttpCall", "Submitted", "TaskRecord", "TaskResult", "TaskSnapshot", "TaskSpec"]


@dataclass(frozen=True)
class TaskSpec:
    """What to generate, independent of the gateway's wire format.

    Attributes:
        kind: What the task produces (``video``, ``image`` or ``audio``).
        model: The model (Midjourney and Suno routes may not need one).
        prompt: The text prompt.
        images: Checked input images (first frame / references), URLs or bytes.
        seconds: Video duration.
        size: ``WIDTHxHEIGHT`` or a model keyword.
        aspect_ratio: ``16:9``, ``9:16``, … for models that take a ratio.
        action: The protocol's sub-command (Kling ``text2video``/``image2video``, Midjourney
            ``imagine``/``action``/``blend``, Suno ``music``/``lyrics``); empty for the default.
        params: Further provider keys, passed through as sent.
    """

    kind: MediaKind = "video"
    model: str | None = None
    prompt: str | None = None
    images: tuple[InputImage, ...] = ()
    seconds: int | None = None
    size: str | None = None
    aspect_ratio: str | None = None
    action: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """A JSON-safe description (input bytes replaced by their hash) for the journal."""
        images = [image.url if image.url else "sha256:" + _digest(image.data or b"")
                  for image in self.images]
        out: dict[str, Any] = {"kind": self.kind, "model": self.model, "prompt": self.prompt,
                               "images": images, "action": self.action}
        for name in ("seconds", "size", "aspect_ratio"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.params:
            out["params"] = _json_safe(self.params)
        return out

    def fingerprint(self, protocol: str, gateway: str) -> str:
        """Identical requests to the same gateway and protocol get the same fingerprint."""
        text = json.dumps([protocol, gateway, self.summary()], sort_keys=True, ensure_ascii=False,
                          default=str)
        return _digest(text.encode("utf-8", "surrogatepass"))  # a hash, never sent


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _json_safe(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return "sha256:" + _digest(bytes(value))
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


@dataclass(frozen=True)
class HttpCall:
    """One request a protocol wants sent (the engine sends it, sync or async)."""

    method: str
    path: str
    json: Any = None
    data: Mapping[str, Any] | None = None
    files: Any = None
    params: Mapping[str, Any] | None = None
    headers: Mapping[str, str] | None = None
    what: str = ""


@dataclass
class TaskSnapshot:
    """Where a task stands after one poll (and, once terminal, what it produced).

    Attributes:
        task_id: The id exactly as the gateway returned it at creation.
        protocol: The task format (``openai-videos``, ``midjourney``, …).
        state: ``pending``, ``running``, ``succeeded`` or ``failed``.
        status: The gateway's own status word, as sent.
        progress: Integer percentage, when reported (gateways give coarse placeholders).
        items: The media produced (only trusted results: complete Suno clips, …).
        reason: Why it failed (``fail_reason``, Midjourney ``failReason``, ``error.message``).
        extra: Protocol extras: Midjourney ``buttons`` (follow-up ``customId``\\ s), the
            expanded prompt, …
        raw: The last decoded poll body.
    """

    task_id: str
    protocol: str
    state: TaskState
    status: str | None = None
    progress: int | None = None
    items: list[MediaItem] = field(default_factory=list)
    reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    raw: Any = field(default=None, repr=False)
    model: str | None = None

    @property
    def done(self) -> bool:
        return is_terminal(self.state)

    @property
    def urls(self) -> list[str]:
        return [url for url in (item.best_url for item in self.items) if url]

    @property
    def text(self) -> str | None:
        """A text result (Suno lyrics, a Midjourney describe), when the task made text."""
        value = self.extra.get("lyrics") or self.extra.get("text")
        return value if isinstance(value, str) and value else None

    @property
    def has_result(self) -> bool:
        return bool(self.items) or self.text is not None

    def describe(self) -> str:
        """``"task_x (openai-videos): running, 30%"``: for logs and progress lines."""
        progress = f", {self.progress}%" if self.progress is not None else ""
        return f"{self.task_id} ({self.protocol}): {self.state}{progress}"


TaskResult = TaskSnapshot
"""A terminal snapshot: what :meth:`TaskEngine.wait` returns."""


@dataclass(frozen=True)
class Submitted:
    """What a create request gave back: the id and what polling needs to remember."""

    task_id: str
    meta: Mapping[str, Any] = field(default_factory=dict)
    snapshot: TaskSnapshot | None = None


@dataclass
class TaskRecord:
    """One task as the journal keeps it."""

    local_id: int
    protocol: str
    gateway: str
    kind: str
    fingerprint: str
    state: str  # submitting | unknown | pending | running | succeeded | failed
    created_at: float
    updated_at: float
    task_id: str | None = None
    model: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    request: dict[str, Any] = field(default_factory=dict)
    status: str | None = None
    progress: int | None = None
    result: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None
    lease_owner: str | None = None
    lease_until: float | None = None
    reused: bool = False

    @property
    def finished(self) -> bool:
        return self.state in ("succeeded", "failed")

    def items(self) -> list[MediaItem]:
        """The stored results as media items (links only; inline bytes are not journaled)."""
        out = []
        for entry in self.result:
            kind = entry.get("kind") or self.kind
            media_kind: MediaKind = "image" if kind == "image" else (
                "audio" if kind == "audio" else "video")
            out.append(MediaItem(
                media_kind, url=entry.get("url"),
                mime_type=entry.get("mime_type"), revised_prompt=entry.get("revised_prompt"),
                extra=entry.get("extra"), needs_auth=bool(entry.get("needs_auth")),
            ))
        return out

    def snapshot(self) -> TaskSnapshot:
        """The stored state as a snapshot (for finished tasks found in the journal)."""
        known = ("pending", "running", "succeeded", "failed")
        state: TaskState = self.state if self.state in known else "pending"  # type: ignore[assignment]
        return TaskSnapshot(
            task_id=self.task_id or "", protocol=self.protocol, state=state,
            status=self.status, progress=self.progress, items=self.items(), reason=self.reason,
            extra=dict(self.meta.get("extra", {})), model=self.model,
        )
