"""GatewayConfig: where the gateway is, how to authenticate, and how patient to be.

One frozen, hashable value describes a connection. Two objects built with equal configs share one
transport (see ``transport.get_transport``), so a chat model, an embedder and a reranker pointed at
the same gateway share their connection pools, proxy, TLS and header settings.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigurationError

__all__ = [
    "ENV_ALLOW_INSECURE_HTTP",
    "ENV_API_KEY",
    "ENV_BASE_URL",
    "GatewayConfig",
    "Secret",
    "config_from_fields",
    "is_loopback_host",
    "is_secret_header",
]

ENV_BASE_URL = "GATEWAY_BASE_URL"
ENV_API_KEY = "GATEWAY_API_KEY"
ENV_RATE_LIMIT = "GATEWAY_RATE_LIMIT"
# "1" / "true" / "yes": allow plain http:// to a non-loopback gateway (a self-hosted one-api /
# new-api on a trusted LAN or a docker network), for every entry point at once.
ENV_ALLOW_INSECURE_HTTP = "GATEWAY_ALLOW_INSECURE_HTTP"

# Endpoint paths people paste by mistake as the base URL (requests would then 404).
_ENDPOINT_SUFFIXES = (
    "/chat/completions", "/completions", "/embeddings", "/rerank", "/images/generations",
    "/images/edits", "/models", "/responses",
)


class Secret:
    """A string that never shows itself in ``repr``, ``str`` or f-strings."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        """The real value, for the one place that needs it (the Authorization header)."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Secret, (self._value,))


def is_loopback_host(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _normalise_base_url(raw: str, allow_insecure_http: bool) -> str:
    url = raw.strip()
    if "://" not in url:
        raise ConfigurationError(
            f"Base URL {url!r} has no scheme: write it as 'https://{url.lstrip('/')}'."
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ConfigurationError(
            f"Base URL {url!r} must start with https:// (or http:// for a local gateway)."
        )
    if not parts.hostname:
        raise ConfigurationError(f"Base URL {url!r} has no host name.")
    try:
        parts.port  # noqa: B018  (parsing it is the check)
    except ValueError:
        raise ConfigurationError(f"Base URL {url!r} has an invalid port.") from None
    if parts.username or parts.password:
        raise ConfigurationError(
            "The base URL contains a user name or password: it would show in logs and errors. "
            "Pass the gateway key as api_key, and any other credentials through headers.")
    if parts.query or parts.fragment:
        raise ConfigurationError(
            f"Base URL {url!r} must not contain a query string or fragment; pass only "
            "scheme, host and an optional path prefix such as /v1."
        )
    path = parts.path.rstrip("/")
    for suffix in _ENDPOINT_SUFFIXES:
        if path.endswith(suffix):
            fixed = path[: -len(suffix)]
            raise ConfigurationError(
                f"Base URL {url!r} already names the endpoint {suffix!r}: pass the gateway's base "
                f"instead, e.g. '{parts.scheme}://{parts.netloc}{fixed}'."
            )
    if path.endswith("/v1"):
        path = path[:-3]
    if parts.scheme == "http" and not allow_insecure_http and not is_loopback_host(parts.hostname):
        raise ConfigurationError(
            f"Refusing plain http:// to {parts.hostname}: the API key would travel unencrypted. "
            "Use https://. If this network is trusted, pass allow_insecure_http=True (any class "
            "of the package), --allow-insecure-http (gateway-kit), or set "
            f"{ENV_ALLOW_INSECURE_HTTP}=1."
        )
    return f"{parts.scheme}://{parts.netloc}{path}"


def _env_flag(name: str) -> bool:
    """An on/off environment variable; anything but a clear yes or no is refused."""
    raw = os.environ.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ConfigurationError(f"{name} must be 1 or 0 (true/false), not {raw!r}.")


def _is_positive_number(value: Any) -> bool:
    """A finite number of seconds above zero (``True`` is not a number here)."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and value > 0)


def _check_proxy(proxy: Any) -> None:
    if proxy is None:
        return
    scheme = urlsplit(str(proxy)).scheme.lower() if "://" in str(proxy) else ""
    if scheme not in ("http", "https", "socks5", "socks5h"):
        raise ConfigurationError(
            f"proxy must be a URL such as 'http://proxy:8080' or 'socks5://proxy:1080', "
            f"not {proxy!r}.")
    if scheme.startswith("socks") and importlib.util.find_spec("socksio") is None:
        raise ConfigurationError(
            "A SOCKS proxy needs httpx's socks support: pip install 'httpx[socks]'.")


def _check_verify(verify: Any) -> None:
    if isinstance(verify, bool) or hasattr(verify, "wrap_socket"):  # an ssl.SSLContext
        return
    if not isinstance(verify, (str, os.PathLike)) or not os.path.exists(verify):
        raise ConfigurationError(
            f"verify must be True, False or the path of a CA bundle that exists, not {verify!r}.")


def _rate_limit(value: Any) -> Any:
    """A ``RateLimit`` (or None) from what was given, else ``GATEWAY_RATE_LIMIT``."""
    from .coordination.rate_limit import RateLimit

    if value is None:
        value = os.environ.get(ENV_RATE_LIMIT, "").strip() or None
    if value is None or isinstance(value, RateLimit):
        return value
    if isinstance(value, str):
        return RateLimit.parse(value)
    if isinstance(value, Mapping):
        return RateLimit(**value)
    raise ConfigurationError(
        f"rate_limit must be a RateLimit, a mapping of its fields or text such as "
        f"'rpm=120,tpm=90000', not {type(value).__name__}.")


# Header names whose values may authenticate (Portkey's x-portkey-api-key, a tenant token, a
# signed cookie): their values are secrets like the key, redacted wherever gateway text goes.
_SECRET_HEADER_WORDS = ("key", "token", "secret", "auth", "sign", "cookie", "password",
                        "credential", "session")


def is_secret_header(name: str) -> bool:
    """Whether a header's value may authenticate (so is kept like the key: redacted from
    errors, never written to a cassette)."""
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_HEADER_WORDS)


def _freeze_headers(headers: Any) -> tuple[tuple[str, str], ...]:
    if not headers:
        return ()
    items = headers.items() if isinstance(headers, Mapping) else headers
    frozen = tuple(sorted((str(k), str(v)) for k, v in items))
    for name, _ in frozen:
        if name.lower() in ("authorization", "x-api-key", "api-key"):
            raise ConfigurationError(
                f"Do not pass the {name!r} header: give the key as api_key (or {ENV_API_KEY}) so "
                "it is kept secret."
            )
    return frozen


@dataclass(frozen=True)
class GatewayConfig:
    """Connection settings for one gateway and key.

    Args:
        base_url: The gateway, e.g. ``https://api.example.com`` or ``…/v1`` (both mean the same).
            Falls back to ``GATEWAY_BASE_URL``.
        api_key: The relay key. Falls back to ``GATEWAY_API_KEY``; kept as a :class:`Secret`.
        timeout: Seconds to wait for a response to a plain call (read timeout).
        connect_timeout: Seconds to wait for a TCP/TLS connection.
        stream_idle_timeout: Seconds of silence tolerated inside a stream (gateways allow long
            gaps while an upstream model thinks).
        deadline: Overall seconds for one call including all retries and, for a stream, its
            whole duration; ``None`` for no limit. A stream that outlives it ends with
            :class:`~gateway_core.errors.DeadlineExceededError` carrying the partial text.
            (``stream_idle_timeout`` bounds each silence; ``deadline`` bounds the whole.)
        max_retries: Retries after the first attempt for retryable failures.
        max_retry_wait: Longest wait, in seconds, the call sleeps before a retry. A gateway
            that asks for a longer wait (``Retry-After``, ``retry-after-ms``) gets none: the
            error is raised at once with its ``retry_after`` for the caller to schedule.
        backoff_base / backoff_max: Exponential backoff with full jitter, in seconds.
        headers: Extra headers sent with every request to the gateway's own origin (never
            to a CDN, a media link or a cross-origin redirect). Values of headers whose name
            says key, token, secret, auth… are redacted like the key.
        proxy: An http(s) or socks proxy URL, applied to sync and async requests alike.
        verify: TLS verification: True, False, or a CA bundle path.
        allow_insecure_http: Allow ``http://`` to a non-loopback host (a self-hosted gateway on
            a trusted network). ``GATEWAY_ALLOW_INSECURE_HTTP=1`` turns it on too.
        max_response_bytes: Largest non-streamed response body, and largest single stream
            event, read into memory (a runaway or hostile answer fails with
            :class:`~gateway_core.errors.ResponseTooLargeError`; a stream's error keeps the
            partial text).
        max_connections: Connections the pool opens to the gateway at once (sync and async
            clients each), ``None`` for no cap. Requests beyond it wait for a free connection,
            so set it above the number of calls and streams you run concurrently (the default
            matches the openai SDK's).
        max_keepalive_connections: Idle connections kept open for reuse (each for up to five
            seconds), ``None`` for no cap; the default matches the openai SDK's. An idle
            connection costs no work per request: the pool (:mod:`gateway_core.pool`) checks
            one's socket only when it reuses it, and sweeps the idle ones once a second.
        rate_limit: The key's limit, paced before every request of every object built with
            this config: a :class:`~gateway_core.coordination.RateLimit`, a mapping of its
            fields, or text such as ``"rpm=120,tpm=90000,backend=redis://host:6379/0"``. Falls
            back to ``GATEWAY_RATE_LIMIT``. With a ``redis://`` backend every process and
            machine using the key stays within it together.
    """

    base_url: str | None = None
    api_key: Secret | str | None = field(default=None, repr=False)
    timeout: float = 120.0
    connect_timeout: float = 10.0
    stream_idle_timeout: float = 300.0
    deadline: float | None = 900.0
    max_retries: int = 2
    max_retry_wait: float = 60.0
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    headers: Any = ()
    proxy: str | None = None
    verify: bool | str = True
    allow_insecure_http: bool = False
    max_response_bytes: int = 128 * 1024 * 1024
    max_connections: int | None = 1000
    max_keepalive_connections: int | None = 100
    rate_limit: Any = None

    def __post_init__(self) -> None:
        base_url = (self.base_url or os.environ.get(ENV_BASE_URL) or "").strip()
        if not base_url:
            raise ConfigurationError(
                f"No gateway base URL: pass base_url='https://your-gateway' or set {ENV_BASE_URL}."
            )
        key = self.api_key
        if key is None or key == "":
            key = os.environ.get(ENV_API_KEY, "")
        key_text = (key.get() if isinstance(key, Secret) else str(key)).strip()
        if not key_text:
            raise ConfigurationError(
                f"No API key: pass api_key='sk-…' or set {ENV_API_KEY}."
            )
        for name in ("timeout", "connect_timeout", "stream_idle_timeout", "backoff_base",
                     "backoff_max", "max_retry_wait"):
            value = getattr(self, name)
            if not _is_positive_number(value):
                raise ConfigurationError(
                    f"{name} must be a positive number of seconds, not {value!r}."
                )
        if not isinstance(self.max_response_bytes, int) or self.max_response_bytes < 1024:
            raise ConfigurationError(
                f"max_response_bytes must be an integer >= 1024, not {self.max_response_bytes!r}."
            )
        for name in ("max_connections", "max_keepalive_connections"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                      or value < 1):
                raise ConfigurationError(
                    f"{name} must be an integer >= 1, or None for no cap, not {value!r}.")
        if self.deadline is not None and not _is_positive_number(self.deadline):
            raise ConfigurationError(f"deadline must be positive or None, not {self.deadline!r}.")
        if (not isinstance(self.max_retries, int) or isinstance(self.max_retries, bool)
                or self.max_retries < 0):
            raise ConfigurationError(
                f"max_retries must be an integer >= 0, not {self.max_retries!r}."
            )
        _check_proxy(self.proxy)
        _check_verify(self.verify)
        if not self.allow_insecure_http and _env_flag(ENV_ALLOW_INSECURE_HTTP):
            object.__setattr__(self, "allow_insecure_http", True)
        normalised = _normalise_base_url(base_url, self.allow_insecure_http)
        object.__setattr__(self, "base_url", normalised)
        object.__setattr__(self, "api_key", Secret(key_text))
        object.__setattr__(self, "headers", _freeze_headers(self.headers))
        object.__setattr__(self, "rate_limit", _rate_limit(self.rate_limit))

    @property
    def root_url(self) -> str:
        """The gateway root without ``/v1``: ``/mj``, ``/suno`` and ``/api`` routes hang here."""
        assert self.base_url is not None
        return self.base_url

    @property
    def api_base(self) -> str:
        """The OpenAI-style base, ``<root>/v1``."""
        return f"{self.root_url}/v1"

    @property
    def secret(self) -> str:
        """The key itself. Only the transport should call this."""
        assert isinstance(self.api_key, Secret)
        return self.api_key.get()

    @property
    def secrets(self) -> tuple[str, ...]:
        """Everything redacted from text that came back from the gateway: the key and the
        values of secret-looking headers."""
        extra = tuple(value for name, value in self.headers if is_secret_header(name)
                      and len(value) >= 6)
        return (self.secret, *extra)

    def replace(self, **changes: Any) -> GatewayConfig:
        """A copy with some settings changed (e.g. ``timeout``)."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        nullable = ("deadline", "proxy", "max_connections", "max_keepalive_connections",
                    "rate_limit")
        values.update({k: v for k, v in changes.items() if v is not None or k in nullable})
        return GatewayConfig(**values)

    def __repr__(self) -> str:
        return (
            f"GatewayConfig(base_url={self.base_url!r}, api_key=Secret('**********'), "
            f"timeout={self.timeout}, max_retries={self.max_retries})"
        )


def config_from_fields(owner: Any, **overrides: Any) -> GatewayConfig:
    """The config of an adapter object's connection fields, read by name.

    ``base_url`` (or ``api_base``), ``api_key`` (a str or a pydantic ``SecretStr``), ``timeout``,
    ``max_retries``, ``max_retry_wait``, ``deadline``, ``stream_idle_timeout``,
    ``default_headers``, ``proxy``, ``verify``,
    ``allow_insecure_http``, ``max_connections``, ``max_keepalive_connections`` and ``rate_limit``;
    missing or None fields fall back to the defaults and the environment. Adapters call it when
    they are built,
    so a missing key or a bad URL is reported at construction, not at the first call.
    """
    key = getattr(owner, "api_key", None)
    if key is not None and hasattr(key, "get_secret_value"):
        key = key.get_secret_value()
    settings = {
        "base_url": getattr(owner, "base_url", None) or getattr(owner, "api_base", None),
        "api_key": key or None,
        "timeout": getattr(owner, "timeout", None),
        "max_retries": getattr(owner, "max_retries", None),
        "max_retry_wait": getattr(owner, "max_retry_wait", None),
        "deadline": getattr(owner, "deadline", None),
        "stream_idle_timeout": getattr(owner, "stream_idle_timeout", None),
        "headers": getattr(owner, "default_headers", None),
        "proxy": getattr(owner, "proxy", None),
        "max_connections": getattr(owner, "max_connections", None),
        "max_keepalive_connections": getattr(owner, "max_keepalive_connections", None),
        "rate_limit": getattr(owner, "rate_limit", None),
        "verify": getattr(owner, "verify", None),
        "allow_insecure_http": getattr(owner, "allow_insecure_http", None),
        **overrides,
    }
    return GatewayConfig(**{name: value for name, value in settings.items() if value is not None})
