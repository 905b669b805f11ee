"""A relay that ignores ``stream: true`` and answers one JSON document still works."""

from __future__ import annotations

import httpx
import pytest

from gateway_core import GatewayClient
from gateway_core.errors import APIError

COMPLETION = {
    "id": "c1", "object": "chat.completion", "model": "gpt-4o-mini",
    "choices": [{"index": 0, "finish_reason": "stop",
                 "message": {"role": "assistant", "content": "whole answer"}}],
    "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
}


def client_answering(body: dict[str, object], tag: str) -> tuple[GatewayClient, list[int]]:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(200, json=body, headers={"x-oneapi-request-id": "rid-json"})

    client = GatewayClient(base_url=f"https://{tag}.example/v1", api_key="sk-json-1",
                           http_transport=httpx.MockTransport(handler))
    return client, calls


def test_a_whole_completion_instead_of_a_stream() -> None:
    client, _ = client_answering(COMPLETION, "whole")
    stream = client.stream_chat("hi", model="gpt-4o-mini")
    deltas = list(stream)
    assert "".join(d.text for d in deltas) == "whole answer"
    assert stream.result is not None
    assert stream.result.finish_reason == "stop"
    assert stream.result.usage is not None
    assert stream.result.usage.total_tokens == 5


def test_an_error_in_a_200_instead_of_a_stream_is_raised_once() -> None:
    client, calls = client_answering({"error": {"message": "request refused",
                                                "code": "bad_response"}}, "error200")
    with pytest.raises(APIError, match="request refused") as caught:
        list(client.stream_chat("hi", model="gpt-4o-mini"))
    assert caught.value.request_id == "rid-json"
    assert len(calls) == 1
