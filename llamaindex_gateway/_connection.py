"""The connection settings every LlamaIndex class of this package shares, declared once.

:class:`GatewayConnection` is a pydantic mixin: the gateway (``api_base`` as LlamaIndex spells
it, ``base_url`` as the rest of this package does — both are fields, so type checkers accept
either), the key, TLS and proxy settings, the check at construction
(:func:`gateway_core.config.config_from_fields`), the client built on first use, and the sorting
of unknown constructor arguments (:func:`gateway_core.arguments.sort_arguments`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr
from pydantic import model_validator as _model_validator
from typing_extensions import Self

from gateway_core.arguments import accepted_names, sort_arguments
from gateway_core.config import ENV_API_KEY, ENV_BASE_URL, config_from_fields
from gateway_core.errors import ConfigurationError

if TYPE_CHECKING:
    from gateway_core.client import GatewayClient

__all__ = ["GatewayConnection"]


def _env_base_url() -> str | None:
    return os.environ.get(ENV_BASE_URL) or None


def _env_secret() -> SecretStr | None:
    value = os.environ.get(ENV_API_KEY)
    return SecretStr(value) if value else None


class GatewayConnection(BaseModel):
    """Where the gateway is and how to reach it (shared by every LlamaIndex class here)."""

    api_base: str | None = Field(
        default_factory=_env_base_url,
        description="The gateway's base URL (with or without /v1); GATEWAY_BASE_URL if unset. "
        "Same as base_url.")
    base_url: str | None = Field(
        default_factory=_env_base_url, description="Same as api_base.")
    if TYPE_CHECKING:  # a plain str is accepted (and kept as a SecretStr)
        api_key: SecretStr | str | None = Field(default=None)
    else:
        api_key: SecretStr | None = Field(
            default_factory=_env_secret, exclude=True, repr=False,
            description="The relay key; GATEWAY_API_KEY if unset. Never serialised.")
    max_retries: int = Field(
        default=2, ge=0, description="Retries of retryable failures, done by the transport.")
    default_headers: dict[str, str] | None = Field(
        default=None, description="Extra headers for every request (never the key).")
    proxy: str | None = Field(default=None, description="An http(s) or socks proxy URL.")
    verify: bool | str | None = Field(
        default=None, description="TLS verification: True (default), False, or a CA bundle path.")
    allow_insecure_http: bool | None = Field(
        default=None, description="Allow plain http:// to a host that is not loopback (a "
        "self-hosted gateway on a trusted network); the key travels unencrypted.")
    max_connections: int | None = Field(
        default=None, description="Connections the shared pool opens at once (default 1000).")
    max_keepalive_connections: int | None = Field(
        default=None, description="Idle connections kept for reuse (default 100).")
    http_transport: Any = Field(
        default=None, exclude=True, repr=False,
        description="An httpx transport to send through instead of the network, as httpx's "
        "own transport= (httpx.MockTransport(handler) in tests); never serialised.")
    deadline: float | None = Field(
        default=None, description="Overall seconds for one call, its retries and (for a "
        "stream) its whole duration (default 900); a stream that outlives it raises "
        "DeadlineExceededError with its partial text. stream_idle_timeout bounds each silence.")
    max_retry_wait: float | None = Field(
        default=None, description="Longest wait before a retry (default 60 s): a gateway "
        "asking for longer (Retry-After) gets the error raised at once, with retry_after on it.")
    rate_limit: Any = Field(
        default=None, description="The key's shared limit, e.g. 'rpm=120,tpm=90000' (with "
        "backend=redis://... for a fleet); see GatewayConfig.")

    # A refused argument must not print the key passed next to it.
    model_config = ConfigDict(hide_input_in_errors=True)

    _passthrough: ClassVar[str] = "extra_body"
    """The field unknown constructor arguments are moved to."""
    _renames: ClassVar[dict[str, str]] = {}
    """Class-specific migration names (old -> field)."""
    _gateway: GatewayClient | None = PrivateAttr(default=None)

    @_model_validator(mode="before")
    @classmethod
    def _sort_arguments(cls, values: Any) -> Any:
        """Migration names renamed, typos refused, other unknown names passed through; the
        two spellings of the gateway's URL made one."""
        values = sort_arguments(values, owner=cls.__name__, known=accepted_names(cls),
                                passthrough=cls._passthrough, renames=cls._renames)
        if isinstance(values, dict):
            given = [values[n] for n in ("api_base", "base_url") if values.get(n)]
            if len(set(given)) > 1:
                raise ConfigurationError(
                    f"{cls.__name__} got api_base= and base_url= with different values; they "
                    "are the same setting: pass one.")
            if given:
                values["api_base"] = values["base_url"] = given[0]
        return values

    @_model_validator(mode="after")
    def _check_connection_settings(self) -> Self:
        """A missing key or a bad base URL is reported now, not at the first call."""
        config_from_fields(self)
        return self

    def to_payload(self) -> dict[str, Any]:
        """What LlamaIndex instrumentation events carry (never the key): the framework's
        payload plus ``provider`` (the model's maker, for cost tracking) and ``gateway``."""
        from gateway_core.provenance import gateway_host, provider_of

        parent = getattr(super(), "to_payload", None)
        payload: dict[str, Any] = dict(parent()) if parent is not None else {}
        model = getattr(self, "model", None) or getattr(self, "model_name", None)
        payload["provider"] = provider_of(model)
        payload["gateway"] = gateway_host(self.api_base)
        return payload

    @property
    def client(self) -> GatewayClient:
        """The framework-free client (built on first use; equal settings share a transport)."""
        client = self._gateway
        if client is None:
            from gateway_core.client import GatewayClient  # on first use

            client = GatewayClient.from_fields(self)
            self._gateway = client
        return client
