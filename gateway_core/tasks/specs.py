"""Building a :class:`~.types.TaskSpec` from user arguments, with every check done up front."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ..errors import InvalidRequestError
from ..images import check_prompt, normalise_size
from ..media_inputs import load_images
from ..media_items import MediaKind
from .types import TaskSpec

__all__ = ["MAX_SECONDS", "check_aspect_ratio", "check_seconds", "make_spec"]

MAX_SECONDS = 3600  # new-api's own bound (protocol.md §12.2)
_RATIO = re.compile(r"^\s*(\d{1,3})\s*[:：/]\s*(\d{1,3})\s*$")


def check_seconds(seconds: Any) -> int | None:
    """Whole seconds between 1 and 3600 (``"8"`` and ``8.0`` are accepted)."""
    if seconds is None:
        return None
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        raise InvalidRequestError(f"seconds must be a number, not {seconds!r}.") from None
    if isinstance(seconds, bool) or value != int(value) or not 1 <= value <= MAX_SECONDS:
        raise InvalidRequestError(
            f"seconds={seconds!r} is not a sensible video length: use whole seconds from 1 to "
            f"{MAX_SECONDS} (most models take 4-10)."
        )
    return int(value)


def check_aspect_ratio(ratio: Any) -> str | None:
    """``"16:9"``-style ratios (``"16/9"`` and full-width colons are normalised)."""
    if ratio is None:
        return None
    match = _RATIO.match(str(ratio))
    if not match or int(match.group(1)) == 0 or int(match.group(2)) == 0:
        raise InvalidRequestError(
            f"aspect_ratio {ratio!r} is not a ratio like '16:9', '9:16' or '1:1'."
        )
    return f"{int(match.group(1))}:{int(match.group(2))}"


def _check_params(params: Mapping[str, Any]) -> None:
    """Provider keys go on the wire as JSON and into the journal: check both can take them."""
    try:
        json.dumps(params, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
        raise InvalidRequestError(
            f"Extra task parameters must be JSON values in valid UTF-8 text: {exc}.") from None


def make_spec(
    *,
    kind: MediaKind,
    model: str | None,
    prompt: str | None,
    images: Any = None,
    seconds: Any = None,
    size: Any = None,
    aspect_ratio: Any = None,
    action: str = "",
    prompt_required: bool = True,
    params: Mapping[str, Any] | None = None,
) -> TaskSpec:
    """A checked spec: bad input raises :class:`InvalidRequestError` before any request."""
    if model is not None and (not isinstance(model, str) or not model.strip()):
        raise InvalidRequestError("model must be a non-empty string such as 'sora-2'.")
    if prompt is not None or prompt_required:
        check_prompt(prompt)
    clean = {k: v for k, v in (params or {}).items() if v is not None}
    _check_params(clean)
    return TaskSpec(
        kind=kind, model=model, prompt=prompt, images=tuple(load_images(images)),
        seconds=check_seconds(seconds), size=normalise_size(size),
        aspect_ratio=check_aspect_ratio(aspect_ratio), action=action, params=clean,
    )
