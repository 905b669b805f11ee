"""Images: ``/v1/images/generations`` (JSON) and ``/v1/images/edits`` (multipart or JSON)
(protocol.md §9).

Answer ``{created, data: [{url | b64_json, revised_prompt}]}``. gpt-image models answer only
``b64_json`` (whatever ``response_format`` says, as on many relays); others answer ``url`` unless
``response_format`` is ``b64_json``; ``response_format="oss_url"`` (seed 004's third value)
adds the longer-lived ``oss_url``. Flags: ``b64-only``, ``url-only``, ``oss`` (extra ``oss_url``).
The pictures are real PNGs drawn by :mod:`.files`.
"""

from __future__ import annotations

import base64
import re
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..envelopes import openai_error
from ..models import check_model
from .files import image_bytes_for, image_url
from .forms import BodyError, Form, Upload, read_form, sniff_image
from .tasks import base_model, request_flags

MAX_N = 128
DEFAULT_SIZE = (1024, 1024)
DALL_E_SIZES = {
    "dall-e-2": {"256x256", "512x512", "1024x1024"},
    "dall-e-3": {"1024x1024", "1792x1024", "1024x1792"},
}
_SIZE = re.compile(r"^\s*(\d{1,5})\s*x\s*(\d{1,5})\s*$")
_IMAGE_REF = re.compile(r"^(https?://\S+|data:image/[\w.+-]+;base64,[A-Za-z0-9+/=\s]+)$")


def _bad(request: Request, message: str, param: str | None = None) -> Response:
    return openai_error(request, 400, message, code="invalid_request",
                        type_="invalid_request_error", param=param)


async def _form(request: Request) -> Form | Response:
    try:
        return await read_form(request)
    except BodyError as exc:
        return _bad(request, str(exc))


def _common(request: Request, fields: dict[str, Any]
            ) -> tuple[str, tuple[int, int], int] | Response:
    """Model, size and n after new-api's checks (§9.1)."""
    model = fields.get("model")
    refused = check_model(request, model)
    if refused is not None:
        return refused
    assert isinstance(model, str)
    prompt = fields.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return _bad(request, "prompt is required", "prompt")
    size = fields.get("size")
    parsed = DEFAULT_SIZE
    if isinstance(size, str) and size and size != "auto":
        if "×" in size:
            return _bad(request, f"size must use an ASCII 'x' (like 1024x1024), got {size!r}",
                        "size")
        match = _SIZE.match(size)
        if match is not None:
            parsed = (int(match.group(1)), int(match.group(2)))
        allowed = DALL_E_SIZES.get(base_model(model))
        if allowed is not None and size not in allowed:
            return _bad(request, f"size {size} is not supported by {base_model(model)}; "
                        f"use one of {', '.join(sorted(allowed))}", "size")
    n = fields.get("n", 1)
    if isinstance(n, str) and n.strip().isdigit():
        n = int(n)
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_N:
        return _bad(request, f"n must be an integer between 1 and {MAX_N}", "n")
    return model, parsed, n


def _answer(request: Request, model: str, prompt: str, size: tuple[int, int], n: int,
            response_format: Any) -> Response:
    flags = request_flags(request, model)
    base = base_model(model)
    if "url-only" in flags:
        want_b64, want_url = False, True
    elif "b64-only" in flags or base.startswith("gpt-image"):
        want_b64, want_url = True, False
    else:
        want_b64 = response_format == "b64_json"
        want_url = not want_b64
    data = []
    for index in range(n):
        item: dict[str, Any] = {}
        url = image_url(request, prompt, size, index)
        if want_url:
            item["url"] = url
        if want_b64:
            item["b64_json"] = base64.b64encode(image_bytes_for(prompt, size, index)).decode()
        if "oss" in flags or response_format == "oss_url":  # seed 004: a value, 7-day link
            item["oss_url"] = url
        item["revised_prompt"] = prompt
        data.append(item)
    body: dict[str, Any] = {"created": int(time.time()), "data": data}
    if base.startswith("gpt-image"):
        tokens = max(1, len(prompt.split()))
        body["usage"] = {"input_tokens": tokens, "output_tokens": 272 * n,
                         "total_tokens": tokens + 272 * n}
    return JSONResponse(body)


async def generations(request: Request) -> Response:
    if "json" not in request.headers.get("content-type", ""):
        return _bad(request, "the body must be JSON (Content-Type: application/json)")
    form = await _form(request)
    if isinstance(form, Response):
        return form
    checked = _common(request, form.fields)
    if isinstance(checked, Response):
        return checked
    model, size, n = checked
    return _answer(request, model, form.fields["prompt"].strip(), size, n,
                   form.fields.get("response_format"))


async def edits(request: Request) -> Response:
    form = await _form(request)
    if isinstance(form, Response):
        return form
    checked = _common(request, form.fields)
    if isinstance(checked, Response):
        return checked
    model, size, n = checked
    if form.kind == "multipart":
        problem = _check_uploads(request, form.uploads("image", "image[]"),
                                 form.uploads("mask"))
    else:
        problem = _check_references(request, form.fields)
    if problem is not None:
        return problem
    return _answer(request, model, form.fields["prompt"].strip(), size, n,
                   form.fields.get("response_format"))


def _check_uploads(request: Request, images: list[Upload], masks: list[Upload]) -> Response | None:
    if not images:
        return _bad(request, "image is required (one or more 'image' or 'image[]' file parts)",
                    "image")
    for upload in [*images, *masks]:
        if sniff_image(upload.data) is None:
            return _bad(request, f"{upload.field} part {upload.filename!r} is not a PNG, JPEG, "
                        "WEBP or GIF image", upload.field)
    return None


def _check_references(request: Request, fields: dict[str, Any]) -> Response | None:
    refs: list[Any] = []
    for name in ("image", "images"):
        value = fields.get(name)
        refs += value if isinstance(value, list) else [value] if value is not None else []
    if not refs:
        return _bad(request, "image is required (a URL or data URI in 'image' or 'images')",
                    "image")
    for ref in refs:
        if not isinstance(ref, str) or not _IMAGE_REF.match(ref.strip()):
            return _bad(request, "image must be an http(s) URL or a data:image URI, "
                        f"got {ref!r:.60}", "image")
    return None


def routes() -> list[BaseRoute]:
    return [
        Route("/v1/images/generations", generations, methods=["POST"]),
        Route("/v1/images/edits", edits, methods=["POST"]),
    ]
