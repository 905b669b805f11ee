"""The key never leaks: not in reprs, logs at DEBUG, errors, tracebacks or serialised objects."""

from __future__ import annotations

import json
import logging
import pickle
import traceback
import uuid
from typing import Any

import pytest

from gateway_core import GatewayClient, GatewayConfig
from gateway_core.errors import AuthenticationError, GatewayError

pytestmark = pytest.mark.usefixtures("emulator")


def everything_printed(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)) + repr(error) + str(error)


def test_reprs_and_serialisation_hide_the_key(gateway: Any) -> None:
    key = gateway.api_key
    config = GatewayConfig(**gateway.settings())
    client = GatewayClient(config)
    for text in (repr(config), str(config), repr(client), repr(client.transport),
                 repr(config.api_key), str(config.api_key), f"{config.api_key}"):
        assert key not in text
    from langchain_gateway import ChatGateway

    chat = ChatGateway(model=gateway.chat_model, **gateway.settings())
    for text in (repr(chat), str(chat), chat.model_dump_json(), json.dumps(chat.to_json(),
                                                                           default=str)):
        assert key not in text
    # pickling must work (LlamaIndex ingestion workers pickle embed models); it keeps the key
    # because the worker needs it, but the copy still hides it from print
    copy = pickle.loads(pickle.dumps(config))
    assert copy.api_key.get() == key
    assert key not in repr(copy)


def test_debug_logs_never_show_the_key(gateway: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = GatewayClient(**gateway.settings())
    client.chat("hello", model=gateway.chat_model)
    list(client.stream_chat("hello", model=gateway.chat_model))
    faulted = GatewayClient(**gateway.settings(
        headers={"X-Emulator-Faults": "429-empty,ok", "X-Emulator-Scenario": uuid.uuid4().hex},
        backoff_base=0.01))
    faulted.chat("hello", model=gateway.chat_model)
    assert caplog.records, "DEBUG logging was captured"
    assert gateway.api_key not in caplog.text
    assert gateway.api_key.removeprefix("sk-") not in caplog.text


def test_errors_and_tracebacks_never_show_the_key(gateway: Any) -> None:
    wrong = "sk-wrong-key-do-not-print-0123456789"
    client = GatewayClient(base_url=gateway.base_url, api_key=wrong)
    with pytest.raises(AuthenticationError) as caught:
        client.chat("hello", model=gateway.chat_model)
    assert wrong not in everything_printed(caught.value)
    assert "GATEWAY_API_KEY" in str(caught.value)
    # the gateway echoing the key back in an error is redacted too
    echo = GatewayClient(base_url=gateway.base_url, api_key=gateway.api_key)
    with pytest.raises(GatewayError) as model_error:
        echo.chat("hello", model=f"unknown-{gateway.api_key}")
    assert gateway.api_key not in everything_printed(model_error.value)


def test_plain_http_to_a_remote_host_is_refused() -> None:
    from gateway_core.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="allow_insecure_http"):
        GatewayClient(base_url="http://gateway.example.com/v1", api_key="sk-x")
    allowed = GatewayClient(base_url="http://gateway.example.com/v1", api_key="sk-x",
                            allow_insecure_http=True)
    assert allowed.config.base_url.startswith("http://")
