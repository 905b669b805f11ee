"""LangChain: ``ChatOpenAI(base_url=..., stream_usage=True)`` and
``OpenAIEmbeddings(base_url=..., check_embedding_ctx_length=False)``."""

from __future__ import annotations

from _common import (
    API_KEY,
    CHAT_MODEL,
    EMBED_MODEL,
    PROMPT,
    TEXTS,
    BaseClient,
    Mismatch,
    check_reply,
    check_tokens,
    check_vectors,
    main,
)
from langchain_openai import ChatOpenAI, OpenAIEmbeddings

PREFIX = {"chat": "", "stream": "/stream", "embed": "", "embed_b64": "/b64"}


def _usage(message) -> tuple | None:
    meta = message.usage_metadata
    if not meta:
        return None
    return (meta["input_tokens"], meta["output_tokens"], meta["total_tokens"])


class Client(BaseClient):
    def build(self, unit: str) -> object:
        base_url = f"{self.root}{PREFIX[unit]}/v1"
        if unit in ("chat", "stream"):
            return ChatOpenAI(model=CHAT_MODEL, base_url=base_url, api_key=API_KEY,
                              stream_usage=True)
        return OpenAIEmbeddings(model=EMBED_MODEL, base_url=base_url, api_key=API_KEY,
                                check_embedding_ctx_length=False)

    def chat(self) -> None:
        message = self.obj("chat").invoke(PROMPT)
        check_reply(message.content, _usage(message))

    def stream(self) -> None:
        tokens: list[str] = []
        usage = None
        for chunk in self.obj("stream").stream(PROMPT):
            if chunk.content:
                tokens.append(chunk.content)
            usage = _usage(chunk) or usage
        if usage is None:
            raise Mismatch("no usage on the stream")
        check_tokens(tokens, usage)

    def embed(self) -> None:
        check_vectors(self.obj("embed").embed_documents(TEXTS))

    def embed_b64(self) -> None:
        check_vectors(self.obj("embed_b64").embed_documents(TEXTS))


if __name__ == "__main__":
    main(Client)
