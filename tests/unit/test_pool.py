"""The pool's hand-out pass (gateway_core.pool.hand_out), on stand-in connections.

httpcore's own pass gives one idle connection to every waiting request of a burst, polls every
idle socket on every pass, counts all connections against the keep-alive cap and may close a
connection a request is about to use (issue #18 item 3). Each rule below is one of those fixed.
"""

from __future__ import annotations

import ssl
import sys
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx
import pytest

from gateway_core import pool as gateway_pool
from gateway_core.pool import hand_out
from tests.unit.test_linear_time import assert_linear

HOME = "https://gateway.example"
CDN = "https://cdn.example"


@dataclass(eq=False)
class Conn:
    origin: str = HOME
    state: str = "idle"  # new | active | idle | closed
    expired: bool = False
    polls: int = 0

    def is_closed(self) -> bool:
        return self.state == "closed"

    def is_idle(self) -> bool:
        return self.state == "idle"

    def has_expired(self) -> bool:
        self.polls += 1
        return self.expired

    def can_handle_request(self, origin: httpcore.Origin) -> bool:
        return origin == httpcore.URL(self.origin).origin


@dataclass(eq=False)
class Waiting:
    url: str = HOME
    connection: Conn | None = None
    request: httpcore.Request = field(init=False)

    def __post_init__(self) -> None:
        self.request = httpcore.Request("POST", self.url + "/v1/chat/completions")

    def assign_to_connection(self, connection: Conn | None) -> None:
        self.connection = connection


def running(connections: list[Conn]) -> list[Waiting]:
    """The requests running on ``connections`` (a pool holds one per busy connection)."""
    return [Waiting(connection=c) for c in connections]


class Pool:
    def __init__(self, connections: list[Conn], requests: list[Waiting], *,
                 max_connections: int = 100, max_idle: int = 20) -> None:
        self.connections, self.requests = connections, requests
        self.max_connections, self.max_idle = max_connections, max_idle
        self.created: list[Conn] = []

    def create(self, origin: httpcore.Origin) -> Conn:
        connection = Conn(origin=f"{origin.scheme.decode()}://{origin.host.decode()}", state="new")
        self.created.append(connection)
        return connection

    def run(self, *, sweep: bool = False) -> list[Conn]:
        return hand_out(self.connections, self.requests, self.max_connections, self.max_idle,
                        self.create, sweep=sweep)


def test_an_idle_connection_goes_to_one_waiting_request() -> None:
    idle = [Conn(), Conn()]
    burst = [Waiting() for _ in range(5)]
    pool = Pool(list(idle), burst)
    assert pool.run() == []
    given = [w.connection for w in burst]
    assert len({id(c) for c in given}) == 5, "a connection was given to two requests"
    assert sorted(map(id, idle)) == sorted(id(c) for c in given if c in idle)
    assert len(pool.created) == 3
    assert pool.connections == idle + pool.created


def test_waiting_requests_stay_queued_at_max_connections() -> None:
    busy = [Conn(state="active") for _ in range(3)]
    burst = [Waiting(), Waiting()]
    pool = Pool(list(busy), [*running(busy), *burst], max_connections=3)
    assert pool.run() == []
    assert [w.connection for w in burst] == [None, None]
    assert pool.created == []
    busy[0].state = "closed"  # a response ended with its connection
    del pool.requests[0]
    pool.run()
    assert burst[0].connection is pool.created[0]
    assert burst[1].connection is None
    assert pool.connections == busy[1:] + pool.created


def test_only_idle_connections_count_against_the_keepalive_cap() -> None:
    busy = [Conn(state="active") for _ in range(30)]
    connections = busy + [Conn() for _ in range(5)]
    pool = Pool(list(connections), running(busy), max_idle=20)
    assert pool.run() == []
    assert pool.connections == connections


def test_surplus_idle_connections_close_oldest_first() -> None:
    idle = [Conn() for _ in range(25)]
    pool = Pool(list(idle), [], max_idle=20)
    assert pool.run() == idle[:5]
    assert pool.connections == idle[5:]


def test_a_connection_handed_to_a_waiting_request_is_never_closed() -> None:
    handed = Conn()  # idle until its request starts on it (encode/httpcore#1110)
    started_later = Waiting(connection=handed)
    newcomer = Waiting()
    pool = Pool([handed], [started_later, newcomer], max_connections=1, max_idle=0)
    assert pool.run() == []
    assert pool.connections == [handed]
    assert newcomer.connection is None, "the newcomer must wait, not take or close it"


def test_sockets_are_polled_only_for_the_connection_reused() -> None:
    idle = [Conn() for _ in range(20)]
    pool = Pool(list(idle), [])
    pool.run()
    assert sum(c.polls for c in idle) == 0
    waiting = Waiting()
    pool.requests.append(waiting)
    pool.run()
    assert sum(c.polls for c in idle) == 1
    assert waiting.connection is idle[-1], "the newest idle connection is reused first"


def test_an_expired_idle_connection_is_closed_and_the_next_one_reused() -> None:
    older, newest = Conn(), Conn(expired=True)  # the server closed the newest one
    waiting = Waiting()
    pool = Pool([older, newest], [waiting])
    assert pool.run() == [newest]
    assert waiting.connection is older
    assert pool.connections == [older]


def test_a_sweep_closes_every_idle_connection_past_its_expiry() -> None:
    old, fresh, older = Conn(expired=True), Conn(), Conn(expired=True)
    handed = Conn(expired=True)  # expired too, but a request is about to start on it
    busy = Conn(state="active", expired=True)
    pool = Pool([old, fresh, handed, busy, older], running([handed, busy]))
    assert pool.run() == []
    assert pool.run(sweep=True) == [old, older]
    assert pool.connections == [fresh, handed, busy]
    assert (handed.polls, busy.polls) == (0, 0)


def test_the_pools_sweep_once_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr(gateway_pool, "_now", lambda: clock[0])
    sweeps = gateway_pool.GatewayPool()
    assert sweeps._sweep_due()
    assert not sweeps._sweep_due()
    clock[0] += gateway_pool.SWEEP_SECONDS - 0.01
    assert not sweeps._sweep_due()
    clock[0] += 0.01
    assert sweeps._sweep_due()
    assert not sweeps._sweep_due()


def test_only_a_connection_to_the_same_origin_is_reused() -> None:
    cdn = Conn(origin=CDN)
    waiting = Waiting()
    pool = Pool([cdn], [waiting])
    assert pool.run() == []
    assert waiting.connection is pool.created[0]
    assert cdn.polls == 0
    assert pool.connections == [cdn, pool.created[0]]


def test_room_is_made_by_closing_an_idle_connection_to_another_origin() -> None:
    busy, cdn_idle, cdn_newer = Conn(state="active"), Conn(origin=CDN), Conn(origin=CDN)
    waiting = Waiting()
    pool = Pool([busy, cdn_idle, cdn_newer], [*running([busy]), waiting], max_connections=3)
    assert pool.run() == [cdn_idle]
    assert waiting.connection is pool.created[0]
    assert pool.connections == [busy, cdn_newer, pool.created[0]]


def test_closed_connections_leave_the_pool() -> None:
    kept, gone = Conn(state="active"), Conn(state="closed")
    pool = Pool([gone, kept], running([kept]))
    assert pool.run() == []
    assert pool.connections == [kept]


def test_a_connection_no_request_holds_is_closed_unless_idle() -> None:
    # opened for a request cancelled before it started: without this it would hold its slot
    # of max_connections forever, and with max_connections=1 every later request would wait
    orphan, idle = Conn(state="new"), Conn(origin=CDN)
    waiting = Waiting()
    pool = Pool([orphan, idle], [waiting], max_connections=2)
    assert pool.run() == [orphan]
    assert waiting.connection is pool.created[0]
    assert pool.connections == [idle, pool.created[0]]


def test_a_pass_costs_linear_time() -> None:
    def make(size: int) -> Pool:
        connections = [Conn(state="active" if i % 4 else "idle") for i in range(size)]
        running = [Waiting(connection=c) for c in connections if c.state == "active"]
        return Pool(connections, running, max_connections=10 * size, max_idle=size)

    def run(pool: Pool) -> Any:
        for waiting in pool.requests[-50:]:
            waiting.connection = None  # fifty of them wait again each run
        return pool.run()

    assert_linear(make, run, 2_000)


def test_the_transports_carry_the_pool_and_keep_httpcores_when_it_changed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    context = ssl.create_default_context()
    limits = httpx.Limits(max_connections=9, max_keepalive_connections=7, keepalive_expiry=3.0)

    def settings(pool_: Any) -> tuple[Any, ...]:
        return (pool_._ssl_context, pool_._max_connections, pool_._max_keepalive_connections,
                pool_._keepalive_expiry)

    expected = (context, 9, 7, 3.0)
    ours = [gateway_pool.sync_transport(context, limits)._pool,
            gateway_pool.async_transport(context, limits)._pool]
    assert [type(p) for p in ours] == [gateway_pool.GatewayPool, gateway_pool.AsyncGatewayPool]
    assert [settings(p) for p in ours] == [expected, expected]
    # an httpcore that changed what the pass relies on keeps its own pass, same settings
    with monkeypatch.context() as changed:
        changed.setattr(gateway_pool, "_PASS_READS", ("_requests", "_renamed_state"))
        stock = [gateway_pool.sync_transport(context, limits)._pool,
                 gateway_pool.async_transport(context, limits)._pool]
    assert [type(p) for p in stock] == [httpcore.ConnectionPool, httpcore.AsyncConnectionPool]
    assert [settings(p) for p in stock] == [expected, expected]


@pytest.mark.parametrize("change", ["async request API", "sync request API", "pass renamed",
                                    "pool settings", "modules moved"])
def test_an_httpcore_that_changed_keeps_its_own_pool(change: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from httpcore._async.connection_pool import AsyncPoolRequest
    from httpcore._sync.connection_pool import PoolRequest

    ours = {"sync": True, "async": True}
    if change == "async request API":
        monkeypatch.delattr(AsyncPoolRequest, "assign_to_connection")
        ours["async"] = False
    elif change == "sync request API":
        monkeypatch.delattr(PoolRequest, "assign_to_connection")
        ours["sync"] = False
    elif change == "pass renamed":
        monkeypatch.delattr(httpcore.ConnectionPool, "_assign_requests_to_connections")
        monkeypatch.delattr(httpcore.AsyncConnectionPool, "_assign_requests_to_connections")
        ours = {"sync": False, "async": False}
    elif change == "pool settings":
        options = gateway_pool._pool_options
        monkeypatch.setattr(gateway_pool, "_pool_options",
                            lambda *args: {**options(*args), "renamed_setting": 1})
        ours = {"sync": False, "async": False}
    else:  # the private modules are gone: importing them fails
        monkeypatch.setitem(sys.modules, "httpcore._sync.connection_pool", None)
        ours = {"sync": False, "async": False}
    context, limits = ssl.create_default_context(), httpx.Limits()
    sync = gateway_pool.sync_transport(context, limits)._pool
    async_ = gateway_pool.async_transport(context, limits)._pool
    assert type(sync) is (gateway_pool.GatewayPool if ours["sync"] else httpcore.ConnectionPool)
    assert type(async_) is (gateway_pool.AsyncGatewayPool if ours["async"]
                            else httpcore.AsyncConnectionPool)


_PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy",
                    "all_proxy")


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "http_proxy", "ALL_PROXY"])
def test_a_proxy_in_the_environment_keeps_httpx_own_pools(
        variable: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from gateway_core.config import GatewayConfig
    from gateway_core.transport import Transport

    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    config = GatewayConfig(base_url="https://gateway.example/v1", api_key="sk-test-proxy-env")
    direct = Transport(config).sync_client
    assert type(direct._transport._pool) is gateway_pool.GatewayPool  # type: ignore[attr-defined]
    assert not direct._mounts
    assert gateway_pool.serves(None)
    assert not gateway_pool.serves("http://proxy.example:3128")  # the config's own proxy
    monkeypatch.setenv(variable, "http://proxy.example:3128")
    assert not gateway_pool.serves(None)
    proxied = Transport(config)
    clients: list[Any] = [proxied.sync_client, proxied._new_async_client()]
    for client in clients:
        assert client._mounts, f"{variable} was ignored: requests would skip the proxy"
        assert not isinstance(client._transport._pool,
                              (gateway_pool.GatewayPool, gateway_pool.AsyncGatewayPool))


@pytest.mark.parametrize("kind", [gateway_pool.GatewayPool, gateway_pool.AsyncGatewayPool])
def test_the_pools_run_the_pass_with_their_own_limits(kind: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gateway_pool, "_now", lambda: 50.0)  # every pass at one instant
    real = kind(max_connections=4, max_keepalive_connections=1)
    stale, home = Conn(origin=CDN, expired=True), Conn()  # stale: never reused, only swept
    waiting = [Waiting(), Waiting()]
    real._connections, real._requests = [stale, home], waiting
    assert real._assign_requests_to_connections() == [stale]  # the first pass sweeps
    created = waiting[1].connection
    assert waiting[0].connection is home
    assert created is not None
    assert type(created) is not Conn  # httpcore's own connection, not yet connected
    assert created.can_handle_request(httpcore.URL(HOME).origin)
    assert real._connections == [home, created]
    home.state = "active"  # its request started
    later = Conn(origin=CDN, expired=True)
    real._connections.append(later)
    real._requests = running([home, created])
    assert real._assign_requests_to_connections() == []  # the next pass, at once: no sweep
    home.state = "idle"
    real._requests = running([created])
    assert real._assign_requests_to_connections() == [home]  # one idle kept: the newest
    assert real._connections == [created, later]
