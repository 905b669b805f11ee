"""The LlamaIndex floor: a minimal ``LLM`` over raw httpx (chat, stream_chat, astream_chat)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import httpx
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.llm import LLM
from pydantic import PrivateAttr

_DONE = ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=""))


def _answer(line: str, text: list[str]) -> ChatResponse | None:
    """The response one SSE line makes (``text[0]`` is the text so far), ``None`` for a line
    that adds nothing, ``_DONE`` at ``[DONE]``."""
    if not line.startswith("data:"):
        return None
    data = line[5:].strip()
    if data == "[DONE]":
        return _DONE
    chunk = json.loads(data)
    choices = chunk.get("choices")
    delta = (choices[0]["delta"].get("content") or "") if choices else ""
    usage = chunk.get("usage")
    if not delta and not usage:
        return None
    text[0] += delta
    return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text[0]),
                        delta=delta, raw=chunk,
                        additional_kwargs={"usage": usage} if usage else {})


class FloorLLM(LLM):
    """``FloorLLM(model=..., api_base=".../v1", api_key=...)``."""

    model: str
    api_base: str
    api_key: str
    _http: httpx.Client = PrivateAttr()
    _ahttp: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any) -> None:
        self._http = httpx.Client(headers={"Authorization": f"Bearer {self.api_key}"},
                                  timeout=60.0)

    def _async_http(self) -> httpx.AsyncClient:
        """One async client per event loop, with no pool limits (as the raw httpx row)."""
        loop = asyncio.get_running_loop()
        client = self._ahttp.get(loop)
        if client is None:
            client = self._ahttp[loop] = httpx.AsyncClient(
                headers={"Authorization": f"Bearer {self.api_key}"}, timeout=60.0,
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=None))
        return client

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name=self.model, is_chat_model=True)

    def _payload(self, messages: Sequence[ChatMessage], stream: bool) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role.value, "content": m.content} for m in messages]}
        if stream:
            payload.update(stream=True, stream_options={"include_usage": True})
        return payload

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        response = self._http.post(f"{self.api_base}/chat/completions",
                                   json=self._payload(messages, False))
        response.raise_for_status()
        body = response.json()
        return ChatResponse(
            message=ChatMessage(role=MessageRole.ASSISTANT,
                                content=body["choices"][0]["message"]["content"]),
            raw=body, additional_kwargs={"usage": body["usage"]})

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        payload = self._payload(messages, True)

        def gen() -> ChatResponseGen:
            text = [""]
            with self._http.stream("POST", f"{self.api_base}/chat/completions",
                                   json=payload) as response:
                response.raise_for_status()
                for line in response.iter_lines():
                    answer = _answer(line, text)
                    if answer is _DONE:
                        break
                    if answer is not None:
                        yield answer

        return gen()

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        raise NotImplementedError("the floor measures chat only")

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False,
                        **kwargs: Any) -> CompletionResponseGen:
        raise NotImplementedError("the floor measures chat only")

    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        raise NotImplementedError("the floor measures chat, stream_chat and astream_chat only")

    async def acomplete(self, prompt: str, formatted: bool = False,
                        **kwargs: Any) -> CompletionResponse:
        raise NotImplementedError("the floor measures chat, stream_chat and astream_chat only")

    @llm_chat_callback()
    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> Any:
        payload = self._payload(messages, True)
        client = self._async_http()

        async def gen() -> Any:
            text = [""]
            async with client.stream("POST", f"{self.api_base}/chat/completions",
                                     json=payload) as response:
                response.raise_for_status()
                async for line in response.aiter_lines():
                    answer = _answer(line, text)
                    if answer is _DONE:
                        break
                    if answer is not None:
                        yield answer

        return gen()

    async def astream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
        raise NotImplementedError("the floor measures chat, stream_chat and astream_chat only")
