"""The one HTTP layer: a shared sync client and per-event-loop async clients for each config.

Sending the same HTTP request again is decided here and nowhere else. (Three layers above try
again for reasons of their own, each with a new request: the chat call drops a parameter the
gateway refused, ``chat/learned.py``; embeddings split a refused batch size; the task engine
re-submits a create the gateway refused without accepting it, and the poller tolerates a few
failed polls of a paid task.) The policy (``RetryPolicy``):

* retried: 408, 429, 500, 502, 503, 504, 520-524, connection failures, read timeouts, and
  errors that mean saturation or "no channel right now" whatever their status;
* never retried: 400, 401, 403 (quota included), 404, 413, 422;
* backoff: exponential with full jitter, ``Retry-After`` honoured when sent, all within the
  config's overall ``deadline``;
* a request marked ``idempotent=False`` (a paid media create) is retried only when the failure
  happened before its body could have left this machine (connect errors, pool timeouts). Once
  the body may have reached the gateway, the error is raised, so nothing is paid for twice.

The API key is added per request, and only to URLs on the gateway's own origin, so following a
result URL on a CDN never leaks it. With ``rate_limit`` set, every attempt to the gateway first
waits for its slot under the key's shared limit (:mod:`gateway_core.coordination.pacing`).

Lifecycle: one transport per config and process. A forked child gets fresh pools (the parent's
are never touched); a transport pickles as its config; each event loop gets its own async client,
built off the loop and closed in the loop when the loop shuts down.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import json
import logging
import math
import os
import random
import ssl
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from . import pool
from ._version import __version__
from .bodies import SNIFF_BYTES, body_kind, body_text, charset_of
from .config import GatewayConfig
from .coordination.pacing import Pacer, Ticket
from .errors import (
    APIError,
    DeadlineExceededError,
    GatewayConnectionError,
    GatewayError,
    GatewayTimeoutError,
    InvalidRequestError,
    ResponseFormatError,
    ResponseTooLargeError,
    TransportError,
    error_from_response,
    find_error_in_body,
    redact,
)
from .sse import ServerSentEvent, SSEDecoder
from .suggestions import model_asked, name_closest, wants_suggestions

__all__ = ["Response", "RetryPolicy", "StreamResponse", "Transport", "get_transport"]

logger = logging.getLogger("gateway_core")
# A library logs, the application decides where it goes: without this, Python's last-resort
# handler prints every retry warning on stderr of programs that never configured logging.
logger.addHandler(logging.NullHandler())

REQUEST_ID_HEADER = "x-oneapi-request-id"
_USER_AGENT = f"ai-gateway-kit/{__version__} httpx/{httpx.__version__}"


class Response:
    """A fully read gateway response. ``json()`` is parsed once and cached."""

    __slots__ = ("_json", "content", "headers", "request_id", "status_code", "url")

    def __init__(self, status_code: int, headers: httpx.Headers, content: bytes, url: str) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content
        self.url = url
        self.request_id: str | None = headers.get(REQUEST_ID_HEADER)
        self._json: Any = _UNSET

    def json(self) -> Any:
        """The body as JSON; a :class:`ResponseFormatError` if it is not JSON."""
        if self._json is _UNSET:
            try:
                self._json = json.loads(_json_source(self.content, self.content_type))
            except ValueError:
                snippet = self.content[:200].decode("utf-8", "replace")
                raise ResponseFormatError(
                    f"The gateway answered HTTP {self.status_code} with a body that is not JSON: "
                    f"{snippet!r}. Check that the base URL points at the API, not a web page.",
                    status_code=self.status_code,
                    request_id=self.request_id,
                ) from None
        return self._json

    @property
    def content_type(self) -> str:
        return str(self.headers.get("content-type", ""))


_UNSET: Any = object()


def _json_source(content: bytes, content_type: str) -> bytes | str:
    """What ``json.loads`` reads: the bytes themselves when they are UTF-8 (json detects it and
    a BOM; no decoded copy of a large answer), else the text in the declared charset."""
    return content if charset_of(content_type) == "utf-8" else body_text(content, content_type)


def _retry_after(headers: httpx.Headers) -> float | None:
    """Seconds the gateway asked to wait: ``retry-after-ms`` (OpenAI's, more precise) first,
    then ``Retry-After`` in seconds or as an HTTP date."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            value = float(milliseconds) / 1000
        except ValueError:
            value = -1.0
        if math.isfinite(value) and value >= 0:
            return value
    return _parse_retry_after(headers.get("retry-after"))


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class RetryPolicy:
    """Decides whether and when to try again. Shared by the sync and async paths."""

    def __init__(self, config: GatewayConfig) -> None:
        self.max_retries = config.max_retries
        self.max_wait = config.max_retry_wait
        self.base = config.backoff_base
        self.cap = config.backoff_max
        self.deadline = config.deadline

    def start(self) -> float | None:
        """The monotonic time by which the whole call must be over."""
        return None if self.deadline is None else time.monotonic() + self.deadline

    def delay(
        self,
        error: GatewayError,
        attempt: int,
        *,
        idempotent: bool,
        body_sent: bool,
        deadline: float | None,
        retry_after: float | None = None,
    ) -> float | None:
        """Seconds to wait before the next attempt, or None to give up and raise ``error``."""
        if attempt >= self.max_retries or not error.retryable:
            return None
        if body_sent and not idempotent:
            return None
        wait = random.uniform(0.0, min(self.cap, self.base * (2**attempt)))
        if retry_after is not None:
            if retry_after > self.max_wait:  # the caller schedules it, not a sleeping call
                return None
            wait = max(wait, retry_after)
        if deadline is not None and time.monotonic() + wait >= deadline:
            return None
        return wait


@functools.lru_cache(maxsize=256)
def _parsed_url(url: str) -> httpx.URL:
    """A URL parsed once: a handful of routes carry every request (httpx.URL is immutable)."""
    return httpx.URL(url)


def _build_request(client: httpx.Client | httpx.AsyncClient, method: str, url: str, *,
                   headers: Mapping[str, str], timeout: httpx.Timeout,
                   **body: Any) -> httpx.Request:
    """What ``client.build_request`` builds (the client's headers and cookies, our timeout),
    without its per-call merging work: the URL is already absolute and parsed once, the
    client has no base URL or default parameters. ``body``: json, data, files, params."""
    ours = {name.lower() for name in headers}
    merged = [(name.decode("latin-1"), value.decode("latin-1"))
              for name, value in client.headers.raw if name.lower().decode() not in ours]
    merged.extend(headers.items())
    try:
        return httpx.Request(method, _parsed_url(url), headers=merged,
                             cookies=client.cookies or None,
                             extensions={"timeout": timeout.as_dict()}, **body)
    except UnicodeEncodeError as error:
        # A lone surrogate (text decoded with errors="surrogateescape", or cut out of a
        # UTF-16 pair) cannot go on the wire as UTF-8: say where, before anything is sent.
        bad = error.object[max(0, error.start - 20):error.end + 20]
        raise InvalidRequestError(
            f"The request contains text that is not valid Unicode near {bad!r} (a lone "
            "surrogate, often from bytes decoded with errors='surrogateescape'): decode the "
            "input as UTF-8 with errors='replace', or clean it, and try again.") from error


class _Outgoing:
    """One call's request as every attempt sends it: method, absolute URL, headers (the
    gateway's own only for its origin) and body arguments (json, data, files, params)."""

    __slots__ = ("body", "headers", "method", "url")

    def __init__(self, method: str, url: str, headers: dict[str, str],
                 body: dict[str, Any]) -> None:
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body

    def build(self, client: httpx.Client | httpx.AsyncClient,
              timeout: httpx.Timeout) -> httpx.Request:
        return _build_request(client, self.method, self.url, headers=self.headers,
                              timeout=timeout, **self.body)


def _map_exception(exc: httpx.HTTPError, what: str, timeout: float) -> tuple[GatewayError, bool]:
    """Translate an httpx exception; the flag (also the error's ``body_sent``) says whether the
    body may have been sent: the one place that decides it."""
    error, sent = _translate(exc, what, timeout)
    error.body_sent = sent
    return error, sent


def _translate(exc: httpx.HTTPError, what: str, timeout: float) -> tuple[GatewayError, bool]:
    name = type(exc).__name__
    target = f"{what}: " if what else ""
    if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        return GatewayTimeoutError(
            f"{target}could not connect to the gateway in time ({name}). Check the base URL, "
            "your network and proxy settings."
        ), False
    if isinstance(exc, (httpx.ConnectError, httpx.ProxyError)):
        return GatewayConnectionError(
            f"{target}could not connect to the gateway ({name}: {exc}). Check the base URL, "
            "your network and proxy settings."
        ), False
    if isinstance(exc, httpx.ReadTimeout):
        return GatewayTimeoutError(
            f"{target}no response from the gateway within {timeout:g} s. The model may be slow: "
            "raise timeout, or stream the answer."
        ), True
    if isinstance(exc, httpx.WriteTimeout):
        return GatewayTimeoutError(f"{target}sending the request timed out ({name})."), True
    if isinstance(exc, (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)):
        return GatewayConnectionError(
            f"{target}the connection to the gateway dropped before a complete response "
            f"({name}: {exc})."
        ), True
    if isinstance(exc, httpx.DecodingError):
        return ResponseFormatError(f"{target}the response could not be decoded ({exc})."), True
    error = TransportError(f"{target}HTTP failure ({name}: {exc}).")
    error.retryable = False
    return error, True


class StreamResponse:
    """An open streaming response. Iterate :meth:`events` (or :meth:`aevents`) once."""

    __slots__ = ("_chunks", "_deadline", "_head", "_owner", "_response", "body", "headers",
                 "request_id", "status_code")

    def __init__(self, response: httpx.Response, owner: Transport, body: bytes | None = None,
                 *, head: bytes = b"", chunks: Any = None, deadline: float | None = None) -> None:
        self._response = response
        self._owner = owner
        # What was read to tell what the body is, then the iterator of the rest (one iterator:
        # httpx refuses a second iteration of a streamed body).
        self._head = head
        self._chunks = chunks
        self._deadline = deadline
        self.status_code = response.status_code
        self.headers = response.headers
        self.request_id: str | None = response.headers.get(REQUEST_ID_HEADER)
        self.body = body
        """The whole body when the gateway answered JSON instead of a stream, else None."""

    def _broken(self, exc: httpx.HTTPError) -> GatewayError:
        if self._overdue():
            return self._past_deadline()
        idle = self._owner.config.stream_idle_timeout
        if isinstance(exc, httpx.ReadTimeout):
            error: GatewayError = GatewayTimeoutError(
                f"The stream went silent for more than {idle:g} s (stream_idle_timeout)."
            )
        else:
            error = GatewayConnectionError(
                f"The stream's connection dropped ({type(exc).__name__}: {exc})."
            )
        error.request_id = self.request_id
        return error

    def _overdue(self) -> bool:
        return self._deadline is not None and time.monotonic() >= self._deadline

    def _past_deadline(self) -> DeadlineExceededError:
        error = DeadlineExceededError(
            f"The stream was still running when the call's deadline of "
            f"{self._owner.config.deadline:g} s passed; what it delivered is on the error "
            "(partial_text). Raise deadline for longer answers (stream_idle_timeout bounds "
            "each silence, deadline the whole call).")
        error.request_id = self.request_id
        return error

    def _text(self) -> str:
        assert self.body is not None
        return body_text(self.body, str(self.headers.get("content-type", "")))

    def events(self) -> Iterator[ServerSentEvent]:
        """Server-sent events as they arrive; a stream break raises a :class:`GatewayError`,
        and so does the call's ``deadline`` passing while the stream still runs.

        A gateway that ignored ``stream: true`` and answered one JSON document yields it as a
        single event, so a whole ``chat.completion`` still reaches the caller.
        """
        if self.body is not None:
            yield ServerSentEvent(self._text())
            return
        decoder = SSEDecoder(max_event_bytes=self._owner.config.max_response_bytes)
        yield from decoder.feed(self._head)
        try:
            for chunk in self._body_chunks():
                yield from decoder.feed(chunk)
                if self._overdue():
                    raise self._past_deadline()
        except httpx.HTTPError as exc:
            raise self._broken(exc) from exc
        yield from decoder.flush()

    async def aevents(self) -> AsyncIterator[ServerSentEvent]:
        """Async twin of :meth:`events`."""
        if self.body is not None:
            yield ServerSentEvent(self._text())
            return
        decoder = SSEDecoder(max_event_bytes=self._owner.config.max_response_bytes)
        for event in decoder.feed(self._head):
            yield event
        try:
            async for chunk in self._abody_chunks():
                for event in decoder.feed(chunk):
                    yield event
                if self._overdue():
                    raise self._past_deadline()
        except httpx.HTTPError as exc:
            raise self._broken(exc) from exc
        for event in decoder.flush():
            yield event

    def _body_chunks(self) -> Iterator[bytes]:
        chunks: Iterator[bytes] = self._chunks or self._response.iter_bytes()
        return chunks

    def _abody_chunks(self) -> AsyncIterator[bytes]:
        chunks: AsyncIterator[bytes] = self._chunks or self._response.aiter_bytes()
        return chunks

    # A download's size, not a model, decides how long it takes: binary bodies are bounded by
    # the idle timeout between chunks, not by the call's deadline.
    def iter_bytes(self) -> Iterator[bytes]:
        """The raw body, for binary downloads."""
        if self.body is not None:
            yield self.body
            return
        if self._head:
            yield self._head
        try:
            yield from self._body_chunks()
        except httpx.HTTPError as exc:
            raise self._broken(exc) from exc

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        """Async twin of :meth:`iter_bytes`."""
        if self.body is not None:
            yield self.body
            return
        if self._head:
            yield self._head
        try:
            async for chunk in self._abody_chunks():
                yield chunk
        except httpx.HTTPError as exc:
            raise self._broken(exc) from exc


def _sniff(chunks: Iterator[bytes]) -> bytes:
    """Read just enough of a body to tell what it is (see :mod:`gateway_core.bodies`)."""
    head, seen = bytearray(), 0
    for chunk in chunks:
        head += chunk
        seen = _significant(seen, chunk)
        if seen >= SNIFF_BYTES:
            break
    return bytes(head)


async def _asniff(chunks: AsyncIterator[bytes]) -> bytes:
    """Async twin of :func:`_sniff`."""
    head, seen = bytearray(), 0
    async for chunk in chunks:
        head += chunk
        seen = _significant(seen, chunk)
        if seen >= SNIFF_BYTES:
            break
    return bytes(head)


def _significant(seen: int, chunk: bytes) -> int:
    """Significant bytes so far: after a BOM and whitespace (keep-alive newlines before the
    first event). Each chunk is looked at once, so a body of tiny chunks costs linear time."""
    return seen + len(chunk if seen else chunk.lstrip(b"\xef\xbb\xbf \t\r\n"))


class Transport:
    """HTTP access to one gateway: JSON, multipart and streaming requests with the retry policy.

    Get one with :func:`get_transport`; objects built from equal configs share it.
    """

    def __init__(self, config: GatewayConfig, *,
                 http_transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
                 ) -> None:
        self.config = config
        # httpx's own plug (``httpx.MockTransport``, a custom or instrumented transport): the
        # sync client uses it if it is a BaseTransport, the async clients if it is an
        # AsyncBaseTransport (MockTransport is both). Everything else (headers, hooks, retries,
        # limits) stays the same.
        self.http_transport = http_transport
        self.policy = RetryPolicy(config)
        self._secrets = config.secrets
        self._secret_bytes = _secret_forms(self._secrets)
        # The gateway's model names, read once after a model it does not serve (suggestions).
        self._models: list[str] | None = None
        # Sent to the gateway's own origin only: the key, and the configured headers (gateways
        # such as Portkey route and authenticate by header).
        self._home = {"Authorization": f"Bearer {config.secret}", **dict(config.headers)}
        self._home_names = tuple(self._home)
        self._root = config.root_url
        root = httpx.URL(self._root)
        self._home_origin = (root.scheme, root.host, root.port)
        # The base URL's own path (``/api``, ``/openai``): a missing route under it is likely
        # a wrong base URL (errors.BaseURLError).
        self._base_path = root.path.rstrip("/")
        self._ssl: ssl.SSLContext | None = None
        self._fresh_pools()
        _EVERY.add(self)
        self.timeout = httpx.Timeout(config.timeout, connect=config.connect_timeout)
        self.stream_timeout = httpx.Timeout(
            config.stream_idle_timeout, connect=config.connect_timeout
        )

    def __repr__(self) -> str:
        return f"Transport({self._root!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Pools, locks and sockets belong to one process: the receiving process gets (or
        # makes) its own transport for the same config.
        return (get_transport, (self.config,))

    # ------------------------------------------------------------------ lifecycle

    def _fresh_pools(self) -> None:
        """Forget every client (a new object, or a child after fork: the parent's connections
        and locks are never touched, so the parent keeps using its own)."""
        self._pid = os.getpid()
        self._sync: httpx.Client | None = None
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
            weakref.WeakKeyDictionary()
        )
        self._closers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()
        limit = self.config.rate_limit
        self.pacer: Pacer | None = Pacer(limit, self.config.secret) if limit else None

    def _check_pid(self) -> None:
        # register_at_fork resets every transport in a forked child; this also covers a
        # transport reached through a path that ran before the hook (os.fork in C code).
        if self._pid != os.getpid():
            self._fresh_pools()

    def ssl_context(self) -> ssl.SSLContext:
        """The TLS settings, built once per transport and shared by its sync and async clients
        (loading the CA bundle costs tens of milliseconds; a new event loop must not pay it)."""
        context = self._ssl
        if context is not None:
            return context
        with _SSL_LOCK:  # built once, however many loops ask at the same time
            if self._ssl is not None:
                return self._ssl
            verify = self.config.verify
            if isinstance(verify, str):
                context = ssl.create_default_context(cafile=verify)
            elif isinstance(verify, ssl.SSLContext):
                context = verify
            else:
                context = httpx.create_ssl_context(verify=bool(verify))
            self._ssl = context
        return context

    # ------------------------------------------------------------------ clients

    def _client_options(self) -> dict[str, Any]:
        config = self.config
        options: dict[str, Any] = {
            "headers": {"User-Agent": _USER_AGENT},
            "timeout": self.timeout,
            "follow_redirects": True,
            "limits": httpx.Limits(max_connections=config.max_connections,
                                   max_keepalive_connections=config.max_keepalive_connections),
        }
        if config.proxy:
            options["proxy"] = config.proxy
        options["verify"] = self.ssl_context()
        return options

    def _sync_options(self) -> dict[str, Any]:
        options = self._client_options()
        if isinstance(self.http_transport, httpx.BaseTransport):
            options["transport"] = self.http_transport
        elif pool.serves(self.config.proxy):
            options["transport"] = pool.sync_transport(options["verify"], options["limits"])
        return options

    def _keep_home(self, request: httpx.Request) -> None:
        """Every request, redirect hops included: the gateway's headers never leave its origin
        (httpx drops only ``Authorization`` on a cross-origin redirect)."""
        if not self._at_home(request.url):
            for name in self._home_names:
                request.headers.pop(name, None)

    async def _akeep_home(self, request: httpx.Request) -> None:
        self._keep_home(request)

    @property
    def sync_client(self) -> httpx.Client:
        """The shared sync client (created on first use; a new one in a forked child)."""
        self._check_pid()
        client = self._sync
        if client is None:
            with self._lock:
                if self._sync is None:
                    self._sync = httpx.Client(
                        **self._sync_options(), event_hooks={"request": [self._keep_home]})
                client = self._sync
        return client

    @property
    def async_client(self) -> httpx.AsyncClient:
        """The async client of the running event loop (one per loop, created on first use).

        The client is closed inside its loop when the loop shuts down (``asyncio.run`` and
        ``asyncio.Runner`` call ``shutdown_asyncgens``), so repeated ``asyncio.run()`` calls
        never pile up connections. Requests use :meth:`aclient`, which builds it off the loop.
        """
        self._check_pid()
        loop = asyncio.get_running_loop()
        client = self._async.get(loop)
        if client is None or client.is_closed:
            client = self._adopt(loop, self._new_async_client())
        return client

    def _new_async_client(self) -> httpx.AsyncClient:
        options = self._client_options()
        if isinstance(self.http_transport, httpx.AsyncBaseTransport):
            options["transport"] = self.http_transport
        elif pool.serves(self.config.proxy):
            options["transport"] = pool.async_transport(options["verify"], options["limits"])
        return httpx.AsyncClient(**options, event_hooks={"request": [self._akeep_home]})

    async def aclient(self) -> httpx.AsyncClient:
        """:attr:`async_client`, built in a worker thread the first time in each loop: loading
        the TLS context and httpx's async machinery takes tens of milliseconds, which would
        stall every other task of the loop."""
        self._check_pid()
        loop = asyncio.get_running_loop()
        client = self._async.get(loop)
        if client is not None and not client.is_closed:
            return client
        # An AsyncClient binds to no loop until its first request, so a thread may build it.
        built = await asyncio.to_thread(self._new_async_client)
        return self._adopt(loop, built)

    def _adopt(self, loop: asyncio.AbstractEventLoop, client: httpx.AsyncClient
               ) -> httpx.AsyncClient:
        """Make ``client`` the loop's (unless another task of the loop got there first)."""
        with self._lock:
            current = self._async.get(loop)
            if current is not None and not current.is_closed:
                return current  # the spare one holds no connection yet: nothing to close
            self._forget_closed_loops()
            self._async[loop] = client
            self._closers[loop] = _close_at_loop_shutdown(self, loop, client)
        return client

    def _forget_closed_loops(self) -> None:
        # A loop closed without shutdown_asyncgens (loop.close() by hand): its client can no
        # longer be closed in its loop; drop it so it is not kept alive with the loop forever.
        for loop in [loop for loop in self._async if loop.is_closed()]:
            self._async.pop(loop, None)
            self._closers.pop(loop, None)

    def _loop_closed(self, loop: asyncio.AbstractEventLoop, client: httpx.AsyncClient) -> None:
        with self._lock:
            if self._async.get(loop) is client:
                del self._async[loop]
            self._closers.pop(loop, None)

    def close(self) -> None:
        """Close the sync client's connections now (a later call opens new ones).

        Async clients close with :meth:`aclose` in their loop, or by themselves when their
        loop shuts down.
        """
        self._check_pid()
        with self._lock:
            client, self._sync = self._sync, None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close the async client of the running loop (a later call opens a new one)."""
        self._check_pid()
        loop = asyncio.get_running_loop()
        with self._lock:
            client = self._async.pop(loop, None)
            closer = self._closers.pop(loop, None)
        if client is not None:
            await client.aclose()
        if closer is not None:
            await closer.aclose()

    # ------------------------------------------------------------------ rate limit

    def _pace(self, attempts: _Attempts, body: Any, headers: Mapping[str, str]) -> None:
        """Wait for this attempt's slot under the key's rate limit (gateway requests only)."""
        if self.pacer is not None and "Authorization" in headers:
            attempts.ticket = self.pacer.before(body)
            if attempts.ticket.wait > 0:
                time.sleep(attempts.ticket.wait)

    async def _apace(self, attempts: _Attempts, body: Any, headers: Mapping[str, str]) -> None:
        """Async twin of :meth:`_pace` (a Redis round trip runs off the event loop)."""
        if self.pacer is not None and "Authorization" in headers:
            pacer = self.pacer
            attempts.ticket = (await asyncio.to_thread(pacer.before, body) if pacer.shared
                               else pacer.before(body))
            if attempts.ticket.wait > 0:
                await asyncio.sleep(attempts.ticket.wait)

    # ------------------------------------------------------------------ helpers

    def url(self, path: str) -> str:
        """Absolute URL for a gateway path (``/v1/...``, ``/mj/...``) or an absolute URL."""
        if path.startswith(("http://", "https://")):
            return path
        return self._root + path

    def is_gateway_url(self, url: str) -> bool:
        """True if ``url`` is on the gateway's own origin (only then is the key sent)."""
        return self._at_home(httpx.URL(url))

    def _at_home(self, url: httpx.URL) -> bool:
        return (url.scheme, url.host, url.port) == self._home_origin

    def _headers(self, path: str, url: str, extra: Mapping[str, str] | None) -> dict[str, str]:
        relative = path[:1] == "/"
        headers = dict(self._home) if relative or self.is_gateway_url(url) else {}
        if extra:
            headers.update(extra)
        return headers

    def _api_error(self, response: Response, what: str) -> APIError:
        return error_from_response(
            response.status_code,
            response.content,
            content_type=response.content_type,
            request_id=response.request_id,
            secrets=self._secrets,
            what=what,
            base_path=self._base_path,
        )

    def _check(self, response: Response, what: str, check_body: bool) -> GatewayError | None:
        """The error a response represents, if any (non-2xx, or an error object in a 200)."""
        status = response.status_code
        if status >= 400 or status < 200:
            return self._api_error(response, what)
        kind = body_kind(response.content[:64])
        if kind == "html":  # a web front end or a proxy's page is never an API answer
            return self._api_error(response, what)
        if check_body and kind == "json":
            try:
                body = response.json()
            except ResponseFormatError:
                return None
            info = find_error_in_body(body)
            if info is not None:
                return error_from_response(
                    status, response.content, request_id=response.request_id,
                    secrets=self._secrets, what=what, info=info,
                )
        return None

    def scrub(self, content: bytes) -> bytes:
        """A read body with every secret replaced by ``***``: a gateway that echoes the key (in
        a task's failure reason, an error, any field) must not hand it to the journal, a tool's
        output, an exception or a log. One search per secret; nothing is copied when absent."""
        for secret in self._secret_bytes:
            if secret in content:
                content = content.replace(secret, b"***")
        return content

    def _suggest(self, error: APIError, body: Any) -> None:
        """Name the listed models closest to the one asked for (the list is read once)."""
        asked = model_asked(body)
        if asked is None:
            return
        if self._models is None:
            try:
                self._models = _model_names(self.request(
                    "GET", "/v1/models", timeout=_MODEL_LIST_TIMEOUT,
                    what="Listing models for a suggestion"))
            except GatewayError:
                return  # the suggestion is a courtesy: never mask the error being raised
        name_closest(error, asked, self._models)

    async def _asuggest(self, error: APIError, body: Any) -> None:
        """Async twin of :meth:`_suggest`."""
        asked = model_asked(body)
        if asked is None:
            return
        if self._models is None:
            try:
                self._models = _model_names(await self.arequest(
                    "GET", "/v1/models", timeout=_MODEL_LIST_TIMEOUT,
                    what="Listing models for a suggestion"))
            except GatewayError:
                return
        name_closest(error, asked, self._models)

    def finish(self, error: GatewayError, attempts: int) -> GatewayError:
        """The error to raise after ``attempts`` tries: redacted, with the attempt count."""
        message = redact(error.message, self._secrets)
        if attempts > 1:
            message = f"{message} (gave up after {attempts} attempts)"
        error.message = message
        error.args = (message,)
        error.attempts = attempts
        return error

    # ------------------------------------------------------------------ plain requests

    def _too_large(self, raw: httpx.Response, what: str) -> ResponseTooLargeError:
        limit = self.config.max_response_bytes
        return ResponseTooLargeError(
            f"{what or 'The request'}: the gateway's answer is larger than {limit:,} bytes "
            f"(status {raw.status_code}, request id {raw.headers.get(REQUEST_ID_HEADER)}); "
            "reading stopped. Raise max_response_bytes if this answer is expected.")

    def _size_limit(self, raw: httpx.Response, what: str) -> int:
        """``max_response_bytes``; a body announced larger is refused before it is read."""
        limit = self.config.max_response_bytes
        declared = raw.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise self._too_large(raw, what)
        return limit

    def _read_capped(self, raw: httpx.Response, what: str, chunks: Iterable[bytes] | None = None,
                     head: bytes = b"") -> bytes:
        """The whole body (``head``: what was already read of ``chunks``), up to the cap."""
        limit, size, parts = self._size_limit(raw, what), len(head), [head]
        if size > limit:  # the head alone (one read) can already be too much
            raise self._too_large(raw, what)
        for chunk in raw.iter_bytes() if chunks is None else chunks:
            size += len(chunk)
            if size > limit:
                raise self._too_large(raw, what)
            parts.append(chunk)
        return b"".join(parts)

    async def _aread_capped(self, raw: httpx.Response, what: str,
                            chunks: AsyncIterator[bytes] | None = None, head: bytes = b"") -> bytes:
        """Async twin of :meth:`_read_capped`."""
        limit, size, parts = self._size_limit(raw, what), len(head), [head]
        if size > limit:
            raise self._too_large(raw, what)
        async for chunk in raw.aiter_bytes() if chunks is None else chunks:
            size += len(chunk)
            if size > limit:
                raise self._too_large(raw, what)
            parts.append(chunk)
        return b"".join(parts)

    def _timeout(self, timeout: float | None) -> httpx.Timeout:
        if timeout is None:
            return self.timeout
        return httpx.Timeout(timeout, connect=self.config.connect_timeout)

    def _outgoing(self, method: str, path: str, headers: Mapping[str, str] | None,
                  **body: Any) -> _Outgoing:
        url = self.url(path)
        return _Outgoing(method, url, self._headers(path, url, headers), body)

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = True,
        timeout: float | None = None,
        check_body: bool = True,
        what: str = "",
    ) -> Response:
        """Send one request with retries and return the read response, or raise its error.

        A model the gateway does not serve gets the closest names it lists on its error."""
        out = self._outgoing(method, path, headers, json=json, data=data, files=files,
                             params=params)
        try:
            return self._request(out, self._timeout(timeout), idempotent, check_body, what)
        except APIError as error:
            if wants_suggestions(error):
                self._suggest(error, json)
            raise

    def _request(self, out: _Outgoing, timeout: httpx.Timeout, idempotent: bool,
                 check_body: bool, what: str) -> Response:
        client = self.sync_client
        attempts = _Attempts(self, out.method, out.url, what, idempotent, timeout.read)
        while True:
            self._pace(attempts, out.body["json"], out.headers)
            request = out.build(client, attempts.capped(timeout))
            try:
                raw = client.send(request, stream=True)
                try:
                    content = self._read_capped(raw, what)
                finally:
                    raw.close()
            except httpx.HTTPError as exc:
                time.sleep(attempts.after_exception(exc))
                continue
            response = attempts.received(raw, content)
            failure = self._check(response, what, check_body)
            if failure is None:
                return response
            time.sleep(attempts.after_failure(failure, raw.headers))

    async def arequest(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = True,
        timeout: float | None = None,
        check_body: bool = True,
        what: str = "",
    ) -> Response:
        """Async twin of :meth:`request`; never blocks the event loop."""
        out = self._outgoing(method, path, headers, json=json, data=data, files=files,
                             params=params)
        try:
            return await self._arequest(out, self._timeout(timeout), idempotent, check_body,
                                        what)
        except APIError as error:
            if wants_suggestions(error):
                await self._asuggest(error, json)
            raise

    async def _arequest(self, out: _Outgoing, timeout: httpx.Timeout, idempotent: bool,
                        check_body: bool, what: str) -> Response:
        client = await self.aclient()
        attempts = _Attempts(self, out.method, out.url, what, idempotent, timeout.read)
        while True:
            await self._apace(attempts, out.body["json"], out.headers)
            request = out.build(client, attempts.capped(timeout))
            try:
                raw = await client.send(request, stream=True)
                try:
                    content = await self._aread_capped(raw, what)
                finally:
                    await raw.aclose()
            except httpx.HTTPError as exc:
                await asyncio.sleep(attempts.after_exception(exc))
                continue
            response = attempts.received(raw, content)
            failure = self._check(response, what, check_body)
            if failure is None:
                return response
            await asyncio.sleep(attempts.after_failure(failure, raw.headers))

    # ------------------------------------------------------------------ streaming

    @contextmanager
    def stream(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = True,
        events: bool = False,
        what: str = "",
    ) -> Iterator[StreamResponse]:
        """Open a streaming response. Retries happen only before the first byte of the body.

        ``events=True`` (an event stream is expected): the body's first bytes, not its
        Content-Type, decide whether it is a stream, a whole JSON answer, or an error page.
        """
        out = self._outgoing(method, path, headers, json=json, params=params)
        try:
            with self._stream(out, idempotent, events, what) as response:
                yield response
        except APIError as error:
            if wants_suggestions(error):
                self._suggest(error, json)
            raise

    @contextmanager
    def _stream(self, out: _Outgoing, idempotent: bool, events: bool, what: str
                ) -> Iterator[StreamResponse]:
        client = self.sync_client
        attempts = _Attempts(self, out.method, out.url, what, idempotent,
                             self.stream_timeout.read)
        while True:
            self._pace(attempts, out.body["json"], out.headers)
            request = out.build(client, attempts.capped(self.stream_timeout))
            raw: httpx.Response | None = None
            try:
                raw = client.send(request, stream=True)
                opened = self._open(raw, attempts, what, events)
            except httpx.HTTPError as exc:
                if raw is not None:
                    raw.close()
                time.sleep(attempts.after_exception(exc))
                continue
            except BaseException:  # a body too large, a bug: the connection goes back closed
                if raw is not None:
                    raw.close()
                raise
            if isinstance(opened, StreamResponse):
                try:
                    yield opened
                finally:
                    raw.close()
                return
            raw.close()
            time.sleep(attempts.after_failure(opened, raw.headers))

    @asynccontextmanager
    async def astream(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = True,
        events: bool = False,
        what: str = "",
    ) -> AsyncIterator[StreamResponse]:
        """Async twin of :meth:`stream`."""
        out = self._outgoing(method, path, headers, json=json, params=params)
        try:
            async with self._astream(out, idempotent, events, what) as response:
                yield response
        except APIError as error:
            if wants_suggestions(error):
                await self._asuggest(error, json)
            raise

    @asynccontextmanager
    async def _astream(self, out: _Outgoing, idempotent: bool, events: bool, what: str
                       ) -> AsyncIterator[StreamResponse]:
        client = await self.aclient()
        attempts = _Attempts(self, out.method, out.url, what, idempotent,
                             self.stream_timeout.read)
        while True:
            await self._apace(attempts, out.body["json"], out.headers)
            request = out.build(client, attempts.capped(self.stream_timeout))
            raw: httpx.Response | None = None
            try:
                raw = await client.send(request, stream=True)
                opened = await self._aopen(raw, attempts, what, events)
            except httpx.HTTPError as exc:
                if raw is not None:
                    await raw.aclose()
                await asyncio.sleep(attempts.after_exception(exc))
                continue
            except BaseException:
                if raw is not None:
                    await raw.aclose()
                raise
            if isinstance(opened, StreamResponse):
                try:
                    yield opened
                finally:
                    await raw.aclose()
                return
            await raw.aclose()
            await asyncio.sleep(attempts.after_failure(opened, raw.headers))

    def _open(self, raw: httpx.Response, attempts: _Attempts, what: str, events: bool
              ) -> StreamResponse | GatewayError:
        """The stream to hand out, or the failure to retry or raise (reads at most the head
        of a streamed body; a whole body only when it is not a stream)."""
        chunks = raw.iter_bytes()
        head = _sniff(chunks) if events and _success(raw) else b""
        if self._streams(raw, head, events):
            attempts.received(raw, b"")
            return StreamResponse(raw, self, head=head, chunks=chunks,
                                  deadline=attempts.deadline)
        content = self._read_capped(raw, what, chunks, head)
        return self._opened(attempts.received(raw, content), raw, what, events)

    async def _aopen(self, raw: httpx.Response, attempts: _Attempts, what: str, events: bool
                     ) -> StreamResponse | GatewayError:
        """Async twin of :meth:`_open`."""
        chunks = raw.aiter_bytes()
        head = await _asniff(chunks) if events and _success(raw) else b""
        if self._streams(raw, head, events):
            attempts.received(raw, b"")
            return StreamResponse(raw, self, head=head, chunks=chunks,
                                  deadline=attempts.deadline)
        content = await self._aread_capped(raw, what, chunks, head)
        return self._opened(attempts.received(raw, content), raw, what, events)

    @staticmethod
    def _streams(raw: httpx.Response, head: bytes, events: bool) -> bool:
        """Whether a response is handed out as it arrives: an event stream (by its bytes), or
        a binary download (anything 2xx not labelled JSON)."""
        if not _success(raw):
            return False
        if events:
            return body_kind(head) in ("sse", "empty")
        return not _is_json(raw)

    def _opened(self, response: Response, raw: httpx.Response, what: str, events: bool
                ) -> StreamResponse | GatewayError:
        """A whole body where a stream was asked for: a JSON answer, or the error it is."""
        if not _success(raw):
            return self._error_of(response, what)
        failure = self._check(response, what, check_body=True)
        if failure is None and events and body_kind(response.content[:64]) != "json":
            failure = self._not_a_stream(response, what)
        return failure or StreamResponse(raw, self, body=response.content)

    def _not_a_stream(self, response: Response, what: str) -> ResponseFormatError:
        snippet = redact(body_text(response.content[:300], response.content_type), self._secrets)
        return ResponseFormatError(
            f"{what or 'The request'}: the gateway answered HTTP {response.status_code} with a "
            f"body that is neither an event stream nor JSON: {snippet!r}. Check that the base "
            "URL points at the API.", status_code=response.status_code,
            request_id=response.request_id)

    def _error_of(self, response: Response, what: str) -> GatewayError:
        return self._check(response, what, check_body=False) or self._api_error(response, what)


_MODEL_LIST_TIMEOUT = 10.0


def _model_names(response: Response) -> list[str]:
    from .catalog import parse_models  # catalog reads profiles; only needed on this path

    return [model.id for model in parse_models(response.json())]


def _secret_forms(secrets: tuple[str, ...]) -> tuple[bytes, ...]:
    """The byte forms :meth:`Transport.scrub` looks for: each secret, and the key without its
    ``sk-`` prefix (as :func:`~gateway_core.errors.redact` does for text)."""
    forms: list[bytes] = []
    for secret in secrets:
        forms.append(secret.encode())
        bare = secret[3:] if secret.startswith("sk-") else ""
        if len(bare) >= 8:
            forms.append(bare.encode())
    return tuple(forms)


def _success(raw: httpx.Response) -> bool:
    return 200 <= raw.status_code < 300


def _is_json(raw: httpx.Response) -> bool:
    """A JSON body where a stream was asked for: an error in a 200, or streaming ignored."""
    return "json" in raw.headers.get("content-type", "")


class _Attempts:
    """The bookkeeping of one call's attempts: logging, the retry decision, giving up.

    ``after_exception`` / ``after_failure`` return the seconds to sleep before the next attempt,
    or raise the final (redacted) error; the sync and async loops only differ in how they sleep.
    """

    __slots__ = ("attempt", "deadline", "idempotent", "method", "started", "ticket", "timeout",
                 "transport", "url", "what")

    def __init__(
        self, transport: Transport, method: str, url: str, what: str, idempotent: bool,
        timeout: float | None,
    ) -> None:
        self.transport = transport
        self.method = method
        self.url = url
        self.what = what
        self.idempotent = idempotent
        self.timeout = timeout or 0.0
        self.attempt = 0
        self.ticket: Ticket | None = None
        self.deadline = transport.policy.start()
        self.started = time.perf_counter()

    def capped(self, timeout: httpx.Timeout) -> httpx.Timeout:
        """This attempt's timeouts, none longer than what is left of the overall deadline."""
        if self.deadline is None:
            return timeout
        left = self.deadline - time.monotonic()
        if left <= 0.001:
            raise DeadlineExceededError(
                f"{self.what or self.method + ' ' + self.url}: the overall deadline of "
                f"{self.transport.config.deadline:g} s passed before the next attempt. Raise "
                "deadline or lower max_retries.")

        def cap(value: float | None) -> float:
            return left if value is None else min(value, left)

        self.timeout = cap(timeout.read)
        return httpx.Timeout(connect=cap(timeout.connect), read=cap(timeout.read),
                             write=cap(timeout.write), pool=cap(timeout.pool))

    def received(self, raw: httpx.Response, content: bytes) -> Response:
        content = self.transport.scrub(content)
        response = Response(raw.status_code, raw.headers, content, self.url)
        self._log(raw.status_code, response.request_id)
        pacer, ticket = self.transport.pacer, self.ticket
        if pacer is not None and ticket is not None:
            pacer.after(ticket, raw.status_code, _retry_after(raw.headers), content)
        return response

    def after_exception(self, exc: httpx.HTTPError) -> float:
        error, sent = _map_exception(exc, self.what, self.timeout)
        self._log(type(exc).__name__, None)
        return self._next(error, sent, None, exc)

    def after_failure(self, failure: GatewayError, headers: httpx.Headers) -> float:
        retry_after = _retry_after(headers)
        failure.retry_after = retry_after
        return self._next(failure, True, retry_after, None)

    def _next(
        self, error: GatewayError, sent: bool, retry_after: float | None,
        cause: BaseException | None,
    ) -> float:
        policy = self.transport.policy
        wait = policy.delay(error, self.attempt, idempotent=self.idempotent, body_sent=sent,
                            deadline=self.deadline, retry_after=retry_after)
        if wait is None:
            raise self.transport.finish(error, self.attempt + 1) from cause
        logger.warning(
            "Retrying %s %s after %s (retry %d of %d) in %.2f s",
            self.method, self.what or self.url, type(error).__name__, self.attempt + 1,
            policy.max_retries, wait,
        )
        self.attempt += 1
        self.started = time.perf_counter()
        return wait

    def _log(self, status: int | str, request_id: str | None) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            elapsed = (time.perf_counter() - self.started) * 1000
            logger.debug("%s %s -> %s in %.0f ms (request id %s)", self.method, self.url, status,
                         elapsed, request_id)


# Objects built from equal configs share one transport (one connection pool). A transport stays
# registered while anything uses it (weak map) and, among the last _KEEP_RECENT configs, even when
# nothing does, so that building a fresh adapter per call still reuses warm connections; an app
# that makes a config per user or per key therefore does not grow the registry without bound.
_KEEP_RECENT = 64
_REGISTRY: weakref.WeakValueDictionary[GatewayConfig, Transport] = weakref.WeakValueDictionary()
_RECENT: OrderedDict[GatewayConfig, Transport] = OrderedDict()
_REGISTRY_LOCK = threading.Lock()


_EVERY: weakref.WeakSet[Transport] = weakref.WeakSet()
_SSL_LOCK = threading.Lock()
@atexit.register
def _close_at_exit() -> None:
    """Close the pooled sync connections when the interpreter exits, so a script or CLI command
    ends without ``ResourceWarning: unclosed <socket…>``."""
    with _REGISTRY_LOCK:
        transports = {id(t): t for t in [*_REGISTRY.values(), *_RECENT.values()]}
    for transport in transports.values():
        transport.close()


def get_transport(config: GatewayConfig) -> Transport:
    """The transport shared by every object built with an equal config (in this process)."""
    with _REGISTRY_LOCK:
        transport = _REGISTRY.get(config)
        if transport is None:
            transport = Transport(config)
            _REGISTRY[config] = transport
        _RECENT[config] = transport
        _RECENT.move_to_end(config)
        while len(_RECENT) > _KEEP_RECENT:
            _RECENT.popitem(last=False)
    return transport


def _close_at_loop_shutdown(transport: Transport, loop: asyncio.AbstractEventLoop,
                            client: httpx.AsyncClient) -> Any:
    """An async generator parked at its first ``yield`` in ``loop``.

    Event loops track live async generators and close them in ``shutdown_asyncgens()``, which
    ``asyncio.run`` calls before closing the loop: the ``finally`` then closes ``client`` in
    its own loop, the only place an async client can be closed cleanly. The transport keeps the
    generator alive (loops hold them weakly).
    """

    async def closer() -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            transport._loop_closed(loop, client)
            await client.aclose()

    generator = closer()
    try:  # run it to its first yield now; the loop's firstiter hook registers it
        generator.asend(None).send(None)
    except StopIteration:
        pass
    return generator


def _after_fork_in_child() -> None:
    # The child must not touch anything the parent's threads may have held at fork time
    # (locks, pools mid-request): new lock, fresh pools in every transport.
    global _REGISTRY_LOCK, _SSL_LOCK
    _REGISTRY_LOCK, _SSL_LOCK = threading.Lock(), threading.Lock()
    for transport in list(_EVERY):
        transport._fresh_pools()


if hasattr(os, "register_at_fork"):  # POSIX; Windows only spawns
    os.register_at_fork(after_in_child=_after_fork_in_child)
