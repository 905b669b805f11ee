"""The seed documents' chat examples, replayed through the core client and ChatGateway.

Cassettes in ``cassettes/test_chat_seed_*.yaml`` (origins in cassettes/README.md), record mode
``none``: no network. Where the seed documents a *request*, the cassette matches on the JSON
body, so the test proves the client sends exactly what the gateway documents.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway_core import GatewayClient
from gateway_core.chat import StructuredSpec, build_request
from gateway_core.chat.structured import apply_method
from gateway_core.profiles import resolve_profile
from langchain_gateway import ChatGateway

SEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "seeds"
CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
SEEDEDIT = str(CASSETTES / "test_chat_seed_chatfire_seededit_stream.yaml")
MATCH_BODY = ["method", "path", "body"]


def client(base_url: str) -> GatewayClient:
    return GatewayClient(base_url=base_url, api_key="sk-replay-placeholder", max_retries=0)


@pytest.mark.vcr(match_on=MATCH_BODY)
def test_chat_seed_chatfire_seededit_stream() -> None:
    # seeds/000: ChatfireAPI streams chat-seededit with a new id per chunk and null
    # function_call / refusal / tool_calls in every delta.
    gateway = client("https://your-base-url.example/v1")
    stream = gateway.stream_chat(
        "https://oss.ffire.cc/files/kling_watermark.png 衣服换成红色,并且带上墨镜🕶",
        model="chat-seededit", stream_usage=False,
    )
    text = "".join(delta.text for delta in stream)
    result = stream.result
    assert result is not None
    assert text == result.text
    assert result.text.startswith("> 🖌️正在绘画\n\n```json")
    assert (result.finish_reason, result.model) == ("stop", "chat-seededit")
    assert result.id == "SzLczL7e2uAxMAGi5ZUYAC"  # the first chunk's id, not the last
    assert result.request_id == "seed-000-request"
    assert result.tool_calls == []
    # The input image echoed in the code block is not a result; the final image is.
    assert [(m.kind, m.url) for m in result.media] == [
        ("image", "https://cdn.example.com/seededit/result.png")]


@pytest.mark.vcr(SEEDEDIT, match_on=MATCH_BODY)
def test_chat_seed_chatfire_seededit_stream_langchain() -> None:
    # the documented request verbatim from LangChain too (the cassette matches on the body)
    llm = ChatGateway(model="chat-seededit", base_url="https://your-base-url.example/v1",
                      api_key="sk-replay-placeholder", max_retries=0, stream_usage=False)
    full = None
    for chunk in llm.stream("https://oss.ffire.cc/files/kling_watermark.png "
                            "衣服换成红色,并且带上墨镜🕶"):
        full = chunk if full is None else full + chunk
    assert full is not None
    assert "生成完成" in full.text
    images = [b for b in full.content_blocks if b["type"] == "image"]
    assert images == [{"type": "image", "url": "https://cdn.example.com/seededit/result.png"}]


@pytest.mark.vcr(match_on=MATCH_BODY)
def test_chat_seed_4zapi_multi_image_vision() -> None:
    # seeds/003: the documented request, rebuilt from LangChain content blocks.
    from langchain_core.messages import HumanMessage, SystemMessage

    documented = json.loads((SEEDS / "multi_image_vision_request.json").read_text())
    url = documented["messages"][1]["content"][1]["image_url"]["url"]
    llm = ChatGateway(model="gpt-4o", base_url="https://zzzzapi.com/v1",
                      api_key="sk-replay-placeholder", max_retries=0, stream_usage=False)
    message = HumanMessage(content=[
        {"type": "text", "text": "这张图片里有什么?请详细描述。"},
        {"type": "image", "url": url},
        {"type": "image_url", "image_url": {"url": url}},
        {"type": "image", "source_type": "url", "url": url},
    ])
    text = "".join(c.text for c in llm.stream([SystemMessage("You are a helpful assistant."),
                                               message]))
    assert text == "\n\nHello there, how may I assist you today?"


@pytest.mark.vcr(match_on=MATCH_BODY)
def test_chat_seed_json_schema_request() -> None:
    # seeds/001: the structured-output request, and the documented (generic) response.
    documented = json.loads((SEEDS / "json_schema_request.json").read_text())
    result = client("https://your-base-url.example/v1").chat(
        documented["messages"], model=documented["model"],
        response_format=documented["response_format"],
    )
    assert result.text == "\n\nHello there, how may I assist you today?"
    assert result.usage is not None
    assert (result.usage.input_tokens, result.usage.output_tokens) == (9, 12)
    assert result.finish_reason == "stop"


def test_chat_seed_json_schema_is_what_the_structured_strategy_sends() -> None:
    documented = json.loads((SEEDS / "json_schema_request.json").read_text())
    json_schema = documented["response_format"]["json_schema"]
    spec = StructuredSpec.from_schema(json_schema["schema"], name=json_schema["name"])
    profile = resolve_profile(documented["model"])
    params, messages = apply_method("json_schema", spec, {}, documented["messages"], profile)
    body = build_request(messages, model=documented["model"], profile=profile, params=params)
    assert body == documented


SORA = str(CASSETTES / "test_chat_seed_sora2_through_chat.yaml")


@pytest.mark.vcr(SORA, match_on=MATCH_BODY)
def test_chat_seed_sora2_through_chat() -> None:
    # seeds/002: sora-2 through the chat route, the documented request sent verbatim (matched on
    # the JSON body); the documented answer is a whole completion (though stream was asked) that
    # holds a greeting and no video link.
    documented = json.loads((SEEDS / "sora2_chat_request.json").read_text("utf-8"))
    prompt = documented["messages"][0]["content"]
    gateway = client("https://your-base-url.example/v1")
    stream = gateway.stream_chat(prompt, model="sora-2", max_tokens=1000, stream_usage=False)
    assert "".join(delta.text for delta in stream) == "\n\nHello there, how may I assist you today?"
    assert stream.result is not None
    assert stream.result.usage is not None
    assert stream.result.usage.total_tokens == 21
    from gateway_core.errors import NoMediaLinkError

    gateway.configure_tasks(journal=False)
    with pytest.raises(NoMediaLinkError, match="no video link came back") as info:
        gateway.create_video(prompt, model="sora-2", protocol="chat", max_tokens=1000,
                             stream_usage=False).result()
    assert "Hello there, how may I assist you today?" in str(info.value)
    assert info.value.partial_text == "\n\nHello there, how may I assist you today?"
