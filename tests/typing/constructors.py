"""The documented constructor calls, checked by mypy --strict and pyright (``make typecheck``).

Each call is one a class docstring, the README or docs/ shows, with the documented argument
names. ``tests/unit/test_typed_constructors.py`` also runs them, so they work at run time too.
"""

from __future__ import annotations

import certifi
from langchain_core.documents import Document
from langchain_core.runnables import RunnableLambda

from langchain_gateway import (
    ChatGateway,
    ContextualRerankRetriever,
    GatewayEmbeddings,
    GatewayImageEditTool,
    GatewayImageTool,
    GatewayRerank,
    GatewayVideoTool,
)
from llamaindex_gateway import GatewayEmbedding, GatewayLLM, GatewayMediaToolSpec
from llamaindex_gateway import GatewayRerank as LlamaIndexRerank

URL = "https://your-gateway.example.com/v1"
KEY = "sk-..."
CA_BUNDLE = certifi.where()


def langchain_classes() -> list[object]:
    chat = ChatGateway(model="gpt-4o-mini", base_url=URL, api_key=KEY, max_tokens=256,
                       temperature=0, timeout=60, max_retries=2, reasoning_effort="low",
                       stop=["\n\n"], model_kwargs={"top_k": 40}, extra_body={"x": 1},
                       default_headers={"X-Team": "a"}, proxy="http://proxy:8080",
                       verify=CA_BUNDLE, allow_insecure_http=False,
                       capabilities={"json_schema": True}, stream_usage=True)
    lan = ChatGateway(model="qwen-plus", base_url="http://192.168.1.10:3000/v1", api_key=KEY,
                      allow_insecure_http=True, verify=False)
    embeddings = GatewayEmbeddings(model="text-embedding-3-small", base_url=URL, api_key=KEY,
                                   dimensions=256, batch_size=32, timeout=30,
                                   max_concurrency=4, allow_insecure_http=True, verify=True)
    reranker = GatewayRerank(model="bge-reranker-v2-m3", top_n=3, base_url=URL, api_key=KEY,
                             verify=False)
    retriever = ContextualRerankRetriever(base_retriever=candidates, reranker=reranker, k=4)
    image = GatewayImageTool(model="gpt-image-1", save_dir="out/images", base_url=URL,
                             api_key=KEY, allow_insecure_http=True)
    edit = GatewayImageEditTool(model="gpt-image-1", base_url=URL, api_key=KEY)
    video = GatewayVideoTool(model="sora-2", protocol="auto", task_timeout=600, base_url=URL,
                             api_key=KEY, verify=False)
    return [chat, lan, embeddings, reranker, retriever, image, edit, video]


def _no_documents(query: str) -> list[Document]:
    return []


candidates = RunnableLambda(_no_documents)


def llamaindex_classes() -> list[object]:
    llm = GatewayLLM(model="gpt-4o-mini", api_base=URL, api_key=KEY, max_tokens=256,
                     temperature=0.2, timeout=60, additional_kwargs={"top_k": 40},
                     allow_insecure_http=False, verify=CA_BUNDLE)
    same = GatewayLLM(model="gpt-4o-mini", base_url=URL, api_key=KEY)
    embed = GatewayEmbedding(model_name="bge-m3", api_base=URL, api_key=KEY,
                             embed_batch_size=32, dimensions=512, allow_insecure_http=True)
    rerank = LlamaIndexRerank(model="bge-reranker-v2-m3", top_n=3, base_url=URL, api_key=KEY,
                              verify=False)
    spec = GatewayMediaToolSpec(image_model="gpt-image-1", video_model="sora-2",
                                base_url=URL, api_key=KEY, save_dir="out/media",
                                allow_insecure_http=True, verify=False)
    return [llm, same, embed, rerank, spec]
