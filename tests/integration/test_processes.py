"""Processes, threads and event loops: fork, spawn, pickling, repeated asyncio.run, close.

Everything over loopback against the emulator; the checks are answers and counts (descriptors,
clients per loop), never timings.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import pickle
import subprocess
import sys
import threading
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from gateway_core import GatewayClient, GatewayConfig
from tests.integration import process_workers
from tests.integration.process_workers import DOCUMENTS, core_round, use_object

pytestmark = pytest.mark.usefixtures("emulator")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def models(gateway: Any) -> dict[str, str]:
    return {"chat": gateway.chat_model, "embedding": gateway.embedding_model,
            "rerank": gateway.rerank_model}


def check_round(result: dict[str, Any], tag: str, reference: dict[str, Any]) -> None:
    """The emulator echoes prompts and embeds deterministically: every answer is checkable."""
    assert f"sync chat {tag}" in result["chat"]
    assert f"sync stream {tag}" in result["stream"]
    assert f"async chat {tag}" in result["achat"]
    assert f"async stream {tag}" in result["astream"]
    assert result["vectors"][1] == reference["vectors"][1]  # the same text, the same vector
    assert result["ranking"] == reference["ranking"]


def test_fork_pool_of_four_and_the_parent_at_once(gateway: Any) -> None:
    client = GatewayClient(**gateway.settings(headers={"X-Test": "fork"}))
    reference = core_round(client, "parent-warm", models(gateway))  # warm: open connections
    process_workers.WARM["client"] = client
    jobs = [(f"child-{i}", models(gateway)) for i in range(12)]
    context = multiprocessing.get_context("fork")
    with context.Pool(4) as pool:
        pending = pool.map_async(process_workers.forked_round, jobs)
        with ThreadPoolExecutor(2) as threads:  # the parent keeps using its own pools meanwhile
            mine = list(threads.map(lambda tag: core_round(client, tag, models(gateway)),
                                    [f"parent-{i}" for i in range(4)]))
        results = pending.get(timeout=120)
    for (tag, _), result in zip(jobs, results, strict=True):
        check_round(result, tag, reference)
        assert result["pid"] != os.getpid()
    for i, result in enumerate(mine):
        check_round(result, f"parent-{i}", reference)
    assert len({result["pid"] for result in results}) > 1
    process_workers.WARM.clear()


def test_a_forked_child_never_touches_the_parents_pool(gateway: Any) -> None:
    client = GatewayClient(**gateway.settings(headers={"X-Test": "fork-identity"}))
    client.chat("warm", model=gateway.chat_model)
    parent_pool = client.transport.sync_client
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a fresh pool, and a working one
        ok = client.transport.sync_client is not parent_pool
        ok = ok and "in the child" in client.chat("in the child", model=gateway.chat_model).text
        os.write(write, b"1" if ok else b"0")
        os._exit(0)
    os.close(write)
    assert os.read(read, 1) == b"1"
    os.waitpid(pid, 0)
    assert client.transport.sync_client is parent_pool  # the parent keeps its own
    assert "parent" in client.chat("parent after fork", model=gateway.chat_model).text


# ---------------------------------------------------------------- pickling and spawn


def every_public_object(gateway: Any) -> dict[str, Any]:
    from langchain_gateway import (
        ChatGateway,
        GatewayEmbeddings,
        GatewayImageEditTool,
        GatewayImageTool,
        GatewayVideoTool,
    )
    from langchain_gateway import GatewayRerank as LangChainRerank
    from llamaindex_gateway import GatewayEmbedding, GatewayLLM, GatewayMediaToolSpec
    from llamaindex_gateway import GatewayRerank as LlamaIndexRerank

    kw = gateway.settings()
    return {
        "GatewayConfig": GatewayConfig(**kw),
        "GatewayClient": GatewayClient(**kw),
        "ChatGateway": ChatGateway(model=gateway.chat_model, **kw),
        "GatewayLLM": GatewayLLM(model=gateway.chat_model, **kw),
        "GatewayEmbeddings": GatewayEmbeddings(model=gateway.embedding_model, **kw),
        "GatewayEmbedding": GatewayEmbedding(model_name=gateway.embedding_model, **kw),
        "LangChainRerank": LangChainRerank(model=gateway.rerank_model, top_n=2, **kw),
        "LlamaIndexRerank": LlamaIndexRerank(model=gateway.rerank_model, top_n=2, **kw),
        "GatewayImageTool": GatewayImageTool(model=gateway.image_model, **kw),
        "GatewayImageEditTool": GatewayImageEditTool(model="seedream-3.0", **kw),
        "GatewayVideoTool": GatewayVideoTool(model=gateway.video_model, **kw),
        "GatewayMediaToolSpec": GatewayMediaToolSpec(image_model=gateway.image_model,
                                                     task_journal=False, **kw),
    }


def pickled_quietly(obj: Any, caplog: pytest.LogCaptureFixture) -> bytes:
    """Pickle with every warning an error and no log line at WARNING or above."""
    caplog.clear()
    with warnings.catch_warnings(), caplog.at_level(logging.WARNING):
        warnings.simplefilter("error")
        data = pickle.dumps(obj)
        pickle.loads(data)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    return data


@pytest.fixture(scope="module")
def spawned() -> Iterator[Any]:
    """One spawn-started worker for the module (a spawn pays a whole interpreter start)."""
    context = multiprocessing.get_context("spawn")
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env_path) if p)
    try:
        with context.Pool(1) as pool:
            yield pool
    finally:
        os.environ["PYTHONPATH"] = env_path


PUBLIC_CLASSES = ["GatewayConfig", "GatewayClient", "ChatGateway", "GatewayLLM",
                  "GatewayEmbeddings", "GatewayEmbedding", "LangChainRerank", "LlamaIndexRerank",
                  "GatewayImageTool", "GatewayImageEditTool", "GatewayVideoTool",
                  "GatewayMediaToolSpec"]


@pytest.mark.parametrize("name", PUBLIC_CLASSES)
def test_pickles_before_and_after_use_and_works_when_spawned(
        gateway: Any, spawned: Any, caplog: pytest.LogCaptureFixture, name: str) -> None:
    obj = every_public_object(gateway)[name]
    before = pickled_quietly(obj, caplog)
    local = use_object((name, obj))[2]  # the first call, here
    after = pickled_quietly(obj, caplog)
    assert gateway.api_key not in repr(obj)
    assert gateway.api_key not in repr(pickle.loads(after))
    answers = spawned.map(use_object, [(name, pickle.loads(before)), (name, pickle.loads(after))])
    for _, pid, answer in answers:
        assert pid != os.getpid()
        assert answer
        if name in ("GatewayConfig", "GatewayClient", "ChatGateway", "GatewayLLM"):
            assert "spawned" in answer
        if name in ("GatewayEmbeddings", "GatewayEmbedding", "LangChainRerank",
                    "LlamaIndexRerank"):
            assert answer == local  # deterministic: the same answer as here
        if name == "LangChainRerank":
            assert answer.split("|")[0] in DOCUMENTS
            assert "cat" in answer


def test_repeated_asyncio_run_within_64_descriptors(gateway: Any) -> None:
    script = (
        "import asyncio, resource\n"
        "from gateway_core import GatewayClient\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))\n"
        f"client = GatewayClient(base_url={gateway.base_url!r}, api_key={gateway.api_key!r})\n"
        "async def burst():\n"
        "    await asyncio.gather(*(client.achat('x', model='gpt-4o-mini') for _ in range(8)))\n"
        "for _ in range(150):\n"
        "    asyncio.run(burst())\n"
        "print('done')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": ROOT})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "done"


# ---------------------------------------------------------------- loops and threads


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_repeated_asyncio_run_does_not_leak_connections(gateway: Any) -> None:
    client = GatewayClient(**gateway.settings(headers={"X-Test": "runs"}))

    async def burst() -> list[str]:
        answers = await asyncio.gather(*(client.achat(f"run {i}", model=gateway.chat_model)
                                         for i in range(6)))
        return [answer.text for answer in answers]

    asyncio.run(burst())
    before = open_descriptors()
    for _ in range(30):
        assert all(f"run {i}" in text for i, text in enumerate(asyncio.run(burst())))
    assert open_descriptors() - before <= 2  # was +6 per run
    assert len(client.transport._async) == 0  # every loop's client went with its loop


def test_one_client_from_64_threads_and_async_code_at_once(gateway: Any) -> None:
    client = GatewayClient(**gateway.settings(headers={"X-Test": "threads"}))
    stop = threading.Event()
    async_answers: list[str] = []

    def async_side() -> None:
        async def loop_forever() -> None:
            while not stop.is_set():
                async_answers.append((await client.achat(
                    "async side", model=gateway.chat_model)).text)
        asyncio.run(loop_forever())

    runner = threading.Thread(target=async_side)
    runner.start()
    with ThreadPoolExecutor(64) as pool:
        answers = list(pool.map(
            lambda i: client.chat(f"thread {i}", model=gateway.chat_model).text, range(128)))
    stop.set()
    runner.join(timeout=60)
    assert all(f"thread {i}" in text for i, text in enumerate(answers))
    assert async_answers
    assert all("async side" in text for text in async_answers)


async def test_async_context_manager_closes_the_loops_client(gateway: Any) -> None:
    async with GatewayClient(**gateway.settings(headers={"X-Test": "acm"})) as client:
        assert "hello" in (await client.achat("hello", model=gateway.chat_model)).text
        pool = client.transport.async_client
    assert pool.is_closed
    assert asyncio.get_running_loop() not in client.transport._async
    assert "again" in (await client.achat("again", model=gateway.chat_model)).text  # reopens


def test_context_manager_closes_and_no_resource_warning_at_exit(gateway: Any) -> None:
    script = (
        "import asyncio, sys\n"
        "from gateway_core import GatewayClient\n"
        f"kw = dict(base_url={gateway.base_url!r}, api_key={gateway.api_key!r})\n"
        "with GatewayClient(**kw) as client:\n"
        "    client.chat('sync', model='gpt-4o-mini')\n"
        "    list(client.stream_chat('stream', model='gpt-4o-mini'))\n"
        "async def main():\n"
        "    async with GatewayClient(**kw) as client:\n"
        "        await client.achat('async', model='gpt-4o-mini')\n"
        "asyncio.run(main())\n"
        "unclosed = GatewayClient(**kw, timeout=33)\n"  # never closed: exit must be quiet too
        "unclosed.chat('left open', model='gpt-4o-mini')\n"
        "asyncio.run(main())\n"
        "print('done')\n"
    )
    done = subprocess.run([sys.executable, "-X", "dev", "-W", "error::ResourceWarning", "-c",
                           script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": ROOT})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "done"
    assert "ResourceWarning" not in done.stderr, done.stderr
    assert "unclosed" not in done.stderr, done.stderr
