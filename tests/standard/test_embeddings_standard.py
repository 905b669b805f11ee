"""langchain-tests standard suites for GatewayEmbeddings.

The unit suite runs offline; the integration suite runs against the bundled emulator over
loopback (or, with ``GATEWAY_LIVE=1``, the live gateway). No VCR: record mode stays as
tests/conftest.py sets it (langchain-tests' ``base_vcr_config`` would force ``"once"``).
"""

from __future__ import annotations

from typing import Any

from langchain_tests.integration_tests import EmbeddingsIntegrationTests
from langchain_tests.unit_tests import EmbeddingsUnitTests

from langchain_gateway import GatewayEmbeddings
from tests.standard.chat_standard_support import TARGET


class TestGatewayEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[GatewayEmbeddings]:
        return GatewayEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": "text-embedding-3-small", "base_url": "https://gateway.example.com/v1",
                "api_key": "sk-unit-test-key"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"GATEWAY_BASE_URL": "https://env-gateway.example.com/v1",
             "GATEWAY_API_KEY": "sk-from-env"},
            {"model": "bge-m3"},
            {"base_url": "https://env-gateway.example.com/v1", "api_key": "sk-from-env",
             "model": "bge-m3"},
        )


class TestGatewayEmbeddingsIntegration(EmbeddingsIntegrationTests):
    uses_gateway = True

    @property
    def embeddings_class(self) -> type[GatewayEmbeddings]:
        return GatewayEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        target = TARGET["gateway"]
        return {"model": target.embedding_model, "base_url": target.base_url,
                "api_key": target.api_key}
