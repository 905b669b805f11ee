"""The connection settings every LangChain class of this package shares, declared once.

:class:`GatewayConnection` is a pydantic mixin: the gateway, the key, TLS and proxy settings,
the check at construction (:func:`gateway_core.config.config_from_fields`), the client built on
first use, and the sorting of unknown constructor arguments
(:func:`gateway_core.arguments.sort_arguments`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from langchain_core.utils import from_env, secret_from_env
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    model_validator,
)
from typing_extensions import Self

from gateway_core.arguments import accepted_names, sort_arguments
from gateway_core.config import config_from_fields

if TYPE_CHECKING:
    from gateway_core.client import GatewayClient

__all__ = ["GatewayConnection"]


class GatewayConnection(BaseModel):
    """Where the gateway is and how to reach it (shared by every LangChain class here)."""

    base_url: str | None = Field(
        default_factory=from_env("GATEWAY_BASE_URL", default=None),
        validation_alias=AliasChoices("base_url", "api_base"),
    )
    """The gateway's base URL (with or without ``/v1``); ``GATEWAY_BASE_URL`` if not given.
    ``api_base`` and ``openai_api_base`` are accepted too."""
    if TYPE_CHECKING:  # a plain str is accepted (and kept as a SecretStr)
        api_key: SecretStr | str | None = Field(default=None)
    else:
        api_key: SecretStr | None = Field(
            default_factory=secret_from_env("GATEWAY_API_KEY", default=None)
        )
    """The relay key; ``GATEWAY_API_KEY`` if not given (``openai_api_key`` accepted too).
    Never serialised or logged."""
    max_retries: int = 2
    """Retries of retryable failures, done once, by the shared transport."""
    default_headers: dict[str, str] | None = None
    """Extra headers for every request (never the key)."""
    proxy: str | None = None
    """An http(s) or socks proxy URL for sync and async requests alike."""
    verify: bool | str | None = None
    """TLS verification: ``True`` (default), ``False``, or the path of a CA bundle (a
    self-signed or corporate certificate)."""
    allow_insecure_http: bool | None = None
    """Allow plain ``http://`` to a host that is not loopback (a self-hosted one-api / new-api
    on a trusted network, e.g. ``http://192.168.1.10:3000``); the key travels unencrypted."""
    max_connections: int | None = None
    """Connections the shared pool opens at once (default 1000; see GatewayConfig)."""
    max_keepalive_connections: int | None = None
    """Idle connections kept for reuse (default 20; see GatewayConfig)."""
    http_transport: Any = Field(default=None, exclude=True, repr=False)
    """An ``httpx`` transport to send through instead of the network, as httpx's own
    ``transport=`` (``httpx.MockTransport(handler)`` in tests); never serialised."""
    deadline: float | None = None
    """Overall seconds for one call, its retries and (for a stream) its whole duration
    (default 900); a stream that outlives it raises ``DeadlineExceededError`` with its partial
    text. ``stream_idle_timeout`` bounds each silence, ``deadline`` the whole."""
    max_retry_wait: float | None = None
    """Longest wait before a retry (default 60 s): a gateway asking for longer
    (``Retry-After``) gets the error raised at once, with ``retry_after`` on it."""
    rate_limit: Any = None
    """The key's limit shared by every object on this key, e.g. ``"rpm=120,tpm=90000"`` or with
    ``backend=redis://host:6379/0`` for a fleet (see GatewayConfig and docs/fleet.md)."""

    # A refused argument must not print the key passed next to it.
    model_config = ConfigDict(hide_input_in_errors=True)

    _passthrough: ClassVar[str] = "model_kwargs"
    """The field unknown constructor arguments are moved to."""
    _renames: ClassVar[dict[str, str]] = {}
    """Class-specific migration names (old -> field)."""
    _gateway: GatewayClient | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _sort_arguments(cls, values: Any) -> Any:
        """Migration names renamed, typos refused, other unknown names passed through."""
        return sort_arguments(values, owner=cls.__name__, known=accepted_names(cls),
                              passthrough=cls._passthrough, renames=cls._renames)

    @model_validator(mode="after")
    def _check_connection_settings(self) -> Self:
        """A missing key or a bad base URL is reported now, not at the first call."""
        config_from_fields(self)
        return self

    @property
    def client(self) -> GatewayClient:
        """The framework-free client (built on first use; equal settings share a transport)."""
        client = self._gateway
        if client is None:
            from gateway_core.client import GatewayClient  # on first use

            client = self._build_client(GatewayClient.from_fields(self))
            self._gateway = client
        return client

    def _build_client(self, client: GatewayClient) -> GatewayClient:
        """Hook for classes that configure the client further (the media tools)."""
        return client
