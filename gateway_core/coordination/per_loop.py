"""Objects that belong to one event loop (semaphores, clients), kept per loop.

An ``asyncio.Semaphore`` or an async client built in one loop must not be used in another
(``asyncio.run`` per call, a notebook cell, a Celery task). :class:`PerLoop` keeps one value per
running loop and forgets it with the loop. It pickles as empty: loop-bound state never travels to
another process.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

__all__ = ["PerLoop"]

T = TypeVar("T")


class PerLoop(Generic[T]):
    """One value per running event loop, made by ``factory`` on first use in that loop."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._values: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = (
            weakref.WeakKeyDictionary())
        self._lock = threading.Lock()

    def get(self) -> T:
        """The running loop's value (must be called inside a coroutine)."""
        loop = asyncio.get_running_loop()
        value = self._values.get(loop)
        if value is None:
            with self._lock:
                value = self._values.get(loop)
                if value is None:
                    value = self._factory()
                    self._values[loop] = value
        return value

    def __reduce__(self) -> tuple[Any, ...]:
        return (PerLoop, (self._factory,))
