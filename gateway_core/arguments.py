"""Constructor arguments of the adapter classes: migration names, typos and pass-through.

Both adapters' classes accept the names people bring from ``ChatOpenAI`` / ``OpenAILike``
(``openai_api_base``, ``openai_api_key``, ``api_base``), refuse a misspelled setting with a
"did you mean", and move any other unknown argument into the class's pass-through dict (sent
with every request) with a warning — what ``ChatOpenAI`` does with ``model_kwargs``. One
function decides this for every class of both frameworks: :func:`sort_arguments`.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Collection, Mapping
from typing import Any

from .errors import ConfigurationError

__all__ = ["CALL_OPTIONS", "MIGRATION_NAMES", "UnknownArgumentWarning", "accepted_names",
           "sort_arguments"]

# Keyword arguments of a chat call that steer the call itself and are never sent as request
# parameters; each framework adapter adds its own (LangChain's ls_structured_output_format, …).
CALL_OPTIONS = frozenset({"model", "stream", "stream_usage", "extra_body", "timeout",
                          "structured_output", "use_responses_api"})

MIGRATION_NAMES: Mapping[str, str] = {
    "openai_api_base": "base_url",
    "openai_api_key": "api_key",
    "openai_proxy": "proxy",
}
"""Names of langchain-openai / llama-index-llms-openai settings, and ours for them."""

# Settings of the OpenAI SDK client that have no meaning here: passing one is refused (sending
# it to the gateway as a body field would be wrong, ignoring it would hide a mistake).
_SDK_ONLY = frozenset({
    "openai_organization", "organization", "openai_api_type", "openai_api_version",
    "api_version", "http_client", "http_async_client", "default_query", "tiktoken_model_name",
    "tiktoken_enabled", "check_embedding_ctx_length", "embedding_ctx_length", "reuse_client",
    "api_type", "azure_endpoint", "deployment_name",
})

# Request parameters of real providers that sit one letter from one of our fields
# (``top_k`` / ``top_p``): never taken for typos.
_PROVIDER_PARAMETERS = frozenset({
    "top_k", "min_p", "top_a", "logprobs", "top_logprobs", "logit_bias", "user",
    "repetition_penalty", "enable_thinking", "thinking", "thinking_budget", "input_type",
    "truncate", "return_documents", "modalities", "audio", "prediction", "service_tier",
    "store", "metadata", "verbosity", "web_search_options", "response_format",
})


def accepted_names(cls: Any) -> set[str]:
    """Every constructor name of a pydantic model class: field names, aliases, alias choices."""
    from pydantic import AliasChoices

    names: set[str] = set()
    for name, info in cls.model_fields.items():
        names.add(name)
        if info.alias:
            names.add(info.alias)
        choices = info.validation_alias
        if isinstance(choices, str):
            names.add(choices)
        elif isinstance(choices, AliasChoices):
            names.update(c for c in choices.choices if isinstance(c, str))
    return names


class UnknownArgumentWarning(UserWarning):
    """An unknown constructor argument was moved into the pass-through parameters."""


def sort_arguments(
    values: Any,
    *,
    owner: str,
    known: Collection[str],
    passthrough: str,
    renames: Mapping[str, str] | None = None,
) -> Any:
    """The constructor ``values`` of ``owner`` with migration names and unknown names sorted.

    Args:
        values: The raw keyword arguments (anything else is returned unchanged).
        owner: The class name, for messages.
        known: Every name the class accepts (fields and their aliases).
        passthrough: The field holding extra request parameters (``model_kwargs``,
            ``additional_kwargs``, ``extra_body``); unknown names are moved there.
        renames: Class-specific migration names on top of :data:`MIGRATION_NAMES`.

    Raises:
        ConfigurationError: a setting of the OpenAI SDK client this package does not use, a
            name close to one of the class's own settings (a typo), an argument given twice,
            or two spellings of one setting with different values.
    """
    if not isinstance(values, dict):
        return values
    values = dict(values)
    for old, new in {**MIGRATION_NAMES, **(renames or {})}.items():
        if old in values and old not in known:
            value = values.pop(old)
            if new in values and values[new] != value:
                raise ConfigurationError(
                    f"{owner} got both {old}= and {new}= with different values; pass only "
                    f"{new}=.")
            values.setdefault(new, value)
    unknown = [name for name in values if name not in known]
    if not unknown:
        return values
    extra = dict(values.get(passthrough) or {})
    for name in unknown:
        if name in _SDK_ONLY:
            raise ConfigurationError(
                f"{owner} does not take {name}=: it is a setting of the OpenAI SDK client, "
                "which this package does not use. Remove it.")
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
        if close and name not in _PROVIDER_PARAMETERS:
            raise ConfigurationError(
                f"{owner} got an unknown argument {name}=; did you mean {close[0]}=? (If "
                f"{name!r} really is a parameter of your model, pass it in "
                f"{passthrough}={{{name!r}: ...}}.)")
        if name in extra:
            raise ConfigurationError(
                f"{owner} got {name} twice: as an argument and in {passthrough}.")
        extra[name] = values.pop(name)
        warnings.warn(
            f"{owner}: {name} is not one of its settings; it was moved to {passthrough} and "
            f"will be sent with every request. Pass it in {passthrough}={{{name!r}: ...}} to "
            "silence this warning.", UnknownArgumentWarning, stacklevel=_caller_depth())
    values[passthrough] = extra
    return values


def _caller_depth() -> int:
    """The stack level of the user's constructor call (pydantic validators sit between)."""
    import sys

    frame = sys._getframe(1)
    depth = 1
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if not module.startswith(("gateway_core", "pydantic", "langchain_core",
                                  "llama_index", "langchain_gateway", "llamaindex_gateway")):
            return depth
        frame = frame.f_back  # type: ignore[assignment]
        depth += 1
    return 2
