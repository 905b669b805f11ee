"""GatewayConfig: base URL normalisation, key handling, env fallback, insecure http."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from gateway_core import ConfigurationError, GatewayClient, GatewayConfig, Secret
from gateway_core.transport import get_transport

KEY = "sk-test-0123456789abcdef"


@pytest.mark.parametrize(
    "raw",
    [
        "https://api.example.com",
        "https://api.example.com/",
        "https://api.example.com/v1",
        "https://api.example.com/v1/",
        "  https://api.example.com/v1  ",
    ],
)
def test_base_url_forms_normalise_to_one_root(raw: str) -> None:
    config = GatewayConfig(base_url=raw, api_key=KEY)
    assert config.root_url == "https://api.example.com"
    assert config.api_base == "https://api.example.com/v1"


def test_path_prefix_is_kept() -> None:
    config = GatewayConfig(base_url="https://host.example/openai/v1", api_key=KEY)
    assert config.api_base == "https://host.example/openai/v1"


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("api.example.com", "no scheme"),
        ("ftp://api.example.com", "https://"),
        ("https://api.example.com/v1?x=1", "query string"),
        ("https://api.example.com/v1/chat/completions", "already names the endpoint"),
        ("https://api.example.com/v1/embeddings", "already names the endpoint"),
        ("https://", "no host"),
    ],
)
def test_bad_base_urls_explain_the_fix(raw: str, words: str) -> None:
    with pytest.raises(ConfigurationError, match=words):
        GatewayConfig(base_url=raw, api_key=KEY)


def test_plain_http_refused_off_loopback_unless_allowed() -> None:
    with pytest.raises(ConfigurationError, match="allow_insecure_http"):
        GatewayConfig(base_url="http://api.example.com", api_key=KEY)
    allowed = GatewayConfig(
        base_url="http://api.example.com", api_key=KEY, allow_insecure_http=True
    )
    assert allowed.root_url == "http://api.example.com"


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "localhost", "[::1]"])
def test_plain_http_allowed_on_loopback(host: str) -> None:
    assert GatewayConfig(base_url=f"http://{host}:8080/v1", api_key=KEY).root_url.startswith("http")


def test_env_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_BASE_URL", "https://env.example/v1")
    monkeypatch.setenv("GATEWAY_API_KEY", KEY)
    config = GatewayConfig()
    assert config.api_base == "https://env.example/v1"
    assert config.secret == KEY


def test_missing_key_names_the_env_var() -> None:
    with pytest.raises(ConfigurationError, match="GATEWAY_API_KEY"):
        GatewayConfig(base_url="https://api.example.com")


def test_missing_base_url_names_the_env_var() -> None:
    with pytest.raises(ConfigurationError, match="GATEWAY_BASE_URL"):
        GatewayConfig(api_key=KEY)


def test_key_never_shown() -> None:
    config = GatewayConfig(base_url="https://api.example.com", api_key=KEY)
    for text in (repr(config), str(config), f"{config}", repr(config.api_key), f"{config.api_key}",
                 repr(GatewayClient(config)), repr(get_transport(config))):
        assert KEY not in text
        assert "0123456789" not in text


def test_secret_round_trips_through_pickle() -> None:
    assert pickle.loads(pickle.dumps(Secret("abc"))).get() == "abc"


def test_authorization_header_cannot_be_smuggled_in() -> None:
    with pytest.raises(ConfigurationError, match="api_key"):
        GatewayConfig(base_url="https://a.example", api_key=KEY, headers={"Authorization": "x"})


@pytest.mark.parametrize("field", ["timeout", "connect_timeout", "stream_idle_timeout"])
def test_non_positive_timeouts_rejected(field: str) -> None:
    with pytest.raises(ConfigurationError, match=field):
        GatewayConfig(base_url="https://a.example", api_key=KEY, **{field: 0})


def test_negative_retries_rejected() -> None:
    with pytest.raises(ConfigurationError, match="max_retries"):
        GatewayConfig(base_url="https://a.example", api_key=KEY, max_retries=-1)


def test_equal_configs_share_one_transport() -> None:
    first = GatewayClient(base_url="https://share.example/v1", api_key=KEY, timeout=30)
    second = GatewayClient(base_url="https://share.example", api_key=KEY, timeout=30.0)
    other = GatewayClient(base_url="https://share.example", api_key=KEY, timeout=31)
    assert first.transport is second.transport
    assert first.transport is not other.transport


def test_defaults_are_finite() -> None:
    config = GatewayConfig(base_url="https://a.example", api_key=KEY)
    assert config.connect_timeout == 10
    assert config.timeout == 120
    assert config.stream_idle_timeout > config.timeout
    assert config.max_retries == 2


def test_replace_keeps_the_rest() -> None:
    config = GatewayConfig(base_url="https://a.example", api_key=KEY, headers={"X-A": "1"})
    changed = config.replace(timeout=5)
    assert changed.timeout == 5
    assert changed.headers == (("X-A", "1"),)
    assert changed.secret == KEY


@pytest.mark.parametrize(("settings", "match"), [
    ({"timeout": float("nan")}, "timeout"),
    ({"timeout": float("inf")}, "timeout"),
    ({"connect_timeout": True}, "connect_timeout"),
    ({"max_retries": True}, "max_retries"),
    ({"deadline": float("nan")}, "deadline"),
    ({"base_url": "https://gw.example:99999"}, "invalid port"),
    ({"base_url": "https://user:pw@gw.example"}, "user name or password"),
    ({"proxy": "proxy.example:8080"}, "proxy must be a URL"),
    ({"proxy": "ftp://proxy.example"}, "proxy must be a URL"),
    ({"verify": "/nonexistent/ca.pem"}, "CA bundle"),
    ({"verify": 1.5}, "CA bundle"),
])
def test_bad_settings_are_refused_at_construction(settings: dict[str, object],
                                                  match: str) -> None:
    values: dict[str, object] = {"base_url": "https://gw.example", "api_key": KEY, **settings}
    with pytest.raises(ConfigurationError, match=match) as caught:
        GatewayConfig(**values)  # type: ignore[arg-type]
    assert "pw@" not in str(caught.value)


def test_a_blank_base_url_in_the_environment_is_a_missing_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_BASE_URL", "   ")
    with pytest.raises(ConfigurationError, match="No gateway base URL"):
        GatewayConfig(api_key=KEY)


def test_proxy_and_ca_bundle_are_accepted(tmp_path: pytest.TempPathFactory) -> None:
    bundle = tmp_path / "ca.pem"  # type: ignore[operator]
    bundle.write_text("")
    config = GatewayConfig(base_url="https://gw.example", api_key=KEY,
                           proxy="http://127.0.0.1:3128", verify=str(bundle))
    assert config.proxy == "http://127.0.0.1:3128"


def test_the_transport_registry_is_bounded_but_keeps_what_is_in_use() -> None:
    import gc

    from gateway_core import transport as transport_module

    held = GatewayClient(base_url="https://held.example", api_key=KEY)
    for n in range(300):  # an app that builds a config per user
        GatewayClient(base_url="https://per-user.example", api_key=KEY,
                      headers={"X-User": str(n)})
    gc.collect()
    per_user = [c for c in transport_module._REGISTRY if c.root_url.startswith("https://per-user")]
    assert len(per_user) <= transport_module._KEEP_RECENT
    # still in use, long evicted from the recent list: still shared, not rebuilt
    assert GatewayClient(base_url="https://held.example", api_key=KEY).transport is held.transport


def _pool_limits(client: Any) -> tuple[object, object]:
    # httpcore's pool keeps its limits in private attributes; read them to see what httpx got
    pool = client._transport._pool
    return pool._max_connections, pool._max_keepalive_connections


async def test_pool_limits_reach_both_clients() -> None:
    config = GatewayConfig(base_url="https://pool.example.com", api_key=KEY, max_connections=7,
                           max_keepalive_connections=3)
    transport = get_transport(config)
    assert _pool_limits(transport.sync_client) == (7, 3)
    assert _pool_limits(transport.async_client) == (7, 3)
    await transport.aclose()
    transport.close()


def test_pool_limits_default_generously_and_can_be_lifted() -> None:
    config = GatewayConfig(base_url="https://pool.example.com", api_key=KEY)
    assert config.max_connections == 1000  # the openai SDK's; 500 concurrent streams never queue
    assert config.max_keepalive_connections == 100  # the openai SDK's too
    unlimited = config.replace(max_connections=None, max_keepalive_connections=None)
    assert unlimited.max_connections is None
    assert unlimited.max_keepalive_connections is None


@pytest.mark.parametrize("value", [0, -1, 2.5, True, "10"])
@pytest.mark.parametrize("field", ["max_connections", "max_keepalive_connections"])
def test_bad_pool_limits_are_refused(field: str, value: object) -> None:
    settings: dict[str, Any] = {field: value}
    with pytest.raises(ConfigurationError, match=f"{field} must be an integer >= 1"):
        GatewayConfig(base_url="https://pool.example.com", api_key=KEY, **settings)


def test_adapters_pass_pool_limits_through_the_shared_path() -> None:
    class Fields:  # what an adapter object looks like to config_from_fields
        base_url = "https://pool.example.com"
        api_key = KEY
        max_connections = 600
        max_keepalive_connections = None  # not set: the default

    client = GatewayClient.from_fields(Fields())
    assert client.config.max_connections == 600
    assert client.config.max_keepalive_connections == 100
