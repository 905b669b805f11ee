"""Balance parsing: new-api token usage, the billing pair, errors inside HTTP 200."""

from __future__ import annotations

import httpx
import pytest

from gateway_core import errors as e
from gateway_core.account import balance, parse_billing, parse_token_usage
from gateway_core.config import GatewayConfig
from gateway_core.transport import Transport

TOKEN_USAGE = {"code": True, "message": "ok", "data": {
    "object": "token_usage", "name": "demo", "total_granted": 5_000_000, "total_used": 1_000_000,
    "total_available": 4_000_000, "unlimited_quota": False, "model_limits": {},
    "model_limits_enabled": False, "expires_at": 0}}


def test_token_usage_in_quota_units() -> None:
    result = parse_token_usage(TOKEN_USAGE)
    assert (result.available, result.used, result.granted) == (4_000_000, 1_000_000, 5_000_000)
    assert result.unit == "quota"
    assert result.approx_credits == 8.0
    assert result.expires_at is None
    assert result.name == "demo"
    assert "quota units" in result.describe()


def test_token_usage_failure_shapes() -> None:
    with pytest.raises(e.APIError, match="token not found"):
        parse_token_usage({"code": False, "message": "token not found"})
    with pytest.raises(e.APIError, match="db down"):
        parse_token_usage({"error": {"message": "db down", "type": "x"}})


def test_billing_pair_in_credits() -> None:
    result = parse_billing({"object": "billing_subscription", "hard_limit_usd": 10.0,
                            "access_until": 0}, {"object": "list", "total_usage": 250})
    assert (result.available, result.used, result.granted) == (7.5, 2.5, 10.0)
    assert result.unit == "credits"
    assert "credits available" in result.describe()


def test_unlimited_marker() -> None:
    assert parse_billing({"hard_limit_usd": 100_000_000}, {"total_usage": 0}).unlimited


def test_billing_error_inside_200() -> None:
    with pytest.raises(e.APIError, match="database"):
        parse_billing({"error": {"message": "database is locked", "type": "x"}},
                      {"total_usage": 0})


def _transport(routes: dict[str, httpx.Response]) -> tuple[Transport, list[str]]:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return routes.get(request.url.path, httpx.Response(404, json={"error": {
            "message": "Invalid URL", "type": "invalid_request_error"}}))

    transport = Transport(GatewayConfig(base_url="https://gw.example", api_key="sk-k",
                                        max_retries=0), http_transport=httpx.MockTransport(handler))
    return transport, seen


def test_prefers_token_usage() -> None:
    transport, seen = _transport({"/api/usage/token/": httpx.Response(200, json=TOKEN_USAGE)})
    assert balance(transport).source == "token_usage"
    assert seen == ["/api/usage/token/"]


def test_falls_back_to_billing_on_one_api() -> None:
    transport, seen = _transport({
        "/v1/dashboard/billing/subscription": httpx.Response(200, json={"hard_limit_usd": 3}),
        "/v1/dashboard/billing/usage": httpx.Response(200, json={"total_usage": 100}),
    })
    result = balance(transport)
    assert (result.source, result.available) == ("billing", 2.0)
    assert seen[0] == "/api/usage/token/"


def test_wrong_key_does_not_fall_back() -> None:
    transport, seen = _transport({"/api/usage/token/": httpx.Response(401, json={
        "error": {"message": "无效的令牌", "type": "new_api_error"}})})
    with pytest.raises(e.AuthenticationError):
        balance(transport)
    assert seen == ["/api/usage/token/"]


@pytest.mark.parametrize(("body", "cls", "words"), [
    ({"error": {"message": "用户余额不足", "type": "x"}}, e.QuotaExceededError, "用户余额不足"),
    ({"error_code": 110, "error_msg": "Access token invalid or no longer valid"},
     e.AuthenticationError, "Access token invalid"),
    ({"success": False, "message": "请求过于频繁"}, e.RateLimitError, "请求过于频繁"),
])
def test_an_envelope_inside_a_200_balance_is_typed_by_its_class(
        body: dict[str, object], cls: type, words: str) -> None:
    with pytest.raises(cls) as info:
        parse_token_usage(body)
    assert words in str(info.value)
    assert info.value.gateway_message is not None
    assert words in info.value.gateway_message
    assert str(info.value).startswith("The gateway could not report the key's usage: ")
