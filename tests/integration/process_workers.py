"""Functions run in other processes (fork pool workers, spawned processes) by test_processes.

Kept in a module of their own so a spawned interpreter imports only this (and what the pickled
objects need), not the test module and pytest's fixtures.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from gateway_core import GatewayClient

DOCUMENTS = ["a cat sat on the mat", "stock prices fell", "the cat and the dog", "rain today"]

# Set by the parent before it forks: the warm client the children inherit.
WARM: dict[str, GatewayClient] = {}


def core_round(client: GatewayClient, tag: str, models: dict[str, str]) -> dict[str, Any]:
    """Chat, stream, embeddings and rerank, sync and async, through one client."""
    chat = client.chat(f"sync chat {tag}", model=models["chat"]).text
    streamed = "".join(delta.text for delta in client.stream_chat(
        f"sync stream {tag}", model=models["chat"]))
    vectors = client.embed([f"text {tag}", "shared text"], model=models["embedding"]).vectors
    hits = client.rerank("cat", DOCUMENTS, model=models["rerank"]).hits

    async def async_round() -> tuple[str, str]:
        answer = await client.achat(f"async chat {tag}", model=models["chat"])
        parts = [delta.text async for delta in client.astream_chat(
            f"async stream {tag}", model=models["chat"])]
        return answer.text, "".join(parts)

    achat, astreamed = asyncio.run(async_round())
    return {"pid": os.getpid(), "chat": chat, "stream": streamed, "achat": achat,
            "astream": astreamed, "vectors": vectors, "ranking": [hit.index for hit in hits]}


def forked_round(job: tuple[str, dict[str, str]]) -> dict[str, Any]:
    """A fork-pool task: use the client inherited from the parent."""
    tag, models = job
    return core_round(WARM["client"], tag, models)


def use_object(payload: tuple[str, Any]) -> tuple[str, int, str]:
    """Unpickled in a spawned process: make one real call with the object; say what came back."""
    name, obj = payload
    answer = USES[name](obj)
    return name, os.getpid(), answer


def _first_text(value: Any) -> str:
    return str(getattr(value, "content", value))


USES: dict[str, Any] = {
    "GatewayConfig": lambda config: GatewayClient(config).chat(
        "spawned config", model="gpt-4o-mini").text,
    "GatewayClient": lambda client: client.chat("spawned client", model="gpt-4o-mini").text,
    "ChatGateway": lambda chat: _first_text(chat.invoke("spawned langchain chat")),
    "GatewayLLM": lambda llm: llm.complete("spawned llamaindex llm").text,
    "GatewayEmbeddings": lambda emb: str(len(emb.embed_query("spawned"))),
    "GatewayEmbedding": lambda emb: str(len(emb.get_text_embedding("spawned"))),
    "LangChainRerank": lambda rr: _lc_rerank(rr),
    "LlamaIndexRerank": lambda rr: _li_rerank(rr),
    "GatewayImageTool": lambda tool: _first_text(tool.invoke({"prompt": "a spawned cat"})),
    "GatewayImageEditTool": lambda tool: _first_text(tool.invoke(
        {"prompt": "make it blue", "image_urls": ["https://example.com/a.png"]})),
    "GatewayVideoTool": lambda tool: _first_text(tool.invoke({"prompt": "a spawned fox"})),
    "GatewayMediaToolSpec": lambda spec: str(spec.generate_image("a spawned fox")),
}


def _lc_rerank(reranker: Any) -> str:
    from langchain_core.documents import Document

    kept = reranker.compress_documents([Document(page_content=d) for d in DOCUMENTS], "cat")
    return "|".join(doc.page_content for doc in kept)


def _li_rerank(reranker: Any) -> str:
    from llama_index.core.schema import NodeWithScore, TextNode

    nodes = [NodeWithScore(node=TextNode(text=d), score=0.0) for d in DOCUMENTS]
    kept = reranker.postprocess_nodes(nodes, query_str="cat")
    return "|".join(node.node.get_content() for node in kept)
