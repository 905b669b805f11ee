"""The LangChain floor: a minimal ``BaseChatModel`` over raw httpx (invoke, stream, usage)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

_ROLES = {"human": "user", "ai": "assistant", "system": "system"}


def _usage(raw: dict[str, Any]) -> dict[str, int]:
    return {"input_tokens": raw["prompt_tokens"], "output_tokens": raw["completion_tokens"],
            "total_tokens": raw["total_tokens"]}


class FloorChatModel(BaseChatModel):
    """``FloorChatModel(model=..., base_url=".../v1", api_key=...)``."""

    model: str
    base_url: str
    api_key: str
    _http: httpx.Client = PrivateAttr()

    def model_post_init(self, context: Any) -> None:
        self._http = httpx.Client(headers={"Authorization": f"Bearer {self.api_key}"},
                                  timeout=60.0)

    @property
    def _llm_type(self) -> str:
        return "floor"

    def _payload(self, messages: list[BaseMessage], stream: bool) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": _ROLES.get(m.type, m.type), "content": m.content}
                         for m in messages]}
        if stream:
            payload.update(stream=True, stream_options={"include_usage": True})
        return payload

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: Any = None, **kwargs: Any) -> ChatResult:
        response = self._http.post(f"{self.base_url}/chat/completions",
                                   json=self._payload(messages, False))
        response.raise_for_status()
        body = response.json()
        message = AIMessage(content=body["choices"][0]["message"]["content"],
                            usage_metadata=_usage(body["usage"]))  # type: ignore[arg-type]
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: Any = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        with self._http.stream("POST", f"{self.base_url}/chat/completions",
                               json=self._payload(messages, True)) as response:
            response.raise_for_status()
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                chunk = json.loads(data)
                choices = chunk.get("choices")
                content = (choices[0]["delta"].get("content") or "") if choices else ""
                usage = chunk.get("usage")
                if not content and not usage:
                    continue
                message = AIMessageChunk(content=content,
                                         usage_metadata=_usage(usage) if usage else None)
                generation = ChatGenerationChunk(message=message)
                if run_manager and content:
                    run_manager.on_llm_new_token(content, chunk=generation)
                yield generation
