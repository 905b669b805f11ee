"""LlamaIndex: ``OpenAILike(api_base=..., is_chat_model=True)`` and
``OpenAILikeEmbedding(api_base=..., embed_batch_size=64)``."""

from __future__ import annotations

from _common import (
    API_KEY,
    CHAT_MODEL,
    EMBED_MODEL,
    PROMPT,
    TEXTS,
    BaseClient,
    check_reply,
    check_tokens,
    check_vectors,
    main,
)
from llama_index.core.llms import ChatMessage
from llama_index.embeddings.openai_like import OpenAILikeEmbedding
from llama_index.llms.openai_like import OpenAILike

PREFIX = {"chat": "", "stream": "/stream", "embed": "", "embed_b64": "/b64"}
MESSAGES = [ChatMessage(role="user", content=PROMPT)]


class Client(BaseClient):
    def build(self, unit: str) -> object:
        api_base = f"{self.root}{PREFIX[unit]}/v1"
        if unit in ("chat", "stream"):
            return OpenAILike(model=CHAT_MODEL, api_base=api_base, api_key=API_KEY,
                              is_chat_model=True, context_window=128000)
        return OpenAILikeEmbedding(model_name=EMBED_MODEL, api_base=api_base, api_key=API_KEY,
                                   embed_batch_size=64)

    def chat(self) -> None:
        check_reply(self.obj("chat").chat(MESSAGES).message.content)

    def stream(self) -> None:
        check_tokens([r.delta for r in self.obj("stream").stream_chat(MESSAGES) if r.delta])

    def embed(self) -> None:
        check_vectors(self.obj("embed").get_text_embedding_batch(TEXTS))

    def embed_b64(self) -> None:
        check_vectors(self.obj("embed_b64").get_text_embedding_batch(TEXTS))


if __name__ == "__main__":
    main(Client)
