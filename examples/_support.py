"""Shared set-up for the examples: the bundled emulator, or a real gateway when asked for.

Examples start the local emulator on a free loopback port (no key, no network, nothing billed),
even when ``GATEWAY_BASE_URL`` / ``GATEWAY_API_KEY`` are exported for other tools. A real gateway
is an explicit choice: ``--live`` on the command line or ``GATEWAY_EXAMPLES_LIVE=1`` (what
``make demo-live`` sets); models then come from ``GATEWAY_CHAT_MODEL`` and friends.
"""

from __future__ import annotations

import asyncio
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


ENV_LIVE = "GATEWAY_EXAMPLES_LIVE"


def live_requested() -> bool:
    """Only an explicit ``--live`` or ``GATEWAY_EXAMPLES_LIVE=1`` selects the real gateway."""
    return "--live" in sys.argv[1:] or os.environ.get(ENV_LIVE) == "1"


@contextmanager
def gateway() -> Iterator[Target]:
    """The emulator (started, finally stopped), or the real gateway when live is asked for."""
    loop = _main_thread_loop()
    try:
        with _target() as target:
            yield target
    finally:
        loop.close()


@contextmanager
def _target() -> Iterator[Target]:
    base_url = os.environ.get("GATEWAY_BASE_URL")
    api_key = os.environ.get("GATEWAY_API_KEY")
    if live_requested():
        if not (base_url and api_key):
            sys.exit("--live needs GATEWAY_BASE_URL and GATEWAY_API_KEY: the gateway to use.")
        print(f"Using the live gateway at {base_url} (requests are billed to your key)")
        yield Target(base_url=base_url, api_key=api_key, live=True)
        return
    from gateway_emulator.testing import EmulatorProcess

    ignored = " (GATEWAY_BASE_URL is ignored here: add --live to use it)" if base_url else ""
    with EmulatorProcess(extra_args=["--time-scale", "0.05"]) as emulator:
        print(f"Not billed: using the bundled emulator at {emulator.base_url}{ignored}")
        yield Target(base_url=emulator.base_url, api_key=emulator.api_key, live=False)


def _main_thread_loop() -> asyncio.AbstractEventLoop:
    """Give the main thread an event loop that the example owns and closes.

    llama-index-core's sync query path (0.14.x) runs coroutines through its ``asyncio_run``,
    which calls ``asyncio.get_event_loop()``: with no loop set, that creates one and nobody
    closes it, so the interpreter warns "unclosed event loop" at exit. With this loop set, it
    uses this one. (Our own classes never create a loop they do not close.)
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    return loop


def heading(text: str) -> None:
    """Print a section heading."""
    print(f"\n=== {text} ===")
