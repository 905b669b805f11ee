"""A LlamaIndex RAG pipeline end to end over loopback: VectorStoreIndex with GatewayEmbedding,
a query engine with the GatewayRerank postprocessor and GatewayLLM."""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core import VectorStoreIndex
from llama_index.core.schema import TextNode

from llamaindex_gateway import GatewayEmbedding, GatewayRerank

NODES = [
    TextNode(text="Relay gateways bill embeddings per input token.", id_="billing"),
    TextNode(text="one-api has no rerank route; new-api serves the Jina rerank format.",
             id_="rerank"),
    TextNode(text="Embedding batches larger than 64 inputs are refused by SiliconFlow.",
             id_="batches"),
    TextNode(text="The emulator answers chat by echoing the user's message.", id_="emulator"),
    TextNode(text="Bananas are rich in potassium and easy to digest.", id_="bananas"),
    TextNode(text="Paris is the capital of France.", id_="paris"),
]
QUESTION = "Which gateway has no rerank route?"


def index(gateway: Any, **embedding_settings: Any) -> VectorStoreIndex:
    embed_model = GatewayEmbedding(model_name=gateway.embedding_model, **gateway.settings(),
                                   **embedding_settings)
    nodes = [node.model_copy() for node in NODES]
    return VectorStoreIndex(nodes, embed_model=embed_model)


def reranker(gateway: Any, top_n: int = 2) -> GatewayRerank:
    return GatewayRerank(model=gateway.rerank_model, top_n=top_n, **gateway.settings())


def llm(gateway: Any) -> Any:
    llms = pytest.importorskip("llamaindex_gateway.llms")
    return llms.GatewayLLM(model=gateway.chat_model, max_tokens=200, **gateway.settings())


def test_retriever_and_postprocessor(gateway: Any) -> None:
    retriever = index(gateway, embed_batch_size=2).as_retriever(similarity_top_k=4)
    candidates = retriever.retrieve(QUESTION)
    assert len(candidates) == 4
    ranked = reranker(gateway).postprocess_nodes(candidates, query_str=QUESTION)
    assert [n.node.node_id for n in ranked][0] == "rerank"
    assert len(ranked) == 2
    assert ranked[0].score is not None
    assert ranked[1].score is not None
    assert ranked[0].score >= ranked[1].score


def test_query_engine_with_rerank_and_llm(gateway: Any) -> None:
    engine = index(gateway).as_query_engine(
        llm=llm(gateway), similarity_top_k=4, node_postprocessors=[reranker(gateway)])
    response = engine.query(QUESTION)
    assert str(response).strip()
    assert [n.node.node_id for n in response.source_nodes][0] == "rerank"
    assert len(response.source_nodes) == 2


async def test_query_engine_async(gateway: Any) -> None:
    engine = index(gateway).as_query_engine(
        llm=llm(gateway), similarity_top_k=4, node_postprocessors=[reranker(gateway, 1)])
    response = await engine.aquery("What is the capital of France?")
    assert [n.node.node_id for n in response.source_nodes] == ["paris"]
    assert str(response).strip()


async def test_async_embedding_batches(gateway: Any) -> None:
    embed_model = GatewayEmbedding(model_name=gateway.embedding_model, embed_batch_size=2,
                                   **gateway.settings())
    texts = [node.text for node in NODES]
    vectors = await embed_model.aget_text_embedding_batch(texts)
    assert vectors == embed_model.get_text_embedding_batch(texts)
    assert len(vectors) == len(NODES)
