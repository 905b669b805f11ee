"""Pool limits and the shared rate limit reach the transport from every adapter class's fields."""

from __future__ import annotations

import pytest

from gateway_core.coordination import RateLimit


def _classes() -> list[type]:
    import langchain_gateway
    import llamaindex_gateway

    return [langchain_gateway.ChatGateway, langchain_gateway.GatewayEmbeddings,
            llamaindex_gateway.GatewayLLM, llamaindex_gateway.GatewayEmbedding]


@pytest.mark.parametrize("cls", _classes(), ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_fields_reach_the_config(cls: type) -> None:
    obj = cls(model="m", base_url="http://127.0.0.1:9/v1", api_key="sk-x", max_connections=7,
              max_keepalive_connections=3, rate_limit="rpm=120")
    config = obj.client.transport.config
    assert (config.max_connections, config.max_keepalive_connections) == (7, 3)
    assert isinstance(config.rate_limit, RateLimit)
    assert config.rate_limit.requests_per_minute == 120


@pytest.mark.parametrize("cls", _classes(), ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_deadline_retry_wait_and_headers_reach_the_config(cls: type) -> None:
    obj = cls(model="m", base_url="http://127.0.0.1:9/v1", api_key="sk-x", deadline=42.0,
              max_retry_wait=5.0, default_headers={"x-api-token": "tok-123456"})
    config = obj.client.transport.config
    assert (config.deadline, config.max_retry_wait) == (42.0, 5.0)
    assert config.secrets == ("sk-x", "tok-123456")
    default = cls(model="m", base_url="http://127.0.0.1:9/v1", api_key="sk-x")
    assert (default.client.transport.config.deadline,
            default.client.transport.config.max_retry_wait) == (900.0, 60.0)
