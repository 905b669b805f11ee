"""Transport retry policy, with httpx.MockTransport and a fake clock (no sockets, no sleeping)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterator

import httpx
import pytest

from gateway_core import errors as e
from gateway_core import transport as transport_module
from gateway_core.config import GatewayConfig
from gateway_core.transport import RetryPolicy, Transport

KEY = "sk-unit-test-key-0123456789"
Handler = Callable[[httpx.Request], httpx.Response]


class Clock:
    """Replaces time.sleep / time.monotonic in the transport module."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(transport_module.time, "sleep", fake.sleep)
    monkeypatch.setattr(transport_module.time, "monotonic", fake.monotonic)
    return fake


def make(handler: Handler, **settings: object) -> tuple[Transport, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    config = GatewayConfig(base_url="https://gw.example/v1", api_key=KEY, **settings)  # type: ignore[arg-type]
    return Transport(config, http_transport=httpx.MockTransport(record)), seen


def sequence(*responses: httpx.Response | Exception) -> Handler:
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return item

    return handler


def ok() -> httpx.Response:
    return httpx.Response(200, json={"ok": True}, headers={"X-Oneapi-Request-Id": "rid-ok"})


def openai_error(status: int, message: str, code: str = "") -> httpx.Response:
    body = {"error": {"message": message, "type": "new_api_error", "code": code}}
    return httpx.Response(status, json=body, headers={"X-Oneapi-Request-Id": f"rid-{status}"})


def test_success_sends_key_and_returns_json(clock: Clock) -> None:
    transport, seen = make(sequence(ok()))
    response = transport.request("POST", "/v1/chat/completions", json={"a": 1})
    assert response.json() == {"ok": True}
    assert response.request_id == "rid-ok"
    assert seen[0].headers["authorization"] == f"Bearer {KEY}"
    assert str(seen[0].url) == "https://gw.example/v1/chat/completions"
    assert json.loads(seen[0].content) == {"a": 1}


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524])
def test_retryable_statuses_are_retried(clock: Clock, status: int) -> None:
    transport, seen = make(sequence(httpx.Response(status), ok()))
    assert transport.request("GET", "/v1/models").status_code == 200
    assert len(seen) == 2
    assert len(clock.sleeps) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 422])
def test_client_errors_are_never_retried(clock: Clock, status: int) -> None:
    transport, seen = make(sequence(openai_error(status, "nope"), ok()))
    with pytest.raises(e.APIError) as info:
        transport.request("GET", "/v1/models")
    assert info.value.status_code == status
    assert len(seen) == 1
    assert clock.sleeps == []


def test_quota_403_not_retried_saturation_retried(clock: Clock) -> None:
    quota = openai_error(403, "用户额度不足", "insufficient_user_quota")
    transport, seen = make(sequence(quota, ok()))
    with pytest.raises(e.QuotaExceededError):
        transport.request("GET", "/v1/models")
    assert len(seen) == 1
    saturated = openai_error(429, "当前分组上游负载已饱和，请稍后再试")
    transport, seen = make(sequence(saturated, saturated, ok()))
    assert transport.request("GET", "/v1/models").status_code == 200
    assert len(seen) == 3


def test_gives_up_after_max_retries_with_count(clock: Clock) -> None:
    transport, seen = make(sequence(httpx.Response(502)), max_retries=3)
    with pytest.raises(e.ServerError, match="gave up after 4 attempts"):
        transport.request("GET", "/v1/models")
    assert len(seen) == 4


def test_zero_retries_means_one_attempt(clock: Clock) -> None:
    transport, seen = make(sequence(httpx.Response(503), ok()), max_retries=0)
    with pytest.raises(e.ServerError):
        transport.request("GET", "/v1/models")
    assert len(seen) == 1


def test_backoff_is_exponential_with_full_jitter(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transport_module.random, "uniform", lambda low, high: high)
    transport, _ = make(sequence(httpx.Response(500)), max_retries=5, backoff_base=0.5,
                        backoff_max=3.0)
    with pytest.raises(e.ServerError):
        transport.request("GET", "/v1/models")
    assert clock.sleeps == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_jitter_draws_between_zero_and_the_cap() -> None:
    config = GatewayConfig(base_url="https://gw.example", api_key=KEY, backoff_base=1,
                           backoff_max=4, max_retries=5)
    policy = RetryPolicy(config)
    waits = [policy.delay(e.ServerError("x"), 2, idempotent=True, body_sent=True, deadline=None)
             for _ in range(200)]
    assert all(w is not None and 0 <= w <= 4 for w in waits)
    assert len({round(w or 0, 3) for w in waits}) > 50


def test_retry_after_seconds_honoured(clock: Clock) -> None:
    limited = httpx.Response(429, headers={"Retry-After": "7"})
    transport, _ = make(sequence(limited, ok()))
    transport.request("GET", "/v1/models")
    assert clock.sleeps[0] >= 7


def test_retry_after_beyond_deadline_gives_up_at_once(clock: Clock) -> None:
    limited = httpx.Response(429, headers={"Retry-After": "120"})
    transport, seen = make(sequence(limited, ok()), deadline=30)
    with pytest.raises(e.RateLimitError):
        transport.request("GET", "/v1/models")
    assert len(seen) == 1
    assert clock.sleeps == []


def test_error_object_inside_http_200(clock: Clock) -> None:
    body = httpx.Response(200, json={"error": {"message": "upstream said no", "type": "x",
                                               "code": "bad_response"}})
    transport, seen = make(sequence(body, ok()))
    with pytest.raises(e.APIError, match="upstream said no") as info:
        transport.request("POST", "/v1/chat/completions", json={})
    assert info.value.status_code == 200
    assert len(seen) == 1


def test_check_body_can_be_turned_off(clock: Clock) -> None:
    failed_task = httpx.Response(200, json={"status": "failed", "error": {"message": "x"}})
    transport, _ = make(sequence(failed_task))
    response = transport.request("GET", "/v1/videos/1", check_body=False)
    assert response.json()["status"] == "failed"


def test_connect_error_retried_even_when_not_idempotent(clock: Clock) -> None:
    refused = httpx.ConnectError("connection refused")
    transport, seen = make(sequence(refused, refused, ok()))
    response = transport.request("POST", "/v1/videos", json={}, idempotent=False)
    assert response.status_code == 200
    assert len(seen) == 3


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("peer closed"),
     httpx.ReadError("reset by peer"), httpx.WriteError("broken pipe")],
)
def test_non_idempotent_never_resent_after_body_may_have_gone(clock: Clock,
                                                              failure: Exception) -> None:
    transport, seen = make(sequence(failure, ok()))
    with pytest.raises(e.TransportError):
        transport.request("POST", "/v1/videos", json={}, idempotent=False)
    assert len(seen) == 1


def test_non_idempotent_not_retried_on_5xx(clock: Clock) -> None:
    transport, seen = make(sequence(httpx.Response(502), ok()))
    with pytest.raises(e.ServerError):
        transport.request("POST", "/v1/videos", json={}, idempotent=False)
    assert len(seen) == 1


def test_idempotent_read_errors_are_retried(clock: Clock) -> None:
    transport, seen = make(sequence(httpx.RemoteProtocolError("dropped"), ok()))
    assert transport.request("GET", "/v1/models").status_code == 200
    assert len(seen) == 2


def test_read_timeout_message_is_actionable(clock: Clock) -> None:
    transport, _ = make(sequence(httpx.ReadTimeout("slow")), max_retries=0, timeout=12)
    with pytest.raises(e.GatewayTimeoutError, match="12 s"):
        transport.request("GET", "/v1/models")


def test_key_never_in_errors_or_logs(clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
    echo = openai_error(401, f"invalid token {KEY}")
    transport, _ = make(sequence(httpx.Response(500), echo))
    caplog.set_level(logging.DEBUG, logger="gateway_core")
    with pytest.raises(e.AuthenticationError) as info:
        transport.request("GET", "/v1/models")
    assert KEY not in str(info.value)
    assert KEY not in repr(info.value)
    assert KEY not in caplog.text
    assert "Retrying" in caplog.text


def test_key_only_sent_to_the_gateway_origin(clock: Clock) -> None:
    transport, seen = make(sequence(ok()))
    transport.request("GET", "https://cdn.example/video.mp4", check_body=False)
    transport.request("GET", "https://gw.example/v1/videos/1/content", check_body=False)
    assert "authorization" not in seen[0].headers
    assert seen[1].headers["authorization"] == f"Bearer {KEY}"


def test_html_page_error(clock: Clock) -> None:
    page = httpx.Response(502, text="<html><title>Bad gateway | Cloudflare</title></html>",
                          headers={"content-type": "text/html"})
    transport, _ = make(sequence(page), max_retries=0)
    with pytest.raises(e.ServerError, match=r"HTML page came back.*proxy in front") as info:
        transport.request("GET", "/v1/models")
    assert "Bad gateway | Cloudflare" in str(info.value)


def test_non_json_success_body(clock: Clock) -> None:
    transport, _ = make(sequence(httpx.Response(200, text="login required")))
    response = transport.request("GET", "/v1/models")
    with pytest.raises(e.ResponseFormatError, match="not JSON"):
        response.json()


@pytest.mark.parametrize("content_type", ["text/html", "application/json", "text/plain", ""])
@pytest.mark.parametrize("call", ["request", "stream"])
def test_an_html_page_is_an_error_sent_once_whatever_its_label(
        clock: Clock, content_type: str, call: str) -> None:
    page = b"\xef\xbb\xbf\n  <!DOCTYPE html><html><title>Sign in</title></html>"
    transport, seen = make(sequence(httpx.Response(
        200, content=page, headers={"content-type": content_type} if content_type else {})))

    def send() -> None:
        if call == "request":
            transport.request("POST", "/v1/chat/completions", json={})
            return
        with transport.stream("POST", "/v1/chat/completions", json={}, events=True):
            pass

    with pytest.raises(e.APIError, match="HTML") as info:
        send()
    assert info.value.html_page
    assert info.value.status_code == 200
    assert not info.value.retryable
    assert len(seen) == 1


def test_a_charset_other_than_utf8_is_honoured(clock: Clock) -> None:
    body = '{"object": "list", "note": "余额充足"}'.encode("gb18030")
    transport, _ = make(sequence(httpx.Response(
        200, content=body, headers={"content-type": "application/json; charset=GB18030"})))
    assert transport.request("GET", "/v1/models").json()["note"] == "余额充足"


def test_stream_retries_before_the_first_byte(clock: Clock) -> None:
    body = b"data: {\"x\": 1}\n\ndata: [DONE]\n\n"
    stream_ok = httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})
    transport, seen = make(sequence(httpx.Response(429), stream_ok))
    with transport.stream("POST", "/v1/chat/completions", json={}) as stream:
        assert [event.data for event in stream.events()] == ['{"x": 1}', "[DONE]"]
    assert len(seen) == 2


def test_stream_error_status_raises_typed_error(clock: Clock) -> None:
    transport, _ = make(sequence(openai_error(400, "Unrecognized request argument supplied: x")))
    with pytest.raises(e.BadRequestError, match="Unrecognized request argument"), \
            transport.stream("POST", "/v1/chat/completions", json={}):
        pass


def test_stream_break_mid_body_is_a_gateway_error(clock: Clock) -> None:
    class Broken(httpx.SyncByteStream):
        def __iter__(self):  # type: ignore[no-untyped-def]
            yield b"data: {\"a\": 1}\n\n"
            raise httpx.ReadError("connection reset")

    broken = httpx.Response(200, stream=Broken(), headers={"content-type": "text/event-stream"})
    transport, _ = make(sequence(broken))
    received: list[str] = []

    def consume() -> None:
        with transport.stream("POST", "/v1/chat/completions", json={}) as stream:
            received.extend(event.data for event in stream.events())

    with pytest.raises(e.GatewayConnectionError, match="dropped"):
        consume()
    assert received == ['{"a": 1}']


async def test_async_request_retries_and_uses_loop_client(monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    monkeypatch.setattr(transport_module.asyncio, "sleep", fake_sleep)
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(503) if len(calls) == 1 else ok()

    config = GatewayConfig(base_url="https://gw.example", api_key=KEY)
    transport = Transport(config, http_transport=httpx.MockTransport(handler))
    response = await transport.arequest("GET", "/v1/models")
    assert response.json() == {"ok": True}
    assert len(calls) == 2
    assert len(sleeps) == 1
    await transport.aclose()


def test_the_library_logger_prints_nothing_unless_the_application_configures_logging() -> None:
    import logging

    import gateway_core.transport  # noqa: F401  (attaches the handler)

    handlers = logging.getLogger("gateway_core").handlers
    assert any(isinstance(h, logging.NullHandler) for h in handlers)


def test_a_plugged_http_transport_is_private_and_used_by_both_clients() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["authorization"])
        return httpx.Response(200, json={"ok": True})

    from gateway_core import GatewayClient

    plugged = GatewayClient(base_url="https://plug.example/v1", api_key=KEY,
                            http_transport=httpx.MockTransport(handler))
    shared = GatewayClient(base_url="https://plug.example/v1", api_key=KEY)
    assert plugged.transport is not shared.transport
    assert plugged.transport.request("GET", "/v1/models").json() == {"ok": True}

    async def run() -> object:
        return (await plugged.transport.arequest("GET", "/v1/models")).json()

    assert asyncio.run(run()) == {"ok": True}
    assert seen == [f"Bearer {KEY}"] * 2  # the real client options (auth) still apply


class _Tracked(httpx.SyncByteStream):
    """A body that records whether it was closed."""

    def __init__(self, parts: list[bytes]) -> None:
        self.parts = parts
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        yield from self.parts

    def close(self) -> None:
        self.closed = True


def test_a_stream_body_refused_while_opening_is_closed(clock: Clock) -> None:
    # A whole JSON answer larger than max_response_bytes raises while the stream is opened:
    # its connection goes back closed, not leaked.
    body = _Tracked([b'{"x": "' + b"y" * 4000 + b'"}'])
    transport, _ = make(lambda request: httpx.Response(
        200, stream=body, headers={"content-type": "application/json"}),
        max_response_bytes=1024)
    with pytest.raises(e.ResponseTooLargeError):
        with transport.stream("POST", "/v1/chat/completions", json={}, events=True):
            pass
    assert body.closed
