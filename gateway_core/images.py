"""Image generation and editing: ``/v1/images/generations`` and ``/v1/images/edits``.

protocol.md §9. ``model`` is always sent (new-api requires it). Extra provider keys
(``aspect_ratio``, ``seed``, ``negative_prompt``, …) pass through untouched: new-api forwards
them. Answers are read into :class:`~gateway_core.media_items.MediaItem`\\ s from ``url``,
``b64_json`` (gpt-image models often send only that, with ``"url": ""``) and any other link
field a site adds (``oss_url`` is kept in ``extra``).

Edits go as multipart with the images as files — one ``image`` part, or repeated ``image[]``
parts for several, as the OpenAI SDKs send them — plus an optional ``mask``; when every input
is a URL they go as JSON instead (``image`` / ``images``), which gateways that want links
accept. Both requests are paid, so they are sent with ``idempotent=False``: the transport never
sends them twice once the body may have reached the gateway.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .chat.validate import check_text
from .errors import InvalidRequestError, ResponseFormatError
from .media_inputs import InputImage, load_image, load_images
from .media_items import MediaItem

if TYPE_CHECKING:
    from .transport import Response, Transport

__all__ = [
    "EditFormat",
    "ImageCall",
    "ImageResult",
    "aedit_image",
    "agenerate_image",
    "build_edit_request",
    "build_generation_body",
    "check_prompt",
    "edit_image",
    "generate_image",
    "normalise_size",
    "parse_image_response",
]

GENERATIONS_PATH = "/v1/images/generations"
EDITS_PATH = "/v1/images/edits"
DEFAULT_IMAGE_TIMEOUT = 300.0  # gpt-image at high quality takes minutes
MAX_IMAGES = 128  # new-api's limit for n
MAX_PROMPT_CHARS = 100_000
MAX_SIDE = 8192
EditFormat = Literal["auto", "multipart", "json"]

_SIZE = re.compile(r"^\s*(\d+)\s*[x×X*]\s*(\d+)\s*$")
_TOKEN = re.compile(r"^[A-Za-z0-9:._-]{1,24}$")
_LINK_FIELDS = ("url", "oss_url", "image_url", "imageUrl", "download_url")


def check_prompt(prompt: Any, what: str = "prompt") -> str:
    """The prompt, or an :class:`InvalidRequestError` for an empty or absurd one."""
    if not isinstance(prompt, str):
        raise InvalidRequestError(f"The {what} must be a string, not {type(prompt).__name__}.")
    if not prompt.strip():
        raise InvalidRequestError(f"The {what} is empty: describe what to generate.")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise InvalidRequestError(
            f"The {what} is {len(prompt):,} characters; gateways accept far less. Shorten it."
        )
    check_text(prompt, f"The {what}")
    return prompt


def normalise_size(size: Any) -> str | None:
    """``"1024x1024"`` (``×``/``*`` become ``x``, which new-api requires), tokens such as
    ``"auto"`` or ``"2K"`` as they are; absurd sizes raise :class:`InvalidRequestError`."""
    if size is None:
        return None
    if isinstance(size, (tuple, list)) and len(size) == 2:
        size = f"{size[0]}x{size[1]}"
    if not isinstance(size, str):
        raise InvalidRequestError(f"size must be a string like '1024x1024', not {size!r}.")
    match = _SIZE.match(size)
    if match:
        width, height = int(match.group(1)), int(match.group(2))
        if not (16 <= width <= MAX_SIDE and 16 <= height <= MAX_SIDE):
            raise InvalidRequestError(
                f"size {size!r} is out of range: each side must be between 16 and {MAX_SIDE}."
            )
        return f"{width}x{height}"
    if not _TOKEN.match(size):
        raise InvalidRequestError(
            f"size {size!r} is not a size: use 'WIDTHxHEIGHT' (e.g. '1024x1024') or a keyword "
            "the model knows ('auto', '2K', …)."
        )
    return size


def _check_n(n: Any) -> int | None:
    if n is None:
        return None
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_IMAGES:
        raise InvalidRequestError(f"n must be an integer from 1 to {MAX_IMAGES}, not {n!r}.")
    return n


@dataclass(frozen=True)
class ImageCall:
    """The settings of one image request, apart from prompt and inputs."""

    model: str
    n: int | None = None
    size: str | None = None
    quality: str | None = None
    response_format: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    timeout: float | None = None

    @classmethod
    def make(
        cls,
        model: str,
        *,
        n: int | None = None,
        size: Any = None,
        quality: str | None = None,
        response_format: str | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        **extra: Any,
    ) -> ImageCall:
        if not isinstance(model, str) or not model.strip():
            raise InvalidRequestError(
                "model is required: name the image model, e.g. 'gpt-image-1'."
            )
        merged = {k: v for k, v in {**extra, **(extra_body or {})}.items() if v is not None}
        return cls(
            model=model, n=_check_n(n), size=normalise_size(size), quality=quality,
            response_format=response_format, extra=merged,
            timeout=timeout if timeout is not None else DEFAULT_IMAGE_TIMEOUT,
        )

    def fields(self) -> dict[str, Any]:
        """The request fields besides prompt and images, ``model`` first."""
        out: dict[str, Any] = {"model": self.model}
        for name in ("n", "size", "quality", "response_format"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        out.update(self.extra)
        return out


def build_generation_body(prompt: str, call: ImageCall) -> dict[str, Any]:
    """The JSON body of ``POST /v1/images/generations``."""
    return {**call.fields(), "prompt": check_prompt(prompt)}


@dataclass(frozen=True)
class EditRequest:
    """A ready ``/v1/images/edits`` request: JSON, or form fields plus files."""

    json: dict[str, Any] | None = None
    data: dict[str, str] | None = None
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def build_edit_request(
    prompt: str,
    images: Any,
    call: ImageCall,
    *,
    mask: Any = None,
    edit_format: EditFormat = "auto",
) -> EditRequest:
    """Check the inputs and build the edit request (multipart unless every input is a URL)."""
    check_prompt(prompt)
    inputs = load_images(images, "Input image")
    if not inputs:
        raise InvalidRequestError("edit_image needs at least one input image.")
    mask_input = load_image(mask, "The mask") if mask is not None else None
    everything = inputs + ([mask_input] if mask_input else [])
    if edit_format == "auto":
        edit_format = "json" if all(item.is_url for item in everything) else "multipart"
    if edit_format == "json":
        return EditRequest(json=_edit_json(prompt, inputs, mask_input, call))
    if edit_format != "multipart":
        raise InvalidRequestError(
            f"edit_format must be auto, multipart or json, not {edit_format!r}."
        )
    links = [item.url for item in everything if item.is_url]
    if links:
        raise InvalidRequestError(
            f"A multipart edit sends files, but {links[0]} is a URL. Pass local files or bytes, "
            "or only URLs (then the request goes as JSON)."
        )
    data = {key: _form_value(value) for key, value in call.fields().items()}
    data["prompt"] = prompt
    part = "image" if len(inputs) == 1 else "image[]"
    files = [(part, item.as_file(f"image-{number}{_suffix(item)}"))
             for number, item in enumerate(inputs, 1)]
    if mask_input is not None:
        files.append(("mask", mask_input.as_file(f"mask{_suffix(mask_input)}")))
    return EditRequest(data=data, files=files)


def _suffix(item: InputImage) -> str:
    return "." + item.filename.rsplit(".", 1)[-1] if "." in item.filename else ""


def _edit_json(
    prompt: str, inputs: list[InputImage], mask: InputImage | None, call: ImageCall
) -> dict[str, Any]:
    body: dict[str, Any] = {**call.fields(), "prompt": prompt}
    references = [item.as_reference() for item in inputs]
    if len(references) == 1:
        body["image"] = references[0]
    else:
        body["images"] = references
    if mask is not None:
        body["mask"] = mask.as_reference()
    return body


@dataclass
class ImageResult:
    """The images of one generation or edit.

    Attributes:
        items: One :class:`MediaItem` per image, in the gateway's order.
        model: The model asked for.
        created: The gateway's ``created`` timestamp.
        usage: Token usage when the gateway reports it (gpt-image does).
        request_id: ``X-Oneapi-Request-Id`` of the answer.
        raw: The decoded response body.
    """

    items: list[MediaItem]
    model: str | None = None
    created: int | None = None
    usage: dict[str, Any] | None = None
    request_id: str | None = None
    raw: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def urls(self) -> list[str]:
        """Links of the images that have one (the longest-lived link for each)."""
        return [url for url in (item.best_url for item in self.items) if url]


def _image_item(entry: Mapping[str, Any], default_mime: str | None) -> MediaItem | None:
    b64 = entry.get("b64_json") or entry.get("b64") or None
    url = next((entry[name] for name in _LINK_FIELDS
                if isinstance(entry.get(name), str) and entry[name].startswith(("http", "data:"))),
               None)
    if not isinstance(b64, str):
        b64 = None
    if url is None and b64 is None:
        return None
    if url is not None and url.startswith("data:"):
        b64, url = url, None
    skip = {"url", "b64_json", "b64", "revised_prompt"}
    extra = {k: v for k, v in entry.items() if k not in skip and v not in (None, "")}
    revised = entry.get("revised_prompt")
    return MediaItem(
        "image", url=url, b64=b64, revised_prompt=revised if isinstance(revised, str) else None,
        mime_type=_output_mime(entry.get("output_format")) or default_mime, extra=extra,
    )


def _output_mime(output_format: Any) -> str | None:
    if isinstance(output_format, str) and output_format.lower() in ("png", "jpeg", "jpg", "webp"):
        return "image/" + ("jpeg" if output_format.lower() == "jpg" else output_format.lower())
    return None


def parse_image_response(
    body: Any, *, model: str | None = None, request_id: str | None = None
) -> ImageResult:
    """Read an images response (``{"created", "data": [{url|b64_json, revised_prompt}]}``)."""
    if not isinstance(body, Mapping):
        raise ResponseFormatError("The image response is not a JSON object.", request_id=request_id)
    data = body.get("data")
    if isinstance(data, Mapping):
        data = [data]
    if not isinstance(data, list):
        raise ResponseFormatError(
            "The image response has no 'data' list; is this an images endpoint?",
            request_id=request_id,
        )
    top_format = _output_mime(body.get("output_format"))
    entries = [_image_item(e, top_format) for e in data if isinstance(e, Mapping)]
    items = [item for item in entries if item is not None]
    if not items:
        raise ResponseFormatError(
            "The gateway answered without any image (no url or b64_json). The prompt may have "
            "been filtered; try rewording it.",
            request_id=request_id,
        )
    created = body.get("created")
    usage = body.get("usage")
    return ImageResult(
        items=items,
        model=model,
        created=created if isinstance(created, int) else None,
        usage=dict(usage) if isinstance(usage, Mapping) else None,
        request_id=request_id,
        raw=dict(body),
    )


def _result(response: Response, call: ImageCall) -> ImageResult:
    return parse_image_response(response.json(), model=call.model, request_id=response.request_id)


def generate_image(transport: Transport, prompt: str, call: ImageCall) -> ImageResult:
    """``POST /v1/images/generations`` once (never re-sent after the body left)."""
    body = build_generation_body(prompt, call)
    response = transport.request("POST", GENERATIONS_PATH, json=body, idempotent=False,
                                 timeout=call.timeout, what="Generating an image")
    return _result(response, call)


async def agenerate_image(transport: Transport, prompt: str, call: ImageCall) -> ImageResult:
    """Async twin of :func:`generate_image`."""
    body = build_generation_body(prompt, call)
    response = await transport.arequest("POST", GENERATIONS_PATH, json=body, idempotent=False,
                                        timeout=call.timeout, what="Generating an image")
    return _result(response, call)


def edit_image(
    transport: Transport, prompt: str, images: Any, call: ImageCall, *, mask: Any = None,
    edit_format: EditFormat = "auto",
) -> ImageResult:
    """``POST /v1/images/edits`` (multipart, or JSON for URL inputs) once."""
    request = build_edit_request(prompt, images, call, mask=mask, edit_format=edit_format)
    response = transport.request(
        "POST", EDITS_PATH, json=request.json, data=request.data, files=request.files,
        idempotent=False, timeout=call.timeout, what="Editing an image",
    )
    return _result(response, call)


async def aedit_image(
    transport: Transport, prompt: str, images: Any, call: ImageCall, *, mask: Any = None,
    edit_format: EditFormat = "auto",
) -> ImageResult:
    """Async twin of :func:`edit_image`."""
    request = build_edit_request(prompt, images, call, mask=mask, edit_format=edit_format)
    response = await transport.arequest(
        "POST", EDITS_PATH, json=request.json, data=request.data, files=request.files,
        idempotent=False, timeout=call.timeout, what="Editing an image",
    )
    return _result(response, call)
