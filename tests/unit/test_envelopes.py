"""Every error envelope of the ecosystem (issue 12), one fixture each with its source
(tests/fixtures/envelopes/, listed in cassettes/README.md): the upstream's own words kept, the
class from status, codes and words, at its own status, inside an HTTP 200, as a stream event,
and through chat, embeddings and rerank."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway_core import GatewayClient
from gateway_core import errors as e
from gateway_core.chat import StreamAccumulator
from gateway_core.errors import error_from_response
from tests.unit.chat_streams import chunk

FIXTURES = sorted((Path(__file__).parents[1] / "fixtures" / "envelopes").glob("*.json"))
CASES = [json.loads(path.read_text("utf-8")) for path in FIXTURES]
# FastAPI's ``detail`` counts inside a 2xx only as the body's one field (see below).
IN_A_200 = CASES


def ids(case: dict[str, Any]) -> str:
    return str(case["name"])


def encoded(case: dict[str, Any]) -> bytes:
    return json.dumps(case["body"], ensure_ascii=False).encode()


def test_every_fixture_names_its_source() -> None:
    assert len(CASES) >= 15
    for case in CASES:
        assert case["source"].strip()
        assert hasattr(e, case["class"])


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_each_envelope_at_its_own_status(case: dict[str, Any]) -> None:
    error = error_from_response(case["status"], encoded(case))
    assert type(error).__name__ == case["class"]
    assert error.gateway_message == case["message"]
    assert error.retryable is type(error).retryable


@pytest.mark.parametrize("case", IN_A_200, ids=ids)
def test_each_envelope_inside_an_http_200(case: dict[str, Any]) -> None:
    error = error_from_response(200, encoded(case))
    assert type(error).__name__ == case["class"]
    assert error.gateway_message == case["message"]


@pytest.mark.parametrize("case", IN_A_200, ids=ids)
def test_each_envelope_as_a_stream_event_keeps_the_partial(case: dict[str, Any]) -> None:
    accumulator = StreamAccumulator(request_id="rid")
    accumulator.feed(json.dumps(chunk({"content": "Hello, "})))
    with pytest.raises(e.APIError) as info:
        accumulator.feed(json.dumps(case["body"], ensure_ascii=False))
    assert type(info.value).__name__ == case["class"]
    assert info.value.partial_text == "Hello, "


def test_a_normal_answer_is_never_an_error() -> None:
    for body in [
        {"code": 0, "message": "SUCCEED", "data": {"task_id": "1"}},
        {"code": "success", "message": "", "data": "task_1"},
        {"code": 200, "msg": "ok", "data": {"x": 1}},
        {"code": 1, "description": "提交成功", "result": "1712"},
        {"code": 1102, "message": "ignored: a result is present", "data": {"task_id": "1"}},
        {"object": "list", "data": [{"embedding": [0.1]}]},
        {"id": "c", "choices": [], "usage": {"total_tokens": 3}},
        {"error_code": 0, "error_msg": "", "result": "fine"},
        {"id": "t", "status": "ok", "detail": "a field of an answer"},
        [{"index": 0, "relevance_score": 0.5}],
        [],
    ]:
        assert e.find_error_in_body(body) is None, body


def client_answering(case: dict[str, Any], status: int) -> tuple[GatewayClient, list[str]]:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(status, content=encoded(case),
                              headers={"content-type": "application/json"})

    client = GatewayClient(base_url="https://envelopes.example/v1", api_key="sk-envelopes-0001",
                           max_retries=2, backoff_base=0.001, backoff_max=0.001,
                           http_transport=httpx.MockTransport(handler))
    return client, seen


CALLS = {
    "chat": lambda client: client.chat("hi", model="m"),
    "stream": lambda client: list(client.stream_chat("hi", model="m")),
    "achat": lambda client: asyncio.run(client.achat("hi", model="m")),
    "embed": lambda client: client.embed(["a"], model="m"),
    "rerank": lambda client: client.rerank("q", ["a", "b"], model="m"),
}


@pytest.mark.parametrize("call", list(CALLS))
@pytest.mark.parametrize("case", IN_A_200, ids=ids)
def test_every_call_reads_the_envelope_in_a_200_and_retries_by_its_class(
        case: dict[str, Any], call: str) -> None:
    client, seen = client_answering(case, 200)
    with pytest.raises(e.APIError) as info:
        CALLS[call](client)
    error = info.value
    if call == "rerank" and isinstance(error, e.EndpointNotSupportedError):
        pytest.fail(f"rerank turned {case['class']} into 'no rerank endpoint'")
    assert type(error).__name__ == case["class"]
    assert error.gateway_message == case["message"]
    assert len(seen) == (3 if error.retryable else 1)


# ------------------------------------------------------------------ a model it does not serve

MODELS = {"object": "list", "data": [{"id": name, "object": "model"} for name in (
    "gpt-4o-mini", "gpt-4o", "deepseek-chat", "deepseek-reasoner", "qwen-plus",
    "text-embedding-3-small")]}
NO_CHANNEL = {"error": {"message": "分组 default 下模型 gpt-4o-mni 无可用渠道（distributor）",
                        "type": "new_api_error", "code": "model_not_found"}}


def gateway_without(model_list: Any = MODELS,
                    status: int = 503) -> tuple[GatewayClient, list[str]]:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path == "/v1/models":
            return (httpx.Response(200, json=model_list) if model_list is not None
                    else httpx.Response(500, text="down"))
        return httpx.Response(status, json=NO_CHANNEL)

    client = GatewayClient(base_url="https://models.example/v1", api_key="sk-models-00001",
                           max_retries=2, backoff_base=0.001, backoff_max=0.001,
                           http_transport=httpx.MockTransport(handler))
    return client, seen


SUGGESTING = {
    "chat": lambda client: client.chat("hi", model="gpt-4o-mni"),
    "stream": lambda client: list(client.stream_chat("hi", model="gpt-4o-mni")),
    "achat": lambda client: asyncio.run(client.achat("hi", model="gpt-4o-mni")),
    "astream": lambda client: asyncio.run(_consume(client.astream_chat("hi", model="gpt-4o-mni"))),
    "embed": lambda client: client.embed(["hi"], model="gpt-4o-mni"),
    "aembed": lambda client: asyncio.run(client.aembed(["hi"], model="gpt-4o-mni")),
    "rerank": lambda client: client.rerank("q", ["a", "b"], model="gpt-4o-mni"),
    "arerank": lambda client: asyncio.run(client.arerank("q", ["a", "b"], model="gpt-4o-mni")),
}
ROUTES = {"embed": "/v1/embeddings", "aembed": "/v1/embeddings", "rerank": "/v1/rerank",
          "arerank": "/v1/rerank"}


async def _consume(stream: Any) -> None:
    async for _ in stream:
        pass


@pytest.mark.parametrize("call", list(SUGGESTING))
def test_a_model_without_a_channel_is_not_retried_and_names_the_closest(call: str) -> None:
    client, seen = gateway_without()
    with pytest.raises(e.ModelNotAvailableError) as info:
        SUGGESTING[call](client)
    assert info.value.suggestions[0] == "gpt-4o-mini"
    assert "gpt-4o-mini" in str(info.value)
    assert "无可用渠道" in str(info.value)
    # sent once, the list read once
    assert seen == [ROUTES.get(call, "/v1/chat/completions"), "/v1/models"]
    with pytest.raises(e.ModelNotAvailableError):
        SUGGESTING[call](client)
    assert seen.count("/v1/models") == 1


@pytest.mark.parametrize("status", [200, 400, 404])
def test_no_channel_at_another_status_is_the_same_error(status: int) -> None:
    client, seen = gateway_without(status=status)
    with pytest.raises(e.ModelNotAvailableError) as info:
        client.chat("hi", model="gpt-4o-mni")
    assert info.value.suggestions[0] == "gpt-4o-mini"
    assert seen == ["/v1/chat/completions", "/v1/models"]


def test_an_unreadable_model_list_leaves_the_error_as_it_was() -> None:
    client, _ = gateway_without(model_list=None)
    with pytest.raises(e.ModelNotAvailableError) as info:
        client.chat("hi", model="gpt-4o-mni")
    assert info.value.suggestions == []
    assert "Closest models" not in str(info.value)


@pytest.mark.parametrize(("asked", "first"), [
    ("GPT-4O-MINI", "gpt-4o-mini"), ("openai/gpt-4o", "gpt-4o"), ("deepseek-reasoning",
                                                                  "deepseek-reasoner"),
    ("qwen", "qwen-plus"),
])
def test_closest_models(asked: str, first: str) -> None:
    from gateway_core.suggestions import closest_models

    names = [m["id"] for m in MODELS["data"]]
    assert closest_models(asked, names)[0] == first
    assert closest_models("zzzz-unrelated", names) == []
