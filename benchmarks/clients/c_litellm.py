"""litellm (optional, ``--litellm``): ``litellm.completion`` / ``litellm.embedding`` with the
``openai/`` prefix. Run with ``LITELLM_LOCAL_MODEL_COST_MAP=True`` (set by run.py), otherwise
``import litellm`` first tries to download its price map."""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm
from _common import (
    API_KEY,
    CHAT_MODEL,
    EMBED_MODEL,
    MESSAGES,
    TEXTS,
    BaseClient,
    check_reply,
    check_tokens,
    check_vectors,
    main,
)


class Client(BaseClient):
    def build(self, unit: str) -> object:
        return litellm  # module-level API: nothing to construct

    def chat(self) -> None:
        reply = litellm.completion(model=f"openai/{CHAT_MODEL}", messages=MESSAGES,
                                   api_base=f"{self.root}/v1", api_key=API_KEY)
        check_reply(reply.choices[0].message.content)

    def stream(self) -> None:
        tokens = []
        for chunk in litellm.completion(model=f"openai/{CHAT_MODEL}", messages=MESSAGES,
                                        api_base=f"{self.root}/stream/v1", api_key=API_KEY,
                                        stream=True):
            if chunk.choices and chunk.choices[0].delta.content:
                tokens.append(chunk.choices[0].delta.content)
        check_tokens(tokens)

    def embed(self) -> None:
        reply = litellm.embedding(model=f"openai/{EMBED_MODEL}", input=TEXTS,
                                  api_base=f"{self.root}/v1", api_key=API_KEY)
        check_vectors([item["embedding"] for item in reply.data])


if __name__ == "__main__":
    main(Client)
