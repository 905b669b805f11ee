"""Retries happen once, in the transport: no framework retry layer is stacked on top.

LlamaIndex's own OpenAI classes nest retries (peers.md: 12 requests for one persistent 500 on the
LLM, 110 on embeddings). Every class here sends exactly 1 + max_retries requests.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.usefixtures("emulator")


def faulty(gateway: Any, max_retries: int) -> tuple[dict[str, Any], str]:
    scenario = uuid.uuid4().hex
    settings = gateway.settings(max_retries=max_retries)
    settings["default_headers"] = {"X-Emulator-Faults": ",".join(["500"] * 20),
                                   "X-Emulator-Scenario": scenario}
    return settings, scenario


def lc_chat(gateway: Any, settings: dict[str, Any]) -> Callable[[], Any]:
    from langchain_gateway import ChatGateway

    llm = ChatGateway(model=gateway.chat_model, **settings)
    return lambda: llm.invoke("hello")


def lc_embeddings(gateway: Any, settings: dict[str, Any]) -> Callable[[], Any]:
    from langchain_gateway import GatewayEmbeddings

    embeddings = GatewayEmbeddings(model=gateway.embedding_model, **settings)
    return lambda: embeddings.embed_documents(["a", "b"])


def lc_rerank(gateway: Any, settings: dict[str, Any]) -> Callable[[], Any]:
    from langchain_gateway import GatewayRerank

    reranker = GatewayRerank(model=gateway.rerank_model, **settings)
    return lambda: reranker.rerank(["a", "b"], "a")


def li_llm(gateway: Any, settings: dict[str, Any]) -> Callable[[], Any]:
    from llamaindex_gateway import GatewayLLM

    llm = GatewayLLM(model=gateway.chat_model, **settings)
    return lambda: llm.complete("hello")


def li_embedding(gateway: Any, settings: dict[str, Any]) -> Callable[[], Any]:
    from llamaindex_gateway import GatewayEmbedding

    embed = GatewayEmbedding(model_name=gateway.embedding_model, **settings)
    return lambda: embed.get_text_embedding_batch(["a", "b"])


def li_rerank(gateway: Any, settings: dict[str, Any]) -> Callable[[], Any]:
    from llama_index.core.schema import NodeWithScore, TextNode

    from llamaindex_gateway import GatewayRerank

    reranker = GatewayRerank(model=gateway.rerank_model, **settings)
    nodes = [NodeWithScore(node=TextNode(text="a")), NodeWithScore(node=TextNode(text="b"))]
    return lambda: reranker.postprocess_nodes(nodes, query_str="a")


CLASSES = {"ChatGateway": (lc_chat, "/v1/chat/completions"),
           "GatewayEmbeddings": (lc_embeddings, "/v1/embeddings"),
           "langchain GatewayRerank": (lc_rerank, "/v1/rerank"),
           "GatewayLLM": (li_llm, "/v1/chat/completions"),
           "GatewayEmbedding": (li_embedding, "/v1/embeddings"),
           "llamaindex GatewayRerank": (li_rerank, "/v1/rerank")}


@pytest.mark.parametrize("max_retries", [0, 2])
@pytest.mark.parametrize("name", list(CLASSES))
def test_a_persistent_500_costs_exactly_one_plus_max_retries_requests(
    emulator: Any, gateway: Any, name: str, max_retries: int
) -> None:
    build, path = CLASSES[name]
    settings, scenario = faulty(gateway, max_retries)
    call = build(gateway, settings)
    with pytest.raises(Exception, match=r"500|bad response") as caught:
        call()
    assert gateway.api_key not in str(caught.value)
    sent = sum(1 for r in emulator.requests(path) if r["scenario"] == scenario)
    assert sent == 1 + max_retries
