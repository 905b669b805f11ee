"""Rerank over ``POST /v1/rerank`` in the Jina shape new-api speaks (protocol.md §8).

Request ``{model, query, documents, top_n?, return_documents: false}``; answer
``{"results": [{"index", "relevance_score", "document"?}], "usage"}``. Parsing is tolerant of what
relays and upstreams actually send: ``document`` absent, a string or ``{"text": …}``; ``data``
instead of ``results`` (Fireworks) or a bare list; ``score`` instead of ``relevance_score``;
results in any order (they are mapped by ``index`` and re-sorted by score). More documents than
one request may carry (``max_documents_per_request``, default 100 or the model profile's) are
sent as several requests whose results are merged by score: cross-encoder scores are absolute per
(query, document) pair, so the merge ranks as one request would.

one-api has no rerank route, and a gateway without one answers 404 (or ``api_not_implemented`` /
501): that becomes an :class:`~gateway_core.errors.EndpointNotSupportedError` saying so, never a
JSON decoding error. A 404 about the model (``model_not_found``, "The model `x` does not
exist") is a wrong model name, not a missing route: it stays a
:class:`~gateway_core.errors.NotFoundError` naming the model.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .embeddings import DEFAULT_MAX_CONCURRENCY, add_usage, check_model
from .errors import (
    APIError,
    EndpointNotSupportedError,
    GatewayError,
    InvalidRequestError,
    NotFoundError,
    ResponseFormatError,
)
from .profiles import ModelProfile, resolve_profile
from .transport import Response, Transport

__all__ = [
    "DEFAULT_MAX_DOCUMENTS",
    "RERANK_PATH",
    "RerankCall",
    "RerankHit",
    "RerankResult",
    "arerank",
    "make_rerank_call",
    "parse_rerank",
    "rerank",
]

RERANK_PATH = "/v1/rerank"
DEFAULT_MAX_DOCUMENTS = 100
Document = str | Mapping[str, Any]
_NO_ENDPOINT_STATUSES = frozenset({404, 405, 501})
_UNKNOWN_MODEL = re.compile(
    r"\bmodel\b.*\b(?:does not exist|doesn't exist|not (?:be )?found|not exist|unknown)"
    r"|\b(?:unknown|invalid) model\b",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class RerankHit:
    """One ranked document: its position in the input, its score, and its text if returned."""

    index: int
    relevance_score: float
    document: str | None = None


@dataclass
class RerankResult:
    """Hits best first (at most ``top_n``), and what the gateway reported about the call."""

    hits: list[RerankHit]
    model: str | None = None
    usage: dict[str, int] = field(default_factory=dict)
    request_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RerankCall:
    """Everything about a rerank call except the query and documents (see
    :func:`make_rerank_call`).

    Attributes:
        model: Reranker name as the gateway lists it.
        top_n: How many hits to keep (None: all documents, ranked).
        max_documents_per_request: Documents per request; more are split over several requests.
        return_documents: Ask the gateway to echo the documents (off: the caller has them).
        max_concurrency: Requests in flight at once (async calls with split documents).
        path: The route (``/v1/rerank``; some gateways serve ``/rerank`` or ``/v2/rerank``).
        extra_body: Gateway-specific fields merged into every request body last.
        timeout: Read timeout per request, in seconds (None: the config's).
    """

    model: str
    top_n: int | None = None
    max_documents_per_request: int = DEFAULT_MAX_DOCUMENTS
    return_documents: bool = False
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    path: str = RERANK_PATH
    extra_body: Mapping[str, Any] | None = None
    timeout: float | None = None

    def body(self, query: str, documents: Sequence[Document]) -> dict[str, Any]:
        """The JSON body of one request."""
        body: dict[str, Any] = {
            "model": self.model, "query": query, "documents": list(documents),
            "return_documents": self.return_documents,
        }
        if self.top_n is not None:
            body["top_n"] = min(self.top_n, len(documents))
        if self.extra_body:
            body.update(self.extra_body)
        return body


def make_rerank_call(
    model: str,
    *,
    top_n: int | None = None,
    max_documents_per_request: int | None = None,
    return_documents: bool = False,
    max_concurrency: int | None = None,
    path: str = RERANK_PATH,
    extra_body: Mapping[str, Any] | None = None,
    timeout: float | None = None,
    profile: Mapping[str, Any] | ModelProfile | None = None,
) -> RerankCall:
    """A :class:`RerankCall` with its settings checked.

    ``max_documents_per_request=None`` takes the model profile's ``rerank_max_documents``
    (default 100).
    """
    check_model(model)
    for name, value in (("top_n", top_n), ("max_documents_per_request", max_documents_per_request),
                        ("max_concurrency", max_concurrency)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 1):
            raise InvalidRequestError(f"{name} must be a positive integer or None, got {value!r}.")
    if not isinstance(path, str) or not path.startswith("/"):
        raise InvalidRequestError(f"path must start with '/', e.g. '/v1/rerank'; got {path!r}.")
    if max_documents_per_request is None:
        max_documents_per_request = (
            resolve_profile(model, profile).rerank_max_documents or DEFAULT_MAX_DOCUMENTS)
    return RerankCall(
        model=model, top_n=top_n, max_documents_per_request=max_documents_per_request,
        return_documents=return_documents,
        max_concurrency=max_concurrency or DEFAULT_MAX_CONCURRENCY, path=path,
        extra_body=extra_body, timeout=timeout,
    )


# --------------------------------------------------------------------------- parsing


def _document_text(document: Any) -> str | None:
    if isinstance(document, str):
        return document
    if isinstance(document, Mapping) and isinstance(document.get("text"), str):
        return str(document["text"])
    return None


def parse_rerank(body: Any, count: int, *, offset: int = 0) -> list[RerankHit]:
    """The hits of one answer for ``count`` documents, best first, indices shifted by ``offset``.

    Raises :class:`ResponseFormatError` on an answer that cannot be mapped back to the input.
    """
    results = body
    if isinstance(body, Mapping):
        results = body.get("results")
        if results is None:
            results = body.get("data")
    if not isinstance(results, list):
        found = sorted(body)[:8] if isinstance(body, Mapping) else type(body).__name__
        raise ResponseFormatError(
            f"The rerank answer has no 'results' list (found {found}). Check that the model is "
            "a reranker and that the gateway speaks the Jina rerank format.")
    hits: list[RerankHit] = []
    seen: set[int] = set()
    for position, item in enumerate(results):
        if not isinstance(item, Mapping):
            raise ResponseFormatError(f"results[{position}] of the rerank answer is not an object.")
        index = item.get("index")
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
            raise ResponseFormatError(
                f"results[{position}] has index {index!r}; expected an integer in "
                f"0..{count - 1}.")
        if index in seen:
            raise ResponseFormatError(f"The rerank answer repeats index {index}.")
        seen.add(index)
        score = item.get("relevance_score")
        if score is None:
            score = item.get("score")
        if isinstance(score, bool) or not isinstance(score, (int, float)):
            raise ResponseFormatError(
                f"results[{position}] has no numeric relevance_score (got {score!r}).")
        hits.append(RerankHit(index + offset, float(score), _document_text(item.get("document"))))
    hits.sort(key=lambda hit: (-hit.relevance_score, hit.index))
    return hits


# --------------------------------------------------------------------------- running


@dataclass
class _Plan:
    query: str
    documents: Sequence[Document]
    call: RerankCall
    chunks: list[tuple[int, int]] = field(default_factory=list)  # (start, end) per request
    hits: list[RerankHit] = field(default_factory=list)
    model: str | None = None
    usage: dict[str, int] = field(default_factory=dict)
    request_ids: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not isinstance(self.query, str) or not self.query.strip():
            raise InvalidRequestError("query must be a non-empty string.")
        documents = self.documents
        if isinstance(documents, (str, bytes)) or not isinstance(documents, Sequence):
            raise InvalidRequestError("documents must be a list of strings.")
        for position, document in enumerate(documents):
            if not isinstance(document, (str, Mapping)):
                raise InvalidRequestError(
                    f"Document {position} is a {type(document).__name__}; pass strings (or "
                    "{'text': ...} objects).")
        size = self.call.max_documents_per_request
        self.chunks = [(start, min(start + size, len(documents)))
                       for start in range(0, len(documents), size)]

    def request_body(self, number: int) -> dict[str, Any]:
        start, end = self.chunks[number]
        return self.call.body(self.query, self.documents[start:end])

    def label(self, number: int) -> str:
        start, end = self.chunks[number]
        label = f"Reranking {end - start} document(s)"
        if len(self.chunks) > 1:
            label += f" {start}-{end - 1} (request {number + 1} of {len(self.chunks)})"
        return label

    def accept(self, number: int, response: Response) -> None:
        start, end = self.chunks[number]
        try:
            body = response.json()
            self.hits.extend(parse_rerank(body, end - start, offset=start))
        except ResponseFormatError as error:
            raise _format_error(error, response, self.call) from None
        if response.request_id:
            self.request_ids.append(response.request_id)
        if isinstance(body, Mapping):
            model = body.get("model")
            if isinstance(model, str) and model:
                self.model = model
            add_usage(self.usage, body.get("usage"))

    def finish(self) -> RerankResult:
        hits = self.hits
        if len(self.chunks) > 1:
            hits.sort(key=lambda hit: (-hit.relevance_score, hit.index))
        if self.call.top_n is not None:
            hits = hits[: self.call.top_n]
        return RerankResult(hits=hits, model=self.model or self.call.model, usage=self.usage,
                            request_ids=self.request_ids)


def _format_error(error: ResponseFormatError, response: Response,
                  call: RerankCall) -> GatewayError:
    """A 2xx that is an HTML page is a web front end answering an unknown route."""
    if "html" in response.content_type.lower():
        return EndpointNotSupportedError(
            f"The gateway has no rerank endpoint: POST {call.path} answered an HTML page "
            "instead of JSON (a web front end serving an unknown route). one-api and some relays "
            "do not serve rerank; use a gateway with a rerank channel (new-api), or set path= "
            "if yours serves the Jina rerank format elsewhere.",
            status_code=response.status_code, request_id=response.request_id,
        )
    error.request_id = error.request_id or response.request_id
    error.status_code = error.status_code or response.status_code
    return error


def _is_unknown_model(error: APIError, said: str) -> bool:
    """A 404 about the model (``model_not_found``, "model `x` does not exist"), not the route."""
    return error.code == "model_not_found" or bool(_UNKNOWN_MODEL.search(said))


def _no_endpoint(error: GatewayError, call: RerankCall) -> GatewayError:
    """Turn "route not found" / "not implemented" into an error that says what it means.

    A 404 that names the model (``model_not_found``) is a wrong model name, not a missing route:
    it stays a :class:`NotFoundError`, naming the model.
    """
    if not isinstance(error, APIError):
        return error
    # A 2xx HTML page is a web front end answering a route the API does not have.
    front_end = error.html_page and error.status_code is not None and error.status_code < 300
    if not (isinstance(error, (NotFoundError, EndpointNotSupportedError)) or front_end
            or error.status_code in _NO_ENDPOINT_STATUSES):
        return error
    said = error.gateway_message or error.message
    if error.status_code == 404 and _is_unknown_model(error, said):
        unknown = NotFoundError(
            f"The gateway does not know the rerank model {call.model!r}: POST {call.path} "
            f"answered HTTP 404 ({said}). Check the model name (`gateway-kit models` lists the "
            "gateway's models) and that the key's group has a rerank channel for it.",
            status_code=error.status_code, code=error.code, error_type=error.error_type,
            param=error.param, request_id=error.request_id, retryable=False,
        )
        unknown.gateway_message = said
        return unknown
    unsupported = EndpointNotSupportedError(
        f"The gateway has no rerank endpoint: POST {call.path} answered HTTP "
        f"{error.status_code} ({said}). one-api and some relays do not serve rerank; use a "
        "gateway with a rerank channel (new-api), or set path= if yours serves the Jina rerank "
        "format elsewhere.",
        status_code=error.status_code, code=error.code, error_type=error.error_type,
        request_id=error.request_id,
    )
    unsupported.gateway_message, unsupported.html_page = said, error.html_page
    return unsupported


def _start(query: str, documents: Sequence[Document], call: RerankCall) -> _Plan:
    return _Plan(query=query, documents=documents, call=call)


def rerank(
    transport: Transport, query: str, documents: Sequence[Document], call: RerankCall
) -> RerankResult:
    """Rank ``documents`` by relevance to ``query``; no request for an empty list."""
    plan = _start(query, documents, call)
    for number in range(len(plan.chunks)):
        try:
            response = transport.request(
                "POST", call.path, json=plan.request_body(number), timeout=call.timeout,
                what=plan.label(number),
            )
        except GatewayError as error:
            meant = _no_endpoint(error, call)
            if meant is error:  # never its own cause: a chain walk must end
                raise
            raise meant from error
        plan.accept(number, response)
    return plan.finish()


async def arerank(
    transport: Transport, query: str, documents: Sequence[Document], call: RerankCall
) -> RerankResult:
    """Async twin of :func:`rerank`; split requests run up to ``max_concurrency`` at once."""
    plan = _start(query, documents, call)
    if not plan.chunks:
        return plan.finish()
    limit = asyncio.Semaphore(call.max_concurrency)

    async def one(number: int) -> None:
        async with limit:
            try:
                response = await transport.arequest(
                    "POST", call.path, json=plan.request_body(number), timeout=call.timeout,
                    what=plan.label(number),
                )
            except GatewayError as error:
                meant = _no_endpoint(error, call)
                if meant is error:  # never its own cause: a chain walk must end
                    raise
                raise meant from error
            plan.accept(number, response)

    if len(plan.chunks) == 1:
        await one(0)
    else:
        tasks = [asyncio.ensure_future(one(number)) for number in range(len(plan.chunks))]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
    return plan.finish()
