"""Write the canned answers nginx serves, and what every client must get back.

Usage: ``python benchmarks/gen_fixtures.py OUT_DIR`` (run.py does it). Standard library only,
fixed seed, so every run serves byte-identical files:

- ``chat.json``: one ``chat.completion`` with ``usage``.
- ``stream.sse``: a role chunk, 2,000 chunks of one token each, a finish chunk, a usage chunk
  with ``choices: []``, then ``data: [DONE]``.
- ``embeddings.json``: 64 vectors of 1,024 floats as JSON numbers.
- ``embeddings_b64.json``: the same vectors as base64 of little-endian float32.
- ``expected.json``: the reply text, the 2,000 tokens, the usage counts, the 64 input texts and
  two probe values per vector (first and last), for the clients' checks.
"""

from __future__ import annotations

import array
import base64
import json
import random
import struct
import sys
from pathlib import Path

SEED = 20261122
STREAM_TOKENS = 2000
EMBED_ROWS = 64
EMBED_DIMS = 1024
CHAT_MODEL = "bench-model"
EMBED_MODEL = "text-embedding-3-small"
CREATED = 1763800000

WORDS = [
    "the", "gateway", "relay", "answers", "every", "request", "with", "canned", "tokens", "so",
    "the", "client", "side", "is", "all", "that", "is", "measured", "here", "while", "nginx",
    "serves", "static", "files", "from", "memory", "quickly",
]


def _f32(value: float) -> float:
    """Round to the nearest float32, so JSON floats and base64 float32 carry the same values."""
    return float(struct.unpack("<f", struct.pack("<f", value))[0])


def chat_completion(text: str) -> dict:
    return {
        "id": "chatcmpl-bench0001",
        "object": "chat.completion",
        "created": CREATED,
        "model": CHAT_MODEL,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": text, "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        }],
        "usage": {"prompt_tokens": 12, "completion_tokens": 17, "total_tokens": 29},
        "system_fingerprint": "fp_bench",
    }


def _chunk(delta: dict, finish: str | None = None) -> dict:
    return {
        "id": "chatcmpl-bench0002",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": CHAT_MODEL,
        "system_fingerprint": "fp_bench",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }


def sse_stream(tokens: list[str], usage: dict) -> str:
    events = [_chunk({"role": "assistant", "content": ""})]
    events += [_chunk({"content": token}) for token in tokens]
    events.append(_chunk({}, "stop"))
    usage_chunk = _chunk({})
    usage_chunk["choices"] = []
    usage_chunk["usage"] = usage
    events.append(usage_chunk)
    lines = [f"data: {json.dumps(event, separators=(',', ':'))}\n\n" for event in events]
    lines.append("data: [DONE]\n\n")
    return "".join(lines)


def embeddings(vectors: list[list[float]], b64: bool) -> dict:
    data = []
    for index, vector in enumerate(vectors):
        if b64:
            packed = array.array("f", vector)
            if sys.byteorder != "little":
                packed.byteswap()
            value: object = base64.b64encode(packed.tobytes()).decode("ascii")
        else:
            # 9 significant digits round-trip float32 exactly; json writes them as numbers.
            value = [float(f"{x:.9g}") for x in vector]
        data.append({"object": "embedding", "index": index, "embedding": value})
    return {
        "object": "list",
        "data": data,
        "model": EMBED_MODEL,
        "usage": {"prompt_tokens": 384, "total_tokens": 384},
    }


def main(out: Path) -> None:
    rng = random.Random(SEED)
    out.mkdir(parents=True, exist_ok=True)
    reply = "Hello from the canned gateway: this reply is the same every time."
    tokens = [f" {rng.choice(WORDS)}{i}" for i in range(STREAM_TOKENS)]
    stream_usage = {"prompt_tokens": 12, "completion_tokens": STREAM_TOKENS,
                    "total_tokens": 12 + STREAM_TOKENS}
    vectors = [[_f32(rng.uniform(-0.08, 0.08)) for _ in range(EMBED_DIMS)]
               for _ in range(EMBED_ROWS)]
    texts = [f"benchmark passage {i}: {' '.join(rng.sample(WORDS, 6))}"
             for i in range(EMBED_ROWS)]

    (out / "chat.json").write_text(json.dumps(chat_completion(reply)))
    (out / "stream.sse").write_text(sse_stream(tokens, stream_usage))
    (out / "embeddings.json").write_text(json.dumps(embeddings(vectors, b64=False)))
    (out / "embeddings_b64.json").write_text(json.dumps(embeddings(vectors, b64=True)))
    expected = {
        "chat_model": CHAT_MODEL,
        "embed_model": EMBED_MODEL,
        "reply": reply,
        "chat_usage": [12, 17, 29],
        "tokens": tokens,
        "stream_usage": [12, STREAM_TOKENS, 12 + STREAM_TOKENS],
        "texts": texts,
        "dims": EMBED_DIMS,
        "probes": [[vector[0], vector[-1]] for vector in vectors],
    }
    (out / "expected.json").write_text(json.dumps(expected))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
