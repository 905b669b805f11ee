"""The constructor calls of tests/typing/constructors.py (which mypy --strict and pyright check
in ``make typecheck``) also work at run time, with the settings they name."""

from __future__ import annotations

from tests.typing import constructors


def test_documented_langchain_calls_run() -> None:
    chat, lan, embeddings, reranker, retriever, image, edit, video = (
        constructors.langchain_classes())
    assert chat.max_tokens == 256
    assert chat.client.config.verify == constructors.CA_BUNDLE
    assert lan.client.config.base_url == "http://192.168.1.10:3000"
    assert retriever.k == 4
    assert video.client.config.verify is False
    assert (embeddings.batch_size, reranker.top_n) == (32, 3)
    assert (image.save_dir, edit.name) == ("out/images", "edit_image")


def test_documented_llamaindex_calls_run() -> None:
    llm, same, embed, rerank, spec = constructors.llamaindex_classes()
    assert llm.metadata.num_output == 256
    assert same.api_base == constructors.URL
    assert embed.embed_batch_size == 32
    assert spec.client.config.allow_insecure_http is True
    assert rerank.client.config.verify is False
