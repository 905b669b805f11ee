"""Constructor arguments of every class of both frameworks, decided in one place.

* ``allow_insecure_http=True`` and ``verify`` reach the transport's config in every class; plain
  http to a public host is refused with a message naming the argument that works.
* Names people migrate with (``openai_api_base``, ``openai_api_key``, ``api_base``) are taken.
* A misspelled setting is refused ("did you mean"); any other unknown argument moves into the
  class's pass-through parameters with a warning, as ``ChatOpenAI`` does with ``model_kwargs``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gateway_core.arguments import UnknownArgumentWarning
from gateway_core.errors import ConfigurationError

LAN = "http://192.168.1.20:3000/v1"
PUBLIC_HTTP = "http://gateway.example.com/v1"
KEY = "sk-constructor-test-key"


def _classes() -> list[tuple[str, Callable[..., Any], str, Callable[[Any], dict[str, Any]]]]:
    """(name, build(**settings), pass-through field, read the pass-through of an instance)."""
    from langchain_gateway import (
        ChatGateway,
        GatewayEmbeddings,
        GatewayImageEditTool,
        GatewayImageTool,
        GatewayVideoTool,
    )
    from langchain_gateway import GatewayRerank as LCRerank
    from llamaindex_gateway import GatewayEmbedding, GatewayLLM, GatewayMediaToolSpec
    from llamaindex_gateway import GatewayRerank as LIRerank

    def field(name: str) -> Callable[[Any], dict[str, Any]]:
        return lambda obj: dict(getattr(obj, name) or {})

    return [
        ("ChatGateway", lambda **kw: ChatGateway(model="gpt-4o-mini", **kw), "model_kwargs",
         field("model_kwargs")),
        ("GatewayEmbeddings", lambda **kw: GatewayEmbeddings(model="bge-m3", **kw),
         "extra_body", field("extra_body")),
        ("GatewayRerank(LC)", lambda **kw: LCRerank(model="bge-reranker-v2-m3", **kw),
         "extra_body", field("extra_body")),
        ("GatewayImageTool", lambda **kw: GatewayImageTool(model="gpt-image-1", **kw),
         "model_kwargs", field("model_kwargs")),
        ("GatewayImageEditTool", lambda **kw: GatewayImageEditTool(model="gpt-image-1", **kw),
         "model_kwargs", field("model_kwargs")),
        ("GatewayVideoTool", lambda **kw: GatewayVideoTool(model="sora-2", **kw),
         "model_kwargs", field("model_kwargs")),
        ("GatewayLLM", lambda **kw: GatewayLLM(model="gpt-4o-mini", **kw),
         "additional_kwargs", field("additional_kwargs")),
        ("GatewayEmbedding", lambda **kw: GatewayEmbedding(model_name="bge-m3", **kw),
         "extra_body", field("extra_body")),
        ("GatewayRerank(LI)", lambda **kw: LIRerank(model="bge-reranker-v2-m3", **kw),
         "extra_body", field("extra_body")),
        ("GatewayMediaToolSpec", lambda **kw: GatewayMediaToolSpec(task_journal=False, **kw),
         "extra_body", field("extra_body")),
    ]


CLASSES = _classes()
IDS = [entry[0] for entry in CLASSES]


@pytest.mark.parametrize("entry", CLASSES, ids=IDS)
def test_plain_http_to_a_lan_gateway_with_allow_insecure_http(entry: Any) -> None:
    _name, build, _, _ = entry
    obj = build(base_url=LAN, api_key=KEY, allow_insecure_http=True)
    assert obj.client.config.base_url == "http://192.168.1.20:3000"
    assert obj.client.config.allow_insecure_http is True


@pytest.mark.parametrize("entry", CLASSES, ids=IDS)
def test_plain_http_to_a_public_host_is_refused_with_the_argument_that_works(
        entry: Any) -> None:
    _name, build, _, _ = entry
    with pytest.raises(ValueError, match=r"allow_insecure_http=True") as caught:
        build(base_url=PUBLIC_HTTP, api_key=KEY)
    assert KEY not in str(caught.value)  # the refused input is never echoed with the key
    # ... and the argument the message names is accepted by this very class
    assert build(base_url=PUBLIC_HTTP, api_key=KEY, allow_insecure_http=True)


@pytest.mark.parametrize("entry", CLASSES, ids=IDS)
def test_verify_false_and_a_ca_bundle_reach_the_transport(entry: Any, tmp_path: Path) -> None:
    _name, build, _, _ = entry
    assert build(base_url=LAN, api_key=KEY, allow_insecure_http=True,
                 verify=False).client.config.verify is False
    bundle = tmp_path / "corp-ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    https = build(base_url="https://gw.corp.example/v1", api_key=KEY, verify=str(bundle))
    assert https.client.config.verify == str(bundle)
    with pytest.raises(ValueError, match="CA bundle"):
        build(base_url="https://gw.corp.example/v1", api_key=KEY,
              verify=str(tmp_path / "missing.pem"))


@pytest.mark.parametrize("entry", CLASSES, ids=IDS)
@pytest.mark.parametrize(("url_name", "key_name"), [
    ("openai_api_base", "openai_api_key"), ("api_base", "api_key"), ("base_url", "api_key")])
def test_migration_names(entry: Any, url_name: str, key_name: str) -> None:
    _name, build, _, _ = entry
    obj = build(**{url_name: "https://gw.example.com/v1", key_name: KEY})
    assert obj.client.config.root_url == "https://gw.example.com"
    assert obj.client.config.secret == KEY


@pytest.mark.parametrize("entry", CLASSES, ids=IDS)
@pytest.mark.parametrize(("typo", "meant"), [("timout", "timeout"), ("max_retires", "max_retries"),
                                             ("base_ulr", "base_url"), ("api_kye", "api_key")])
def test_a_misspelled_setting_is_refused(entry: Any, typo: str, meant: str) -> None:
    _name, build, _, _ = entry
    with pytest.raises(ValueError, match=f"did you mean {meant}=") as caught:
        build(base_url="https://gw.example.com/v1", api_key=KEY, **{typo: 1})
    assert KEY not in str(caught.value)


@pytest.mark.parametrize("entry", CLASSES, ids=IDS)
def test_an_unknown_parameter_moves_to_the_passthrough_with_a_warning(entry: Any) -> None:
    _name, build, passthrough, read = entry
    with pytest.warns(UnknownArgumentWarning, match=f"moved to {passthrough}") as record:
        obj = build(base_url="https://gw.example.com/v1", api_key=KEY, top_k=40)
    assert read(obj)["top_k"] == 40
    assert record[0].filename == __file__  # the warning points at the caller's line
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet = build(base_url="https://gw.example.com/v1", api_key=KEY,
                      **{passthrough: {"top_k": 40}})
    assert read(quiet)["top_k"] == 40


@pytest.mark.parametrize("entry", CLASSES, ids=IDS)
def test_openai_sdk_settings_are_refused_not_sent(entry: Any) -> None:
    _name, build, _, _ = entry
    with pytest.raises(ValueError, match="OpenAI SDK client"):
        build(base_url="https://gw.example.com/v1", api_key=KEY, openai_organization="org-1")


def test_the_same_parameter_twice_is_refused() -> None:
    from langchain_gateway import ChatGateway

    with pytest.raises(ValueError, match="twice"):
        ChatGateway(model="m", base_url="https://gw.example.com", api_key=KEY, top_k=1,
                    model_kwargs={"top_k": 2})
    with pytest.raises(ValueError, match="different values"):
        ChatGateway(model="m", base_url="https://gw.example.com", api_key=KEY,
                    openai_api_base="https://other.example.com")


def test_llamaindex_api_base_and_base_url_are_one_setting() -> None:
    from llamaindex_gateway import GatewayLLM

    llm = GatewayLLM(model="m", base_url="https://gw.example.com/v1", api_key=KEY)
    assert llm.api_base == llm.base_url == "https://gw.example.com/v1"
    with pytest.raises(ValueError, match="same setting"):
        GatewayLLM(model="m", base_url="https://a.example.com", api_base="https://b.example.com",
                   api_key=KEY)


def test_a_moved_parameter_is_sent() -> None:
    """``ChatGateway(top_k=5)`` and ``GatewayLLM(top_k=5)``: top_k is in the request."""
    from langchain_gateway import ChatGateway
    from llamaindex_gateway import GatewayLLM

    with pytest.warns(UnknownArgumentWarning):
        chat = ChatGateway(model="qwen-max", base_url="https://gw.example.com", api_key=KEY,
                           top_k=5)
    with pytest.warns(UnknownArgumentWarning):
        llm = GatewayLLM(model="qwen-max", base_url="https://gw.example.com", api_key=KEY,
                         top_k=5)
    assert chat._prepare(None, {})[1].params["top_k"] == 5
    assert llm._call({}).params["top_k"] == 5


def test_config_errors_are_configuration_errors_inside() -> None:
    """The core raises its typed error; pydantic wraps it (it is a ValueError) unchanged."""
    from gateway_core.arguments import sort_arguments

    with pytest.raises(ConfigurationError, match="did you mean temperature="):
        sort_arguments({"temprature": 0.2}, owner="X", known={"temperature"},
                       passthrough="model_kwargs")
