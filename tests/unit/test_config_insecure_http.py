"""Plain http:// to a self-hosted gateway: refused by default, allowed by argument or environment,
and the refusal names every way to allow it."""

from __future__ import annotations

import pytest

from gateway_core.config import ENV_ALLOW_INSECURE_HTTP, GatewayConfig
from gateway_core.errors import ConfigurationError

KEY = "sk-test-insecure-0123456789"
LAN = "http://one-api:3000/v1"


def test_refusal_names_the_argument_the_cli_flag_and_the_variable() -> None:
    with pytest.raises(ConfigurationError) as caught:
        GatewayConfig(base_url=LAN, api_key=KEY)
    message = str(caught.value)
    assert "allow_insecure_http=True" in message
    assert "--allow-insecure-http" in message
    assert f"{ENV_ALLOW_INSECURE_HTTP}=1" in message
    assert KEY not in message


@pytest.mark.parametrize("value", ["1", "true", "YES", " on "])
def test_environment_variable_allows_plain_http(monkeypatch: pytest.MonkeyPatch,
                                                value: str) -> None:
    monkeypatch.setenv(ENV_ALLOW_INSECURE_HTTP, value)
    config = GatewayConfig(base_url=LAN, api_key=KEY)
    assert config.root_url == "http://one-api:3000"
    assert config.allow_insecure_http is True
    assert config == GatewayConfig(base_url=LAN, api_key=KEY, allow_insecure_http=True)


@pytest.mark.parametrize("value", ["", "0", "false", "no", "off"])
def test_environment_variable_off_keeps_the_refusal(monkeypatch: pytest.MonkeyPatch,
                                                    value: str) -> None:
    monkeypatch.setenv(ENV_ALLOW_INSECURE_HTTP, value)
    with pytest.raises(ConfigurationError, match="Refusing plain http"):
        GatewayConfig(base_url=LAN, api_key=KEY)


def test_unclear_environment_value_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_ALLOW_INSECURE_HTTP, "maybe")
    with pytest.raises(ConfigurationError, match=f"{ENV_ALLOW_INSECURE_HTTP} must be 1 or 0"):
        GatewayConfig(base_url="https://api.example.com", api_key=KEY)


def test_https_needs_no_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_ALLOW_INSECURE_HTTP, raising=False)
    assert GatewayConfig(base_url="https://api.example.com", api_key=KEY).allow_insecure_http \
        is False
