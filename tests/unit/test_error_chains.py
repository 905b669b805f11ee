"""Error chains end (issue 12): no error is its own cause, and walking ``__cause__`` /
``__context__`` from any error this package raises reaches the end. A reporter (Sentry,
``traceback``) that walks a cycle loops forever, or drops the report."""

from __future__ import annotations

import asyncio
import json
import traceback
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from gateway_core import GatewayClient
from gateway_core.errors import GatewayError
from tests.unit.media_fakes import FakeClock, FakeGateway, engine_for

KEY = "sk-chains-0123456789"


def walk(error: BaseException) -> list[BaseException]:
    """Every exception of the chain, once; fails on a cycle (an error reached again from its
    own causes) or on an error caused by itself. Reaching one error by two paths (``raise X
    from e`` inside ``except e`` sets both links to ``e``) is no cycle."""
    seen: list[BaseException] = []

    def visit(current: BaseException, path: list[BaseException]) -> None:
        assert current.__cause__ is not current, f"{current!r} is its own cause"
        assert current.__context__ is not current, f"{current!r} is its own context"
        assert not any(current is p for p in path), f"{current!r} is in a cycle"
        if any(current is s for s in seen):
            return
        seen.append(current)
        assert len(seen) < 50, "the chain does not end"
        for link in (current.__cause__, current.__context__):
            if link is not None:
                visit(link, [*path, current])

    visit(error, [])
    return seen


def test_the_walk_fails_on_a_cycle_and_not_on_a_shared_cause() -> None:
    first, second = ValueError("a"), ValueError("b")
    first.__cause__, second.__context__ = second, first
    with pytest.raises(AssertionError, match="cycle"):
        walk(first)
    shared = KeyError("k")
    top = RuntimeError("t")
    top.__cause__ = top.__context__ = shared
    assert walk(top) == [top, shared]


def answering(*responses: httpx.Response | Exception) -> GatewayClient:
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return item

    return GatewayClient(base_url="https://chains.example/v1", api_key=KEY, max_retries=1,
                         backoff_base=0.001, backoff_max=0.001, deadline=60,
                         http_transport=httpx.MockTransport(handler))


def sse(*events: Any) -> bytes:
    return b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in events)


def delta(text: str) -> dict[str, Any]:
    return {"id": "c", "choices": [{"index": 0, "delta": {"content": text}}]}


RESPONSES: dict[str, Callable[[], list[httpx.Response | Exception]]] = {
    "connect": lambda: [httpx.ConnectError("refused")],
    "read-timeout": lambda: [httpx.ReadTimeout("slow")],
    "429": lambda: [httpx.Response(429, json={"error": {"message": "slow down"}})],
    "503-no-channel": lambda: [httpx.Response(503, json={"error": {
        "message": "无可用渠道", "code": "model_not_found"}})],
    "404-route": lambda: [httpx.Response(404, json={"error": {"message": "Invalid URL"}})],
    "404-model": lambda: [httpx.Response(404, json={"error": {
        "message": "The model `m` does not exist", "code": "model_not_found"}})],
    "html": lambda: [httpx.Response(200, text="<!doctype html><title>x</title>")],
    "not-json": lambda: [httpx.Response(200, text="fine thanks")],
    "200-error": lambda: [httpx.Response(200, json={"error": {"message": "nope"}})],
    "cut-stream": lambda: [httpx.Response(200, content=sse(delta("a")))],
    "error-event": lambda: [httpx.Response(200, content=sse(delta("a"), {"error": {
        "message": "upstream died", "code": 500}}))],
    "malformed": lambda: [httpx.Response(200, content=b"data: {not json\n\n")],
}
CALLS: dict[str, Callable[[GatewayClient], Any]] = {
    "chat": lambda c: c.chat("hi", model="m"),
    "stream": lambda c: list(c.stream_chat("hi", model="m")),
    "achat": lambda c: asyncio.run(c.achat("hi", model="m")),
    "embed": lambda c: c.embed(["a"], model="m"),
    "rerank": lambda c: c.rerank("q", ["a", "b"], model="m"),
    "models": lambda c: c.list_models(),
}


@pytest.mark.parametrize("call", list(CALLS))
@pytest.mark.parametrize("failure", list(RESPONSES))
def test_every_error_path_has_a_chain_that_ends(failure: str, call: str) -> None:
    client = answering(*RESPONSES[failure]())
    with pytest.raises(GatewayError) as info:
        CALLS[call](client)
    chain = walk(info.value)
    assert chain[0] is info.value
    "".join(traceback.format_exception(info.value))  # the standard reporter terminates too


@pytest.mark.parametrize("failure", ["429", "503-no-channel", "404-route", "html", "cut-stream",
                                     "error-event"])
def test_the_framework_errors_have_chains_that_end(failure: str) -> None:
    from langchain_gateway import ChatGateway
    from llamaindex_gateway import GatewayLLM

    for make, run in (
        (lambda: ChatGateway(model="m", base_url="https://chains.example/v1", api_key=KEY,
                             max_retries=0, http_transport=httpx.MockTransport(handler)),
         lambda model: list(model.stream("hi"))),
        (lambda: GatewayLLM(model="m", api_base="https://chains.example/v1", api_key=KEY,
                            max_retries=0, http_transport=httpx.MockTransport(handler)),
         lambda model: list(model.stream_complete("hi"))),
    ):
        responses = RESPONSES[failure]()

        def handler(request: httpx.Request, responses: list[Any] = responses) -> httpx.Response:
            item = responses[0]
            assert isinstance(item, httpx.Response)
            return item

        with pytest.raises(GatewayError) as info:
            run(make())
        walk(info.value)


def task_gateway(*create: httpx.Response | Exception, poll: list[httpx.Response] | None = None,
                 **settings: Any) -> FakeGateway:
    def raising(error: Exception) -> Any:
        def handler(request: httpx.Request) -> httpx.Response:
            raise error
        return handler

    answers = [raising(c) if isinstance(c, Exception) else c for c in create]
    routes: dict[Any, Any] = {("POST", "/v1/videos"): answers[0] if callable(answers[0])
                              else answers}
    routes[("GET", "/v1/videos/task_1")] = poll or [httpx.Response(200, json=VIDEO)]
    return FakeGateway(routes, **settings)


VIDEO = {"id": "task_1", "task_id": "task_1", "object": "video", "status": "in_progress"}
TASK_FAILURES: dict[str, Callable[[], FakeGateway]] = {
    "create-400": lambda: task_gateway(httpx.Response(400, json={"error": {"message": "no"}})),
    "create-200-envelope": lambda: task_gateway(httpx.Response(200, json={
        "code": 1102, "message": "账户余额不足", "data": None})),
    "create-dropped": lambda: task_gateway(httpx.RemoteProtocolError("dropped")),
    "create-html": lambda: task_gateway(httpx.Response(200, text="<html><title>x</title>")),
    "failed": lambda: task_gateway(httpx.Response(200, json=VIDEO), poll=[httpx.Response(
        200, json={**VIDEO, "status": "failed", "error": {"message": "moderation"}})]),
    "timeout": lambda: task_gateway(httpx.Response(200, json=VIDEO)),
    "poll-404": lambda: task_gateway(httpx.Response(200, json=VIDEO), poll=[httpx.Response(
        404, json={"error": {"message": "task not found"}})]),
}


@pytest.mark.parametrize("failure", list(TASK_FAILURES))
def test_every_task_error_has_a_chain_that_ends(failure: str) -> None:
    gateway = TASK_FAILURES[failure]()
    engine_for(gateway, FakeClock(), timeout=30.0)
    with pytest.raises(GatewayError) as info:
        gateway.client.create_video("x", model="sora-2", protocol="openai-videos").result()
    walk(info.value)
    "".join(traceback.format_exception(info.value))


IMAGE_FAILURES = ["429", "503-no-channel", "html", "not-json", "200-error", "connect"]


@pytest.mark.parametrize("failure", IMAGE_FAILURES)
def test_every_image_error_has_a_chain_that_ends(failure: str) -> None:
    client = answering(*RESPONSES[failure]())
    with pytest.raises(GatewayError) as info:
        client.generate_image("a cat", model="m")
    walk(info.value)
