"""Build the ``/v1/chat/completions`` request body from OpenAI-format messages and parameters.

The profile decides what a model gets: ``max_tokens`` or ``max_completion_tokens``, parameters it
is known to refuse left out, ``non_streaming_params`` added to non-streamed calls (Qwen3 needs
``enable_thinking: false`` there), ``reasoning_content`` kept on earlier assistant turns only
for models that require it back (DeepSeek reasoner with tools, Kimi thinking). Streams ask for
usage (``stream_options.include_usage``). ``extra_body`` is merged last, then the parameters this
process has learned the gateway refuses for the model are removed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from ..errors import InvalidRequestError
from ..profiles import ModelProfile
from ..switches import THINKING_MODES
from .toolmedia import hoist_tool_media
from .validate import check_messages, check_tool

__all__ = [
    "LOCAL_PARAMS",
    "build_request",
    "normalize_tool_choice",
    "normalize_tools",
    "prepare_messages",
]

# Parameters that steer this package and are never sent as they are.
LOCAL_PARAMS = frozenset({"strict", "stream_usage", "extra_body"})
_TOKEN_PARAMS = ("max_tokens", "max_completion_tokens")
_REASONING_KEYS = ("reasoning_content",)


def prepare_messages(
    messages: Sequence[Mapping[str, Any]], profile: ModelProfile
) -> list[dict[str, Any]]:
    """Messages as sent: ``reasoning_content`` kept only on tool-call turns of models needing it."""
    check_messages(messages)
    prepared: list[dict[str, Any]] = []
    keep_reasoning = profile.reasoning_roundtrip
    for message in messages:
        if not isinstance(message, Mapping):
            raise InvalidRequestError(
                f"Chat messages must be dicts in OpenAI format, got {type(message).__name__}."
            )
        is_tool_turn = message.get("role") == "assistant" and bool(message.get("tool_calls"))
        if keep_reasoning and is_tool_turn:
            # Thinking models (DeepSeek, Kimi) answer 400 unless every earlier tool-call turn
            # carries its reasoning back, even an empty one.
            if "reasoning_content" not in message:
                message = {**message, "reasoning_content": ""}
        elif message.get("role") == "assistant" and any(k in message for k in _REASONING_KEYS):
            # Elsewhere it is never needed: the API ignores it at best, and DeepSeek R1 refused
            # any reasoning_content in its input with a 400.
            message = {k: v for k, v in message.items() if k not in _REASONING_KEYS}
        prepared.append(message if isinstance(message, dict) else dict(message))
    if any(m.get("role") == "tool" and isinstance(m.get("content"), list) for m in prepared):
        # tool messages carry text only on the wire: images/files a tool returned move after
        return hoist_tool_media(prepared)
    return prepared


def normalize_tools(tools: Sequence[Any], strict: bool | None = None) -> list[dict[str, Any]]:
    """OpenAI tool dicts; bare ``{"name", "parameters"}`` functions are wrapped; ``strict`` set."""
    normalized: list[dict[str, Any]] = []
    for tool in tools:
        if not isinstance(tool, Mapping):
            raise InvalidRequestError(
                f"A tool must be an OpenAI tool dict, got {type(tool).__name__}; the LangChain "
                "and LlamaIndex classes convert their own tool types."
            )
        if "function" not in tool and "name" in tool:
            tool = {"type": "function", "function": dict(tool)}
        if strict is not None and tool.get("type", "function") == "function":
            function = dict(tool.get("function") or {})
            function["strict"] = strict
            tool = {**tool, "function": function}
        check_tool(tool)
        normalized.append(dict(tool))
    return normalized


def _tool_names(tools: Sequence[Mapping[str, Any]]) -> list[str]:
    names = []
    for tool in tools:
        function = tool.get("function")
        if isinstance(function, Mapping) and isinstance(function.get("name"), str):
            names.append(function["name"])
    return names


def normalize_tool_choice(
    choice: Any, tools: Sequence[Mapping[str, Any]] = ()
) -> str | dict[str, Any] | None:
    """``tool_choice`` in OpenAI form.

    ``"any"``, ``"required"`` and ``True`` force some tool (``"required"``); ``"auto"`` and
    ``"none"`` pass; a tool's name forces that tool; a dict passes (Responses-style
    ``{"type": "function", "name": …}`` is converted); ``None`` and ``False`` send nothing.
    """
    if choice is None or choice is False:
        return None
    if choice is True or choice in ("any", "required"):
        return "required"
    if choice in ("auto", "none"):
        return str(choice)
    if isinstance(choice, str):
        names = _tool_names(tools)
        if names and choice not in names:
            raise InvalidRequestError(
                f"tool_choice names {choice!r}, but the tools are {names}: pass one of those "
                "names, or 'auto', 'any', 'none'."
            )
        return {"type": "function", "function": {"name": choice}}
    if isinstance(choice, Mapping):
        if choice.get("type") == "function" and "function" not in choice and "name" in choice:
            return {"type": "function", "function": {"name": choice["name"]}}
        return dict(choice)
    raise InvalidRequestError(f"tool_choice {choice!r} is not understood.")


def _token_param(profile: ModelProfile, refused: Collection[str]) -> str | None:
    """The name to send the output-token limit under, or None if both names are refused."""
    preferred = profile.max_tokens_param
    other = "max_tokens" if preferred == "max_completion_tokens" else "max_completion_tokens"
    for name in (preferred, other):
        if name not in refused:
            return name
    return None


def build_request(
    messages: Sequence[Mapping[str, Any]],
    *,
    model: str,
    profile: ModelProfile,
    stream: bool = False,
    params: Mapping[str, Any] | None = None,
    extra_body: Mapping[str, Any] | None = None,
    stream_usage: bool = True,
    skip: Collection[str] = (),
) -> dict[str, Any]:
    """The JSON body for ``POST /v1/chat/completions``.

    Args:
        messages: OpenAI-format message dicts.
        model: The model id.
        profile: Its capability profile.
        stream: Ask for a stream.
        params: OpenAI parameters (``temperature``, ``max_tokens``, ``tools``, ``tool_choice``,
            ``parallel_tool_calls``, ``response_format``, ``reasoning_effort``, ``stop``, …);
            None values are ignored. ``strict`` applies to every function tool. Unknown keys are
            sent as they are (``model_kwargs``).
        extra_body: Merged into the body last (gateway-specific fields).
        stream_usage: On streams, ask for a final usage chunk.
        skip: Parameters this process learned the gateway refuses for the model.
    """
    body: dict[str, Any] = {"model": model, "messages": prepare_messages(messages, profile)}
    values = {k: v for k, v in (params or {}).items() if v is not None}
    strict = values.pop("strict", None)
    for name in LOCAL_PARAMS:
        values.pop(name, None)
    _normalize_switches(values)
    _add_tools(body, values, strict)
    _add_token_limit(body, values, profile, profile.rejected_params | frozenset(skip))
    if not profile.temperature:
        values.pop("temperature", None)
    body.update(values)
    _set_streaming(body, profile, stream=stream, stream_usage=stream_usage)
    for name in profile.rejected_params:
        if name not in _TOKEN_PARAMS:
            body.pop(name, None)
    if extra_body:
        body.update(extra_body)
    for name in skip:
        if name not in _TOKEN_PARAMS or name in body:
            _drop(body, name)
    return body


_THINKING = THINKING_MODES


def _normalize_switches(values: dict[str, Any]) -> None:
    """Provider switches the seeds document, typed: ``thinking`` (Doubao, GLM, DeepSeek:
    ``"disabled"`` or ``{"type": "disabled"}``) and ``web_search_options`` (an object). A model
    that refuses one has it left out (profile ``rejected_params``, or learned from its 400)."""
    thinking = values.get("thinking")
    if isinstance(thinking, str):
        if thinking not in _THINKING:
            raise InvalidRequestError(
                f"thinking must be one of {_THINKING} (or an object), not {thinking!r}.")
        values["thinking"] = {"type": thinking}
    elif thinking is not None and not isinstance(thinking, Mapping):
        raise InvalidRequestError(f"thinking must be a string or an object, not {thinking!r}.")
    options = values.get("web_search_options")
    if options is not None and not isinstance(options, Mapping):
        raise InvalidRequestError(
            "web_search_options must be an object such as {'search_context_size': 'low'}, not "
            f"{options!r}.")


def _add_tools(body: dict[str, Any], values: dict[str, Any], strict: bool | None) -> None:
    """Tools, and the tool settings only with them: strict servers refuse ``tool_choice`` or
    ``parallel_tool_calls`` without tools."""
    tools = values.pop("tools", None)
    tool_choice = values.pop("tool_choice", None)
    parallel = values.pop("parallel_tool_calls", None)
    if not tools:
        return
    normalized = normalize_tools(tools, strict)
    body["tools"] = normalized
    choice = normalize_tool_choice(tool_choice, normalized)
    if choice is not None:
        body["tool_choice"] = choice
    if parallel is not None:
        body["parallel_tool_calls"] = parallel


def _add_token_limit(body: dict[str, Any], values: dict[str, Any], profile: ModelProfile,
                     refused: frozenset[str]) -> None:
    """The output limit, under the one name the model takes (the last spelling given wins)."""
    limit = None
    for name in _TOKEN_PARAMS:
        if name in values:
            limit = values.pop(name)
    if limit is None:
        return
    limit_name = _token_param(profile, refused)
    if limit_name is not None:
        body[limit_name] = limit


def _set_streaming(body: dict[str, Any], profile: ModelProfile, *, stream: bool,
                   stream_usage: bool) -> None:
    if stream:
        body["stream"] = True
        if stream_usage and "stream_options" not in body:
            body["stream_options"] = {"include_usage": True}
        return
    for name, value in profile.non_streaming_params:
        body.setdefault(name, value)
    body.pop("stream_options", None)


def _drop(body: dict[str, Any], name: str) -> None:
    """Remove a parameter; ``strict`` lives inside the tools and ``response_format``."""
    if name == "strict":
        tools = body.get("tools")
        if tools:
            body["tools"] = [_without_strict(tool, "function") for tool in tools]
        response_format = body.get("response_format")
        if isinstance(response_format, Mapping):
            body["response_format"] = _without_strict(response_format, "json_schema")
        return
    if name == "include_usage":
        body.pop("stream_options", None)
        return
    body.pop(name, None)


def _without_strict(container: Any, key: str) -> Any:
    """A copy of ``container`` whose ``key`` object has no ``strict`` (inputs stay untouched)."""
    inner = container.get(key) if isinstance(container, Mapping) else None
    if not isinstance(inner, Mapping) or "strict" not in inner:
        return container
    return {**container, key: {k: v for k, v in inner.items() if k != "strict"}}
