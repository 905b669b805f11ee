"""Raw httpx: a reused sync ``httpx.Client``, stdlib ``json``, SSE parsed by hand over
``iter_lines()``, base64 decoded with the stdlib ``array``. The floor every ratio is taken to."""

from __future__ import annotations

import array
import base64
import json
import sys

import httpx
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


class Client(BaseClient):
    def build(self, unit: str) -> httpx.Client:
        # One client for every unit: httpx has no base-URL state worth separating.
        if "http" not in self._objects:
            self._objects["http"] = httpx.Client(
                headers={"Authorization": f"Bearer {API_KEY}"}, timeout=60.0)
        return self._objects["http"]

    def chat(self) -> None:
        response = self.obj("chat").post(f"{self.root}/v1/chat/completions",
                                         json={"model": CHAT_MODEL, "messages": MESSAGES})
        response.raise_for_status()
        body = response.json()
        usage = body["usage"]
        check_reply(body["choices"][0]["message"]["content"],
                    (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]))

    def stream(self) -> None:
        payload = {"model": CHAT_MODEL, "messages": MESSAGES, "stream": True,
                   "stream_options": {"include_usage": True}}
        tokens: list[str] = []
        usage = None
        with self.obj("stream").stream("POST", f"{self.root}/stream/v1/chat/completions",
                                       json=payload) as response:
            response.raise_for_status()
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                chunk = json.loads(data)
                choices = chunk.get("choices")
                if choices:
                    content = choices[0]["delta"].get("content")
                    if content:
                        tokens.append(content)
                if chunk.get("usage"):
                    u = chunk["usage"]
                    usage = (u["prompt_tokens"], u["completion_tokens"], u["total_tokens"])
        if usage is None:
            raise Mismatch("no usage chunk")
        check_tokens(tokens, usage)

    def _embed(self, unit: str, path: str, encoding: str) -> list:
        response = self.obj(unit).post(f"{self.root}{path}", json={
            "model": EMBED_MODEL, "input": TEXTS, "encoding_format": encoding})
        response.raise_for_status()
        data = sorted(response.json()["data"], key=lambda item: item["index"])
        return [item["embedding"] for item in data]

    def embed(self) -> None:
        check_vectors(self._embed("embed", "/v1/embeddings", "float"))

    def embed_b64(self) -> None:
        vectors = []
        for encoded in self._embed("embed_b64", "/b64/v1/embeddings", "base64"):
            values = array.array("f", base64.b64decode(encoded))
            if sys.byteorder != "little":
                values.byteswap()
            vectors.append(values.tolist())
        check_vectors(vectors)


if __name__ == "__main__":
    main(Client)
