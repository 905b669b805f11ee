"""This package on LlamaIndex: ``llamaindex_gateway.GatewayLLM`` (chat / stream_chat) and
``GatewayEmbedding`` (get_text_embedding_batch; asks for base64 on the base64 server)."""

from __future__ import annotations

from _common import (
    API_KEY,
    CHAT_MODEL,
    EMBED_MODEL,
    PROMPT,
    TEXTS,
    BaseClient,
    NotBuilt,
    check_reply,
    check_tokens,
    check_vectors,
    main,
)

PREFIX = {"chat": "", "stream": "/stream", "embed": "", "embed_b64": "/b64"}


def _import(name: str) -> type:
    import llamaindex_gateway

    try:
        return getattr(llamaindex_gateway, name)
    except (ImportError, AttributeError) as error:
        raise NotBuilt(f"llamaindex_gateway.{name}: {error}") from None


class Client(BaseClient):
    messages: list = []

    def build(self, unit: str) -> object:
        base_url = f"{self.root}{PREFIX[unit]}/v1"
        if unit in ("chat", "stream"):
            llm = _import("GatewayLLM")(model=CHAT_MODEL, base_url=base_url, api_key=API_KEY)
            from llama_index.core.llms import ChatMessage

            self.messages = [ChatMessage(role="user", content=PROMPT)]
            return llm
        return _import("GatewayEmbedding")(
            model_name=EMBED_MODEL, base_url=base_url, api_key=API_KEY, embed_batch_size=64,
            encoding_format="base64" if unit == "embed_b64" else "float")

    def chat(self) -> None:
        check_reply(self.obj("chat").chat(self.messages).message.content)

    def stream(self) -> None:
        check_tokens([r.delta for r in self.obj("stream").stream_chat(self.messages) if r.delta])

    def embed(self) -> None:
        check_vectors(self.obj("embed").get_text_embedding_batch(TEXTS))

    def embed_b64(self) -> None:
        check_vectors(self.obj("embed_b64").get_text_embedding_batch(TEXTS))


if __name__ == "__main__":
    main(Client)
