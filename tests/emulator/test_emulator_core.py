"""The emulator's own contract (docs/emulator-contract.md), checked with raw httpx.

These tests never use the client: they pin down the server side, so a client bug and an
emulator bug cannot cancel out.
"""

from __future__ import annotations

import base64
import json
import math
import uuid
from array import array
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.usefixtures("emulator")


@pytest.fixture
def http(emulator: Any) -> httpx.Client:
    with httpx.Client(base_url=emulator.root_url, timeout=10,
                      headers={"Authorization": f"Bearer {emulator.api_key}"}) as client:
        yield client


def chat(http: httpx.Client, model: str = "gpt-4o-mini", content: str = "Say hello world",
         **extra: Any) -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": content}], **extra}
    return http.post("/v1/chat/completions", json=body)


def sse(response: httpx.Response) -> list[Any]:
    """The ``data:`` payloads of a stream, JSON-decoded except ``[DONE]``."""
    events = []
    for line in response.text.splitlines():
        if line.startswith("data: "):
            payload = line[6:]
            events.append(payload if payload == "[DONE]" else json.loads(payload))
    return events


# ---------------------------------------------------------------- gateway behaviour


def test_auth_request_id_and_envelope(emulator: Any, http: httpx.Client) -> None:
    ok = chat(http)
    assert ok.status_code == 200
    assert ok.headers["x-oneapi-request-id"]
    wrong = httpx.post(emulator.root_url + "/v1/chat/completions", json={},
                       headers={"Authorization": "Bearer sk-nope"})
    assert wrong.status_code == 401
    rid = wrong.headers["x-oneapi-request-id"]
    assert wrong.json()["error"]["message"].endswith(f"(request id: {rid})")
    # new-api strips a leading sk- on both sides
    bare = emulator.api_key.removeprefix("sk-")
    assert httpx.get(emulator.root_url + "/v1/models",
                     headers={"Authorization": f"Bearer {bare}"}).status_code == 200


def test_unknown_model_and_route(http: httpx.Client) -> None:
    missing = chat(http, model="no-such-model")
    assert missing.status_code == 503
    assert missing.json()["error"]["code"] == "model_not_found"
    route = http.post("/v1/nowhere", json={})
    assert route.status_code == 404
    assert route.json()["error"]["type"] == "invalid_request_error"
    assert http.post("/v1/images/variations", json={}).json()["error"]["code"] == (
        "api_not_implemented")


def test_fault_scenarios_are_consumed_in_order(emulator: Any, http: httpx.Client) -> None:
    headers = {"X-Emulator-Faults": "429-empty,503-model-not-found,200-error",
               "X-Emulator-Scenario": uuid.uuid4().hex}
    statuses = [chat(http).status_code]  # no header: normal
    for _ in range(4):
        response = http.post("/v1/chat/completions", headers=headers, json={
            "model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]})
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert response.content == b""
        if response.status_code == 200 and "error" in response.json():
            statuses[-1] = "200-error"
    assert statuses == [200, 429, 503, "200-error", 200]
    log = emulator.requests("/v1/chat/completions")
    mine = [r for r in log if r["scenario"] == headers["X-Emulator-Scenario"]]
    assert [r["fault"] for r in mine] == ["429-empty", "503-model-not-found", "200-error", None]


def test_model_suffix_faults_and_html_pages(http: httpx.Client) -> None:
    model = f"gpt-4o-mini@@502-html,ok#{uuid.uuid4().hex[:6]}"
    first = chat(http, model=model)
    assert first.status_code == 502
    assert first.headers["content-type"].startswith("text/html")
    assert chat(http, model=model).status_code == 200


def test_reset_drops_the_connection(http: httpx.Client) -> None:
    headers = {"X-Emulator-Faults": "reset", "X-Emulator-Scenario": uuid.uuid4().hex}
    with pytest.raises(httpx.TransportError):
        http.post("/v1/chat/completions", headers=headers,
                  json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]})


# ---------------------------------------------------------------- chat


def test_plain_completion_shape(http: httpx.Client) -> None:
    body = chat(http, max_tokens=3).json()
    choice = body["choices"][0]
    assert body["object"] == "chat.completion"
    assert choice["message"]["role"] == "assistant"
    assert choice["finish_reason"] == "length"
    assert len(choice["message"]["content"].split()) == 3
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    stopped = chat(http, stop=["world"]).json()["choices"][0]["message"]["content"]
    assert "world" not in stopped
    assert len(chat(http, n=2).json()["choices"]) == 2


def test_stream_shape_like_new_api(http: httpx.Client) -> None:
    events = sse(chat(http, stream=True))
    assert events[-1] == "[DONE]"
    assert events[0]["choices"][0]["delta"]["role"] == "assistant"
    assert events[-2]["choices"] == []
    assert events[-2]["usage"]["total_tokens"] > 0
    assert events[-3]["choices"][0]["finish_reason"] == "stop"
    text = "".join(e["choices"][0]["delta"].get("content") or "" for e in events[:-2])
    assert text == chat(http).json()["choices"][0]["message"]["content"]
    no_usage = sse(chat(http, stream=True, stream_options={"include_usage": False}))
    assert all(e == "[DONE]" or e["choices"] for e in no_usage)


TOOLS = [{"type": "function", "function": {
    "name": "add", "description": "Add two integers",
    "parameters": {"type": "object", "properties": {"a": {"type": "integer"},
                                                    "b": {"type": "integer"}}}}}]


def test_tool_call_arguments_follow_the_schema(http: httpx.Client) -> None:
    message = chat(http, content="add 2 and 3", tools=TOOLS).json()["choices"][0]["message"]
    call = message["tool_calls"][0]
    assert call["function"]["name"] == "add"
    assert json.loads(call["function"]["arguments"]) == {"a": 2, "b": 3}
    after = http.post("/v1/chat/completions", json={"model": "gpt-4o-mini", "tools": TOOLS,
                      "messages": [{"role": "user", "content": "add 2 and 3"}, message,
                                   {"role": "tool", "tool_call_id": call["id"],
                                    "content": "5"}]}).json()
    assert "5" in after["choices"][0]["message"]["content"]


@pytest.mark.parametrize("marker", ["noindex", "repeat-ids", "args-object", "two-calls-one-chunk"])
def test_tool_call_stream_quirks(http: httpx.Client, marker: str) -> None:
    events = sse(chat(http, model=f"gpt-4o-mini+{marker}", content="add 2 and 3",
                      tools=TOOLS, stream=True))
    fragments = [tc for e in events[:-1] for c in e["choices"]
                 for tc in c["delta"].get("tool_calls") or []]
    if marker == "noindex":
        assert all("index" not in f for f in fragments)
    if marker == "repeat-ids":
        assert all(f.get("id") for f in fragments)
        assert len(fragments) > 1
    if marker == "args-object":
        assert any(isinstance(f["function"]["arguments"], dict) for f in fragments)
    if marker == "two-calls-one-chunk":
        assert len(fragments) == 2


def test_reasoning_styles(http: httpx.Client) -> None:
    message = chat(http, model="deepseek-reasoner").json()["choices"][0]["message"]
    assert message["reasoning_content"]
    field = chat(http, model="gpt-4o-mini+reasoning-field").json()["choices"][0]["message"]
    assert field["reasoning"]
    think = chat(http, model="gpt-4o-mini+think-tags").json()["choices"][0]["message"]
    assert think["content"].startswith("<think>")


def test_deepseek_reasoner_wants_reasoning_back_with_tools(http: httpx.Client) -> None:
    lost = {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "add", "arguments": "{}"}}]}
    response = http.post("/v1/chat/completions", json={
        "model": "deepseek-reasoner", "tools": TOOLS,
        "messages": [{"role": "user", "content": "add"}, lost,
                     {"role": "tool", "tool_call_id": "call_1", "content": "5"}]})
    assert response.status_code == 400
    assert "reasoning_content" in response.json()["error"]["message"]


def test_rejected_parameter(http: httpx.Client) -> None:
    refused = chat(http, model="gpt-4o-mini+reject-stream_options", stream=True,
                   stream_options={"include_usage": True})
    assert refused.status_code == 400
    assert refused.json()["error"]["param"] == "stream_options"


def test_json_schema_answer(http: httpx.Client) -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"},
                                               "tags": {"type": "array",
                                                        "items": {"type": "string"}}}}
    content = chat(http, response_format={"type": "json_schema", "json_schema": {
        "name": "x", "schema": schema}}).json()["choices"][0]["message"]["content"]
    assert set(json.loads(content)) == {"name", "tags"}


@pytest.mark.parametrize(("step", "check"), [
    ("cut:2", "no-finish"), ("error-chunk:1", "error"), ("malformed:1", "malformed")])
def test_stream_faults(http: httpx.Client, step: str, check: str) -> None:
    headers = {"X-Emulator-Faults": step, "X-Emulator-Scenario": uuid.uuid4().hex}
    response = http.post("/v1/chat/completions", headers=headers, json={
        "model": "gpt-4o-mini", "stream": True,
        "messages": [{"role": "user", "content": "one two three four five"}]})
    if check == "malformed":
        assert "data: {\"id\": \"chatcmpl-broken\"" in response.text
        return
    events = sse(response)
    assert events[-1] == "[DONE]"
    if check == "no-finish":
        assert not any(c.get("finish_reason") for e in events[:-1] for c in e["choices"])
    else:
        assert "error" in events[-2]


@pytest.mark.parametrize(("name", "expected"), [
    ("gemini-denied-array-200", [{"error": {"code": 403, "message":
                                            "The caller does not have permission",
                                            "status": "PERMISSION_DENIED"}}]),
    ("baidu-qps-200", {"error_code": 18, "error_msg": "Open api qps request limit reached"}),
    ("fastapi-auth-200", {"detail": "Invalid authentication credentials"}),
])
def test_an_upstream_envelope_as_a_stream_event(http: httpx.Client, name: str,
                                                expected: Any) -> None:
    headers = {"X-Emulator-Faults": f"upstream-event-{name}:2",
               "X-Emulator-Scenario": uuid.uuid4().hex}
    response = http.post("/v1/chat/completions", headers=headers, json={
        "model": "gpt-4o-mini", "stream": True,
        "messages": [{"role": "user", "content": "one two three four five"}]})
    assert response.status_code == 200
    events = sse(response)
    assert events[-1] == "[DONE]"
    assert events[-2] == expected
    deltas = [c["delta"].get("content") for e in events[:-2] for c in e["choices"]]
    assert len([d for d in deltas if d]) == 2  # after two chunks of text


# ---------------------------------------------------------------- embeddings and rerank


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / math.sqrt(
        sum(x * x for x in a) * sum(y * y for y in b))


def test_embeddings_are_deterministic_and_similarity_tracks_words(http: httpx.Client) -> None:
    texts = ["the cat sat on the mat", "a cat on a mat", "stock market prices fell"]
    body = http.post("/v1/embeddings", json={"model": "bge-m3", "input": texts}).json()
    vectors = [d["embedding"] for d in sorted(body["data"], key=lambda d: d["index"])]
    assert len(vectors[0]) == 1024
    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2])
    again = http.post("/v1/embeddings", json={"model": "bge-m3", "input": texts[0],
                                               "encoding_format": "base64"}).json()
    decoded = array("f", base64.b64decode(again["data"][0]["embedding"])).tolist()
    assert decoded == pytest.approx(vectors[0], abs=1e-6)


def test_embedding_markers(http: httpx.Client) -> None:
    texts = [f"text {i}" for i in range(5)]
    shuffled = http.post("/v1/embeddings", json={"model": "bge-m3+shuffle", "input": texts})
    assert [d["index"] for d in shuffled.json()["data"]] != list(range(5))
    small = http.post("/v1/embeddings", json={"model": "bge-m3+max-batch=2", "input": texts})
    assert small.status_code == 400
    dims = http.post("/v1/embeddings", json={"model": "text-embedding-3-small", "input": "x",
                                             "dimensions": 256}).json()
    assert len(dims["data"][0]["embedding"]) == 256
    assert http.post("/v1/embeddings", json={"model": "bge-m3", "input": [""]}).status_code == 400
    tokens = http.post("/v1/embeddings", json={"model": "bge-m3", "input": [[1, 2, 3]]})
    assert tokens.status_code == 400


def test_rerank_jina_shape(http: httpx.Client) -> None:
    documents = ["Paris is the capital of France", "Bananas are yellow",
                 "France borders Spain"]
    body = http.post("/v1/rerank", json={"model": "bge-reranker-v2-m3", "query": "capital France",
                                         "documents": documents, "top_n": 2}).json()
    results = body["results"]
    assert [r["index"] for r in results] == [0, 2]
    assert results[0]["relevance_score"] >= results[1]["relevance_score"]
    assert "document" not in results[0]
    unsorted = http.post("/v1/rerank", json={"model": "bge-reranker-v2-m3+unsorted+document-string",
                                             "query": "capital France", "documents": documents})
    assert [r["index"] for r in unsorted.json()["results"]] == [0, 1, 2]
    assert unsorted.json()["results"][0]["document"] == documents[0]
    none = http.post("/v1/rerank", headers={"X-Emulator-No-Rerank": "1"}, json={})
    assert none.status_code == 404


# ---------------------------------------------------------------- account and models


def test_balance_endpoints(http: httpx.Client) -> None:
    usage = http.get("/api/usage/token/").json()
    assert usage["code"] is True
    assert usage["data"]["total_available"] == (
        usage["data"]["total_granted"] - usage["data"]["total_used"])
    subscription = http.get("/v1/dashboard/billing/subscription").json()
    spent = http.get("/dashboard/billing/usage").json()
    assert subscription["hard_limit_usd"] > spent["total_usage"] / 100
    oneapi = http.get("/api/usage/token/", headers={"X-Emulator-Balance": "oneapi"})
    assert oneapi.status_code == 404
    error = http.get("/v1/dashboard/billing/usage", headers={"X-Emulator-Balance": "error"})
    assert error.status_code == 200
    assert "error" in error.json()


def test_models_shapes(http: httpx.Client) -> None:
    newapi = http.get("/v1/models").json()
    assert newapi["success"] is True
    kinds = {m["id"]: m["supported_endpoint_types"] for m in newapi["data"]}
    assert kinds["bge-reranker-v2-m3"] == ["jina-rerank"]
    assert "openai-video" in kinds["sora-2"]
    missing = http.get("/v1/models/nope").json()
    assert missing["error"]["code"] == "model_not_found"


@pytest.mark.parametrize(("part", "problem"), [
    ({"type": "image_url", "image_url": {}}, "image_url.{url}"),
    ({"type": "image_url", "image_url": "https://x/a.png"}, "image_url.{url}"),
    ({"type": "input_audio", "input_audio": {"data": "AAAA"}}, "input_audio.{data, format}"),
    ({"type": "file", "file": {"filename": "a.pdf"}}, "file_data or file.file_id"),
    ({"type": "video_url", "video_url": {}}, "video_url.{url}"),
    ({"type": "picture", "url": "x"}, "unknown content part type"),
    ({"type": "text", "text": 3}, "string 'text'"),
])
def test_malformed_content_parts_are_refused(http: httpx.Client, part: dict[str, Any],
                                             problem: str) -> None:
    response = chat(http, content=[{"type": "text", "text": "hi"}, part])  # type: ignore[arg-type]
    assert response.status_code == 400
    assert problem in response.json()["error"]["message"]


def test_well_formed_parts_are_acknowledged(http: httpx.Client) -> None:
    parts = [{"type": "text", "text": "hi"},
             {"type": "image_url", "image_url": {"url": "https://x/a.png"}},
             {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
             {"type": "file", "file": {"file_data": "data:application/pdf;base64,AAAA"}}]
    answer = chat(http, content=parts).json()["choices"][0]["message"]["content"]  # type: ignore[arg-type]
    assert answer.endswith("(received 1 image_url, 1 input_audio, 1 file)")


def test_thinking_models_want_the_reasoning_field_on_tool_call_turns(http: httpx.Client) -> None:
    tool = {"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}
    turn = {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "add", "arguments": "{}"}}]}
    messages = [{"role": "user", "content": "add"}, turn,
                {"role": "tool", "tool_call_id": "c1", "content": "3"}]
    body = {"model": "deepseek-reasoner", "messages": messages, "tools": [tool]}
    assert http.post("/v1/chat/completions", json=body).status_code == 400
    turn["reasoning_content"] = ""  # present, even empty, is what the API checks
    assert http.post("/v1/chat/completions", json=body).status_code == 200


# ---------------------------------------------------------------- provider switches (issue 16)


def test_doubao_thinking_switch_as_volcengine_reads_it(http: httpx.Client) -> None:
    def reasoning(**extra: Any) -> Any:
        response = chat(http, model="doubao-seed-1-6", **extra)
        assert response.status_code == 200, response.text
        return response.json()["choices"][0]["message"].get("reasoning_content")

    assert reasoning()  # a hybrid model thinks unless told not to
    assert reasoning(thinking={"type": "enabled"})
    assert reasoning(thinking={"type": "auto"})
    assert reasoning(thinking={"type": "disabled"}) is None
    for bad in ("disabled", {"type": "off"}, {}):
        refused = chat(http, model="doubao-seed-1-6", thinking=bad)
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "InvalidParameter"
        assert refused.json()["error"]["param"] == "thinking.type"


@pytest.mark.parametrize(("model", "field", "status"), [
    ("gpt-4o-mini", "thinking", 400), ("gpt-4o-mini", "web_search_options", 400),
    ("gpt-4o-search-preview", "web_search_options", 200),
    ("gpt-4o-search-preview", "thinking", 400), ("doubao-seed-1-6", "web_search_options", 200),
])
def test_openai_refuses_the_fields_it_does_not_know(http: httpx.Client, model: str, field: str,
                                                    status: int) -> None:
    value = {"type": "disabled"} if field == "thinking" else {"search_context_size": "low"}
    response = chat(http, model=model, **{field: value})
    assert response.status_code == status
    if status == 400:
        error = response.json()["error"]
        assert error["param"] == field
        assert error["message"].startswith(f"Unrecognized request argument supplied: {field}")


def test_the_request_log_keeps_a_bodys_fields_but_not_its_content(emulator: Any,
                                                                  http: httpx.Client) -> None:
    model = f"doubao-seed-1-6+u{uuid.uuid4().hex[:8]}"
    chat(http, model=model, content="secret words", thinking={"type": "disabled"}, seed=7)
    [entry] = [e for e in emulator.requests("/v1/chat/completions") if e["model"] == model]
    assert entry["params"] == {"model": model, "thinking": {"type": "disabled"}, "seed": 7}
    huge = chat(http, model=model, metadata={"pad": "x" * 5000})
    assert huge.status_code == 200
    assert [e for e in emulator.requests("/v1/chat/completions")
            if e["model"] == model][-1]["params"] is None
