"""A model that refuses a provider switch gets it left out (issue 16): the emulator's
``+reject-<param>`` model answers 400 naming the parameter; the call is sent again without it,
once, and the model is remembered, in both frameworks."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from llama_index.core.llms import ChatMessage

from langchain_gateway import ChatGateway
from llamaindex_gateway import GatewayLLM

pytestmark = pytest.mark.usefixtures("emulator")


@pytest.mark.parametrize("param", ["thinking", "web_search_options"])
def test_a_refused_switch_is_left_out_and_remembered(gateway: Any, param: str) -> None:
    value = "disabled" if param == "thinking" else {"search_context_size": "low"}
    # a model name of its own: what this process learns about it is this test's alone
    model = f"{gateway.chat_model}+reject-{param}+u{uuid.uuid4().hex[:8]}"
    path = "/v1/chat/completions"
    before = len(gateway.emulator.requests(path))
    chat = ChatGateway(model=model, **gateway.settings(), **{param: value})
    assert chat.invoke("hi").text
    assert len(gateway.emulator.requests(path)) - before == 2  # refused, then sent without it
    assert chat.invoke("hi again").text
    llm = GatewayLLM(model=model, **gateway.settings(), **{param: value})
    assert llm.chat([ChatMessage(role="user", content="hi")]).message.content
    assert len(gateway.emulator.requests(path)) - before == 4  # the refusal was remembered
