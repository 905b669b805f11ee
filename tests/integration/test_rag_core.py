"""Embeddings and rerank through GatewayClient over loopback (the emulator, or live).

Relay quirks come from model markers (``bge-m3+shuffle``) and failures from the fault DSL
(``X-Emulator-Faults`` in a scenario of the test's own): see docs/emulator-contract.md. Tests that
use them skip in live mode.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

import pytest

from gateway_core import GatewayClient
from gateway_core.errors import BadRequestError, EndpointNotSupportedError, InvalidRequestError

TEXTS = [
    "The cat sat on the warm mat.",
    "A cat and a kitten sleep on a mat.",
    "Stock markets fell sharply on Monday.",
    "Interest rates and stock prices move together.",
    "The recipe needs flour, eggs and butter.",
]


def client(target: Any, **settings: Any) -> GatewayClient:
    return GatewayClient(**target.settings(**settings))


def emulator_only(target: Any) -> None:
    if target.live:
        pytest.skip("uses emulator markers or fault injection")


def faulted(target: Any, steps: str) -> tuple[GatewayClient, str]:
    """A client whose requests run ``steps`` in a scenario of their own (and that scenario)."""
    scenario = uuid.uuid4().hex
    headers = {"X-Emulator-Faults": steps, "X-Emulator-Scenario": scenario}
    return client(target, headers=headers, backoff_base=0.01, backoff_max=0.05), scenario


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def test_embed_documents_in_order_with_usage(gateway: Any) -> None:
    result = client(gateway).embed(TEXTS, model=gateway.embedding_model)
    assert len(result.vectors) == len(TEXTS)
    assert len({len(v) for v in result.vectors}) == 1
    assert result.dimension is not None
    assert result.dimension > 0
    assert all(isinstance(v[0], float) for v in result.vectors)
    assert result.usage.get("total_tokens", 0) > 0
    assert result.request_ids
    # Texts that share words are closer than texts that do not.
    cats, stocks = result.vectors[0], result.vectors[2]
    assert cosine(cats, result.vectors[1]) > cosine(cats, stocks)


def test_float_and_base64_answers_agree(gateway: Any) -> None:
    gw = client(gateway)
    floats = gw.embed(TEXTS[:3], model=gateway.embedding_model).vectors
    packed = gw.embed(TEXTS[:3], model=gateway.embedding_model, encoding_format="base64").vectors
    for a, b in zip(floats, packed, strict=True):
        assert b == pytest.approx(a, abs=1e-6)


def test_dimensions_are_passed(gateway: Any) -> None:
    result = client(gateway).embed(TEXTS[:2], model=gateway.embedding_model, dimensions=256)
    assert result.dimension == 256


def test_out_of_order_and_base64_only_answers(gateway: Any) -> None:
    emulator_only(gateway)
    gw = client(gateway)
    texts = [f"document number {i} about topic {i % 3}" for i in range(9)]
    plain = gw.embed(texts, model="bge-m3").vectors
    assert gw.embed(texts, model="bge-m3+shuffle").vectors == plain
    packed = gw.embed(texts, model="bge-m3+base64-only+shuffle").vectors
    for a, b in zip(plain, packed, strict=True):
        assert b == pytest.approx(a, abs=1e-6)


def test_batch_limit_of_the_provider(gateway: Any) -> None:
    emulator_only(gateway)
    gw = client(gateway)
    texts = [f"text {i}" for i in range(20)]
    model = f"bge-m3+max-batch=8+t{uuid.uuid4().hex[:8]}"  # a model of its own: caps are learned
    assert len(gw.embed(texts, model=model, batch_size=8).vectors) == 20
    # The default batch (20 here) is refused, split to the size the gateway names, remembered.
    result = gw.embed(texts, model=model)
    assert result.vectors == gw.embed(texts, model="bge-m3").vectors
    gw.embed(texts, model=model)
    log = [r["status"] for r in gateway.emulator.requests("/v1/embeddings") if r["model"] == model]
    # batch_size=8: 3 requests; default: refused, then 3; third call: 3 at once.
    assert log == [200, 200, 200, 400, 200, 200, 200, 200, 200, 200]


def test_retry_resends_only_the_failed_batch(gateway: Any) -> None:
    emulator_only(gateway)
    gw, scenario = faulted(gateway, "ok,500,ok")
    texts = [f"text {i}" for i in range(12)]
    result = gw.embed(texts, model="bge-m3", batch_size=4)
    assert len(result.vectors) == 12
    log = [r for r in gateway.emulator.requests("/v1/embeddings") if r["scenario"] == scenario]
    assert [r["status"] for r in log] == [200, 500, 200, 200]  # 3 batches, batch 2 twice


def test_failure_for_good_keeps_finished_batches(gateway: Any) -> None:
    emulator_only(gateway)
    gw, _ = faulted(gateway, "ok,403-quota")
    texts = [f"text {i}" for i in range(12)]
    with pytest.raises(Exception) as info:
        gw.embed(texts, model="bge-m3", batch_size=4)
    err = info.value
    assert type(err).__name__ == "QuotaExceededError"
    assert "Embedding input(s) 4-7 (request 2 of 3) failed" in str(err)
    assert "Input(s) 8-11 were not sent" in str(err)
    partial = err.partial  # type: ignore[attr-defined]
    assert all(v is not None for v in partial[:4])
    assert partial[4:] == [None] * 8
    assert gateway.api_key not in str(err)


async def test_async_runs_batches_concurrently(gateway: Any) -> None:
    emulator_only(gateway)
    texts = [f"text {i}" for i in range(16)]
    # Every request waits at the emulator until 4 are in at once: no timing involved.
    gw, scenario = faulted(gateway, ",".join(["gate:4"] * 8))
    result = await gw.aembed(texts, model="bge-m3", batch_size=2)  # 8 requests, 4 at a time
    assert len(result.vectors) == 16
    log = [r for r in gateway.emulator.requests("/v1/embeddings") if r["scenario"] == scenario]
    assert len(log) == 8
    assert all(r["gate_opened"] for r in log)
    assert max(r["held"] for r in log) == 4
    sequential = client(gateway).embed(texts, model="bge-m3", batch_size=2).vectors
    assert result.vectors == sequential


def test_empty_strings(gateway: Any) -> None:
    gw = client(gateway)
    with pytest.raises(InvalidRequestError, match="empty strings"):
        gw.embed(["text", ""], model=gateway.embedding_model)
    result = gw.embed(["text", ""], model=gateway.embedding_model, empty_text="zeros")
    assert result.vectors[1] == [0.0] * len(result.vectors[0])
    assert gw.embed([], model=gateway.embedding_model).vectors == []


# --------------------------------------------------------------------------- rerank

DOCS = [
    "Paris is the capital and largest city of France.",
    "Berlin is the capital of Germany.",
    "The Eiffel Tower is in Paris, France.",
    "Bananas are rich in potassium.",
]


def test_rerank_ranks_relevant_documents_first(gateway: Any) -> None:
    result = client(gateway).rerank("capital of France", DOCS, model=gateway.rerank_model,
                                    top_n=2)
    assert len(result.hits) == 2
    assert result.hits[0].index == 0
    assert result.hits[0].relevance_score >= result.hits[1].relevance_score
    assert all(hit.document is None for hit in result.hits)  # return_documents: false


@pytest.mark.parametrize("marker", ["document-string", "document-object", "unsorted"])
def test_rerank_answer_shapes(gateway: Any, marker: str) -> None:
    emulator_only(gateway)
    result = client(gateway).rerank("capital of France", DOCS,
                                    model=f"bge-reranker-v2-m3+{marker}")
    assert sorted(hit.index for hit in result.hits) == [0, 1, 2, 3]
    scores = [hit.relevance_score for hit in result.hits]
    assert scores == sorted(scores, reverse=True)
    if marker.startswith("document"):
        assert [hit.document for hit in result.hits] == [DOCS[hit.index] for hit in result.hits]


def test_rerank_splits_when_the_provider_caps_documents(gateway: Any) -> None:
    emulator_only(gateway)
    gw = client(gateway)
    documents = [f"note {i}: " + ("france paris " if i == 13 else "weather report ") * 3
                 for i in range(25)]
    with pytest.raises(BadRequestError, match="too many documents"):
        gw.rerank("paris france", documents, model="bge-reranker-v2-m3+max-docs=10")
    result = gw.rerank("paris france", documents, model="bge-reranker-v2-m3+max-docs=10",
                       max_documents_per_request=10, top_n=3)
    assert len(result.hits) == 3
    assert result.hits[0].index == 13


async def test_async_rerank(gateway: Any) -> None:
    result = await client(gateway).arerank("Eiffel Tower", DOCS, model=gateway.rerank_model,
                                           top_n=1)
    assert [hit.index for hit in result.hits] == [2]


def test_gateway_without_rerank(gateway: Any) -> None:
    emulator_only(gateway)
    gw = client(gateway, headers={"X-Emulator-No-Rerank": "1"})
    with pytest.raises(EndpointNotSupportedError, match="has no rerank endpoint") as info:
        gw.rerank("q", DOCS, model="bge-reranker-v2-m3")
    assert info.value.status_code == 404
    assert info.value.request_id
