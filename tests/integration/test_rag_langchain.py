"""LangChain RAG end to end over loopback: embed -> store -> retrieve -> rerank -> answer.

Against the emulator the chat "model" only echoes, so the answer is checked for being there and
for carrying the sources; retrieval and reranking are checked exactly (the emulator's vectors and
BM25 scores follow shared words).
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnableParallel, RunnablePassthrough
from langchain_core.vectorstores import InMemoryVectorStore

from langchain_gateway import ChatGateway, GatewayEmbeddings, GatewayRerank
from langchain_gateway.retrievers import ContextualRerankRetriever

CORPUS = [
    Document("Relay gateways bill embeddings per input token.", id="billing",
             metadata={"source": "billing.md"}),
    Document("one-api has no rerank route; new-api serves the Jina rerank format.",
             id="rerank", metadata={"source": "rerank.md"}),
    Document("Embedding batches larger than 64 inputs are refused by SiliconFlow.",
             id="batches", metadata={"source": "limits.md"}),
    Document("The emulator answers chat by echoing the user's message.", id="emulator",
             metadata={"source": "emulator.md"}),
    Document("Bananas are rich in potassium and easy to digest.", id="bananas",
             metadata={"source": "food.md"}),
    Document("Paris is the capital of France.", id="paris", metadata={"source": "geo.md"}),
]
PROMPT = ChatPromptTemplate.from_messages([
    ("system", "Answer from the sources only. Cite them by source name.\n\n{context}"),
    ("human", "{question}"),
])


def format_docs(docs: list[Document]) -> str:
    return "\n".join(f"[{d.metadata['source']}] {d.page_content}" for d in docs)


def pipeline(gateway: Any, **embedding_settings: Any) -> Any:
    settings = gateway.settings()
    embeddings = GatewayEmbeddings(model=gateway.embedding_model, **settings,
                                   **embedding_settings)
    store = InMemoryVectorStore(embedding=embeddings)
    store.add_documents(CORPUS)
    retriever = ContextualRerankRetriever(
        base_retriever=store.as_retriever(search_kwargs={"k": 4}),
        reranker=GatewayRerank(model=gateway.rerank_model, top_n=2, **settings),
    )
    llm = ChatGateway(model=gateway.chat_model, temperature=0, max_tokens=200, **settings)
    answer = PROMPT | llm | StrOutputParser()
    chain = (
        RunnableParallel(sources=retriever, question=RunnablePassthrough())
        .assign(context=RunnableLambda(lambda x: format_docs(x["sources"])))
        .assign(answer=answer)
    )
    return chain


QUESTION = "Which gateway has no rerank route?"


def test_rag_chain_answers_with_reranked_sources(gateway: Any) -> None:
    chain = pipeline(gateway)
    result = chain.invoke(QUESTION)
    sources = result["sources"]
    assert len(sources) == 2
    assert sources[0].id == "rerank"
    assert sources[0].metadata["source"] == "rerank.md"
    scores = [d.metadata["relevance_score"] for d in sources]
    assert scores == sorted(scores, reverse=True)
    assert result["answer"].strip()
    assert "relevance_score" not in CORPUS[1].metadata  # the store's documents are untouched


async def test_rag_chain_async(gateway: Any) -> None:
    chain = pipeline(gateway)
    result = await chain.ainvoke(QUESTION)
    assert [d.id for d in result["sources"]][0] == "rerank"
    assert result["answer"].strip()


def test_rag_with_relay_quirks(gateway: Any) -> None:
    if gateway.live:
        pytest.skip("uses emulator markers")
    settings = gateway.settings()
    quirky = GatewayEmbeddings(model="bge-m3+shuffle+base64-only", batch_size=2, **settings)
    plain = GatewayEmbeddings(model="bge-m3", **settings)
    texts = [d.page_content for d in CORPUS]
    for a, b in zip(plain.embed_documents(texts), quirky.embed_documents(texts), strict=True):
        assert b == pytest.approx(a, abs=1e-6)
    store = InMemoryVectorStore.from_documents(CORPUS, quirky)
    hits = store.similarity_search("capital of France", k=1)
    assert hits[0].id == "paris"
    reranker = GatewayRerank(model="bge-reranker-v2-m3+unsorted+document-object", top_n=1,
                             **settings)
    best = reranker.compress_documents(CORPUS, "potassium bananas")
    assert [d.id for d in best] == ["bananas"]


def _classic_retriever(gateway: Any) -> Any:
    from langchain_classic.retrievers import ContextualCompressionRetriever  # dev extra

    settings = gateway.settings()
    store = InMemoryVectorStore.from_documents(
        CORPUS, GatewayEmbeddings(model=gateway.embedding_model, **settings))
    return ContextualCompressionRetriever(
        base_compressor=GatewayRerank(model=gateway.rerank_model, top_n=2, **settings),
        base_retriever=store.as_retriever(search_kwargs={"k": 4}),
    )


def test_classic_contextual_compression_retriever(gateway: Any) -> None:
    docs = _classic_retriever(gateway).invoke(QUESTION)
    assert [d.id for d in docs][0] == "rerank"
    assert len(docs) == 2
    assert docs[0].metadata["relevance_score"] >= docs[1].metadata["relevance_score"]


async def test_classic_contextual_compression_retriever_async(gateway: Any) -> None:
    docs = await _classic_retriever(gateway).ainvoke(QUESTION)
    assert [d.id for d in docs][0] == "rerank"
    assert len(docs) == 2
