"""RAG in LlamaIndex: VectorStoreIndex with GatewayEmbedding, a query engine with the GatewayRerank
postprocessor and GatewayLLM, sync and async.

Run: python examples/rag_llamaindex.py (against the bundled emulator; with --live, against the
gateway in GATEWAY_BASE_URL / GATEWAY_API_KEY, which bills you). The emulator's chat model only
echoes the prompt.
"""

from __future__ import annotations

import asyncio
from typing import Any

from _support import gateway, heading
from llama_index.core import Document, VectorStoreIndex

from llamaindex_gateway import GatewayEmbedding, GatewayLLM, GatewayRerank

DOCUMENTS = [
    Document(text="one-api has no /v1/rerank route; new-api serves rerank in the Jina format.",
             doc_id="rerank", metadata={"source": "gateways.md"}),
    Document(text="Relay gateways bill embeddings per input token, like the upstream provider.",
             doc_id="billing", metadata={"source": "billing.md"}),
    Document(text="SiliconFlow refuses embedding batches larger than 64 inputs; DashScope "
                  "allows 10.", doc_id="batches", metadata={"source": "limits.md"}),
    Document(text="A 429 saying 负载已饱和 means the upstream of your group is saturated: retry "
                  "later.", doc_id="saturation", metadata={"source": "errors.md"}),
    Document(text="new-api answers 503 model_not_found when no channel serves a model right now.",
             doc_id="channels", metadata={"source": "errors.md"}),
    Document(text="Bananas are rich in potassium and easy to digest.", doc_id="bananas",
             metadata={"source": "food.md"}),
]


def show(response: Any) -> None:
    print("sources (reranked):")
    for item in response.source_nodes:
        print(f"  {item.score:.3f}  [{item.node.metadata['source']}] "
              f"{item.node.get_content()}")
    print("answer:", str(response).strip())


def main() -> None:
    with gateway() as target:
        embed_model = GatewayEmbedding(model_name=target.embedding_model, **target.settings)
        index = VectorStoreIndex.from_documents(DOCUMENTS, embed_model=embed_model)

        llm = GatewayLLM(model=target.chat_model, max_tokens=300, **target.settings)
        reranker = GatewayRerank(model=target.rerank_model, top_n=2, **target.settings)
        engine = index.as_query_engine(llm=llm, similarity_top_k=4,
                                       node_postprocessors=[reranker])

        heading("Query engine: retrieve 4, rerank to 2, answer")
        show(engine.query("Which gateway has no rerank route?"))

        heading("Same engine, async")
        show(asyncio.run(engine.aquery("What does a 429 with 负载已饱和 mean?")))


if __name__ == "__main__":
    main()
