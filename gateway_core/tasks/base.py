"""What a task protocol module provides, and the helpers they share.

A protocol turns a :class:`~.types.TaskSpec` into the create request, reads the task id out of
the answer, builds the poll request and reads a poll answer into a
:class:`~.types.TaskSnapshot`. It never sends anything itself: the engine does, with the same
code for sync and async, so every protocol gets journaling, backoff, timeouts and cancellation
for free.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from ..errors import ContentPolicyError, NoMediaLinkError, ResponseFormatError, TaskError
from ..media_items import MediaItem, MediaKind
from .results import find_result_urls, is_url
from .status import TaskState, normalise_status, parse_progress
from .types import HttpCall, Submitted, TaskSnapshot, TaskSpec

__all__ = [
    "NO_MEDIA_LINK",
    "RetrySubmit",
    "TaskProtocol",
    "error_reason",
    "failure_of",
    "looks_like_policy",
    "task_failure",
]

_POLICY_MARKERS = (
    "content policy", "content_policy", "moderation", "sensitive", "safety", "prohibited",
    "banned", "violat", "not allowed", "nsfw", "inappropriate", "blocked", "敏感", "违规",
    "违禁", "审核", "不合规", "prompt_blocked",
)


def looks_like_policy(reason: str | None) -> bool:
    """True when a failure reason reads like a moderation refusal."""
    lowered = (reason or "").lower()
    return any(marker in lowered for marker in _POLICY_MARKERS)


#: The status of a chat-format media answer that came back as text with no link.
NO_MEDIA_LINK = "no media link"


def task_failure(
    task_id: str | None, protocol: str, reason: str | None, *, what: str = "The task",
    status: str | None = None, text: str = "", **details: Any,
) -> TaskError:
    """The error for a failed task: names the id, the protocol and the gateway's reason.
    ``text`` is the whole answer of a chat-format task (kept on ``partial_text``)."""
    reason = (reason or "").strip() or "no reason given"
    name = f" {task_id}" if task_id else ""
    if status == NO_MEDIA_LINK:
        error = NoMediaLinkError(
            f"{what}{name} ({protocol}) made no media: {reason}. Use a model this gateway "
            "serves as a media model; the whole answer is on the error's partial_text.",
            task_id=task_id, protocol=protocol, reason=reason, **details)
        error.partial_text = text
        return error
    cls = ContentPolicyError if looks_like_policy(reason) else TaskError
    advice = (" The prompt or input image was refused by moderation: reword it or use another "
              "image." if cls is ContentPolicyError else "")
    return cls(f"{what}{name} ({protocol}) failed: {reason}.{advice}", task_id=task_id,
               protocol=protocol, reason=reason, **details)


def failure_of(snapshot: TaskSnapshot) -> TaskError:
    """The error for a failed snapshot, with the answer's text when it has one."""
    raw = snapshot.raw
    text = raw.get("text") if isinstance(raw, Mapping) else None
    return task_failure(snapshot.task_id, snapshot.protocol, snapshot.reason,
                        status=snapshot.status, text=text if isinstance(text, str) else "")


def error_reason(node: Any) -> str | None:
    """A human reason from ``error`` (object or string), ``fail_reason``, ``message`` …"""
    if not isinstance(node, Mapping):
        return None
    error = node.get("error")
    if isinstance(error, Mapping):
        message = error.get("message") or error.get("msg") or error.get("code")
        if message:
            return str(message)
    elif isinstance(error, str) and error:
        return error
    for key in ("fail_reason", "failReason", "failure_reason", "failure", "task_status_msg",
                "error_message", "status_msg", "message"):
        value = node.get(key)
        if isinstance(value, str) and value.strip() and not is_url(value.strip()):
            return value.strip()
    return None


class RetrySubmit(Exception):
    """Raised by ``parse_submit`` when the gateway refused the task *without* accepting it
    (Midjourney code 23, queue full): nothing was paid, so the engine may submit again."""

    def __init__(self, error: TaskError) -> None:
        super().__init__(str(error))
        self.error = error


class TaskProtocol:
    """Base class of the protocol modules. Subclasses set ``name`` and override the hooks."""

    name: ClassVar[str] = ""
    kinds: ClassVar[tuple[MediaKind, ...]] = ("video",)
    #: True when the whole job is one streamed request (chat-format media): no polling.
    one_shot: ClassVar[bool] = False
    #: Status values whose meaning is specific to this protocol.
    status_overrides: ClassVar[Mapping[str, TaskState]] = {}

    # ---- creating

    def validate(self, spec: TaskSpec) -> None:
        """Raise :class:`~gateway_core.errors.InvalidRequestError` for input it cannot send."""

    def submit_call(self, spec: TaskSpec) -> HttpCall:
        raise NotImplementedError

    def parse_submit(self, body: Any, spec: TaskSpec) -> Submitted:
        raise NotImplementedError

    # ---- polling

    def poll_call(self, task_id: str, meta: Mapping[str, Any]) -> HttpCall:
        raise NotImplementedError

    def parse_poll(self, body: Any, task_id: str, meta: Mapping[str, Any]) -> TaskSnapshot:
        raise NotImplementedError

    def content_path(self, task_id: str, meta: Mapping[str, Any]) -> str | None:
        """Where to fetch a finished result that came without a link (OpenAI ``/content``)."""
        return None

    # ---- shared helpers

    def state(self, value: Any) -> TaskState:
        return normalise_status(value, self.status_overrides)

    def snapshot(
        self,
        task_id: str,
        node: Mapping[str, Any],
        *,
        raw: Any,
        status_key: str = "status",
        kind: MediaKind = "video",
        meta: Mapping[str, Any] | None = None,
    ) -> TaskSnapshot:
        """A snapshot from a status object with the common field names."""
        status = node.get(status_key)
        state = self.state(status)
        progress = parse_progress(node.get("progress"))
        items: list[MediaItem] = []
        reason = None
        if state == "succeeded":
            items = [MediaItem(kind, url=url) for url in find_result_urls(raw, succeeded=True)]
            if progress is None:
                progress = 100
        elif state == "failed":
            reason = error_reason(node) or error_reason(raw if isinstance(raw, Mapping) else None)
        return TaskSnapshot(
            task_id=task_id, protocol=self.name, state=state,
            status=None if status is None else str(status), progress=progress, items=items,
            reason=reason, raw=raw, model=(meta or {}).get("model"),
        )


def require_mapping(body: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise ResponseFormatError(f"{what}: the gateway's answer is not a JSON object.")
    return body


def first_id(node: Any, keys: Sequence[str] = ("task_id", "id")) -> str | None:
    """The first non-empty id among ``keys`` (numbers become strings, as returned)."""
    if not isinstance(node, Mapping):
        return None
    for key in keys:
        value = node.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    return None
