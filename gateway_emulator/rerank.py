"""``POST /v1/rerank`` in the Jina shape new-api speaks (protocol.md §8), scored with BM25.

Markers: ``+document-string`` / ``+document-object`` always return ``document`` in that form,
``+unsorted`` returns results in input order, ``+max-docs=N`` refuses more than N documents.
The header ``X-Emulator-No-Rerank: 1`` answers like one-api, which has no rerank route.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .envelopes import openai_error
from .models import check_model, split_model

_TOKEN = re.compile(r"[a-z0-9]+|[\u4e00-\u9fff]")


def bm25_scores(query: str, documents: list[str], k1: float = 1.5, b: float = 0.75) -> list[float]:
    """BM25 of every document for the query, squashed into (0, 1)."""
    terms = _TOKEN.findall(query.lower())
    docs = [Counter(_TOKEN.findall(d.lower())) for d in documents]
    lengths = [sum(d.values()) for d in docs]
    average = (sum(lengths) / len(lengths)) if lengths else 1.0
    scores = []
    for doc, length in zip(docs, lengths, strict=True):
        score = 0.0
        for term in terms:
            having = sum(1 for d in docs if term in d)
            idf = math.log(1 + (len(docs) - having + 0.5) / (having + 0.5))
            tf = doc.get(term, 0)
            score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / (average or 1)))
        scores.append(round(1 - math.exp(-score), 6))
    return scores


def _text(document: Any) -> str | None:
    if isinstance(document, str):
        return document
    if isinstance(document, dict) and isinstance(document.get("text"), str):
        return str(document["text"])
    return None


async def rerank(request: Request) -> Response:
    if request.headers.get("x-emulator-no-rerank") == "1":
        return openai_error(request, 404, "Invalid URL (POST /v1/rerank)",
                            type_="invalid_request_error", code="")
    try:
        body = json.loads(await request.body())
    except ValueError:
        return openai_error(request, 400, "request body is not JSON", code="invalid_request",
                            type_="invalid_request_error")
    refused = check_model(request, body.get("model") if isinstance(body, dict) else None)
    if refused is not None:
        return refused
    ref = split_model(body["model"])
    query, documents = body.get("query"), body.get("documents")
    if not isinstance(query, str) or not query:
        return openai_error(request, 400, "query is required", code="invalid_request",
                            type_="invalid_request_error", param="query")
    if not isinstance(documents, list) or not documents:
        return openai_error(request, 400, "documents is required", code="invalid_request",
                            type_="invalid_request_error", param="documents")
    texts = [_text(d) for d in documents]
    if any(t is None for t in texts):
        return openai_error(request, 400, "documents must be strings or {text} objects",
                            code="invalid_request", type_="invalid_request_error",
                            param="documents")
    limit = ref.marker_value("max-docs")
    if limit is not None and len(documents) > int(limit):
        return openai_error(request, 400, f"too many documents: {len(documents)} > {limit}",
                            code="invalid_request", type_="invalid_request_error",
                            param="documents")
    plain = [t or "" for t in texts]
    scores = bm25_scores(query, plain)
    order = list(range(len(plain)))
    if "unsorted" not in ref.markers:
        order.sort(key=lambda i: -scores[i])
    top_n = body.get("top_n")
    if isinstance(top_n, int) and top_n > 0:
        order = order[:top_n] if "unsorted" not in ref.markers else [
            i for i in order if i in sorted(order, key=lambda j: -scores[j])[:top_n]]
    results = []
    for index in order:
        item: dict[str, Any] = {"index": index, "relevance_score": scores[index]}
        if "document-string" in ref.markers:
            item["document"] = plain[index]
        elif "document-object" in ref.markers or body.get("return_documents"):
            item["document"] = {"text": plain[index]}
        results.append(item)
    tokens = len(_TOKEN.findall(query.lower())) * len(plain) + sum(
        len(_TOKEN.findall(t.lower())) for t in plain)
    return JSONResponse({"results": results, "model": ref.base,
                         "usage": {"prompt_tokens": tokens, "completion_tokens": 0,
                                   "total_tokens": tokens}})
