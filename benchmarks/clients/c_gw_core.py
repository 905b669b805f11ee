"""This package, framework-free: ``gateway_core.GatewayClient`` (chat, stream_chat, embed)."""

from __future__ import annotations

from _common import (
    API_KEY,
    CHAT_MODEL,
    EMBED_MODEL,
    MESSAGES,
    TEXTS,
    BaseClient,
    Mismatch,
    NotBuilt,
    check_reply,
    check_tokens,
    check_vectors,
    main,
)

from gateway_core import GatewayClient

PREFIX = {"chat": "", "stream": "/stream", "embed": "", "embed_b64": "/b64"}


def _usage(usage) -> tuple | None:
    if usage is None:
        return None
    return (usage.input_tokens, usage.output_tokens, usage.total_tokens)


class Client(BaseClient):
    def build(self, unit: str) -> GatewayClient:
        client = GatewayClient(base_url=f"{self.root}{PREFIX[unit]}/v1", api_key=API_KEY)
        if unit.startswith("embed") and not hasattr(client, "embed"):
            raise NotBuilt("GatewayClient.embed")
        return client

    def chat(self) -> None:
        result = self.obj("chat").chat(MESSAGES, model=CHAT_MODEL)
        check_reply(result.text, _usage(result.usage))

    def stream(self) -> None:
        stream = self.obj("stream").stream_chat(MESSAGES, model=CHAT_MODEL)
        tokens = [delta.text for delta in stream if delta.text]
        if stream.result is None or stream.result.usage is None:
            raise Mismatch("no usage on the stream result")
        check_tokens(tokens, _usage(stream.result.usage))

    def embed(self) -> None:
        check_vectors(self.obj("embed").embed(TEXTS, model=EMBED_MODEL).vectors)

    def embed_b64(self) -> None:
        result = self.obj("embed_b64").embed(TEXTS, model=EMBED_MODEL, encoding_format="base64")
        check_vectors(result.vectors)


if __name__ == "__main__":
    main(Client)
