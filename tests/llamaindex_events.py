"""Recording LlamaIndex instrumentation events (the root dispatcher is global: always detach)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from pydantic import Field


class EventRecorder(BaseEventHandler):
    """Keeps the events of the given types (every event when none are given), in order."""

    events: list[Any] = Field(default_factory=list)
    kinds: tuple[Any, ...] = ()

    @classmethod
    def class_name(cls) -> str:
        return "EventRecorder"

    def handle(self, event: Any, **kwargs: Any) -> None:
        if not self.kinds or isinstance(event, self.kinds):
            self.events.append(event)


@contextmanager
def recording(*kinds: type) -> Iterator[EventRecorder]:
    """An :class:`EventRecorder` attached to the root dispatcher for the ``with`` block."""
    recorder = EventRecorder(kinds=kinds)
    root = get_dispatcher()
    root.add_event_handler(recorder)
    try:
        yield recorder
    finally:
        root.event_handlers.remove(recorder)
