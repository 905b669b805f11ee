"""Test harness shared by every layer.

* Network policy (pytest-socket): tests under ``tests/unit`` may open no socket at all (Unix
  sockets excepted, asyncio needs them); every other test may reach loopback only. In live mode
  (``GATEWAY_LIVE=1``) the limit is lifted for the configured gateway.
* ``gateway``: the target of integration tests — the bundled emulator (a subprocess on a free
  loopback port, started once per run), or the live gateway named by ``GATEWAY_BASE_URL`` /
  ``GATEWAY_API_KEY`` / ``GATEWAY_*_MODEL``.
* ``vcr_config``: cassettes live in top-level ``cassettes/``, replay only (record mode ``none``)
  unless ``GATEWAY_RECORD=1``; every header or query value that could carry a key is scrubbed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# Property tests: `make test` runs a fixed, reproducible set of examples (CI never turns red on a
# draw nobody can repeat); `make fuzz` (HYPOTHESIS_PROFILE=deep) searches far wider at random.
settings.register_profile("ci", max_examples=300, derandomize=True, print_blob=True)
settings.register_profile(
    "deep", max_examples=20_000, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent.parent
LIVE = os.environ.get("GATEWAY_LIVE") == "1"
RECORD = os.environ.get("GATEWAY_RECORD") == "1"
LOOPBACK = ["127.0.0.1", "::1", "localhost"]
SECRET_HEADERS = ("authorization", "x-api-key", "api-key", "mj-api-secret", "x-goog-api-key")

# Read once at import: tests themselves run with the GATEWAY_* variables cleared.
_LIVE_SETTINGS = {
    name: os.environ.get(name, "")
    for name in (
        "GATEWAY_BASE_URL", "GATEWAY_API_KEY", "GATEWAY_CHAT_MODEL", "GATEWAY_REASONING_MODEL",
        "GATEWAY_EMBEDDING_MODEL", "GATEWAY_RERANK_MODEL", "GATEWAY_IMAGE_MODEL",
        "GATEWAY_VIDEO_MODEL",
    )
}


# pytest's own header lines (the rest come from plugins: asyncio mode, timeout method, ...).
_OWN_HEADER = ("rootdir:", "configfile:", "testpaths:", "plugins:", "cachedir:")


@pytest.hookimpl(wrapper=True)
def pytest_report_header(config: pytest.Config) -> Any:
    """Keep `make test` output pytest's own: drop the plugins' header lines."""
    sections = yield
    return [[line for line in (section if isinstance(section, list) else [section])
             if str(line).startswith(_OWN_HEADER)] for section in sections]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    unit_dir = ROOT / "tests" / "unit"
    for item in items:
        if Path(str(item.fspath)).is_relative_to(unit_dir):
            item.add_marker(pytest.mark.disable_socket)
        elif not LIVE:
            item.add_marker(pytest.mark.allow_hosts(LOOPBACK))
        if LIVE and RECORD and not item.get_closest_marker("vcr") and (
                "integration" in item.nodeid or "standard" in item.nodeid):
            # GATEWAY_RECORD=1 with GATEWAY_LIVE=1: every live exchange becomes a cassette
            # (keys scrubbed by vcr_config) that replay tests can be built from.
            item.add_marker(pytest.mark.vcr)
        if item.get_closest_marker("live") and not LIVE:
            item.add_marker(pytest.mark.skip(reason="needs GATEWAY_LIVE=1 and a real gateway"))


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never pick up a developer's real gateway settings, nor write the user's task
    journal (``~/.cache``): each test gets a journal of its own."""
    for name in (*_LIVE_SETTINGS, "GATEWAY_RATE_LIMIT"):
        monkeypatch.delenv(name, raising=False)
    if not LIVE:  # a live run may need it for a gateway on a trusted LAN
        monkeypatch.delenv("GATEWAY_ALLOW_INSECURE_HTTP", raising=False)
    monkeypatch.setenv("GATEWAY_TASK_JOURNAL", str(tmp_path / "tasks.sqlite3"))


@dataclass(frozen=True)
class GatewayTarget:
    """Where integration tests send requests, and which models they use there."""

    base_url: str
    api_key: str
    chat_model: str
    reasoning_model: str
    embedding_model: str
    rerank_model: str
    image_model: str
    video_model: str
    live: bool
    emulator: Any = None

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Keyword arguments for any class of this package."""
        return {"base_url": self.base_url, "api_key": self.api_key, **overrides}


@pytest.fixture(scope="session")
def emulator() -> Iterator[Any]:
    """The bundled emulator, started once per test run on a free loopback port."""
    if LIVE:
        pytest.skip("this test drives the emulator (fault injection, request counts)")
    from gateway_emulator.testing import EmulatorProcess

    with EmulatorProcess(extra_args=["--time-scale", "0.02"]) as process:
        yield process


@pytest.fixture(scope="session")
def redis_server() -> Iterator[Any]:
    """A real redis-server on a free loopback port, started once per run (tests/redis_server)."""
    from tests.redis_server import RedisServer

    with RedisServer() as server:
        yield server


@pytest.fixture
def redis_url(redis_server: Any) -> str:
    """The test Redis, emptied for each test."""
    redis_server.flush()
    return str(redis_server.url)


@pytest.fixture(scope="session")
def gateway(request: pytest.FixtureRequest) -> GatewayTarget:
    """The emulator, or the live gateway in live mode."""
    if LIVE:
        env = _LIVE_SETTINGS
        if not env["GATEWAY_BASE_URL"] or not env["GATEWAY_API_KEY"]:
            pytest.exit("GATEWAY_LIVE=1 needs GATEWAY_BASE_URL and GATEWAY_API_KEY", 2)
        return GatewayTarget(
            base_url=env["GATEWAY_BASE_URL"],
            api_key=env["GATEWAY_API_KEY"],
            chat_model=env["GATEWAY_CHAT_MODEL"] or "gpt-4o-mini",
            reasoning_model=env["GATEWAY_REASONING_MODEL"] or "deepseek-reasoner",
            embedding_model=env["GATEWAY_EMBEDDING_MODEL"] or "text-embedding-3-small",
            rerank_model=env["GATEWAY_RERANK_MODEL"] or "bge-reranker-v2-m3",
            image_model=env["GATEWAY_IMAGE_MODEL"] or "gpt-image-1",
            video_model=env["GATEWAY_VIDEO_MODEL"] or "sora-2",
            live=True,
        )
    process = request.getfixturevalue("emulator")
    return GatewayTarget(
        base_url=process.base_url,
        api_key=process.api_key,
        chat_model="gpt-4o-mini",
        reasoning_model="deepseek-reasoner",
        embedding_model="text-embedding-3-small",
        rerank_model="bge-reranker-v2-m3",
        image_model="gpt-image-1",
        video_model="sora-2",
        live=False,
        emulator=process,
    )


def _scrub_request(request: Any) -> Any:
    from gateway_core.config import is_secret_header

    for name in list(request.headers):
        # The fixed names, and any header the package itself treats as a secret (a gateway
        # that authenticates by its own header, such as Portkey's x-portkey-api-key).
        if name.lower() in SECRET_HEADERS or is_secret_header(name):
            request.headers[name] = "<redacted>"
    return request


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers") or {}
    for name in list(headers):
        if name.lower() in ("set-cookie", *SECRET_HEADERS):
            headers.pop(name)
    return response


@pytest.fixture
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    """Replay cassettes live in top-level ``cassettes/``; live recordings (GATEWAY_RECORD=1) in
    ``cassettes/live/<test module>/``, apart from the curated ones and from each other."""
    if LIVE and RECORD:
        return str(ROOT / "cassettes" / "live" / Path(str(request.node.fspath)).stem)
    return str(ROOT / "cassettes")


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    """Replay-only cassettes unless GATEWAY_RECORD=1; keys never reach a cassette."""
    return {
        "record_mode": "new_episodes" if RECORD else "none",
        "filter_headers": [(name, "<redacted>") for name in SECRET_HEADERS],
        "filter_query_parameters": [("key", "<redacted>")],
        "before_record_request": _scrub_request,
        "before_record_response": _scrub_response,
        "decode_compressed_response": True,
        "match_on": ["method", "path", "query"],
        "allow_playback_repeats": True,
    }
