"""This package on LangChain: ``langchain_gateway.ChatGateway`` (invoke / stream) and
``GatewayEmbeddings`` (embed_documents; asks for base64 on the base64 server)."""

from __future__ import annotations

from _common import (
    API_KEY,
    CHAT_MODEL,
    EMBED_MODEL,
    PROMPT,
    TEXTS,
    BaseClient,
    Mismatch,
    NotBuilt,
    check_reply,
    check_tokens,
    check_vectors,
    main,
)

PREFIX = {"chat": "", "stream": "/stream", "embed": "", "embed_b64": "/b64"}


def _usage(message) -> tuple | None:
    meta = message.usage_metadata
    if not meta:
        return None
    return (meta["input_tokens"], meta["output_tokens"], meta["total_tokens"])


def _import(name: str) -> type:
    import langchain_gateway

    try:
        return getattr(langchain_gateway, name)
    except (ImportError, AttributeError) as error:
        raise NotBuilt(f"langchain_gateway.{name}: {error}") from None


class Client(BaseClient):
    def build(self, unit: str) -> object:
        base_url = f"{self.root}{PREFIX[unit]}/v1"
        if unit in ("chat", "stream"):
            return _import("ChatGateway")(model=CHAT_MODEL, base_url=base_url, api_key=API_KEY)
        return _import("GatewayEmbeddings")(
            model=EMBED_MODEL, base_url=base_url, api_key=API_KEY,
            encoding_format="base64" if unit == "embed_b64" else "float")

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
