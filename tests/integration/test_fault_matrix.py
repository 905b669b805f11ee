"""Every gateway fault against every capability: retried and succeeded, or a typed error.

Each case states the behaviour and counts the requests the emulator saw, so a retry storm (or a
missing retry) fails the test. Streaming-only faults (cut, stall, malformed chunk, error chunk)
are in test_chat_core.py; paid media tasks in test_media_faults.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from gateway_core import GatewayClient
from gateway_core import errors as e

pytestmark = pytest.mark.usefixtures("emulator")

RETRIED = ["429-empty", "429-saturated", "503-overloaded", "500-html", "502-html", "500",
           "reset"]
# 503 model_not_found is answered at once for a model no channel of the group serves: waiting
# gives the group no channel, so it is not retried (issue 12).
TERMINAL = {"200-error": e.APIError, "403-quota": e.QuotaExceededError,
            "401": e.AuthenticationError, "503-model-not-found": e.ModelNotAvailableError}

Call = Callable[[GatewayClient, Any], Any]


def chat_plain(client: GatewayClient, gateway: Any) -> Any:
    result = client.chat("fault matrix", model=gateway.chat_model)
    assert result.text
    return result


def chat_stream(client: GatewayClient, gateway: Any) -> Any:
    stream = client.stream_chat("fault matrix", model=gateway.chat_model)
    text = "".join(delta.text for delta in stream)
    assert text
    assert stream.result is not None
    return stream.result


def embeddings(client: GatewayClient, gateway: Any) -> Any:
    result = client.embed(["fault", "matrix"], model=gateway.embedding_model)
    assert len(result.vectors) == 2
    return result


def rerank(client: GatewayClient, gateway: Any) -> Any:
    result = client.rerank("fault", ["fault matrix", "other"], model=gateway.rerank_model)
    assert result.hits[0].index == 0
    return result


CAPABILITIES: dict[str, tuple[Call, str]] = {
    "chat": (chat_plain, "/v1/chat/completions"),
    "chat-stream": (chat_stream, "/v1/chat/completions"),
    "embeddings": (embeddings, "/v1/embeddings"),
    "rerank": (rerank, "/v1/rerank"),
}


def scripted(gateway: Any, steps: str, **settings: Any) -> tuple[GatewayClient, str]:
    scenario = uuid.uuid4().hex
    client = GatewayClient(**gateway.settings(
        headers={"X-Emulator-Faults": steps, "X-Emulator-Scenario": scenario},
        backoff_base=0.01, backoff_max=0.02, **settings))
    return client, scenario


def seen(emulator: Any, path: str, scenario: str) -> int:
    return sum(1 for r in emulator.requests(path) if r["scenario"] == scenario)


@pytest.mark.parametrize("step", RETRIED)
@pytest.mark.parametrize("capability", list(CAPABILITIES))
def test_transient_faults_are_retried_once_and_succeed(
    emulator: Any, gateway: Any, capability: str, step: str
) -> None:
    call, path = CAPABILITIES[capability]
    client, scenario = scripted(gateway, step)
    call(client, gateway)
    assert seen(emulator, path, scenario) == 2


@pytest.mark.parametrize("step", ["429-saturated", "503-overloaded", "502-html"])
@pytest.mark.parametrize("capability", list(CAPABILITIES))
def test_persistent_faults_give_up_after_max_retries(
    emulator: Any, gateway: Any, capability: str, step: str
) -> None:
    call, path = CAPABILITIES[capability]
    client, scenario = scripted(gateway, ",".join([step] * 6), max_retries=2)
    with pytest.raises(e.APIError) as caught:
        call(client, gateway)
    error = caught.value
    assert seen(emulator, path, scenario) == 3  # no storm: exactly 1 + max_retries
    assert error.retryable
    assert error.status_code in (429, 502, 503)
    assert error.request_id
    assert "(request id:" not in error.message
    assert "gave up after 3 attempts" in str(error)


@pytest.mark.parametrize("step", list(TERMINAL))
@pytest.mark.parametrize("capability", list(CAPABILITIES))
def test_terminal_faults_are_typed_and_never_retried(
    emulator: Any, gateway: Any, capability: str, step: str
) -> None:
    call, path = CAPABILITIES[capability]
    client, scenario = scripted(gateway, f"{step},ok")
    with pytest.raises(TERMINAL[step]) as caught:
        call(client, gateway)
    assert seen(emulator, path, scenario) == 1
    assert caught.value.retryable is False
    assert caught.value.request_id
    assert gateway.api_key not in str(caught.value)


@pytest.mark.parametrize("capability", list(CAPABILITIES))
def test_a_stalled_answer_times_out_then_succeeds(emulator: Any, gateway: Any,
                                                  capability: str) -> None:
    call, path = CAPABILITIES[capability]
    client, scenario = scripted(gateway, "stall:5", timeout=0.5, stream_idle_timeout=0.5)
    call(client, gateway)
    assert seen(emulator, path, scenario) == 2


@pytest.mark.parametrize("capability", list(CAPABILITIES))
def test_a_huge_answer_stops_at_the_cap(emulator: Any, gateway: Any, capability: str) -> None:
    call, path = CAPABILITIES[capability]
    # chat-stream: the huge answer is one JSON body instead of events; a huge single event is
    # capped by the SSE decoder (tests/unit/test_sse.py)
    client, scenario = scripted(gateway, "huge:4000000", max_response_bytes=1_000_000)
    with pytest.raises(e.ResponseTooLargeError):
        call(client, gateway)
    assert seen(emulator, path, scenario) == 1


@pytest.mark.parametrize("capability", ["chat", "embeddings", "rerank"])
def test_a_200_that_is_not_json(emulator: Any, gateway: Any, capability: str) -> None:
    call, path = CAPABILITIES[capability]
    client, scenario = scripted(gateway, "not-json")
    with pytest.raises(e.ResponseFormatError, match="not JSON"):
        call(client, gateway)
    assert seen(emulator, path, scenario) == 1
