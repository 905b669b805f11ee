"""Embed a corpus on a Ray cluster: Ray Data ``map_batches`` with ``GatewayEmbeddings``.

Every worker shares the key's rate limit through Redis (``GATEWAY_RATE_LIMIT`` with a
``backend=redis://…``), and every finished vector is checkpointed in Redis by id
(:class:`gateway_core.coordination.checkpoint.VectorCheckpoint`) the moment it arrives: a killed
worker's task is retried by Ray, a killed job is simply run again, and texts already embedded
are never sent (nor paid for) twice.

    pip install 'ai-gateway-kit[distributed]'
    python examples/ray_embed_corpus.py             # local Ray, emulator, a throwaway Redis

On a real cluster: start Ray (``ray start --head`` / ``ray start --address=…``, or KubeRay),
point ``REDIS_URL`` at a Redis every node reaches, set ``RAY_ADDRESS`` and the gateway's
``GATEWAY_BASE_URL`` / ``GATEWAY_API_KEY``; the code below is the same (``ray.init()`` joins the
cluster; ``workers`` is then how many embedding tasks run at once across it).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from examples._support import gateway, heading
from gateway_core.coordination.checkpoint import VectorCheckpoint


def embed_corpus(
    ids: Sequence[str],
    texts: Sequence[str],
    *,
    embeddings: Any,
    checkpoint: VectorCheckpoint,
    batch_size: int = 100,
    workers: int = 2,
    on_batch: Callable[[list[str]], None] | None = None,
    progress: bool = True,
) -> dict[str, list[float]]:
    """Embed ``texts`` (named by ``ids``) with Ray Data; returns every vector by id.

    ``embeddings`` is any LangChain ``Embeddings`` that pickles (``GatewayEmbeddings`` does);
    ``on_batch`` is called in the worker after each batch is checkpointed.
    """
    import ray

    todo = checkpoint.missing(list(ids))
    wanted = set(todo)
    rows = [{"id": i, "text": t} for i, t in zip(ids, texts, strict=True) if i in wanted]
    if rows:
        def embed_batch(batch: dict[str, Any]) -> dict[str, Any]:
            batch_ids = [str(i) for i in batch["id"]]
            by_id = dict(zip(batch_ids, (str(t) for t in batch["text"]), strict=True))
            missing = checkpoint.missing(batch_ids)  # a retried task skips what it finished
            if missing:
                vectors = embeddings.embed_documents([by_id[i] for i in missing])
                checkpoint.put(dict(zip(missing, vectors, strict=True)))
            if on_batch is not None:
                on_batch(batch_ids)
            return {"id": batch_ids}

        dataset = ray.data.from_items(rows, override_num_blocks=max(workers * 4, 1))
        # Ray retries the task of a worker that died (system failures are retried by
        # default); the retry skips what the dead worker had checkpointed.
        # concurrency= (not compute=TaskPoolStrategy, which Ray 2.40, the floor, lacks) caps
        # the tasks running at once.
        done = dataset.map_batches(embed_batch, batch_size=batch_size, concurrency=workers)
        bar = _progress(len(rows), progress)
        for part in done.iter_batches(batch_size=None):
            bar(len(part["id"]))
        bar(0, close=True)
    return checkpoint.items(ids)


def _progress(total: int, show: bool) -> Callable[..., None]:
    if not show:
        return lambda n, close=False: None
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc="Embedding corpus", unit="text")

    def update(n: int, close: bool = False) -> None:
        bar.update(n)
        if close:
            bar.close()

    return update


@contextmanager
def redis_url() -> Iterator[str]:
    """``REDIS_URL``, else a throwaway local redis-server (the one the tests use)."""
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    from tests.redis_server import RedisServer

    with RedisServer() as server:
        yield server.url


def main() -> None:
    import ray

    from langchain_gateway import GatewayEmbeddings

    corpus = [f"chunk {i}: a short passage about topic {i % 97}" for i in range(2_000)]
    ids = [f"doc-{i}" for i in range(len(corpus))]
    with gateway() as target, redis_url() as redis:
        limit = f"rpm=6000,backend={redis},prefix=example-rate"
        os.environ["GATEWAY_RATE_LIMIT"] = limit  # every class built from now on is paced
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                 runtime_env={"env_vars": {"GATEWAY_RATE_LIMIT": limit}})
        try:
            embeddings = GatewayEmbeddings(model=target.embedding_model, dimensions=64,
                                           **target.settings)
            checkpoint = VectorCheckpoint(redis, namespace="example-corpus")
            checkpoint.clear()
            heading("First run")
            vectors = embed_corpus(ids, corpus, embeddings=embeddings, checkpoint=checkpoint)
            print(f"vectors: {len(vectors)} of {len(corpus)}, dimension "
                  f"{len(next(iter(vectors.values())))}")
            heading("Second run (resumed: nothing left to pay for)")
            again = embed_corpus(ids, corpus, embeddings=embeddings, checkpoint=checkpoint)
            print(f"vectors: {len(again)}; identical: {again == vectors}")
        finally:
            ray.shutdown()


if __name__ == "__main__":
    main()
