"""Seed examples the emulator used to refuse: seed 004's ``gpt-4o-2024-08-06`` and its
``response_format`` value ``oss_url`` (listed with url and b64_json, a 7-day link)."""

from __future__ import annotations

from typing import Any

from gateway_core import GatewayClient


def test_oss_url_is_a_response_format_value(gateway: Any) -> None:
    client = GatewayClient(**gateway.settings())
    result = client.generate_image("a cat", model="dall-e-3", response_format="oss_url")
    item = result.items[0]
    assert item.extra["oss_url"].startswith("http")
    plain = client.generate_image("a cat", model="dall-e-3", response_format="url")
    assert "oss_url" not in plain.items[0].extra


def test_dated_gpt_4o_of_seed_004_is_served(gateway: Any) -> None:
    client = GatewayClient(**gateway.settings())
    assert client.chat("hi", model="gpt-4o-2024-08-06").text == "Echo: hi"
