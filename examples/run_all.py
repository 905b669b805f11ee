"""Run every example in turn: what `make demo` (the bundled emulator, always) and
`make demo-live` (``--live``: the gateway in GATEWAY_BASE_URL / GATEWAY_API_KEY, billed) do."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

EXAMPLES = (
    "chat_core.py",
    "chat_langchain.py",
    "chat_llamaindex.py",
    "rag_langchain.py",
    "rag_llamaindex.py",
    "agent_media_langchain.py",
    "agent_media_llamaindex.py",
)

# What a live run sends, so nobody pays by surprise (models from the GATEWAY_*_MODEL variables).
LIVE_COST = (
    "about 26 chat calls ({chat}; an agent may take more rounds), 7 embedding calls "
    "({embedding}), 4 rerank calls ({rerank}), and paid media jobs: 2 image generations "
    "({image}) and 2 video tasks ({video})"
)


def _models() -> dict[str, str]:
    defaults = {"chat": "gpt-4o-mini", "embedding": "text-embedding-3-small",
                "rerank": "bge-reranker-v2-m3", "image": "gpt-image-1", "video": "sora-2"}
    return {kind: os.environ.get(f"GATEWAY_{kind.upper()}_MODEL", model)
            for kind, model in defaults.items()}


def _announce_live() -> bool:
    """Say where a live run goes and what it pays for; False if it cannot run."""
    base_url = os.environ.get("GATEWAY_BASE_URL")
    if not (base_url and os.environ.get("GATEWAY_API_KEY")):
        print("demo-live needs GATEWAY_BASE_URL and GATEWAY_API_KEY (the gateway that bills you).",
              file=sys.stderr)
        return False
    print(f"LIVE: the examples will call {base_url} and your key pays for "
          f"{LIVE_COST.format(**_models())}.", flush=True)
    return True


def main(argv: list[str] | None = None) -> int:
    live = "--live" in (sys.argv[1:] if argv is None else argv)
    env = dict(os.environ)
    if live:
        if not _announce_live():
            return 2
        env["GATEWAY_EXAMPLES_LIVE"] = "1"
    else:
        env.pop("GATEWAY_EXAMPLES_LIVE", None)
        print("Running the examples against the bundled emulator: no key, no network, nothing "
              "billed (`make demo-live` uses your gateway).", flush=True)
    here = Path(__file__).resolve().parent
    failed: list[str] = []
    for name in EXAMPLES:
        print(f"\n##### examples/{name}", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(here / name)], env=env, check=False)
        elapsed = time.perf_counter() - started
        status = "ok" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
        print(f"##### examples/{name}: {status} in {elapsed:.1f} s", flush=True)
        if result.returncode != 0:
            failed.append(name)
    if failed:
        print(f"\n{len(failed)} example(s) failed: {', '.join(failed)}")
        return 1
    print(f"\nAll {len(EXAMPLES)} examples ran.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
