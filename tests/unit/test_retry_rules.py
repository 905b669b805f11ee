"""The transport's retry rules at their edges: which failures may have delivered a paid body,
Retry-After in both its forms, the jitter's range, the retry budget and the overall deadline.

Mutation testing showed the scenario tests in test_transport.py pass with several of these rules
broken (a WriteTimeout treated as "not sent" would pay for a video twice); each test here fails
if one of them changes. No sockets, no sleeping: a fake clock replaces the transport's time.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from email.utils import format_datetime

import httpx
import pytest

from gateway_core import errors as e
from gateway_core import transport as transport_module
from gateway_core.config import GatewayConfig
from gateway_core.coordination.pacing import Ticket
from gateway_core.transport import RetryPolicy, _map_exception, _parse_retry_after
from tests.unit.test_transport import KEY, Clock, make, ok, sequence


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(transport_module.time, "sleep", fake.sleep)
    monkeypatch.setattr(transport_module.time, "monotonic", fake.monotonic)
    return fake


def policy(**settings: object) -> RetryPolicy:
    config = GatewayConfig(base_url="https://gw.example", api_key=KEY, **settings)  # type: ignore[arg-type]
    return RetryPolicy(config)


# ------------------------------------------------------------------ may the body have left?

NOT_SENT = [httpx.ConnectTimeout("slow dns"), httpx.PoolTimeout("pool full"),
            httpx.ConnectError("refused"), httpx.ProxyError("proxy said no")]
MAYBE_SENT = [httpx.WriteTimeout("slow upload"), httpx.ReadTimeout("slow model"),
              httpx.ReadError("reset"), httpx.WriteError("broken pipe"),
              httpx.RemoteProtocolError("peer closed"), httpx.DecodingError("bad gzip"),
              httpx.UnsupportedProtocol("ftp://")]


@pytest.mark.parametrize("failure", NOT_SENT, ids=lambda x: type(x).__name__)
def test_connect_phase_failures_are_resent_even_for_a_paid_create(clock: Clock,
                                                                  failure: Exception) -> None:
    transport, seen = make(sequence(failure, ok()))
    assert transport.request("POST", "/v1/videos", json={}, idempotent=False).status_code == 200
    assert len(seen) == 2


@pytest.mark.parametrize("failure", MAYBE_SENT, ids=lambda x: type(x).__name__)
def test_a_paid_create_is_never_resent_once_its_body_may_have_left(clock: Clock,
                                                                   failure: Exception) -> None:
    transport, seen = make(sequence(failure, ok()))
    with pytest.raises(e.GatewayError) as caught:
        transport.request("POST", "/v1/videos", json={}, idempotent=False)
    assert len(seen) == 1
    assert clock.sleeps == []
    assert caught.value.__cause__ is failure
    assert caught.value.body_sent is True  # what the task engine reads to keep it "unknown"


@pytest.mark.parametrize("failure", NOT_SENT, ids=lambda x: type(x).__name__)
def test_an_error_that_never_left_says_so(clock: Clock, failure: Exception) -> None:
    transport, _ = make(sequence(*[failure] * 10))
    with pytest.raises(e.GatewayError) as caught:
        transport.request("POST", "/v1/videos", json={}, idempotent=False)
    assert caught.value.body_sent is False


@pytest.mark.parametrize(("failure", "cls", "retryable", "sent", "words"), [
    (httpx.ConnectTimeout("t"), e.GatewayTimeoutError, True, False,
     "could not connect to the gateway in time (ConnectTimeout)"),
    (httpx.PoolTimeout("t"), e.GatewayTimeoutError, True, False,
     "could not connect to the gateway in time (PoolTimeout)"),
    (httpx.ConnectError("refused"), e.GatewayConnectionError, True, False,
     "could not connect to the gateway (ConnectError: refused)"),
    (httpx.ProxyError("no"), e.GatewayConnectionError, True, False,
     "could not connect to the gateway (ProxyError: no)"),
    (httpx.ReadTimeout("t"), e.GatewayTimeoutError, True, True,
     "no response from the gateway within 2.5 s"),
    (httpx.WriteTimeout("t"), e.GatewayTimeoutError, True, True,
     "sending the request timed out (WriteTimeout)"),
    (httpx.ReadError("reset"), e.GatewayConnectionError, True, True,
     "the connection to the gateway dropped before a complete response (ReadError: reset)"),
    (httpx.WriteError("pipe"), e.GatewayConnectionError, True, True, "(WriteError: pipe)"),
    (httpx.RemoteProtocolError("closed"), e.GatewayConnectionError, True, True,
     "(RemoteProtocolError: closed)"),
    (httpx.DecodingError("gzip"), e.ResponseFormatError, False, True,
     "the response could not be decoded (gzip)"),
    (httpx.UnsupportedProtocol("ftp"), e.TransportError, False, True,
     "HTTP failure (UnsupportedProtocol: ftp)"),
])
def test_each_httpx_failure_maps_to_one_error(failure: httpx.HTTPError, cls: type,
                                             retryable: bool, sent: bool, words: str) -> None:
    error, body_sent = _map_exception(failure, "Creating a video", 2.5)
    assert type(error) is cls
    assert (error.retryable, body_sent, error.body_sent) == (retryable, sent, sent)
    assert error.message.startswith("Creating a video: ")
    assert words in error.message
    bare, _ = _map_exception(failure, "", 2.5)
    assert not bare.message.startswith(":")
    assert bare.message == error.message.removeprefix("Creating a video: ")


def test_connection_advice_names_what_to_check() -> None:
    for failure in (httpx.ConnectTimeout("t"), httpx.ConnectError("refused")):
        error, _ = _map_exception(failure, "", 1)
        assert error.message.endswith(
            "Check the base URL, your network and proxy settings.")
    slow, _ = _map_exception(httpx.ReadTimeout("t"), "", 30)
    assert slow.message.endswith("The model may be slow: raise timeout, or stream the answer.")


# ------------------------------------------------------------------ Retry-After


def test_retry_after_in_seconds() -> None:
    assert _parse_retry_after("7") == 7.0
    assert _parse_retry_after(" 1.5 ") == 1.5
    assert _parse_retry_after("-3") == 0.0
    assert _parse_retry_after("0") == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "Mon, 99 Foo 2024 xx:yy:zz GMT"])
def test_retry_after_that_means_nothing_is_ignored(value: str | None) -> None:
    assert _parse_retry_after(value) is None


def test_retry_after_as_an_http_date(monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    monkeypatch.setattr(transport_module.time, "time", lambda: now.timestamp())
    later = format_datetime(now.replace(second=50), usegmt=True)  # 45 s from now
    assert _parse_retry_after(later) == 45.0
    earlier = format_datetime(now.replace(second=0), usegmt=True)
    assert _parse_retry_after(earlier) == 0.0


def test_an_http_date_retry_after_sets_the_wait(clock: Clock,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    monkeypatch.setattr(transport_module.time, "time", lambda: now.timestamp())
    monkeypatch.setattr(transport_module.random, "uniform", lambda low, high: 0.0)
    header = format_datetime(now.replace(second=25), usegmt=True)
    limited = httpx.Response(429, headers={"Retry-After": header})
    transport, _ = make(sequence(limited, ok()))
    assert transport.request("GET", "/v1/models").status_code == 200
    assert clock.sleeps == [20.0]


def test_retry_after_shorter_than_the_backoff_does_not_shorten_it(
        clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport_module.random, "uniform", lambda low, high: high)
    limited = httpx.Response(503, headers={"Retry-After": "0.1"})
    transport, _ = make(sequence(limited, ok()), backoff_base=2.0, backoff_max=10.0)
    transport.request("GET", "/v1/models")
    assert clock.sleeps == [2.0]


# ------------------------------------------------------------------ the policy itself


def test_jitter_draws_from_zero_to_the_exponential_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    draws: list[tuple[float, float]] = []

    def uniform(low: float, high: float) -> float:
        draws.append((low, high))
        return low

    monkeypatch.setattr(transport_module.random, "uniform", uniform)
    retry = policy(backoff_base=0.5, backoff_max=3.0, max_retries=9)
    waits = [retry.delay(e.ServerError("x"), n, idempotent=True, body_sent=True, deadline=None)
             for n in range(5)]
    assert draws == [(0.0, 0.5), (0.0, 1.0), (0.0, 2.0), (0.0, 3.0), (0.0, 3.0)]
    assert waits == [0.0] * 5  # the lower bound is zero: full jitter


def test_the_retry_budget_is_exact() -> None:
    retry = policy(max_retries=2)
    error = e.ServerError("x")
    assert retry.delay(error, 1, idempotent=True, body_sent=True, deadline=None) is not None
    assert retry.delay(error, 2, idempotent=True, body_sent=True, deadline=None) is None


def test_errors_marked_not_retryable_are_never_retried() -> None:
    error = e.ServerError("x")
    error.retryable = False
    assert policy().delay(error, 0, idempotent=True, body_sent=False, deadline=None) is None


def test_idempotence_matters_only_once_the_body_may_have_left() -> None:
    retry, error = policy(), e.GatewayConnectionError("x")
    assert retry.delay(error, 0, idempotent=False, body_sent=False, deadline=None) is not None
    assert retry.delay(error, 0, idempotent=True, body_sent=True, deadline=None) is not None
    assert retry.delay(error, 0, idempotent=False, body_sent=True, deadline=None) is None


def test_no_deadline_means_no_time_limit(clock: Clock) -> None:
    retry = policy(deadline=None, backoff_base=1000.0, backoff_max=1000.0,
                   max_retry_wait=20_000.0)
    assert retry.start() is None
    assert retry.delay(e.ServerError("x"), 0, idempotent=True, body_sent=True, deadline=None,
                       retry_after=10_000.0) == 10_000.0


# ------------------------------------------------------------------ waits the gateway asks for

@pytest.mark.parametrize(("asked", "slept"), [(59.5, True), (60.0, True), (60.5, False),
                                              (3600.0, False)])
def test_a_wait_beyond_max_retry_wait_is_not_slept(asked: float, slept: bool) -> None:
    wait = policy(deadline=None).delay(e.RateLimitError("x"), 0, idempotent=True,
                                       body_sent=True, deadline=None, retry_after=asked)
    assert (wait == asked) if slept else wait is None


def test_max_retry_wait_is_a_setting() -> None:
    retry = policy(deadline=None, max_retry_wait=5.0)
    assert retry.delay(e.RateLimitError("x"), 0, idempotent=True, body_sent=True,
                       deadline=None, retry_after=5.0) == 5.0
    assert retry.delay(e.RateLimitError("x"), 0, idempotent=True, body_sent=True,
                       deadline=None, retry_after=5.01) is None


@pytest.mark.parametrize(("headers", "seconds"), [
    ({"retry-after-ms": "1500"}, 1.5),
    ({"retry-after-ms": "250.5", "retry-after": "9"}, 0.2505),  # the precise one wins
    ({"retry-after-ms": "soon", "retry-after": "9"}, 9.0),
    ({"retry-after-ms": "nan", "retry-after": "2"}, 2.0),
    ({"retry-after-ms": "-5", "retry-after": "2"}, 2.0),
    ({"retry-after-ms": "inf"}, None),
    ({"retry-after-ms": "0", "retry-after": "9"}, 0.0),  # zero is a wait too
    ({"retry-after": "7"}, 7.0),
    ({}, None),
])
def test_retry_after_headers(headers: dict[str, str], seconds: float | None) -> None:
    assert transport_module._retry_after(httpx.Headers(headers)) == seconds


def test_a_wait_that_would_end_at_the_deadline_gives_up(clock: Clock,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport_module.random, "uniform", lambda low, high: 0.0)
    retry = policy(deadline=30)
    assert retry.start() == clock.now + 30
    error = e.ServerError("x")
    deadline = clock.now + 10
    assert retry.delay(error, 0, idempotent=True, body_sent=True, deadline=deadline,
                       retry_after=9.5) == 9.5
    assert retry.delay(error, 0, idempotent=True, body_sent=True, deadline=deadline,
                       retry_after=10.0) is None


# ------------------------------------------------------------------ one call's attempts


def test_each_attempt_gets_only_what_is_left_of_the_deadline(clock: Clock) -> None:
    timeouts: list[dict[str, float | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        timeouts.append(dict(request.extensions["timeout"]))
        clock.now += 4  # the attempt itself takes 4 s
        return httpx.Response(502) if len(timeouts) == 1 else ok()

    transport, _ = make(handler, deadline=10, timeout=6, connect_timeout=5, backoff_base=0.001,
                        backoff_max=0.001)
    transport.request("GET", "/v1/models")
    assert timeouts[0] == {"connect": 5, "read": 6, "write": 6, "pool": 6}
    left = 10 - 4 - clock.sleeps[0]
    assert timeouts[1] == pytest.approx({"connect": 5, "read": left, "write": left,
                                         "pool": left})


def test_no_deadline_leaves_the_timeouts_alone(clock: Clock) -> None:
    timeouts: list[dict[str, float | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        timeouts.append(dict(request.extensions["timeout"]))
        return ok()

    transport, _ = make(handler, deadline=None, timeout=6, connect_timeout=5)
    transport.request("GET", "/v1/models")
    assert timeouts == [{"connect": 5, "read": 6, "write": 6, "pool": 6}]


def test_a_deadline_already_spent_fails_before_the_next_attempt(
        clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport_module.random, "uniform", lambda low, high: high)

    def handler(request: httpx.Request) -> httpx.Response:
        clock.now += 10
        return httpx.Response(502)

    transport, seen = make(handler, deadline=10.5, backoff_base=0.4999, backoff_max=0.4999)
    with pytest.raises(e.GatewayTimeoutError) as caught:
        transport.request("GET", "/v1/models", what="Listing models")
    assert caught.value.message == (
        "Listing models: the overall deadline of 10.5 s passed before the next attempt. Raise "
        "deadline or lower max_retries.")
    assert len(seen) == 1


def test_the_deadline_message_names_the_request_when_no_what_is_given(
        clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport_module.random, "uniform", lambda low, high: high)

    def handler(request: httpx.Request) -> httpx.Response:
        clock.now += 10
        return httpx.Response(502)

    transport, _ = make(handler, deadline=10.5, backoff_base=0.4999, backoff_max=0.4999)
    with pytest.raises(e.GatewayTimeoutError, match=r"^GET https://gw.example/v1/models: the "):
        transport.request("GET", "/v1/models")


def test_giving_up_raises_the_last_error_with_its_cause_and_count(clock: Clock) -> None:
    refused = httpx.ConnectError("refused")
    transport, _ = make(sequence(refused), max_retries=2)
    with pytest.raises(e.GatewayConnectionError) as caught:
        transport.request("GET", "/v1/models")
    assert caught.value.__cause__ is refused
    assert caught.value.attempts == 3  # type: ignore[attr-defined]
    assert caught.value.message.endswith("(gave up after 3 attempts)")


def test_a_read_timeout_names_the_capped_timeout_of_that_attempt(clock: Clock) -> None:
    transport, _ = make(sequence(httpx.ReadTimeout("slow")), max_retries=0, timeout=60,
                        deadline=8)
    with pytest.raises(e.GatewayTimeoutError, match="within 8 s"):
        transport.request("GET", "/v1/models")


def test_each_retry_is_logged_with_what_why_which_and_how_long(
        clock: Clock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(transport_module.random, "uniform", lambda low, high: high)
    caplog.set_level(logging.DEBUG, logger="gateway_core")
    transport, _ = make(sequence(httpx.Response(502), httpx.ConnectError("x"), ok()),
                        max_retries=4, backoff_base=0.25, backoff_max=8)
    transport.request("GET", "/v1/models", what="Listing models")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "Retrying GET Listing models after ServerError (retry 1 of 4) in 0.25 s",
        "Retrying GET Listing models after GatewayConnectionError (retry 2 of 4) in 0.50 s",
    ]
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert len(debug) == 3
    assert debug[0].startswith("GET https://gw.example/v1/models -> 502 in ")
    assert debug[1].startswith("GET https://gw.example/v1/models -> ConnectError in ")
    assert debug[2].endswith(" ms (request id rid-ok)")


def test_a_read_timeout_without_a_deadline_names_the_configured_timeout(clock: Clock) -> None:
    transport, _ = make(sequence(httpx.ReadTimeout("slow")), max_retries=0, timeout=12,
                        deadline=None)
    with pytest.raises(e.GatewayTimeoutError, match=r"within 12 s\."):
        transport.request("GET", "/v1/models")


def test_a_transport_failure_names_what_was_being_done(clock: Clock) -> None:
    transport, _ = make(sequence(httpx.ConnectError("refused")), max_retries=0)
    with pytest.raises(e.GatewayConnectionError) as caught:
        transport.request("GET", "/v1/models", what="Listing models")
    assert caught.value.message.startswith("Listing models: could not connect to the gateway")


def test_half_a_second_left_is_still_enough_for_another_attempt(
        clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport_module.random, "uniform", lambda low, high: low)

    def handler(request: httpx.Request) -> httpx.Response:
        clock.now += 10
        return httpx.Response(502) if len(seen) == 1 else ok()

    transport, seen = make(handler, deadline=10.5)
    assert transport.request("GET", "/v1/models").status_code == 200
    assert len(seen) == 2


def test_the_response_knows_its_url(clock: Clock) -> None:
    transport, _ = make(sequence(ok()))
    assert transport.request("GET", "/v1/models").url == "https://gw.example/v1/models"


def test_the_debug_log_gives_each_attempt_its_own_duration(
        clock: Clock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    perf = {"now": 100.0}
    monkeypatch.setattr(transport_module.time, "perf_counter", lambda: perf["now"])
    answers = [httpx.Response(502), ok()]

    def handler(request: httpx.Request) -> httpx.Response:
        perf["now"] += 2.0 if len(answers) == 2 else 0.5  # the attempts take 2 s, then 0.5 s
        return answers.pop(0)

    caplog.set_level(logging.DEBUG, logger="gateway_core")
    transport, _ = make(handler)
    transport.request("GET", "/v1/models")
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert debug == [
        "GET https://gw.example/v1/models -> 502 in 2000 ms (request id None)",
        "GET https://gw.example/v1/models -> 200 in 500 ms (request id rid-ok)",
    ]


# ------------------------------------------------------------------ found open by mutation


def test_a_wait_that_would_pass_the_deadline_gives_up_with_the_gateways_error(
        clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    # The call's own deadline reaches the policy: no sleep that could only end in a timeout.
    monkeypatch.setattr(transport_module.random, "uniform", lambda low, high: 0.0)

    def handler(request: httpx.Request) -> httpx.Response:
        clock.now += 8
        return httpx.Response(503, headers={"Retry-After": "5"})

    transport, seen = make(handler, deadline=10)
    with pytest.raises(e.ServerError) as caught:
        transport.request("GET", "/v1/models")
    assert (len(seen), clock.sleeps) == (1, [])
    assert caught.value.retry_after == 5.0


def test_a_retry_after_too_long_to_sleep_is_on_the_error_for_the_caller(clock: Clock) -> None:
    limited = httpx.Response(429, headers={"Retry-After": "120"})
    transport, seen = make(sequence(limited, ok()), deadline=None)
    with pytest.raises(e.RateLimitError) as caught:
        transport.request("GET", "/v1/models")
    assert (len(seen), clock.sleeps) == (1, [])
    assert caught.value.retry_after == 120.0


class RecordingPacer:
    """Stands in for the rate limiter's pacer: what the transport reports after each answer."""

    shared = False

    def __init__(self) -> None:
        self.reported: list[tuple[Ticket, int, float | None, bytes]] = []

    def before(self, body: object) -> Ticket:
        return Ticket("scope", 3, 0.0)

    def after(self, ticket: Ticket, status: int, retry_after: float | None,
              content: bytes) -> None:
        self.reported.append((ticket, status, retry_after, content))


def test_each_gateway_answer_is_reported_to_the_pacer_with_its_retry_after(
        clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport_module.random, "uniform", lambda low, high: 0.0)
    limited = httpx.Response(429, content=b'{"error": "slow down"}', headers={"Retry-After": "2"})
    transport, _ = make(sequence(limited, ok()))
    pacer = RecordingPacer()
    transport.pacer = pacer  # type: ignore[assignment]
    transport.request("POST", "/v1/chat/completions", json={"model": "m"})
    ticket = Ticket("scope", 3, 0.0)
    assert pacer.reported == [(ticket, 429, 2.0, b'{"error": "slow down"}'),
                              (ticket, 200, None, b'{"ok":true}')]


def test_a_request_off_the_gateway_is_not_paced(clock: Clock) -> None:
    transport, _ = make(sequence(ok()))
    pacer = RecordingPacer()
    transport.pacer = pacer  # type: ignore[assignment]
    transport.request("GET", "https://cdn.example/file.png")
    assert pacer.reported == []


def test_a_deadline_with_a_millisecond_left_is_spent(clock: Clock) -> None:
    # The margin is 1 ms inclusive: an attempt needs more than that to do anything.
    clock.now = 0.0  # so that the deadline minus now is exactly 0.001
    transport, seen = make(sequence(ok()), deadline=0.001)
    with pytest.raises(e.DeadlineExceededError):
        transport.request("GET", "/v1/models")
    assert seen == []
