"""Embeddings over ``POST /v1/embeddings`` (protocol.md §7): batching, ordering, decoding.

What peers get wrong against relays, and what this module does instead:

* Raw strings go on the wire, never token ids (no tiktoken, nothing downloaded at run time).
* ``encoding_format: "float"`` by default, because many relays and upstreams do not support
  base64; an answer in base64 is decoded anyway, whatever was asked (``array`` over the decoded
  bytes: no per-float Python work). ``encoding_format="base64"`` is the faster choice where the
  gateway supports it.
* Inputs are sent in batches of ``batch_size`` (default 64, lowered by the model's capability
  profile, e.g. 10 for DashScope's ``text-embedding-v*``); results are put back in input order by
  ``index`` even when the gateway answers out of order; a count or dimension mismatch is an error,
  never a silently wrong vector. A gateway that refuses the batch size ("input batch size 473 >
  maximum allowed batch size 64", "should not be larger than 10", HTTP 413) gets the batch split
  to the size it names (else halved), and the cap is remembered for that gateway and model.
* Async calls run at most ``max_concurrency`` batches at once. The transport retries a failed
  batch alone; a batch that fails for good raises its (typed) error with ``failed_inputs`` and
  ``partial`` (the vectors already received) attached, so finished work is not lost.

Empty input: an empty list gives an empty result without any request. An empty string is
refused before anything is sent (``empty_text="error"``, the default: gateways answer 400 for
it and the whole batch would fail), or gets a zero vector without being sent
(``empty_text="zeros"``; its dimension is that of the other vectors, or ``dimensions`` / the
profile's when every input is empty).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import math
import re
import sys
from array import array
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import (
    BadRequestError,
    GatewayError,
    InvalidRequestError,
    RequestTooLargeError,
    ResponseFormatError,
)
from .profiles import ModelProfile, resolve_profile
from .transport import Response, Transport

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_MAX_CONCURRENCY",
    "EMBEDDINGS_PATH",
    "EmbedCall",
    "EmbeddingResult",
    "aembed",
    "decode_base64_vector",
    "describe_positions",
    "embed",
    "learned_batch_cap",
    "make_embed_call",
    "parse_embeddings",
    "smaller_batch",
]

EMBEDDINGS_PATH = "/v1/embeddings"
DEFAULT_BATCH_SIZE = 64
DEFAULT_MAX_CONCURRENCY = 4
EncodingFormat = Literal["float", "base64"]
EmptyText = Literal["error", "zeros"]
Vector = list[float]

_BIG_ENDIAN = sys.byteorder == "big"
logger = logging.getLogger("gateway_core")


@dataclass(frozen=True)
class EmbedCall:
    """Everything about an embeddings call except the texts. Build it with :func:`make_embed_call`.

    Attributes:
        model: Model name as the gateway lists it.
        dimensions: Sent as ``dimensions`` when set, and every vector must have that length.
        encoding_format: ``"float"`` (default), ``"base64"``, or None to send no preference.
        batch_size: Inputs per request.
        max_concurrency: Requests in flight at once (async calls).
        empty_text: ``"error"`` or ``"zeros"`` (see the module docstring).
        user: OpenAI's ``user`` field, when set.
        extra_body: Gateway-specific fields merged into every request body last.
        timeout: Read timeout per request, in seconds (None: the config's).
    """

    model: str
    dimensions: int | None = None
    encoding_format: EncodingFormat | None = "float"
    batch_size: int = DEFAULT_BATCH_SIZE
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    empty_text: EmptyText = "error"
    user: str | None = None
    extra_body: Mapping[str, Any] | None = None
    timeout: float | None = None
    profile: ModelProfile = field(default_factory=ModelProfile, compare=False, repr=False)

    def body(self, inputs: list[str]) -> dict[str, Any]:
        """The JSON body of one request."""
        body: dict[str, Any] = {"model": self.model, "input": inputs}
        if self.encoding_format is not None:
            body["encoding_format"] = self.encoding_format
        if self.dimensions is not None:
            body["dimensions"] = self.dimensions
        if self.user is not None:
            body["user"] = self.user
        if self.extra_body:
            body.update(self.extra_body)
        return body


@dataclass
class EmbeddingResult:
    """Vectors in input order, with what the gateway reported about them.

    ``usage`` sums ``prompt_tokens`` / ``total_tokens`` over every request of the call.
    """

    vectors: list[Vector]
    model: str | None = None
    usage: dict[str, int] = field(default_factory=dict)
    request_ids: list[str] = field(default_factory=list)

    @property
    def dimension(self) -> int | None:
        """Length of the vectors (None for an empty result)."""
        return len(self.vectors[0]) if self.vectors else None


def check_model(model: object) -> str:
    """A model name, or an :class:`InvalidRequestError` before anything is sent."""
    if not isinstance(model, str) or not model.strip() or any(c.isspace() for c in model):
        raise InvalidRequestError(
            f"model must be a model name such as 'text-embedding-3-small', got {model!r}. "
            "`gateway-kit models` lists the gateway's models.")
    return model


def _positive(name: str, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise InvalidRequestError(f"{name} must be a positive integer, got {value!r}.")


def make_embed_call(
    model: str,
    *,
    dimensions: int | None = None,
    encoding_format: EncodingFormat | None = "float",
    batch_size: int | None = None,
    max_concurrency: int | None = None,
    empty_text: EmptyText = "error",
    user: str | None = None,
    extra_body: Mapping[str, Any] | None = None,
    timeout: float | None = None,
    profile: Mapping[str, Any] | ModelProfile | None = None,
) -> EmbedCall:
    """An :class:`EmbedCall` with its settings checked and the batch size resolved.

    ``batch_size=None`` means 64, or less when the model's profile says the provider accepts
    fewer inputs per request; an explicit ``batch_size`` is used as given. ``profile`` is a
    :class:`ModelProfile` or overrides of the resolved one (``{"embedding_batch_size": 10}``).
    """
    check_model(model)
    resolved = resolve_profile(model, profile)
    _positive("dimensions", dimensions)
    _positive("batch_size", batch_size)
    _positive("max_concurrency", max_concurrency)
    if encoding_format not in ("float", "base64", None):
        raise InvalidRequestError(
            f"encoding_format must be 'float', 'base64' or None, got {encoding_format!r}.")
    if empty_text not in ("error", "zeros"):
        raise InvalidRequestError(f"empty_text must be 'error' or 'zeros', got {empty_text!r}.")
    if batch_size is None:
        batch_size = min(DEFAULT_BATCH_SIZE, resolved.embedding_batch_size or DEFAULT_BATCH_SIZE)
    return EmbedCall(
        model=model, dimensions=dimensions, encoding_format=encoding_format,
        batch_size=batch_size, max_concurrency=max_concurrency or DEFAULT_MAX_CONCURRENCY,
        empty_text=empty_text, user=user, extra_body=extra_body, timeout=timeout,
        profile=resolved,
    )


# --------------------------------------------------------------------------- decoding


def decode_base64_vector(text: str) -> Vector:
    """A base64 string of little-endian float32 values, as a list of floats."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ResponseFormatError(
            f"An embedding came back as a string that is not valid base64 ({exc})."
        ) from None
    if len(raw) % 4:
        raise ResponseFormatError(
            f"A base64 embedding decoded to {len(raw)} bytes, not a whole number of float32 "
            "values: the gateway's base64 answer is corrupt. Try encoding_format='float'."
        )
    values = array("f")
    values.frombytes(raw)
    if _BIG_ENDIAN:  # pragma: no cover - the wire format is little-endian
        values.byteswap()
    return values.tolist()


def add_usage(totals: dict[str, int], usage: Any) -> None:
    """Add one answer's token counts to a call's totals: a call split into several requests
    is billed for each (embeddings and rerank alike)."""
    if not isinstance(usage, Mapping):
        return
    for key in ("prompt_tokens", "total_tokens"):
        value = usage.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            totals[key] = totals.get(key, 0) + value


def describe_positions(positions: Sequence[int]) -> str:
    """``[0, 1, 2, 5, 7, 8]`` -> ``"0-2, 5, 7-8"`` (for error messages)."""
    ordered = sorted(positions)
    spans: list[str] = []
    start = previous = None
    for position in ordered:
        if start is not None and previous is not None and position == previous + 1:
            previous = position
            continue
        if start is not None:
            spans.append(f"{start}-{previous}" if start != previous else f"{start}")
        start = previous = position
    if start is not None:
        spans.append(f"{start}-{previous}" if start != previous else f"{start}")
    if len(spans) > 12:
        spans = [*spans[:12], f"… ({len(ordered)} in all)"]
    return ", ".join(spans)


def _vector_of(item: Any, position: int) -> Vector:
    if not isinstance(item, Mapping):
        raise ResponseFormatError(
            f"data[{position}] of the embeddings answer is not an object: {str(item)[:80]!r}.")
    embedding = item.get("embedding")
    if isinstance(embedding, list):
        # One cheap look at the first value catches nested lists or strings without a
        # per-float pass over the whole vector.
        if embedding and not isinstance(embedding[0], (float, int)):
            raise ResponseFormatError(
                f"data[{position}].embedding holds {type(embedding[0]).__name__} values, "
                "not numbers.")
        return embedding
    if isinstance(embedding, str):
        return decode_base64_vector(embedding)
    raise ResponseFormatError(
        f"data[{position}] of the embeddings answer has no embedding vector "
        f"(got {type(embedding).__name__}).")


def parse_embeddings(body: Any, expected: int, *, where: str = "") -> list[Vector]:
    """The vectors of one answer, in input order (by ``index``), checked for count and length.

    ``expected`` is the number of inputs sent. Items without ``index`` are taken in answer order
    (only when none has one). Raises :class:`ResponseFormatError` naming what is wrong.
    """
    prefix = f"{where}: " if where else ""
    data = body.get("data") if isinstance(body, Mapping) else None
    if not isinstance(data, list):
        found = sorted(body)[:8] if isinstance(body, Mapping) else type(body).__name__
        raise ResponseFormatError(
            f"{prefix}the embeddings answer has no 'data' list (found {found}). Check that the "
            "model is an embedding model and that the base URL points at the gateway's API.")
    if len(data) != expected:
        hint = (" An empty answer often means the upstream did not accept the input format."
                if not data else "")
        raise ResponseFormatError(
            f"{prefix}the gateway returned {len(data)} embeddings for {expected} inputs.{hint}")
    first = data[0] if data else None
    if isinstance(first, Mapping) and first.get("index") is None:
        return [_vector_of(item, position) for position, item in enumerate(data)]
    ordered: list[Vector | None] = [None] * expected
    for position, item in enumerate(data):
        if not isinstance(item, Mapping):
            _vector_of(item, position)  # raises: says the item is not an object
        index = item.get("index")
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < expected:
            raise ResponseFormatError(
                f"{prefix}data[{position}] has index {index!r}; expected an integer in "
                f"0..{expected - 1}.")
        if ordered[index] is not None:
            raise ResponseFormatError(f"{prefix}the embeddings answer repeats index {index}.")
        ordered[index] = _vector_of(item, position)
    return ordered  # type: ignore[return-value]  # every slot was filled exactly once


def _check_finite(vectors: list[Vector], positions: list[int], texts: Sequence[str],
                  where: str) -> None:
    """No NaN or infinity reaches an index: one C-speed sum per vector (NaN and infinity
    survive a sum), a per-value look only to name the culprit."""
    for vector, position in zip(vectors, positions, strict=True):
        if math.isfinite(sum(vector)):
            continue
        bad = next((i for i, v in enumerate(vector) if not math.isfinite(v)), None)
        value = vector[bad] if bad is not None else "a sum beyond the float range"
        raise ResponseFormatError(
            f"{where}: the vector of input {position} ({texts[position][:40]!r}) holds "
            f"{value!r} at dimension {bad}: an upstream fault, never handed to an index. "
            "Retry, or embed that input again.")


def _check_dimensions(vectors: list[Vector], want: int | None, where: str) -> int | None:
    """The common length of ``vectors``; an error if they differ or differ from ``want``."""
    for vector in vectors:
        size = len(vector)
        if want is None:
            want = size
        elif size != want:
            raise ResponseFormatError(
                f"{where}: the gateway returned a {size}-dimensional vector where {want} "
                "dimensions were expected. A relay may route this model name to upstream models "
                "of different sizes; vectors of mixed sizes cannot share an index.")
    if want == 0:
        raise ResponseFormatError(f"{where}: the gateway returned empty vectors.")
    return want


# --------------------------------------------------------------------------- batch limits

# Batch caps learned from refusals, per gateway and model, so later calls start small enough.
_LEARNED_CAPS: dict[tuple[str, str], int] = {}
_CAP_NUMBER = re.compile(
    r"(?:limit of|maximum(?: allowed)?(?: batch)?(?: size)?(?: is)?|larger than|more than|"
    r"at most|max(?:imum)?(?: batch)?(?: size)?(?: is)?|<=?)\s*:?\s*(\d+)")
_BATCH_WORDS = ("batch", "inputs per request", "too many inputs", "input size")


def smaller_batch(error: GatewayError, size: int) -> int | None:
    """The batch size a refusal asks for, or None when the refusal is not about batch size.

    Providers word it differently: SiliconFlow "input batch size 473 > maximum allowed batch
    size 64", DashScope "batch size is invalid, it should not be larger than 10"; a 413 means
    the body is too large. Without a number in the message the batch is halved.
    """
    if size < 2:
        return None
    if isinstance(error, RequestTooLargeError):
        return size // 2
    if not isinstance(error, BadRequestError):
        return None
    text = (error.gateway_message or error.message).lower()
    if not any(word in text for word in _BATCH_WORDS):
        return None
    found = _CAP_NUMBER.search(text)
    cap = int(found.group(1)) if found else 0
    return cap if 0 < cap < size else size // 2


def learned_batch_cap(transport: Transport, model: str) -> int | None:
    """The batch cap this gateway taught us for ``model`` (None if it never refused one)."""
    return _LEARNED_CAPS.get((transport.config.root_url, model))


def _learn_cap(transport: Transport, model: str, cap: int) -> None:
    key = (transport.config.root_url, model)
    if len(_LEARNED_CAPS) < 4096 and cap < _LEARNED_CAPS.get(key, cap + 1):
        _LEARNED_CAPS[key] = cap


# --------------------------------------------------------------------------- planning


@dataclass
class _Plan:
    """Which inputs go in which request, and what has come back so far."""

    texts: Sequence[str]
    call: EmbedCall
    expected_dimension: int | None
    batch_size: int
    batches: list[list[int]] = field(default_factory=list)  # input positions per request
    empty: list[int] = field(default_factory=list)  # positions answered with zero vectors
    vectors: list[Vector | None] = field(default_factory=list)
    model: str | None = None
    usage: dict[str, int] = field(default_factory=dict)
    request_ids: list[str] = field(default_factory=list)
    dimension: int | None = None
    failures: list[tuple[int, GatewayError]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.dimension = self.call.dimensions or self.expected_dimension
        self.vectors = [None] * len(self.texts)
        sent: list[int] = []
        for position, text in enumerate(self.texts):
            if not isinstance(text, str):
                kind = type(text).__name__
                raise InvalidRequestError(
                    f"Input {position} is a {kind}, not a string: embeddings are requested for "
                    "raw text (never token ids). Convert each input to str.")
            if text:
                sent.append(position)
            elif self.call.empty_text == "zeros":
                self.empty.append(position)
        if len(sent) + len(self.empty) != len(self.texts):
            missing = [p for p, t in enumerate(self.texts) if not t]
            raise InvalidRequestError(
                f"Input(s) {describe_positions(missing)} are empty strings, which gateways "
                "refuse. Drop them, or pass empty_text='zeros' to get zero vectors for them.")
        size = self.batch_size
        self.batches = [sent[i:i + size] for i in range(0, len(sent), size)]

    def label(self, number: int, positions: list[int]) -> str:
        label = f"Embedding input(s) {describe_positions(positions)}"
        if len(self.batches) > 1:
            label += f" (request {number + 1} of {len(self.batches)})"
        return label

    def request_body(self, positions: list[int]) -> dict[str, Any]:
        return self.call.body([self.texts[p] for p in positions])

    def accept(self, where: str, positions: list[int], response: Response) -> None:
        """Read one request's answer into place (or raise a ResponseFormatError)."""
        try:
            body = response.json()
            vectors = parse_embeddings(body, len(positions), where=where)
            self.dimension = _check_dimensions(vectors, self.dimension, where)
            _check_finite(vectors, positions, self.texts, where)
        except ResponseFormatError as error:
            error.request_id = error.request_id or response.request_id
            error.status_code = error.status_code or response.status_code
            raise
        for position, vector in zip(positions, vectors, strict=True):
            self.vectors[position] = vector
        if response.request_id:
            self.request_ids.append(response.request_id)
        model = body.get("model")
        if isinstance(model, str) and model:
            self.model = model
        add_usage(self.usage, body.get("usage"))

    def within_cap(self, transport: Transport, positions: list[int]) -> list[list[int]] | None:
        """``positions`` cut to a cap learned since the batches were planned (else None)."""
        cap = learned_batch_cap(transport, self.call.model)
        if cap is None or len(positions) <= cap:
            return None
        return [positions[i:i + cap] for i in range(0, len(positions), cap)]

    def split(self, transport: Transport, error: GatewayError, positions: list[int],
              where: str) -> list[list[int]] | None:
        """Smaller requests for ``positions`` when the gateway refused the batch size."""
        cap = smaller_batch(error, len(positions))
        if cap is None:
            return None
        _learn_cap(transport, self.call.model, cap)
        logger.warning("%s: the gateway refused %d inputs per request; retrying as batches of %d "
                       "(remembered for %s)", where, len(positions), cap, self.call.model)
        return [positions[i:i + cap] for i in range(0, len(positions), cap)]

    def finish(self) -> EmbeddingResult:
        if self.empty:
            if self.dimension is None and not self.failures:
                self.dimension = self.call.profile.embedding_dimensions
                if self.dimension is None:
                    raise InvalidRequestError(
                        "Every input is an empty string and the vector size is unknown: pass "
                        "dimensions=... to get zero vectors, or drop the empty inputs.")
            if self.dimension is not None:
                for position in self.empty:
                    self.vectors[position] = [0.0] * self.dimension
        if self.failures:
            raise self._failure()
        return EmbeddingResult(
            vectors=self.vectors,  # type: ignore[arg-type]  # all filled when nothing failed
            model=self.model or self.call.model, usage=self.usage,
            request_ids=self.request_ids,
        )

    def _failure(self) -> GatewayError:
        """The first failure, told which inputs it cost, with everything received attached."""
        self.failures.sort(key=lambda item: item[0])
        first, error = self.failures[0]
        missing = [p for p, v in enumerate(self.vectors) if v is None]
        failed = {p for number, _ in self.failures for p in self.batches[number]
                  if self.vectors[p] is None}
        unsent = [p for p in missing if p not in failed]
        notes = []
        if len(self.failures) > 1:
            others = describe_positions(sorted(failed - set(self.batches[first])))
            notes.append(f"{len(self.failures) - 1} more request(s) failed too (inputs {others}).")
        if unsent:
            notes.append(f"Input(s) {describe_positions(unsent)} were not sent.")
        received = len(self.vectors) - len(missing)
        if received:
            notes.append(f"The {received} embedding(s) received are kept on error.partial "
                         "(None where missing); error.failed_inputs lists the rest.")
        if notes:
            error.message = f"{error.message} {' '.join(notes)}"
            error.args = (error.message,)
        # Attached, not subclassed: the error keeps its type (RateLimitError, QuotaExceeded…).
        setattr(error, "failed_inputs", missing)  # noqa: B010
        setattr(error, "partial", list(self.vectors))  # noqa: B010
        return error


def _encode_failure(plan: _Plan, positions: list[int],
                    exc: UnicodeEncodeError) -> InvalidRequestError:
    for position in positions:
        try:
            plan.texts[position].encode("utf-8")
        except UnicodeEncodeError:
            return InvalidRequestError(
                f"Input {position} is not valid UTF-8 text (lone surrogate at character "
                f"{exc.start}); decode the source with the right encoding or errors='replace'.")
    return InvalidRequestError(f"An input could not be encoded as UTF-8 ({exc}).")


# --------------------------------------------------------------------------- running


def _send(transport: Transport, plan: _Plan, number: int, positions: list[int]) -> None:
    """One request (the transport retries it); a refused batch size is split and re-sent."""
    parts = plan.within_cap(transport, positions)
    if parts is not None:
        for part in parts:
            _send(transport, plan, number, part)
        return
    where = plan.label(number, positions)
    try:
        response = transport.request(
            "POST", EMBEDDINGS_PATH, json=plan.request_body(positions),
            timeout=plan.call.timeout, what=where,
        )
    except InvalidRequestError as exc:
        if isinstance(exc.__cause__, UnicodeEncodeError):  # name the input, not the JSON
            raise _encode_failure(plan, positions, exc.__cause__) from None
        raise
    except GatewayError as error:
        parts = plan.split(transport, error, positions, where)
        if parts is None:
            raise
        for part in parts:
            _send(transport, plan, number, part)
        return
    plan.accept(where, positions, response)


async def _asend(transport: Transport, plan: _Plan, number: int, positions: list[int]) -> None:
    """Async twin of :func:`_send`."""
    parts = plan.within_cap(transport, positions)
    if parts is not None:
        for part in parts:
            await _asend(transport, plan, number, part)
        return
    where = plan.label(number, positions)
    try:
        response = await transport.arequest(
            "POST", EMBEDDINGS_PATH, json=plan.request_body(positions),
            timeout=plan.call.timeout, what=where,
        )
    except InvalidRequestError as exc:
        if isinstance(exc.__cause__, UnicodeEncodeError):  # name the input, not the JSON
            raise _encode_failure(plan, positions, exc.__cause__) from None
        raise
    except GatewayError as error:
        parts = plan.split(transport, error, positions, where)
        if parts is None:
            raise
        for part in parts:
            await _asend(transport, plan, number, part)
        return
    plan.accept(where, positions, response)


def embed(
    transport: Transport,
    texts: Sequence[str],
    call: EmbedCall,
    *,
    expected_dimension: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> EmbeddingResult:
    """Embed ``texts`` in batches, one request after another.

    ``expected_dimension`` (e.g. what an earlier call returned) makes a vector of another length
    an error. ``on_progress(n)`` is called with the number of inputs each finished batch
    covered. A batch size the gateway refuses ("maximum allowed batch size 64") is split, and
    the cap remembered for the model. On a failure no further batch is sent; see the module
    docstring for the error.
    """
    plan = _start(transport, texts, call, expected_dimension)
    for number, positions in enumerate(plan.batches):
        try:
            _send(transport, plan, number, positions)
        except GatewayError as error:
            plan.failures.append((number, error))
            break
        if on_progress is not None:
            on_progress(len(positions))
    return plan.finish()


async def aembed(
    transport: Transport,
    texts: Sequence[str],
    call: EmbedCall,
    *,
    expected_dimension: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> EmbeddingResult:
    """Async twin of :func:`embed`: up to ``call.max_concurrency`` requests in flight.

    After a batch fails for good no new batch is started; the ones in flight finish, and their
    vectors are kept on the error.
    """
    plan = _start(transport, texts, call, expected_dimension)
    pending = iter(enumerate(plan.batches))
    unexpected: list[BaseException] = []

    async def worker() -> None:
        for number, positions in pending:
            if plan.failures or unexpected:
                return
            try:
                await _asend(transport, plan, number, positions)
            except GatewayError as error:
                plan.failures.append((number, error))
                return
            except Exception as exc:  # a bug must not leave sibling workers running unseen
                unexpected.append(exc)
                return
            if on_progress is not None:
                on_progress(len(positions))

    workers = min(call.max_concurrency, len(plan.batches))
    if workers:
        await asyncio.gather(*(worker() for _ in range(workers)))
    if unexpected:
        raise unexpected[0]
    return plan.finish()


def _start(transport: Transport, texts: Sequence[str], call: EmbedCall,
           expected_dimension: int | None) -> _Plan:
    if isinstance(texts, (str, bytes)) or not isinstance(texts, Sequence):
        raise InvalidRequestError(
            "texts must be a list of strings; to embed one string, pass [text] or use "
            "embed_query.")
    learned = learned_batch_cap(transport, call.model)
    size = min(call.batch_size, learned) if learned else call.batch_size
    return _Plan(texts=texts, call=call, expected_dimension=expected_dimension, batch_size=size)
