"""``POST /v1/embeddings`` (protocol.md §7): deterministic hashed bag-of-words vectors.

Texts that share words get closer vectors (cosine), so retrieval in demos and tests behaves like
retrieval. Markers: ``+shuffle`` answers out of order, ``+base64-only`` always answers base64,
``+max-batch=N`` refuses more than N inputs like a provider with a small batch limit.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from array import array
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .envelopes import openai_error
from .models import check_model, split_model

_TOKEN = re.compile(r"[a-z0-9]+|[\u4e00-\u9fff]")


def embed(text: str, dimensions: int) -> list[float]:
    """An L2-normalised vector: each word adds ±1 at a hashed position."""
    vector = [0.0] * dimensions
    tokens = _TOKEN.findall(text.lower()) or [text]
    for token in tokens:
        digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
        slot = int.from_bytes(digest[:6], "little") % dimensions
        vector[slot] += 1.0 if digest[7] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


def _as_base64(vector: list[float]) -> str:
    packed = array("f", vector)
    if packed.itemsize != 4:  # pragma: no cover - every CPython platform has 4-byte floats
        raise RuntimeError("float32 needed")
    return base64.b64encode(packed.tobytes()).decode()


async def embeddings(request: Request) -> Response:
    try:
        body = json.loads(await request.body())
    except ValueError:
        return openai_error(request, 400, "request body is not JSON", code="invalid_request",
                            type_="invalid_request_error")
    refused = check_model(request, body.get("model") if isinstance(body, dict) else None)
    if refused is not None:
        return refused
    ref = split_model(body["model"])
    spec = ref.spec
    if spec is None or "embeddings" not in spec.endpoint_types:
        return openai_error(request, 400, f"model {ref.base} does not support embeddings",
                            code="invalid_request", type_="invalid_request_error",
                            param="model")
    inputs = body.get("input")
    if isinstance(inputs, str):
        inputs = [inputs]
    problem = _check_inputs(request, inputs)
    if problem is not None:
        return problem
    limit = ref.marker_value("max-batch")
    if limit is not None and len(inputs) > int(limit):
        return openai_error(request, 400, f"batch size {len(inputs)} exceeds the limit of "
                            f"{limit} inputs per request", code="invalid_request",
                            type_="invalid_request_error", param="input")
    dimensions = body.get("dimensions") or spec.dimensions
    if not isinstance(dimensions, int) or not 1 <= dimensions <= spec.dimensions:
        return openai_error(request, 400, f"dimensions must be between 1 and {spec.dimensions}",
                            code="invalid_request", type_="invalid_request_error",
                            param="dimensions")
    as_b64 = body.get("encoding_format") == "base64" or "base64-only" in ref.markers
    data = [{"object": "embedding", "index": i,
             "embedding": _as_base64(v) if as_b64 else v}
            for i, v in enumerate(embed(text, dimensions) for text in inputs)]
    if "shuffle" in ref.markers:
        data = data[1::2] + data[0::2]
    tokens = sum(len(_TOKEN.findall(text.lower())) or 1 for text in inputs)
    return JSONResponse({"object": "list", "data": data, "model": ref.base,
                         "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})


def _check_inputs(request: Request, inputs: Any) -> Response | None:
    if not isinstance(inputs, list) or not inputs:
        return openai_error(request, 400, "input is required", code="invalid_request",
                            type_="invalid_request_error", param="input")
    for position, item in enumerate(inputs):
        if not isinstance(item, str):
            # token-id arrays: the upstreams behind most relays only take text
            return openai_error(request, 400, f"input[{position}] must be a string; this "
                                "upstream does not accept token ids", code="invalid_request",
                                type_="invalid_request_error", param="input")
        if not item:
            return openai_error(request, 400, f"'$.input[{position}]' is invalid: empty string",
                                code="invalid_request", type_="invalid_request_error",
                                param="input")
    return None
