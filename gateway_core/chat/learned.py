"""What this process has learned a gateway refuses for a model.

When a gateway answers 400 to an optional parameter (``stream_options``, ``parallel_tool_calls``,
``reasoning_effort``, …) or to a structured-output method (``json_schema`` on DeepSeek), the call
is retried without it once, and the refusal is remembered here, keyed by (gateway, model), so
later calls leave it out from the start. In memory only: a new process (or a gateway upgrade)
starts fresh. Thread-safe; shared by every client of the process.
"""

from __future__ import annotations

import logging
import threading

__all__ = ["LEARNED", "LearnedRejections"]

logger = logging.getLogger("gateway_core")

_EMPTY: frozenset[str] = frozenset()


class LearnedRejections:
    """In-process memory of refused parameters and structured-output methods."""

    def __init__(self) -> None:
        self._params: dict[tuple[str, str], frozenset[str]] = {}
        self._methods: dict[tuple[str, str], frozenset[str]] = {}
        self._lock = threading.Lock()

    def params(self, gateway: str, model: str) -> frozenset[str]:
        """Parameters refused by ``gateway`` for ``model`` (empty if none)."""
        return self._params.get((gateway, model), _EMPTY)

    def methods(self, gateway: str, model: str) -> frozenset[str]:
        """Structured-output methods refused by ``gateway`` for ``model``."""
        return self._methods.get((gateway, model), _EMPTY)

    def reject_param(self, gateway: str, model: str, param: str) -> None:
        with self._lock:
            key = (gateway, model)
            self._params[key] = self._params.get(key, _EMPTY) | {param}
        logger.warning(
            "The gateway refused the parameter %r for model %r: retrying without it, and "
            "leaving it out for this model from now on (this process only).", param, model,
        )

    def reject_method(self, gateway: str, model: str, method: str) -> None:
        with self._lock:
            key = (gateway, model)
            self._methods[key] = self._methods.get(key, _EMPTY) | {method}
        logger.warning(
            "The gateway refused structured output by %r for model %r: using the next method, "
            "and for this model from now on (this process only).", method, model,
        )

    def forget(self, gateway: str | None = None, model: str | None = None) -> None:
        """Forget what was learned (for one gateway / model, or everything)."""
        with self._lock:
            for table in (self._params, self._methods):
                for key in [k for k in table if (gateway is None or k[0] == gateway)
                            and (model is None or k[1] == model)]:
                    del table[key]


LEARNED = LearnedRejections()
