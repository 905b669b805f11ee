"""Finished embeddings kept by id, so a rerun or a retried worker never pays for them again.

A corpus job (Ray, Dask, Celery, a plain loop) asks :meth:`VectorCheckpoint.missing` which ids
still need a vector, embeds only those, and :meth:`~VectorCheckpoint.put` s the answers right
after they arrive. Stored by id, not by batch: a rerun may cut the corpus into other batches.

Backends: a Redis hash (``redis://…``: every worker of every machine) or a process-local dict
(``None``). Vectors are stored as float32 bytes (4 bytes per dimension).

What it cannot do: a worker killed after sending a request and before storing its answer loses
that answer; its texts are embedded (and paid) again. Embedding endpoints take no idempotency
key, so no client can do better; keep batches small to keep that loss small.
"""

from __future__ import annotations

import array
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["VectorCheckpoint"]


def _pack(vector: Sequence[float]) -> bytes:
    return array.array("f", vector).tobytes()


def _unpack(raw: bytes) -> list[float]:
    values = array.array("f")
    values.frombytes(raw)
    return values.tolist()


class VectorCheckpoint:
    """Vectors by id under ``namespace`` (one job), in Redis or in this process.

    .. code-block:: python

        checkpoint = VectorCheckpoint("redis://localhost:6379/0", namespace="corpus-v1")
        todo = checkpoint.missing(ids)
        checkpoint.put(dict(zip(todo, embeddings.embed_documents([texts[i] for i in todo]))))
    """

    def __init__(self, url: str | None = None, *, namespace: str = "corpus") -> None:
        self.url = url
        self.namespace = namespace
        self._client: Any = None
        self._local: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        where = "memory" if self.url is None else "redis"
        return f"VectorCheckpoint({where}, namespace={self.namespace!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        if self.url is None:
            raise TypeError("A process-local VectorCheckpoint cannot be shared with another "
                            "process: give it a redis:// URL.")
        return (_rebuild, (self.url, self.namespace))

    @property
    def _key(self) -> str:
        return f"gateway-kit:vectors:{self.namespace}"

    def _redis(self) -> Any:
        if self._client is None:
            from .redis_support import redis_client

            self._client = redis_client(str(self.url))
        return self._client

    def get(self, ids: Sequence[str]) -> dict[str, list[float]]:
        """The stored vectors of those ``ids`` that have one."""
        if not ids:
            return {}
        if self.url is None:
            with self._lock:
                raw = [self._local.get(i) for i in ids]
        else:
            raw = self._redis().hmget(self._key, list(ids))
        return {i: _unpack(r) for i, r in zip(ids, raw, strict=True) if r is not None}

    def missing(self, ids: Sequence[str]) -> list[str]:
        """The ids without a stored vector, in the given order."""
        if not ids:
            return []
        if self.url is None:
            with self._lock:
                return [i for i in ids if i not in self._local]
        present = self._redis().hmget(self._key, list(ids))
        return [i for i, r in zip(ids, present, strict=True) if r is None]

    def put(self, vectors: Mapping[str, Sequence[float]]) -> None:
        """Store vectors (at once, before anything else happens to the batch)."""
        if not vectors:
            return
        packed = {i: _pack(v) for i, v in vectors.items()}
        if self.url is None:
            with self._lock:
                self._local.update(packed)
        else:
            self._redis().hset(self._key, mapping=packed)

    def count(self) -> int:
        """How many ids have a vector (a job's progress)."""
        if self.url is None:
            return len(self._local)
        return int(self._redis().hlen(self._key))

    def clear(self) -> None:
        """Forget the namespace (start the job over)."""
        if self.url is None:
            with self._lock:
                self._local.clear()
        else:
            self._redis().delete(self._key)

    def items(self, ids: Iterable[str]) -> dict[str, list[float]]:
        """Every stored vector of ``ids`` (read in pages)."""
        wanted = list(ids)
        out: dict[str, list[float]] = {}
        for start in range(0, len(wanted), 1000):
            out.update(self.get(wanted[start:start + 1000]))
        return out


def _rebuild(url: str, namespace: str) -> VectorCheckpoint:
    return VectorCheckpoint(url, namespace=namespace)
