"""Every seed document's example request, sent verbatim (raw httpx, no client in between) to the
emulator, answered as the seed's gateway answers it (issue 16 item 4); and the seed-004 values
the emulator used to refuse: ``gpt-4o-2024-08-06`` and ``response_format: "oss_url"``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway_core import GatewayClient

SEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "seeds"
SEEDEDIT = {  # seeds/000 (ChatfireAPI, "创建聊天补全(SeedEdit)"), the curl's --data-raw
    "model": "chat-seededit",
    "messages": [{"role": "user", "content": "https://oss.ffire.cc/files/kling_watermark.png "
                                             "衣服换成红色,并且带上墨镜🕶"}],
    "stream": True,
}


def seed(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SEEDS / name).read_text("utf-8"))
    return data


def post(gateway: Any, path: str, body: dict[str, Any]) -> httpx.Response:
    settings = gateway.settings()
    return httpx.post(settings["base_url"].rstrip("/") + path, json=body, timeout=60,
                      headers={"Authorization": f"Bearer {settings['api_key']}"})


def stream_text(response: httpx.Response) -> str:
    """The content of an SSE chat stream."""
    text = ""
    for line in response.text.splitlines():
        if line.startswith("data: ") and line[6:] != "[DONE]":
            for choice in json.loads(line[6:]).get("choices") or []:
                text += (choice.get("delta") or {}).get("content") or ""
    return text


@pytest.mark.parametrize("name", ["000-seededit", "001-json-schema", "002-sora2-chat",
                                  "003-multi-image", "004-gpt-image-1"])
def test_each_seed_request_verbatim_is_served(gateway: Any, name: str) -> None:
    if name == "000-seededit":
        response = post(gateway, "/chat/completions", SEEDEDIT)
        assert response.status_code == 200, response.text
        assert ".png" in stream_text(response)  # the edited image's link
    elif name == "001-json-schema":
        response = post(gateway, "/chat/completions", seed("json_schema_request.json"))
        assert response.status_code == 200, response.text
        answer = json.loads(response.json()["choices"][0]["message"]["content"])
        assert set(answer) == {"steps", "final_answer"}
    elif name == "002-sora2-chat":
        response = post(gateway, "/chat/completions", seed("sora2_chat_request.json"))
        assert response.status_code == 200, response.text
        assert ".mp4" in stream_text(response)
    elif name == "003-multi-image":
        response = post(gateway, "/chat/completions", seed("multi_image_vision_request.json"))
        assert response.status_code == 200, response.text
        assert stream_text(response)
    else:
        response = post(gateway, "/images/generations",
                        seed("chatfire_gpt_image_1_generation.json")["request"])
        assert response.status_code == 200, response.text
        # gpt-image-1 answers base64 whatever response_format says (the seed's answer too)
        import base64

        data = base64.b64decode(response.json()["data"][0]["b64_json"])
        assert data.startswith(b"\x89PNG\r\n\x1a\n")


def test_oss_url_is_a_response_format_value(gateway: Any) -> None:
    client = GatewayClient(**gateway.settings())
    result = client.generate_image("a cat", model="dall-e-3", response_format="oss_url")
    item = result.items[0]
    assert item.extra["oss_url"].startswith("http")
    plain = client.generate_image("a cat", model="dall-e-3", response_format="url")
    assert "oss_url" not in plain.items[0].extra


def test_seed_004_request_with_oss_url_verbatim(gateway: Any) -> None:
    body = dict(seed("chatfire_gpt_image_1_generation.json")["request"],
                response_format="oss_url")
    response = post(gateway, "/images/generations", body)
    assert response.status_code == 200, response.text
    assert response.json()["data"][0]["oss_url"].startswith("http")


def test_dated_gpt_4o_of_seed_004_is_served(gateway: Any) -> None:
    client = GatewayClient(**gateway.settings())
    assert client.chat("hi", model="gpt-4o-2024-08-06").text == "Echo: hi"
