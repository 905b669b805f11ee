"""RAG in LangChain: GatewayEmbeddings -> InMemoryVectorStore -> retriever ->
ContextualCompressionRetriever with GatewayRerank -> an LCEL chain with ChatGateway that answers
with its sources. (``langchain_gateway.retrievers.ContextualRerankRetriever`` does the same
without the langchain-classic package.)

Run: python examples/rag_langchain.py (against the bundled emulator; with --live, against the
gateway in GATEWAY_BASE_URL / GATEWAY_API_KEY, which bills you). The emulator's chat model only
echoes the prompt.
"""

from __future__ import annotations

import asyncio
from typing import Any

from _support import gateway, heading
from langchain_classic.retrievers import ContextualCompressionRetriever
from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnableParallel, RunnablePassthrough
from langchain_core.vectorstores import InMemoryVectorStore

from langchain_gateway import ChatGateway, GatewayEmbeddings, GatewayRerank

DOCUMENTS = [
    Document("one-api has no /v1/rerank route; new-api serves rerank in the Jina format.",
             id="rerank", metadata={"source": "gateways.md"}),
    Document("Relay gateways bill embeddings per input token, like the upstream provider.",
             id="billing", metadata={"source": "billing.md"}),
    Document("SiliconFlow refuses embedding batches larger than 64 inputs; DashScope allows 10.",
             id="batches", metadata={"source": "limits.md"}),
    Document("A 429 saying 负载已饱和 means the upstream of your group is saturated: retry later.",
             id="saturation", metadata={"source": "errors.md"}),
    Document("new-api answers 503 model_not_found when no channel serves a model right now.",
             id="channels", metadata={"source": "errors.md"}),
    Document("Bananas are rich in potassium and easy to digest.", id="bananas",
             metadata={"source": "food.md"}),
]

PROMPT = ChatPromptTemplate.from_messages([
    ("system", "Answer the question from these sources only, citing them as [source].\n\n"
               "{context}"),
    ("human", "{question}"),
])


def format_sources(docs: list[Document]) -> str:
    return "\n".join(f"[{d.metadata['source']}] {d.page_content}" for d in docs)


def show(result: dict[str, Any]) -> None:
    print("sources (reranked):")
    for doc in result["sources"]:
        print(f"  {doc.metadata['relevance_score']:.3f}  {doc.id:<10} "
              f"[{doc.metadata['source']}] {doc.page_content}")
    print("answer:", result["answer"])


def main() -> None:
    with gateway() as target:
        embeddings = GatewayEmbeddings(model=target.embedding_model, **target.settings)
        store = InMemoryVectorStore(embedding=embeddings)
        store.add_documents(DOCUMENTS)

        retriever = ContextualCompressionRetriever(
            base_retriever=store.as_retriever(search_kwargs={"k": 4}),
            base_compressor=GatewayRerank(model=target.rerank_model, top_n=2, **target.settings),
        )
        llm = ChatGateway(model=target.chat_model, temperature=0, max_tokens=300,
                          **target.settings)
        chain = (
            RunnableParallel(sources=retriever, question=RunnablePassthrough())
            .assign(context=RunnableLambda(lambda x: format_sources(x["sources"])))
            .assign(answer=PROMPT | llm | StrOutputParser())
        )

        heading("Vector search alone (top 4 by embedding similarity)")
        for doc, score in store.similarity_search_with_score("Which gateway has no rerank?", k=4):
            print(f"  {score:.3f}  {doc.id}")

        heading("RAG chain: retrieve 4, rerank to 2, answer")
        show(chain.invoke("Which gateway has no rerank route?"))

        heading("Same chain, async")
        show(asyncio.run(chain.ainvoke("What does a 429 with 负载已饱和 mean?")))


if __name__ == "__main__":
    main()
