"""The openai SDK with its defaults: ``OpenAI(base_url=...)``."""

from __future__ import annotations

from _common import (
    API_KEY,
    CHAT_MODEL,
    EMBED_MODEL,
    MESSAGES,
    TEXTS,
    BaseClient,
    Mismatch,
    check_reply,
    check_tokens,
    check_vectors,
    main,
)
from openai import OpenAI

PREFIX = {"chat": "", "stream": "/stream", "embed": "", "embed_b64": "/b64"}


class Client(BaseClient):
    def build(self, unit: str) -> OpenAI:
        return OpenAI(base_url=f"{self.root}{PREFIX[unit]}/v1", api_key=API_KEY)

    def chat(self) -> None:
        reply = self.obj("chat").chat.completions.create(model=CHAT_MODEL, messages=MESSAGES)
        usage = reply.usage
        check_reply(reply.choices[0].message.content,
                    (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens))

    def stream(self) -> None:
        tokens: list[str] = []
        usage = None
        for chunk in self.obj("stream").chat.completions.create(
                model=CHAT_MODEL, messages=MESSAGES, stream=True,
                stream_options={"include_usage": True}):
            if chunk.choices:
                content = chunk.choices[0].delta.content
                if content:
                    tokens.append(content)
            if chunk.usage is not None:
                u = chunk.usage
                usage = (u.prompt_tokens, u.completion_tokens, u.total_tokens)
        if usage is None:
            raise Mismatch("no usage chunk")
        check_tokens(tokens, usage)

    def embed(self) -> None:
        reply = self.obj("embed").embeddings.create(model=EMBED_MODEL, input=TEXTS)
        check_vectors([item.embedding for item in reply.data])

    def embed_b64(self) -> None:
        reply = self.obj("embed_b64").embeddings.create(model=EMBED_MODEL, input=TEXTS)
        check_vectors([item.embedding for item in reply.data])


if __name__ == "__main__":
    main(Client)
