"""langchain-tests standard suites for ChatGateway.

The unit suite runs offline. The integration suite runs against the bundled emulator (over
loopback) or, with ``GATEWAY_LIVE=1``, against the live gateway; tests that need a model that
understands the prompt are xfailed against the emulator only (``XFAIL_EMULATOR``).
"""

from __future__ import annotations

import os
from typing import Any
from unittest import mock

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.load import dumpd, dumps, load, loads
from langchain_tests.integration_tests import ChatModelIntegrationTests
from langchain_tests.unit_tests import ChatModelUnitTests
from syrupy.assertion import SnapshotAssertion

from gateway_core.profiles import resolve_profile
from langchain_gateway import ChatGateway
from tests.standard.chat_standard_support import LIVE, TARGET

NEEDS_UNDERSTANDING = "the emulator does not understand prompts"
xfail_emulator = pytest.mark.xfail(not LIVE, reason=NEEDS_UNDERSTANDING, strict=False)


class TestChatGatewayUnit(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return ChatGateway

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "gpt-4o-mini", "base_url": "https://gateway.example.com/v1",
                "api_key": "sk-unit-test-key"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"GATEWAY_BASE_URL": "https://env-gateway.example.com/v1",
             "GATEWAY_API_KEY": "sk-from-env"},
            {"model": "gpt-4o-mini"},
            {"base_url": "https://env-gateway.example.com/v1", "api_key": "sk-from-env",
             "model": "gpt-4o-mini"},
        )

    @property
    def supports_model_override(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "deepseek-chat"

    @pytest.mark.xfail(strict=True, reason=(
        "langchain-core 1.x revives, even under allowed_objects='all', only classes on its "
        "own allowlist (langchain_core.load.mapping); a partner class published outside "
        "langchain is revived by naming it, allowed_objects=[ChatGateway], which this "
        "suite's call cannot do. test_serdes_as_users_write_it runs the same assertions "
        "that way; strict: if langchain-core opens this, the xfail turns red and goes."))
    def test_serdes(self, model: BaseChatModel, snapshot: SnapshotAssertion) -> None:
        super().test_serdes(model, snapshot)

    def test_serdes_as_users_write_it(self, model: BaseChatModel,
                                      snapshot: SnapshotAssertion) -> None:
        """The suite's serdes assertions with ``allowed_objects=[ChatGateway]`` (as the class
        docstring shows), through ``dumpd``/``load`` and ``dumps``/``loads``."""
        env_params, _, _ = self.init_from_env_params
        with mock.patch.dict(os.environ, env_params):
            serialized = dumpd(model)
            assert serialized == snapshot(name="serialized")
            assert "sk-unit-test-key" not in dumps(model)
            for restored in (
                load(serialized, valid_namespaces=model.get_lc_namespace()[:1],
                     allowed_objects=[ChatGateway], secrets_from_env=True),
                loads(dumps(model), valid_namespaces=["langchain_gateway"],
                      allowed_objects=[ChatGateway], secrets_from_env=True),
            ):
                assert isinstance(restored, ChatGateway)
                assert (restored.model_dump(exclude={"api_key"})
                        == model.model_dump(exclude={"api_key"}))
                # the key is not in the data: it comes back from the environment
                assert restored.api_key is not None
                assert restored.api_key.get_secret_value() == "sk-from-env"
        with pytest.raises(ValueError, match="not allowed"):  # the default stays closed
            load(serialized, valid_namespaces=["langchain_gateway"], secrets_from_env=True,
                 allowed_objects="all")


class TestChatGatewayIntegration(ChatModelIntegrationTests):
    uses_gateway = True

    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return ChatGateway

    @property
    def _target(self) -> Any:
        return TARGET["gateway"]

    @property
    def chat_model_params(self) -> dict[str, Any]:
        target = self._target
        return {"model": target.chat_model, "base_url": target.base_url,
                "api_key": target.api_key, "temperature": 0, "timeout": 60}

    # Capability flags follow the chat model's profile (honest for the emulator and live).
    @property
    def _profile(self) -> Any:
        return resolve_profile(self._target.chat_model)

    @property
    def has_tool_choice(self) -> bool:
        return self._profile.tool_choice

    @property
    def supports_json_mode(self) -> bool:
        return self._profile.json_mode

    @property
    def supports_image_inputs(self) -> bool:
        return self._profile.vision

    @property
    def supports_image_urls(self) -> bool:
        return self._profile.vision

    @property
    def supports_pdf_inputs(self) -> bool:
        return self._profile.pdf_input

    @property
    def supports_image_tool_message(self) -> bool:
        # images a tool returns are moved into a user turn by the core (tool turns are text)
        return self._profile.vision

    @property
    def supports_pdf_tool_message(self) -> bool:
        return self._profile.pdf_input

    @property
    def supports_audio_inputs(self) -> bool:
        return self._profile.audio_input

    @property
    def supports_video_inputs(self) -> bool:
        return self._profile.video_input

    @property
    def supports_anthropic_inputs(self) -> bool:
        return True

    @property
    def supports_model_override(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "deepseek-chat"

    @property
    def supported_usage_metadata_details(self) -> dict[str, list[Any]]:
        return {"invoke": ["cache_read_input", "reasoning_output"], "stream": []}

    def invoke_with_cache_read_input(self, *, stream: bool = False) -> Any:
        llm = self.chat_model_class(**self.chat_model_params)
        prompt = "Repeat this long context back briefly. " + "context " * 1200
        llm.invoke(prompt)
        return llm.invoke(prompt)

    def invoke_with_reasoning_output(self, *, stream: bool = False) -> Any:
        target = self._target
        llm = self.chat_model_class(**{**self.chat_model_params,
                                       "model": target.reasoning_model})
        return llm.invoke("What is 3^3? Think it through.")

    # ---- tests that need a model that understands the prompt (emulator: xfail).
    # magic_function(3) and json_mode pass against the emulator without it: integer arguments
    # take the numbers of the request in order, and json_mode fills the quoted schema.

    @xfail_emulator
    def test_unicode_tool_call_integration(
        self, model: BaseChatModel, *, tool_choice: str | None = None,  # noqa: PT028
        force_tool_call: bool = True,  # noqa: PT028
    ) -> None:
        super().test_unicode_tool_call_integration(
            model, tool_choice=tool_choice, force_tool_call=force_tool_call)


# ---- the same suite in the configurations users run (item: suites beyond the defaults)


class TestChatGatewayIntegrationAudioModel(TestChatGatewayIntegration):
    """An audio-capable model (its profile turns on audio, video and PDF input tests)."""

    @property
    def chat_model_params(self) -> dict[str, Any]:
        target = self._target
        model = "gemini-2.5-flash" if not target.live else (
            os.environ.get("GATEWAY_AUDIO_MODEL") or "gemini-2.5-flash")
        return {**super().chat_model_params, "model": model}

    @property
    def _profile(self) -> Any:
        return resolve_profile(self.chat_model_params["model"])


class TestChatGatewayIntegrationStreamUsage(TestChatGatewayIntegration):
    """Usage details on streams too (``stream_usage`` is on by default: usage arrives once, on
    the last chunk, with its cache and reasoning details)."""

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {**super().chat_model_params, "stream_usage": True}

    @property
    def supported_usage_metadata_details(self) -> dict[str, list[Any]]:
        both = ["cache_read_input", "reasoning_output"]
        return {"invoke": both, "stream": both}

    def invoke_with_cache_read_input(self, *, stream: bool = False) -> Any:
        llm = self.chat_model_class(**self.chat_model_params)
        prompt = "Repeat this long context back briefly. " + "context " * 1200
        llm.invoke(prompt)
        return _streamed(llm, prompt) if stream else llm.invoke(prompt)

    def invoke_with_reasoning_output(self, *, stream: bool = False) -> Any:
        llm = self.chat_model_class(**{**self.chat_model_params,
                                       "model": self._target.reasoning_model})
        prompt = "What is 3^3? Think it through."
        return _streamed(llm, prompt) if stream else llm.invoke(prompt)


def _streamed(llm: Any, prompt: str) -> Any:
    full = None
    for chunk in llm.stream(prompt):
        full = chunk if full is None else full + chunk
    return full


class TestChatGatewayIntegrationJsonSchema(TestChatGatewayIntegration):
    @property
    def structured_output_kwargs(self) -> dict[str, Any]:
        return {"method": "json_schema"}


class TestChatGatewayIntegrationFunctionCalling(TestChatGatewayIntegration):
    @property
    def structured_output_kwargs(self) -> dict[str, Any]:
        return {"method": "function_calling"}


class TestChatGatewayIntegrationJsonMode(TestChatGatewayIntegration):
    @property
    def structured_output_kwargs(self) -> dict[str, Any]:
        return {"method": "json_mode"}
