"""Balance and quota: what the key has left.

new-api answers ``GET /api/usage/token/`` for the key itself, in raw quota units (a site divides
them by its quota-per-unit, 500,000 by default, to show money). one-api and older sites only have
the OpenAI-era billing pair: ``/v1/dashboard/billing/subscription`` (``hard_limit_usd``, which is
really "credits" in whatever the site displays: USD, CNY or tokens) minus
``/v1/dashboard/billing/usage`` (``total_usage`` in hundredths). Both can fail with HTTP 200 and an
error body. We report the unit the site used and never assume dollars.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import (
    APIError,
    AuthenticationError,
    EndpointNotSupportedError,
    GatewayError,
    NotFoundError,
    ResponseFormatError,
    error_from_response,
    find_error_in_body,
)
from .transport import Response, Transport

__all__ = ["DEFAULT_QUOTA_PER_UNIT", "Balance", "abalance", "balance", "parse_billing",
           "parse_token_usage"]

DEFAULT_QUOTA_PER_UNIT = 500_000
TOKEN_USAGE_PATH = "/api/usage/token/"
SUBSCRIPTION_PATH = "/v1/dashboard/billing/subscription"
USAGE_PATH = "/v1/dashboard/billing/usage"
UNLIMITED_MARKER = 100_000_000  # what new-api reports as the limit of an unlimited token


@dataclass(frozen=True)
class Balance:
    """What the key may still spend.

    Attributes:
        available / used / granted: Amounts in ``unit``. ``granted`` may be None when unknown.
        unit: ``"quota"`` (new-api raw quota units) or ``"credits"`` (the site's display unit:
            USD, CNY or tokens depending on its settings; the API does not say which).
        unlimited: The key has no limit.
        expires_at: Unix time the key expires, None for never.
        source: The endpoint that answered (``token_usage`` or ``billing``).
        name: The key's name when the site reports it.
    """

    available: float
    used: float
    granted: float | None
    unit: str
    unlimited: bool = False
    expires_at: int | None = None
    source: str = "billing"
    name: str | None = None

    @property
    def approx_credits(self) -> float | None:
        """``available`` in display credits, assuming the default 500,000 quota per unit."""
        if self.unit == "quota":
            return self.available / DEFAULT_QUOTA_PER_UNIT
        return self.available

    def describe(self) -> str:
        """One line for people."""
        if self.unlimited:
            return "unlimited"
        if self.unit == "quota":
            credits = self.available / DEFAULT_QUOTA_PER_UNIT
            return (f"{self.available:,.0f} quota units available (≈ {credits:,.2f} credits at "
                    f"{DEFAULT_QUOTA_PER_UNIT:,} units per credit), {self.used:,.0f} used")
        return f"{self.available:,.2f} credits available, {self.used:,.2f} used"


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ResponseFormatError(f"The balance answer has no numeric {field!r}.")
    return float(value)


def _raise_if_error(body: Any, what: str) -> None:
    failure = find_error_in_body(body)
    if failure is not None:  # typed by its envelope like any other call's (quota, auth, …)
        error = error_from_response(200, b"", info=failure)
        error.message = f"{what}: {error.message}"
        error.args = (error.message,)
        raise error


def parse_token_usage(body: Any) -> Balance:
    """A new-api ``/api/usage/token/`` body (``{"code": true, "data": {...}}``)."""
    _raise_if_error(body, "The gateway could not report the key's usage")
    if not isinstance(body, Mapping) or body.get("code") is not True:
        message = body.get("message") if isinstance(body, Mapping) else None
        raise APIError(f"The gateway could not report the key's usage: {message or body!r}",
                       status_code=200)
    data = body.get("data")
    if not isinstance(data, Mapping):
        raise ResponseFormatError("The token usage answer has no 'data' object.")
    expires = data.get("expires_at")
    return Balance(
        available=_number(data.get("total_available"), "total_available"),
        used=_number(data.get("total_used"), "total_used"),
        granted=float(data["total_granted"]) if isinstance(data.get("total_granted"), (int, float))
        else None,
        unit="quota",
        unlimited=bool(data.get("unlimited_quota")),
        expires_at=int(expires) if isinstance(expires, (int, float)) and expires > 0 else None,
        source="token_usage",
        name=data.get("name") if isinstance(data.get("name"), str) else None,
    )


def parse_billing(subscription: Any, usage: Any) -> Balance:
    """The OpenAI-era pair: subscription limit minus usage (hundredths)."""
    _raise_if_error(subscription, "The gateway could not report the subscription")
    _raise_if_error(usage, "The gateway could not report usage")
    if not isinstance(subscription, Mapping) or not isinstance(usage, Mapping):
        raise ResponseFormatError("The billing answers are not JSON objects.")
    limit = _number(subscription.get("hard_limit_usd"), "hard_limit_usd")
    used = _number(usage.get("total_usage"), "total_usage") / 100
    expires = subscription.get("access_until")
    return Balance(
        available=max(limit - used, 0.0),
        used=used,
        granted=limit,
        unit="credits",
        unlimited=limit >= UNLIMITED_MARKER,
        expires_at=int(expires) if isinstance(expires, (int, float)) and expires > 0 else None,
        source="billing",
    )


def _token_usage_unavailable(error: GatewayError) -> bool:
    """Errors after which the billing pair is worth trying (one-api, or the route disabled)."""
    return isinstance(error, (NotFoundError, EndpointNotSupportedError, ResponseFormatError)) or (
        isinstance(error, APIError) and error.status_code == 200
    )


def _json(response: Response) -> Any:
    return response.json()


def balance(transport: Transport) -> Balance:
    """The key's balance: token usage when the gateway has it, else the billing pair."""
    try:
        response = transport.request("GET", TOKEN_USAGE_PATH, what="Reading the key's usage")
        return parse_token_usage(_json(response))
    except AuthenticationError:
        raise
    except GatewayError as error:
        if not _token_usage_unavailable(error):
            raise
    subscription = transport.request("GET", SUBSCRIPTION_PATH, check_body=False,
                                     what="Reading the subscription")
    usage = transport.request("GET", USAGE_PATH, check_body=False, what="Reading usage")
    return parse_billing(_json(subscription), _json(usage))


async def abalance(transport: Transport) -> Balance:
    """Async twin of :func:`balance`."""
    try:
        response = await transport.arequest("GET", TOKEN_USAGE_PATH,
                                            what="Reading the key's usage")
        return parse_token_usage(_json(response))
    except AuthenticationError:
        raise
    except GatewayError as error:
        if not _token_usage_unavailable(error):
            raise
    subscription = await transport.arequest("GET", SUBSCRIPTION_PATH, check_body=False,
                                            what="Reading the subscription")
    usage = await transport.arequest("GET", USAGE_PATH, check_body=False, what="Reading usage")
    return parse_billing(_json(subscription), _json(usage))
