"""The connection pools behind every client: httpcore's pools with a fair, linear hand-out.

httpcore 1.x hands connections to waiting requests in ``_assign_requests_to_connections``, run
on every request and every response close. Three of its habits turn a burst into a queue:

* an idle HTTP/1.1 connection stays "available" until the request given it starts, so one pass
  gives the same idle connection to every waiting request; all but one then fail with
  ``ConnectionNotAvailable``, go back to the queue and run the pass again, one at a time (500
  streams opened while 20 connections sit idle: the last one waits two seconds for its
  connection; with no keep-alive cap, ten);
* it asks every idle connection whether its socket is readable on every pass, hundreds of polls
  per request when many connections are idle;
* it counts all connections, not the idle ones, against ``max_keepalive_connections``, and it
  may close an idle connection already handed to a waiting request (encode/httpcore#1110).

Here the pass gives each idle connection to one request, checks a connection for a server-side
close only when it is about to be reused, counts only idle connections against the keep-alive
cap, never closes a connection a request is waiting to use, and closes one no request holds
that never became idle (opened for a request cancelled before it started, which httpcore keeps
in its count forever). It is the only change; the
pools' I/O, timeouts and errors stay httpcore's. HTTP/1.1 only (the transport never enables
HTTP/2, whose connections take many requests each). A proxy keeps httpcore's own pool
(:func:`serves`).
"""

from __future__ import annotations

import ssl
import time
import urllib.request
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import httpcore
import httpx


class _Connection(Protocol):
    def is_closed(self) -> bool: ...

    def is_idle(self) -> bool: ...

    def has_expired(self) -> bool: ...

    def can_handle_request(self, origin: httpcore.Origin) -> bool: ...


_C = TypeVar("_C", bound=_Connection)


def hand_out(connections: list[_C], requests: list[Any], max_connections: int,
             max_idle: int, create: Callable[[httpcore.Origin], _C], *,
             sweep: bool = False) -> list[_C]:
    """One pass of the pool: give waiting requests a connection, return the ones to close.

    ``connections`` is updated in place; ``requests`` are httpcore's pool requests (a request
    waits while its ``connection`` is ``None``); ``create`` opens a connection for an origin.
    Linear in connections plus requests (each waiting request also scans the idle connections
    to other origins). A socket is polled only for the idle connection about to be reused, and
    for every idle one when ``sweep`` is set (the pool sets it now and then, so connections
    past their keep-alive expiry are closed even when none is reused).
    """
    spoken_for = {id(r.connection) for r in requests if r.connection is not None}
    live = [c for c in connections if not c.is_closed()]
    idle: list[_C] = []
    closing: list[_C] = []
    for connection in live:
        if id(connection) not in spoken_for:
            # Held by no request and not idle: opened for a request cancelled before it
            # started (still unconnected); left alone it would hold its slot forever.
            (idle if connection.is_idle() else closing).append(connection)
    if sweep:
        fresh: list[_C] = []
        for candidate in idle:
            (closing if candidate.has_expired() else fresh).append(candidate)
        idle = fresh
    for waiting in [r for r in requests if r.connection is None]:
        origin = waiting.request.url.origin
        given = _reuse(idle, origin, closing)
        if given is None:
            if len(live) - len(closing) >= max_connections:
                if not idle:
                    continue  # stays queued until a response closes
                closing.append(idle.pop(0))  # make room: the oldest idle, another origin
            given = create(origin)
            live.append(given)
        waiting.assign_to_connection(given)
    closing += idle[:max(0, len(idle) - max_idle)]
    gone = {id(c) for c in closing}
    connections[:] = [c for c in live if id(c) not in gone]
    return closing


def _reuse(idle: list[_C], origin: httpcore.Origin, closing: list[_C]) -> _C | None:
    """The newest idle connection to ``origin`` that is still usable (taken out of ``idle``);
    expired ones met on the way (keep-alive timed out, or closed by the server) are closed."""
    for index in range(len(idle) - 1, -1, -1):
        connection = idle[index]
        if not connection.can_handle_request(origin):
            continue
        del idle[index]
        if not connection.has_expired():
            return connection
        closing.append(connection)
    return None


SWEEP_SECONDS = 1.0
"""How often a pass also polls every idle connection for expiry."""

_now = time.monotonic  # the sweeps' clock (tests set their own)


class _Sweeps:
    """When a pass is due to sweep idle connections (a clock read per pass)."""

    _next_sweep = 0.0

    def _sweep_due(self) -> bool:
        now = _now()
        if now < self._next_sweep:
            return False
        self._next_sweep = now + SWEEP_SECONDS
        return True


class GatewayPool(_Sweeps, httpcore.ConnectionPool):
    """httpcore's sync pool with :func:`hand_out` as its assignment pass."""

    def _assign_requests_to_connections(self) -> list[httpcore.ConnectionInterface]:
        return hand_out(self._connections, self._requests, self._max_connections,
                        self._max_keepalive_connections, self.create_connection,
                        sweep=self._sweep_due())


class AsyncGatewayPool(_Sweeps, httpcore.AsyncConnectionPool):
    """httpcore's async pool with :func:`hand_out` as its assignment pass."""

    def _assign_requests_to_connections(self) -> list[httpcore.AsyncConnectionInterface]:
        return hand_out(self._connections, self._requests, self._max_connections,
                        self._max_keepalive_connections, self.create_connection,
                        sweep=self._sweep_due())


def _pool_options(context: ssl.SSLContext, limits: httpx.Limits) -> dict[str, Any]:
    return {"ssl_context": context, "max_connections": limits.max_connections,
            "max_keepalive_connections": limits.max_keepalive_connections,
            "keepalive_expiry": limits.keepalive_expiry}


_PASS_READS = ("_connections", "_requests", "_max_connections", "_max_keepalive_connections")
"""The pool state :func:`hand_out` reads (httpcore 1.0.3 to 1.0.9 keep it so)."""


def _fits(pool: httpcore.ConnectionPool | httpcore.AsyncConnectionPool) -> bool:
    """Whether this httpcore still works the way :func:`hand_out` assumes: its pool keeps the
    state read, runs the pass this module replaces, and hands connections out through pool
    requests with ``assign_to_connection``. A release that changed any of it keeps its own pass
    rather than fail on every request."""
    try:
        from httpcore._async.connection_pool import AsyncPoolRequest
        from httpcore._sync.connection_pool import PoolRequest
    except ImportError:
        return False
    stock, request = ((httpcore.AsyncConnectionPool, AsyncPoolRequest)
                      if isinstance(pool, httpcore.AsyncConnectionPool)
                      else (httpcore.ConnectionPool, PoolRequest))
    return (all(hasattr(pool, name) for name in _PASS_READS)
            and hasattr(stock, "_assign_requests_to_connections")
            and hasattr(request, "assign_to_connection"))


def serves(proxy: str | None) -> bool:
    """Whether a client gets these pools: direct connections only. A configured proxy, or one
    in the environment (``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``: httpx reads them only
    when it builds its own transport), keeps httpx's."""
    if proxy:
        return False
    found = urllib.request.getproxies()
    return not any(found.get(scheme) for scheme in ("http", "https", "all"))


def sync_transport(context: ssl.SSLContext, limits: httpx.Limits) -> httpx.HTTPTransport:
    """An httpx transport on a :class:`GatewayPool` (direct connections, no proxy)."""
    transport = httpx.HTTPTransport(verify=context, limits=limits)
    ours = _our_pool(GatewayPool, context, limits)
    if ours is not None:
        transport._pool = ours
    return transport


def async_transport(context: ssl.SSLContext, limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """Async twin of :func:`sync_transport`."""
    transport = httpx.AsyncHTTPTransport(verify=context, limits=limits)
    ours = _our_pool(AsyncGatewayPool, context, limits)
    if ours is not None:
        transport._pool = ours
    return transport


_P = TypeVar("_P", GatewayPool, AsyncGatewayPool)


def _our_pool(kind: type[_P], context: ssl.SSLContext, limits: httpx.Limits) -> _P | None:
    """Our pool with the transport's settings, or None where this httpcore no longer fits
    (its pool takes other settings, or keeps other state): the transport keeps its own."""
    try:
        ours = kind(**_pool_options(context, limits))
    except TypeError:
        return None
    return ours if _fits(ours) else None
