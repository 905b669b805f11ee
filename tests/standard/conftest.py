"""Harness for the langchain-tests standard suites.

* The suites' multimodal tests download fixtures from the internet with ``httpx.get``
  (raw.githubusercontent.com, w3.org, wikimedia.org). An autouse fixture answers exactly those
  URLs from small files in ``tests/fixtures/standard/`` instead; any other ``httpx.get`` from
  the suites fails loudly rather than reaching the network.
* ``_standard_target``: the gateway (emulator or live) for the integration suite, stored where the
  suite's ``chat_model_params`` property can read it.
* VCR: langchain-tests' ``base_vcr_config()`` forces ``record_mode="once"`` (which would record
  from the network on a missing cassette); this project's ``vcr_config`` (tests/conftest.py)
  keeps record mode ``none``, and ``enable_vcr_tests`` stays False, so ``test_stream_time`` skips.
* ``benchmark``: the suites' timing tests (``test_init_time``) ask for pytest-benchmark's fixture.
  ``make test`` runs with pytest-benchmark and pytest-codspeed switched off (``-p no:...`` in
  pyproject: their headers and tables are noise there; performance is measured in benchmarks/), so
  a stand-in runs the timed function once: the test still proves the model initialises.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.standard.chat_standard_support import TARGET

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "standard"
DOWNLOADS = {
    "https://raw.githubusercontent.com/langchain-ai/docs/4d11d08b6b0e210bd456943f7a22febbd168b543"
    "/src/images/agentic-rag-output.png": "image.png",
    "https://www.w3.org/WAI/ER/tests/xhtml/testfiles/resources/pdf/dummy.pdf": "document.pdf",
    "https://upload.wikimedia.org/wikipedia/commons/6/6a/Northern_Flicker_202280456.wav":
        "audio.wav",
}


class _LocalResponse:
    def __init__(self, content: bytes) -> None:
        self.content = content
        self.status_code = 200

    def raise_for_status(self) -> None:
        return None


class _LocalHttpx:
    """Stands in for the ``httpx`` module inside langchain_tests: known URLs, local files."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def get(self, url: str, **_: Any) -> _LocalResponse:
        name = DOWNLOADS.get(str(url))
        if name is None:
            raise AssertionError(f"langchain-tests wanted to download {url}: add a fixture")
        return _LocalResponse((FIXTURES / name).read_bytes())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@pytest.fixture(autouse=True)
def _local_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx
    from langchain_tests.integration_tests import chat_models

    monkeypatch.setattr(chat_models, "httpx", _LocalHttpx(httpx))
    monkeypatch.setenv("LANGCHAIN_TESTS_USER_AGENT", "ai-gateway-kit-tests/0 (local fixtures)")


@pytest.fixture(autouse=True)
def _standard_target(request: pytest.FixtureRequest) -> None:
    """Give test classes marked ``uses_gateway`` the gateway (before their ``model`` fixture).

    Unit-suite classes never start the emulator.
    """
    if getattr(request.cls, "uses_gateway", False):
        TARGET["gateway"] = request.getfixturevalue("gateway")


@pytest.fixture
def benchmark() -> Callable[..., Any]:
    """pytest-benchmark's fixture, reduced to one plain call (see the module docstring)."""

    def run_once(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    return run_once
