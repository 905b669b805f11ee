"""Shared set-up for the examples: a real gateway from the environment, else the bundled emulator.

With ``GATEWAY_BASE_URL`` and ``GATEWAY_API_KEY`` set, examples talk to that gateway (models from
``GATEWAY_CHAT_MODEL`` and friends). Without them, they start the local emulator on a free
loopback port, so ``make demo`` needs no key and no network.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


@dataclass(frozen=True)
class Target:
    """Where an example sends its requests and which models it uses."""

    base_url: str
    api_key: str
    live: bool
    chat_model: str = os.environ.get("GATEWAY_CHAT_MODEL", "gpt-4o-mini")
    embedding_model: str = os.environ.get("GATEWAY_EMBEDDING_MODEL", "text-embedding-3-small")
    rerank_model: str = os.environ.get("GATEWAY_RERANK_MODEL", "bge-reranker-v2-m3")
    image_model: str = os.environ.get("GATEWAY_IMAGE_MODEL", "gpt-image-1")
    video_model: str = os.environ.get("GATEWAY_VIDEO_MODEL", "sora-2")

    @property
    def settings(self) -> dict[str, str]:
        """``base_url`` and ``api_key`` for any class of the package."""
        return {"base_url": self.base_url, "api_key": self.api_key}


@contextmanager
def gateway() -> Iterator[Target]:
    """Yield the target gateway; start (and finally stop) the emulator when none is configured."""
    base_url = os.environ.get("GATEWAY_BASE_URL")
    api_key = os.environ.get("GATEWAY_API_KEY")
    if base_url and api_key:
        print(f"Using the gateway at {base_url}")
        yield Target(base_url=base_url, api_key=api_key, live=True)
        return
    from gateway_emulator.testing import EmulatorProcess

    with EmulatorProcess(extra_args=["--time-scale", "0.05"]) as emulator:
        print(f"No GATEWAY_BASE_URL set: using the bundled emulator at {emulator.base_url}")
        yield Target(base_url=emulator.base_url, api_key=emulator.api_key, live=False)


def heading(text: str) -> None:
    """Print a section heading."""
    print(f"\n=== {text} ===")
