"""Every retry and error rule of the transport, over real loopback HTTP, with the emulator's
fault injection. The emulator counts requests, so retries (and their absence) are proven."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest

from gateway_core import GatewayClient
from gateway_core import errors as e

pytestmark = pytest.mark.usefixtures("emulator")


def client_for(emulator: Any, **settings: Any) -> GatewayClient:
    settings.setdefault("backoff_base", 0.01)
    settings.setdefault("backoff_max", 0.05)
    return GatewayClient(base_url=emulator.base_url, api_key=emulator.api_key, **settings)


def scripted(steps: str) -> dict[str, str]:
    """Headers scripting the next responses of a fresh scenario."""
    return {"X-Emulator-Faults": steps, "X-Emulator-Scenario": uuid.uuid4().hex}


def count(emulator: Any, headers: dict[str, str], path: str) -> int:
    scenario = headers["X-Emulator-Scenario"]
    return sum(1 for r in emulator.requests(path=path) if r.get("scenario") == scenario)


BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "ping"}]}
CHAT = "/v1/chat/completions"


@pytest.mark.parametrize(
    "step",
    ["429-empty", "429-saturated", "503-overloaded", "500-html", "502-html", "500"],
)
def test_retryable_fault_then_success(emulator: Any, step: str) -> None:
    headers = scripted(f"{step},{step}")
    response = client_for(emulator).transport.request("POST", CHAT, json=BODY, headers=headers)
    assert response.json()["choices"][0]["message"]["content"]
    assert count(emulator, headers, CHAT) == 3


@pytest.mark.parametrize(
    ("step", "error_class"),
    [("429-empty", e.RateLimitError), ("429-saturated", e.RateLimitError),
     ("503-overloaded", e.ServerError), ("502-html", e.ServerError)],
)
def test_persistent_fault_gives_up_without_a_storm(emulator: Any, step: str,
                                                   error_class: type) -> None:
    headers = scripted(",".join([step] * 10))
    with pytest.raises(error_class) as info:
        client_for(emulator, max_retries=2).transport.request("POST", CHAT, json=BODY,
                                                              headers=headers)
    assert count(emulator, headers, CHAT) == 3
    error = info.value
    assert error.request_id, "the gateway's request id is carried"
    assert error.status_code in (429, 502, 503)
    assert "gave up after 3 attempts" in str(error)


@pytest.mark.parametrize(
    ("step", "error_class"),
    [("403-quota", e.QuotaExceededError), ("401", e.AuthenticationError),
     ("200-error", e.APIError), ("503-model-not-found", e.ModelNotAvailableError)],
)
def test_fatal_faults_are_not_retried(emulator: Any, step: str, error_class: type) -> None:
    headers = scripted(f"{step},ok")
    with pytest.raises(error_class) as info:
        client_for(emulator).transport.request("POST", CHAT, json=BODY, headers=headers)
    assert count(emulator, headers, CHAT) == 1
    assert info.value.retryable is False
    assert info.value.request_id


def test_error_message_has_no_request_id_suffix_but_field_has_it(emulator: Any) -> None:
    headers = scripted("403-quota")
    with pytest.raises(e.QuotaExceededError) as info:
        client_for(emulator).transport.request("POST", CHAT, json=BODY, headers=headers)
    assert "(request id:" not in info.value.message
    assert info.value.request_id in str(info.value)


def test_connection_reset_is_retried_for_idempotent_requests(emulator: Any) -> None:
    headers = scripted("reset")
    response = client_for(emulator).transport.request("POST", CHAT, json=BODY, headers=headers)
    assert response.status_code == 200
    assert count(emulator, headers, CHAT) == 2


def test_non_idempotent_request_is_never_sent_twice_after_its_body_went_out(
    emulator: Any,
) -> None:
    headers = scripted("reset,ok")
    with pytest.raises(e.GatewayConnectionError):
        client_for(emulator).transport.request("POST", CHAT, json=BODY, headers=headers,
                                               idempotent=False)
    assert count(emulator, headers, CHAT) == 1


def test_non_idempotent_not_retried_on_5xx_either(emulator: Any) -> None:
    headers = scripted("502-html,ok")
    with pytest.raises(e.ServerError):
        client_for(emulator).transport.request("POST", CHAT, json=BODY, headers=headers,
                                               idempotent=False)
    assert count(emulator, headers, CHAT) == 1


def test_non_idempotent_retried_when_the_connection_was_never_made(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: nothing listens there
    client = GatewayClient(base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-x",
                           backoff_base=0.01, backoff_max=0.02, max_retries=2)
    caplog.set_level(logging.WARNING, logger="gateway_core")
    with pytest.raises(e.GatewayConnectionError, match="gave up after 3 attempts"):
        client.transport.request("POST", "/v1/videos", json={}, idempotent=False)
    assert caplog.text.count("Retrying") == 2


def test_stall_beyond_the_read_timeout(emulator: Any) -> None:
    headers = scripted("stall:3,stall:3")
    with pytest.raises(e.GatewayTimeoutError, match="no response"):
        client_for(emulator, timeout=0.3, max_retries=1).transport.request(
            "POST", CHAT, json=BODY, headers=headers)
    assert count(emulator, headers, CHAT) == 2


def test_overall_deadline_stops_retries(emulator: Any) -> None:
    headers = scripted(",".join(["429-empty"] * 60))
    client = client_for(emulator, max_retries=50, backoff_base=0.1, backoff_max=0.1,
                        deadline=0.5)
    # Which error ends it depends on the machine's sleep, not on the client: the last 429 when
    # the next wait would cross the deadline, DeadlineExceededError when a wait scheduled
    # inside it overran it (test_retry_rules pins both on an injected clock).
    with pytest.raises((e.RateLimitError, e.DeadlineExceededError)):
        client.transport.request("POST", CHAT, json=BODY, headers=headers)
    # 50 retries were allowed; the 0.5 s deadline stopped them long before.
    assert 2 <= count(emulator, headers, CHAT) < 40


def test_the_deadline_cuts_an_attempt_in_flight(emulator: Any) -> None:
    # Without the cap this stalled answer would arrive after 3 s, well inside timeout=10.
    headers = scripted("stall:3")
    client = client_for(emulator, timeout=10, deadline=0.5)
    with pytest.raises(e.GatewayTimeoutError):
        client.transport.request("POST", CHAT, json=BODY, headers=headers)
    assert count(emulator, headers, CHAT) == 1


async def test_the_deadline_cuts_an_async_attempt_in_flight(emulator: Any) -> None:
    headers = scripted("stall:3")
    client = client_for(emulator, timeout=10, deadline=0.5)
    with pytest.raises(e.GatewayTimeoutError):
        await client.transport.arequest("POST", CHAT, json=BODY, headers=headers)
    assert count(emulator, headers, CHAT) == 1


def test_unknown_model_is_model_not_available(emulator: Any) -> None:
    body = dict(BODY, model="no-such-model-anywhere")
    with pytest.raises(e.ModelNotAvailableError, match="no-such-model-anywhere"):
        client_for(emulator, max_retries=0).transport.request("POST", CHAT, json=body)


def test_wrong_key_is_authentication_error_without_the_key(emulator: Any) -> None:
    client = GatewayClient(base_url=emulator.base_url, api_key="sk-wrong-key-0123456789")
    with pytest.raises(e.AuthenticationError) as info:
        client.list_models()
    assert "sk-wrong-key-0123456789" not in str(info.value)
    assert "GATEWAY_API_KEY" in str(info.value)


def test_not_json_body(emulator: Any) -> None:
    headers = scripted("not-json")
    response = client_for(emulator).transport.request("POST", CHAT, json=BODY, headers=headers)
    with pytest.raises(e.ResponseFormatError, match="not JSON"):
        response.json()


def test_stream_retries_before_its_first_byte(emulator: Any) -> None:
    headers = scripted("429-saturated")
    body = dict(BODY, stream=True)
    with client_for(emulator).transport.stream("POST", CHAT, json=body,
                                               headers=headers) as stream:
        events = [event.data for event in stream.events()]
    assert events[-1] == "[DONE]"
    assert count(emulator, headers, CHAT) == 2


def test_stream_idle_timeout(emulator: Any) -> None:
    headers = scripted("stall-stream:2:3")
    body = dict(BODY, stream=True)
    client = client_for(emulator, stream_idle_timeout=0.3)
    received: list[str] = []

    def consume() -> None:
        with client.transport.stream("POST", CHAT, json=body, headers=headers) as stream:
            received.extend(event.data for event in stream.events())

    with pytest.raises(e.GatewayTimeoutError, match="silent"):
        consume()
    assert len(received) >= 2


def test_models_and_its_three_shapes(emulator: Any) -> None:
    client = client_for(emulator)
    models = {m.id: m for m in client.list_models()}
    assert models["text-embedding-3-small"].kind == "embedding"
    assert models["bge-reranker-v2-m3"].kind == "rerank"
    oneapi = client.transport.request("GET", "/v1/models",
                                      headers={"X-Emulator-Models-Shape": "oneapi"})
    assert all("supported_endpoint_types" not in m for m in oneapi.json()["data"])
    with pytest.raises(e.APIError, match="get user group failed"):
        client.transport.request("GET", "/v1/models",
                                 headers={"X-Emulator-Models-Shape": "failure"})


async def test_async_retry_and_reset(emulator: Any) -> None:
    client = client_for(emulator)
    headers = scripted("429-empty,reset")
    response = await client.transport.arequest("POST", CHAT, json=BODY, headers=headers)
    assert response.status_code == 200
    assert count(emulator, headers, CHAT) == 3
    headers = scripted("reset,ok")
    with pytest.raises(e.GatewayConnectionError):
        await client.transport.arequest("POST", CHAT, json=BODY, headers=headers,
                                        idempotent=False)
    assert count(emulator, headers, CHAT) == 1


def test_huge_response_is_read_within_the_cap_and_refused_beyond_it(emulator: Any) -> None:
    headers = scripted("huge:3000000")
    response = client_for(emulator).transport.request("POST", CHAT, json=BODY, headers=headers)
    assert len(response.json()["choices"][0]["message"]["content"]) == 3_000_000
    headers = scripted("huge:3000000")
    capped = client_for(emulator, max_response_bytes=1_000_000)
    with pytest.raises(e.ResponseTooLargeError, match="max_response_bytes") as info:
        capped.transport.request("POST", CHAT, json=BODY, headers=headers)
    assert "1,000,000 bytes" in str(info.value)
    assert count(emulator, headers, CHAT) == 1  # a deterministic answer: not retried
