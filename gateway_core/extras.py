"""Optional dependencies: a missing one is reported with the ``pip install`` that adds it.

Each framework and tool lives in an extra of ``ai-gateway-kit``; a bare ``ModuleNotFoundError:
No module named 'langchain_core'`` leaves a new user guessing which one.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["MissingExtraError", "import_optional", "missing_extra"]

# top-level module -> (extra of ai-gateway-kit, distribution that provides the module)
_EXTRAS = {
    "langchain_core": ("langchain", "langchain-core"),
    "llama_index": ("llamaindex", "llama-index-core"),
    "tqdm": ("cli", "tqdm"),
    "starlette": ("emulator", "starlette"),
    "uvicorn": ("emulator", "uvicorn"),
}


class MissingExtraError(ModuleNotFoundError):
    """An optional dependency is not installed; the message names the extra to install."""


def missing_extra(error: ModuleNotFoundError, needed_by: str) -> ModuleNotFoundError:
    """The error to raise instead of ``error``: one line naming the extra, when there is one."""
    top = (error.name or "").split(".")[0]
    if top not in _EXTRAS:
        return error
    extra, distribution = _EXTRAS[top]
    return MissingExtraError(
        f"{needed_by} needs {distribution}, which is not installed: "
        f'pip install "ai-gateway-kit[{extra}]"', name=error.name)


def import_optional(module: str, needed_by: str) -> ModuleType:
    """Import ``module`` from an extra, or raise :class:`MissingExtraError` saying which."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        raise missing_extra(error, needed_by) from None
