"""Run every example in turn (what `make demo` does). Each starts the bundled emulator unless
GATEWAY_BASE_URL / GATEWAY_API_KEY point at a real gateway."""

from __future__ import annotations

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


def main() -> int:
    here = Path(__file__).resolve().parent
    failed: list[str] = []
    for name in EXAMPLES:
        print(f"\n##### examples/{name}", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(here / name)], check=False)
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
