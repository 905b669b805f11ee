"""Naming the models a gateway lists that are closest to one it does not serve.

A relay answers an unknown or unrouted model name at once (new-api: 503 ``model_not_found``,
"无可用渠道"); the useful answer is the right name. The transport reads ``/v1/models`` once per
process and gateway (only after such an error) and puts the closest names on the error.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import APIError, GatewayError, ModelNotAvailableError, NotFoundError

__all__ = ["closest_models", "model_asked", "name_closest", "wants_suggestions"]

_MAX_SUGGESTIONS = 5


def model_asked(body: Any) -> str | None:
    """The model a JSON request body asked for."""
    model = body.get("model") if isinstance(body, Mapping) else None
    return model if isinstance(model, str) and model else None


def wants_suggestions(error: GatewayError) -> bool:
    """A model the gateway does not serve: no channel for it, or it does not exist."""
    return isinstance(error, ModelNotAvailableError) or (
        isinstance(error, NotFoundError) and error.code == "model_not_found")


def closest_models(asked: str, listed: Iterable[str]) -> list[str]:
    """The listed names closest to ``asked``: same name in another case or with a provider
    prefix first, then by similarity."""
    names = list(dict.fromkeys(listed))
    lowered = asked.lower()
    base = lowered.rsplit("/", 1)[-1]
    exact = [n for n in names if n.lower() == lowered or n.lower().rsplit("/", 1)[-1] == base]
    similar = difflib.get_close_matches(asked, names, n=_MAX_SUGGESTIONS, cutoff=0.55)
    containing = [n for n in names if base and base in n.lower()]
    return list(dict.fromkeys([*exact, *similar, *containing]))[:_MAX_SUGGESTIONS]


def name_closest(error: APIError, asked: str, listed: Iterable[str]) -> None:
    """Add the closest listed names to ``error`` (its message and ``suggestions``)."""
    suggestions = closest_models(asked, listed)
    error.suggestions = suggestions
    if not suggestions:
        return
    names = ", ".join(suggestions)
    error.message = f"{error.message} Closest models this gateway lists for {asked!r}: {names}."
    error.args = (error.message,)
