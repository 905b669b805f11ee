"""Corpus embedding on a local Ray cluster (2 workers) through the emulator, sharing the Redis
rate limiter, with one worker killed mid-run: every text embedded exactly once paid (counted by
the emulator), and a rerun pays for nothing.

``make test`` embeds 2,000 texts; ``GATEWAY_RAY_TEXTS=20000`` runs the issue's full size.
"""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import ray  # the [distributed] extra, which dev installs: this test never skips

from gateway_core.coordination.checkpoint import VectorCheckpoint

ROOT = Path(__file__).resolve().parents[2]
TEXTS = int(os.environ.get("GATEWAY_RAY_TEXTS", "2000"))
BATCH = 100


@pytest.fixture(scope="module")
def ray_cluster(redis_server: Any) -> Iterator[str]:
    """A local Ray instance with 2 worker CPUs; workers import this checkout."""
    limit = f"rpm=60000,backend={redis_server.url},prefix=ray-{uuid.uuid4().hex}"
    # The node address is given: older Ray finds it by "connecting" a UDP socket to 8.8.8.8,
    # which the tests' socket guard (loopback only) refuses.
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             _node_ip_address="127.0.0.1",
             runtime_env={"env_vars": {"PYTHONPATH": str(ROOT), "GATEWAY_RATE_LIMIT": limit}})
    ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        yield limit
    finally:
        ray.shutdown()


def kill_one_worker_once(marker: str) -> Any:
    """``on_batch``: the first worker to finish its 3rd batch kills itself (SIGKILL, no
    cleanup), right after checkpointing: a worker lost mid-run."""

    def on_batch(batch_ids: list[str]) -> None:
        import redis

        store = redis.Redis.from_url(marker.split("|")[0])
        key = marker.split("|")[1]
        if store.incr(key) == 3:
            os.kill(os.getpid(), signal.SIGKILL)

    return on_batch


@pytest.mark.slow
def test_corpus_on_ray_survives_a_killed_worker_and_pays_each_text_once(
        gateway: Any, redis_url: str, ray_cluster: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from examples.ray_embed_corpus import embed_corpus
    from langchain_gateway import GatewayEmbeddings

    monkeypatch.setenv("GATEWAY_RATE_LIMIT", ray_cluster)
    emulator = gateway.emulator
    before = len(emulator.requests("/v1/embeddings"))
    ids = [f"t{i}" for i in range(TEXTS)]
    texts = [f"short text number {i} about {i % 13}" for i in range(TEXTS)]
    embeddings = GatewayEmbeddings(model=gateway.embedding_model, dimensions=8,
                                   **gateway.settings())
    assert embeddings.client.transport.pacer is not None  # the shared Redis limiter
    checkpoint = VectorCheckpoint(redis_url, namespace=uuid.uuid4().hex)
    marker = f"{redis_url}|kills-{uuid.uuid4().hex}"
    vectors = embed_corpus(ids, texts, embeddings=embeddings, checkpoint=checkpoint,
                           batch_size=BATCH, workers=2, on_batch=kill_one_worker_once(marker),
                           progress=False)
    import redis

    assert int(redis.Redis.from_url(redis_url).get(marker.split("|")[1]) or 0) > 3  # it died
    assert set(vectors) == set(ids)
    local = embeddings.embed_documents(texts[:5])  # the emulator's vectors are deterministic
    for got, expected in zip((vectors[i] for i in ids[:5]), local, strict=True):
        assert got == pytest.approx(expected, abs=1e-6)  # stored as float32
    calls = emulator.requests("/v1/embeddings")[before:]
    paid = sum(call["inputs"] for call in calls[:-1] if call["status"] == 200)  # [-1]: local
    assert paid == TEXTS  # every text exactly once, the killed worker's batches included
    again = embed_corpus(ids, texts, embeddings=embeddings, checkpoint=checkpoint,
                         batch_size=BATCH, workers=2, progress=False)
    assert again == vectors
    assert len(emulator.requests("/v1/embeddings")) == before + len(calls)  # nothing re-paid
    rate_keys = redis.Redis.from_url(redis_url).keys(ray_cluster.rsplit("prefix=", 1)[1] + ":*")
    assert rate_keys  # the workers paced through the shared limiter
