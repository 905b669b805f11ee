"""Provenance for observability, in each framework's own channel, over loopback.

LangChain: what LangSmith records for a run is the run's metadata, which carries
``_get_ls_params`` — a callback handler sees exactly that. LlamaIndex: instrumentation events
carry ``to_payload()``. Both name the model's real provider and, separately, the gateway.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.instrumentation.events.llm import LLMChatStartEvent

from langchain_gateway import ChatGateway
from llamaindex_gateway import GatewayLLM
from tests.llamaindex_events import recording

MODELS = [("gpt-4o-mini", "openai"), ("deepseek-chat", "deepseek"),
          ("claude-sonnet-4-5", "anthropic"), ("gemini-2.5-flash", "google"),
          ("qwen-plus", "qwen"), ("glm-4.6", "zhipu"), ("kimi-k2-thinking", "moonshot")]


class _Metadata(BaseCallbackHandler):
    def __init__(self) -> None:
        self.metadata: list[dict[str, Any]] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, *, run_id: UUID,
                            metadata: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self.metadata.append(dict(metadata or {}))


@pytest.mark.parametrize(("model", "provider"), MODELS)
async def test_langsmith_metadata_names_the_provider_and_the_gateway(
        gateway: Any, model: str, provider: str) -> None:
    if gateway.live and model != gateway.chat_model:
        pytest.skip("live: only the configured chat model")
    llm = ChatGateway(**gateway.settings(model=model, max_tokens=20))
    handler = _Metadata()
    llm.invoke("hello", config={"callbacks": [handler]})
    await llm.ainvoke("hello", config={"callbacks": [handler]})
    for metadata in handler.metadata:
        assert metadata["ls_provider"] == provider
        assert metadata["ls_model_name"] == model
        assert metadata["ls_gateway"] == urlsplit(gateway.base_url).netloc
        assert gateway.api_key not in repr(metadata)
    assert len(handler.metadata) == 2


@pytest.mark.parametrize(("model", "provider"), MODELS[:3])
async def test_llamaindex_events_name_the_provider_and_the_gateway(
        gateway: Any, model: str, provider: str) -> None:
    if gateway.live and model != gateway.chat_model:
        pytest.skip("live: only the configured chat model")
    llm = GatewayLLM(**gateway.settings(model=model, max_tokens=20))
    with recording(LLMChatStartEvent) as recorder:
        llm.chat([ChatMessage(role="user", content="hello")])
        await llm.achat([ChatMessage(role="user", content="hello")])
    assert len(recorder.events) == 2
    for event in recorder.events:
        assert event.model_dict["provider"] == provider
        assert event.model_dict["model_name"] == model
        assert event.model_dict["gateway"] == urlsplit(gateway.base_url).netloc
        assert gateway.api_key not in repr(event.model_dict)
