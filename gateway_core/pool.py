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
cap, and never closes a connection a request is waiting to use. It is the only change; the
pools' I/O, timeouts and errors stay httpcore's. HTTP/1.1 only (the transport never enables
HTTP/2, whose connections take many requests each). A proxy keeps httpcore's own pool.
"""

from __future__ import annotations

import ssl
import time
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
             max_idle: int, create: Any, *, sweep: bool = False) -> list[_C]:
    """One pass of the pool: give waiting requests a connection, return the ones to close.

    ``connections`` is updated in place; ``requests`` are httpcore's pool requests (a request
    waits while its ``connection`` is ``None``); ``create`` opens a connection for an origin.
    Linear in connections plus requests. A socket is polled only for the idle connection about
    to be reused, and for every idle one when ``sweep`` is set (the pool sets it now and then,
    so connections past their keep-alive expiry are closed even when none is reused).
    """
    spoken_for = {id(r.connection) for r in requests if r.connection is not None}
    live = [c for c in connections if not c.is_closed()]
    idle = [c for c in live if id(c) not in spoken_for and c.is_idle()]
    closing: list[_C] = []
    if sweep:
        fresh: list[_C] = []
        for candidate in idle:
            (closing if candidate.has_expired() else fresh).append(candidate)
        idle = fresh
    for waiting in [r for r in requests if r.connection is None]:
        origin = waiting.request.url.origin
        connection = _reuse(idle, origin, closing)
        if connection is None:
            if len(live) - len(closing) >= max_connections:
                if not idle:
                    continue  # stays queued until a response closes
                closing.append(idle.pop(0))  # make room: the oldest idle, another origin
            connection = create(origin)
            live.append(connection)
        waiting.assign_to_connection(connection)
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


_PASS_READS = ("_connections", "_requests", "_max_connections", "_max_keepalive_connections",
               "_assign_requests_to_connections", "create_connection")


def _fits(pool: object) -> bool:
    """Whether this httpcore keeps the pool state :func:`hand_out` reads (1.0.3 to 1.0.9 do);
    a release that renamed it keeps its own pass rather than fail on every request."""
    return all(hasattr(pool, name) for name in _PASS_READS)


def sync_transport(context: ssl.SSLContext, limits: httpx.Limits) -> httpx.HTTPTransport:
    """An httpx transport on a :class:`GatewayPool` (direct connections, no proxy)."""
    transport = httpx.HTTPTransport(verify=context, limits=limits)
    ours = GatewayPool(**_pool_options(context, limits))
    if _fits(ours):
        transport._pool = ours
    return transport


def async_transport(context: ssl.SSLContext, limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """Async twin of :func:`sync_transport`."""
    transport = httpx.AsyncHTTPTransport(verify=context, limits=limits)
    ours = AsyncGatewayPool(**_pool_options(context, limits))
    if _fits(ours):
        transport._pool = ours
    return transport
