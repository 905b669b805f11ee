"""ChatGateway: a LangChain chat model for OpenAI-compatible relay gateways (one-api / new-api).

Everything that is not LangChain-specific (request building, the stream accumulator, parameter
rejection, structured-output strategy) lives in :mod:`gateway_core.chat`; this module converts
LangChain types to the core's and back (:mod:`langchain_gateway._messages`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal, cast

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelTimeoutError,
)
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.base import LangSmithParams
from langchain_core.language_models.model_profile import ModelProfile as LCModelProfile
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from pydantic import AliasChoices, ConfigDict, Field

from gateway_core import errors as gerrors
from gateway_core.arguments import CALL_OPTIONS
from gateway_core.errors import GatewayError
from gateway_core.profiles import ModelProfile, resolve_profile
from gateway_core.switches import Thinking, WebSearchOptions

from ._connection import GatewayConnection
from ._messages import (
    MODEL_PROVIDER,
    delta_to_chunk,
    final_chunk,
    format_messages,
    result_to_message,
)

if TYPE_CHECKING:
    from gateway_core.chat import api as chat_api

__all__ = ["ChatGateway"]

# Call keyword arguments that steer this class rather than being sent to the gateway.
_LOCAL_KWARGS = CALL_OPTIONS | {"ls_structured_output_format"}


class ChatGateway(GatewayConnection, BaseChatModel):
    r"""Chat model for OpenAI-compatible relay gateways (one-api, new-api and their forks).

    Talks to ``/v1/chat/completions`` over httpx (no openai SDK, no tiktoken), on a transport
    shared with every other class built for the same gateway and key. What it gets right for
    relays: ``reasoning_content`` / ``reasoning`` / ``<think>`` reasoning kept (and sent back to
    the models that need it); streamed tool calls assembled whatever the relay does (missing
    ``index``, repeated ids, two calls in one chunk, arguments as objects); usage requested and
    counted once; structured output by the method the model supports, falling back when the
    gateway refuses one; optional parameters the gateway refuses dropped and remembered; a
    stream cut off without ``finish_reason`` raised as an error that keeps the partial answer.

    Setup:
        Install ``ai-gateway-kit[langchain]`` and set the gateway and key:

        .. code-block:: bash

            pip install "ai-gateway-kit[langchain]"
            export GATEWAY_BASE_URL="https://your-gateway.example.com/v1"
            export GATEWAY_API_KEY="sk-..."

    Key init args — completion params:
        model: str
            Model id as the gateway lists it (``gpt-4o-mini``, ``deepseek-reasoner``, …).
        temperature: float | None
            Sampling temperature (left out for models that refuse it).
        max_tokens: int | None
            Output limit, sent as ``max_tokens`` or ``max_completion_tokens`` per model.
        stop: list[str] | None
            Stop sequences.
        reasoning_effort: str | None
            ``minimal`` / ``low`` / ``medium`` / ``high`` for reasoning models.
        thinking: str | dict | None
            Doubao thinking switch: ``"disabled"``, ``"enabled"``, ``"auto"`` (or an object).
        web_search_options: dict | None
            Web search options of models that offer it.
        stream_usage: bool
            Ask for token usage at the end of streams (default True).
        extra_body: dict | None
            Gateway-specific fields merged into the request last.
        model_kwargs: dict
            Other OpenAI parameters sent as they are.

    Key init args — client params:
        base_url: str | None
            The gateway (``…/v1`` or the root); falls back to ``GATEWAY_BASE_URL``.
        api_key: SecretStr | None
            The relay key; falls back to ``GATEWAY_API_KEY``. Never serialised or logged.
        timeout: float | None
            Read timeout in seconds for a plain call (default 120; streams use
            ``stream_idle_timeout``, default 300 between chunks).
        max_retries: int
            Retries of 429 / 5xx / connection failures, done once, in the transport.
        capabilities: dict | None
            Overrides of the model's capability profile (``context_window``, ``json_schema``,
            ``reasoning_roundtrip``, …; see ``gateway_core.profiles.ModelProfile``).
        verify: bool | str | None
            TLS verification: ``False``, or the path of a CA bundle (a corporate certificate).
        allow_insecure_http: bool | None
            Allow plain ``http://`` to a self-hosted gateway on a trusted network
            (``http://192.168.1.10:3000``); loopback needs nothing.

        Names from ``ChatOpenAI`` work too (``openai_api_base``, ``openai_api_key``,
        ``api_base``, ``model_name``, ``max_completion_tokens``). An argument that is not a
        setting moves into ``model_kwargs`` with a warning (and is sent), as with
        ``ChatOpenAI``; one that looks like a misspelled setting (``temprature``) is refused.

    Instantiate:
        .. code-block:: python

            from langchain_gateway import ChatGateway

            llm = ChatGateway(
                model="gpt-4o-mini",
                temperature=0,
                # base_url="https://your-gateway.example.com/v1",
                # api_key="sk-...",
            )

    Invoke:
        .. code-block:: python

            messages = [
                ("system", "Translate the user's sentence into French."),
                ("human", "I love programming."),
            ]
            msg = llm.invoke(messages)
            msg.text  # "J'adore la programmation."

    Stream:
        .. code-block:: python

            for chunk in llm.stream(messages):
                print(chunk.text, end="", flush=True)

            # Long outputs: collect the pieces, never `full = full + chunk` (each sum copies
            # everything so far: quadratic). docs/chat.md "Long streams" has more.
            pieces, usage = [], None
            for chunk in llm.stream(messages):
                pieces.append(chunk.text)
                usage = chunk.usage_metadata or usage  # on exactly one chunk, counted once
            text = "".join(pieces)

    Async:
        .. code-block:: python

            await llm.ainvoke(messages)
            async for chunk in llm.astream(messages):
                ...
            await llm.abatch([messages, messages])

    Tool calling:
        .. code-block:: python

            from pydantic import BaseModel, Field


            class GetWeather(BaseModel):
                '''Get the current weather in a given location.'''

                location: str = Field(..., description="City and state, e.g. Paris, FR")


            llm_with_tools = llm.bind_tools([GetWeather], tool_choice="auto")
            msg = llm_with_tools.invoke("What is the weather like in Paris?")
            msg.tool_calls  # [{"name": "GetWeather", "args": {"location": "..."}, ...}]

        ``tool_choice`` accepts ``"auto"``, ``"none"``, ``"any"`` / ``"required"`` / ``True``,
        a tool's name, or an OpenAI dict; ``strict`` and ``parallel_tool_calls`` are passed on.
        Arguments that are not valid JSON land in ``msg.invalid_tool_calls`` with the raw text.

    Structured output:
        .. code-block:: python

            class Joke(BaseModel):
                '''A joke.'''

                setup: str
                punchline: str


            structured = llm.with_structured_output(Joke)  # method chosen per model
            structured.invoke("Tell me a joke about cats")  # Joke(setup=..., punchline=...)

        ``method`` may be ``"json_schema"``, ``"function_calling"`` or ``"json_mode"``; when
        the gateway refuses it, the next method is used (and remembered for the model).
        ``include_raw=True`` returns ``{"raw", "parsed", "parsing_error"}``.

    Reasoning:
        .. code-block:: python

            reasoner = ChatGateway(model="deepseek-reasoner")
            msg = reasoner.invoke("What is 17 * 23?")
            msg.additional_kwargs["reasoning_content"]  # the model's thinking
            [b["type"] for b in msg.content_blocks]  # ["reasoning", "text"]

        Reasoning arriving as ``reasoning_content``, ``reasoning`` or a ``<think>`` block is
        all read the same way; models that need it back (DeepSeek reasoner with tools, Kimi
        thinking) get it on earlier assistant turns automatically.

    Token usage:
        .. code-block:: python

            msg = llm.invoke(messages)
            msg.usage_metadata
            # {"input_tokens": 28, "output_tokens": 5, "total_tokens": 33,
            #  "input_token_details": {"cache_read": 0}, ...}

    Response metadata:
        .. code-block:: python

            msg.response_metadata
            # {"model_name": "gpt-4o-mini", "finish_reason": "stop", "id": "chatcmpl-...",
            #  "request_id": "2025...", "system_fingerprint": "fp_...", "model_provider":
            #  "gateway", "token_usage": {...}}

    Serialization:
        .. code-block:: python

            from langchain_core.load import dumps, loads

            data = dumps(llm)  # JSON; the key is written as a reference to GATEWAY_API_KEY
            restored = loads(
                data,
                allowed_objects=[ChatGateway],  # langchain-core revives only listed classes
                valid_namespaces=["langchain_gateway"],
                secrets_from_env=True,  # the key comes back from GATEWAY_API_KEY
            )
            restored.model == llm.model  # True

    Media through chat:
        Image and video models that relays expose through chat (``sora-2``,
        ``chat-seededit``) answer with links; they come back also as ``image`` / ``video``
        content blocks (``msg.content_blocks``).
    """

    model: str = Field(validation_alias=AliasChoices("model", "model_name"))
    """Model id as the gateway names it (``model_name`` accepted too)."""
    temperature: float | None = None
    """Sampling temperature."""
    max_tokens: int | None = Field(
        default=None, validation_alias=AliasChoices("max_tokens", "max_completion_tokens"))
    """Maximum number of tokens to generate."""
    top_p: float | None = None
    """Nucleus sampling."""
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    seed: int | None = None
    n: int | None = None
    """Number of choices (non-streamed calls return one generation each)."""
    stop: list[str] | str | None = Field(
        default=None, validation_alias=AliasChoices("stop", "stop_sequences"))
    """Stop sequences."""
    reasoning_effort: str | None = None
    """Reasoning effort for reasoning models (``minimal``, ``low``, ``medium``, ``high``)."""
    thinking: Thinking | None = None
    """Thinking switch of Doubao's hybrid models: ``"enabled"``, ``"disabled"``, ``"auto"``
    (sent as ``{"type": …}``) or the provider's object; left out for a model whose profile
    refuses it (OpenAI's)."""
    web_search_options: WebSearchOptions | None = None
    """Web search of OpenAI's search models (``{"search_context_size": "low"}``); left out for
    a model whose profile refuses it."""
    timeout: float | None = Field(
        default=120.0, validation_alias=AliasChoices("timeout", "request_timeout"))
    """Read timeout of a plain call, in seconds (streams use ``stream_idle_timeout``)."""
    stream_idle_timeout: float | None = None
    """Longest silence tolerated inside a stream (default 300 s)."""
    streaming: bool = False
    """Stream internally even for ``invoke``."""
    stream_usage: bool = True
    """Ask for usage at the end of streams (``stream_options.include_usage``)."""
    use_responses_api: bool | None = None
    """Send through ``/v1/responses`` (True) or chat completions (False); None follows the
    model's profile (``responses_api``). Results, streams and errors are the same either way."""
    extra_body: dict[str, Any] | None = None
    """Fields merged into the request body last (gateway-specific parameters)."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Other parameters sent as they are."""
    capabilities: dict[str, Any] | None = None
    """Overrides of the model's capability profile."""

    model_config = ConfigDict(populate_by_name=True)

    # ------------------------------------------------------------------ LangChain plumbing

    @property
    def _llm_type(self) -> str:
        return "gateway-chat"

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        return ["langchain_gateway", "chat_models"]

    @property
    def lc_secrets(self) -> dict[str, str]:
        return {"api_key": "GATEWAY_API_KEY"}

    @property
    def _default_params(self) -> dict[str, Any]:
        params = {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "frequency_penalty": self.frequency_penalty,
            "presence_penalty": self.presence_penalty,
            "seed": self.seed,
            "n": self.n,
            "reasoning_effort": self.reasoning_effort,
            "thinking": self.thinking,
            "web_search_options": self.web_search_options,
            **self.model_kwargs,
        }
        return {key: value for key, value in params.items() if value is not None}

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model, "base_url": self.base_url, **self._default_params}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        from gateway_core.provenance import gateway_host, provider_of

        model = kwargs.get("model") or self.model
        params = LangSmithParams(
            ls_provider=provider_of(model, self.gateway_profile(model)),
            ls_model_name=model,
            ls_model_type="chat",
        )
        # the relay, recorded next to the real provider (LangSmith keeps ls_* in run metadata)
        params["ls_gateway"] = gateway_host(self.base_url)  # type: ignore[typeddict-unknown-key]
        temperature = kwargs.get("temperature", self.temperature)
        if temperature is not None:
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if max_tokens is not None:
            params["ls_max_tokens"] = max_tokens
        stop_words = stop or kwargs.get("stop") or self.stop
        if stop_words:
            params["ls_stop"] = [stop_words] if isinstance(stop_words, str) else list(stop_words)
        return params

    def _resolve_model_profile(self) -> LCModelProfile | None:
        return _langchain_profile(self.gateway_profile())

    # ------------------------------------------------------------------ the gateway

    def gateway_profile(self, model: str | None = None) -> ModelProfile:
        """The capability profile used for ``model`` (default: this instance's)."""
        return resolve_profile(model or self.model, self.capabilities)

    def _prepare(
        self, stop: list[str] | None, kwargs: dict[str, Any]
    ) -> tuple[str, chat_api.ChatCall]:
        model = kwargs.get("model") or self.model
        params = {**self._default_params}
        for key, value in kwargs.items():
            if key not in _LOCAL_KWARGS:
                params[key] = value
        stop_words = stop if stop is not None else kwargs.get("stop", self.stop)
        params["stop"] = ([stop_words] if isinstance(stop_words, str) else stop_words) or None
        extra_body = self.extra_body
        if kwargs.get("extra_body"):
            extra_body = {**(extra_body or {}), **kwargs["extra_body"]}
        structured = kwargs.get("structured_output")
        if structured:
            from gateway_core.chat.structured import StructuredSpec

            structured = StructuredSpec.coerce(structured)
        elif "response_format" in params:
            # an OpenAI json_schema response format (create_agent's ProviderStrategy binds
            # one): the per-model strategy and fallback of with_structured_output, answered
            # in text with the agent's tools still offered
            from gateway_core.chat.structured import StructuredSpec

            structured = StructuredSpec.from_response_format(params["response_format"])
            if structured is not None:
                del params["response_format"]
        from gateway_core.chat import api as chat_api  # on first use
        call = chat_api.make_call(
            model,
            profile=self.gateway_profile(model),
            extra_body=extra_body,
            stream_usage=kwargs.get("stream_usage", self.stream_usage),
            structured=structured or None,
            timeout=kwargs.get("timeout"),
            use_responses_api=kwargs.get("use_responses_api", self.use_responses_api),
            **params,
        )
        return model, call

    # ------------------------------------------------------------------ generation

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        model, call = self._prepare(stop, kwargs)
        try:
            from gateway_core.chat import api as chat_api  # on first use
            results = chat_api.complete_all(self.client.transport, format_messages(messages),
                                            call)
        except GatewayError as error:
            raise _langchain_error(error) from error.__cause__
        return _chat_result(results, model)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        model, call = self._prepare(stop, kwargs)
        try:
            from gateway_core.chat import api as chat_api  # on first use
            results = await chat_api.acomplete_all(self.client.transport,
                                                   format_messages(messages), call)
        except GatewayError as error:
            raise _langchain_error(error) from error.__cause__
        return _chat_result(results, model)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        model, call = self._prepare(stop, kwargs)
        from gateway_core.chat import api as chat_api  # on first use
        stream = chat_api.ChatStream(self.client.transport, format_messages(messages), call)
        generation = ChatGenerationChunk
        to_chunk = delta_to_chunk
        try:
            for delta in stream:
                yield generation(message=to_chunk(delta))
        except GatewayError as error:
            raise _langchain_error(error, stream.accumulator, model) from error.__cause__
        assert stream.result is not None
        yield generation(message=final_chunk(stream.result, model))

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        model, call = self._prepare(stop, kwargs)
        from gateway_core.chat import api as chat_api  # on first use
        stream = chat_api.AsyncChatStream(self.client.transport, format_messages(messages),
                                          call)
        generation = ChatGenerationChunk
        to_chunk = delta_to_chunk
        try:
            async for delta in stream:
                yield generation(message=to_chunk(delta))
        except GatewayError as error:
            raise _langchain_error(error, stream.accumulator, model) from error.__cause__
        assert stream.result is not None
        yield generation(message=final_chunk(stream.result, model))

    # ------------------------------------------------------------------ token estimates

    def get_num_tokens(self, text: str) -> int:
        """An estimate (no tokenizer download): ~4 chars a token, one per CJK character."""
        from gateway_core.chat.tokens import estimate_tokens

        return estimate_tokens(text)

    def get_num_tokens_from_messages(
        self, messages: list[BaseMessage], tools: Sequence[Any] | None = None
    ) -> int:
        """An estimate of the prompt tokens of ``messages`` (and ``tools``), tokenizer-free."""
        from langchain_core.utils.function_calling import convert_to_openai_tool

        from gateway_core.chat.tokens import estimate_message_tokens

        schemas = [convert_to_openai_tool(tool) for tool in tools or ()]
        return estimate_message_tokens(format_messages(messages), schemas)

    # ------------------------------------------------------------------ tools and structure

    def bind_tools(
        self,
        tools: Sequence[Mapping[str, Any] | type | Callable[..., Any] | Any],
        *,
        tool_choice: str | bool | dict[str, Any] | None = None,
        strict: bool | None = None,
        parallel_tool_calls: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools (BaseTool, pydantic models, TypedDicts, functions or OpenAI dicts).

        Args:
            tools: The tools the model may call.
            tool_choice: ``"auto"``, ``"none"``, ``"any"`` / ``"required"`` / ``True`` (some
                tool), a tool's name (that tool), or an OpenAI ``tool_choice`` dict.
            strict: Ask for strict schema adherence on every tool.
            parallel_tool_calls: Allow (or forbid) several calls in one answer.
            kwargs: Further parameters bound to every call.
        """
        from langchain_core.utils.function_calling import convert_to_openai_tool

        formatted = [convert_to_openai_tool(tool, strict=strict) for tool in tools]
        from gateway_core.chat.request import normalize_tool_choice  # on first use
        choice = normalize_tool_choice(tool_choice, formatted) if tool_choice is not None else None
        if choice is not None:
            kwargs["tool_choice"] = choice
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        if strict is not None:
            kwargs["strict"] = strict  # the core marks every function (dict tools included)
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: Mapping[str, Any] | type | None = None,
        *,
        method: Literal["json_schema", "function_calling", "json_mode"] | None = None,
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, Any]:
        """A runnable that answers with ``schema``: a pydantic model, TypedDict or JSON schema.

        Args:
            schema: The output schema (``None`` only with ``method="json_mode"``).
            method: ``None`` picks the best method the model supports (json_schema, then
                function_calling, then json_mode, then a prompt); naming one tries it first.
                Either way, a method the gateway refuses gives way to the next.
            include_raw: Return ``{"raw", "parsed", "parsing_error"}`` instead of raising on
                an unparseable answer.
            strict: Strict schema adherence (json_schema / function_calling).

        Returns:
            A runnable producing a pydantic instance (pydantic schema) or a dict.
        """
        from gateway_core.chat.structured import METHODS

        if kwargs:
            raise ValueError(f"Received unsupported arguments {kwargs}")
        if method is not None and method not in METHODS:
            raise ValueError(f"Unknown method {method!r}; use one of {METHODS[:3]}.")
        if strict is not None and method == "json_mode":
            raise ValueError("strict cannot be used with method='json_mode'.")
        from ._structured import GatewayStructuredOutputParser, structured_target

        spec, validate, is_model = structured_target(schema, method, strict)
        llm = self.bind(
            structured_output=spec.to_dict(),
            ls_structured_output_format={
                "kwargs": {"method": method, "strict": strict},
                "schema": schema if schema is not None else {"type": "object"},
            },
        )
        # reads whichever form the per-model method produced; partial dicts while streaming
        parser = GatewayStructuredOutputParser(spec=spec, validate_value=validate,
                                               validates_partials=is_model)
        if include_raw:
            parser_assign = RunnablePassthrough.assign(
                parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
            )
            parser_none = RunnablePassthrough.assign(parsed=lambda _: None)
            fallback = parser_assign.with_fallbacks([parser_none], exception_key="parsing_error")
            return RunnableMap(raw=llm) | fallback
        return llm | parser


# --------------------------------------------------------------------------- helpers


def _chat_result(results: list[Any], model: str) -> ChatResult:
    generations = []
    for result in results:
        message = result_to_message(result, model)
        info = {"finish_reason": result.finish_reason} if result.finish_reason else None
        generations.append(ChatGeneration(message=message, generation_info=info))
    first = results[0]
    llm_output: dict[str, Any] = {"model_name": first.model or model, "id": first.id}
    if first.usage is not None:
        llm_output["token_usage"] = first.usage.raw
    if first.system_fingerprint:
        llm_output["system_fingerprint"] = first.system_fingerprint
    return ChatResult(generations=generations, llm_output=llm_output)


def _langchain_profile(profile: ModelProfile) -> LCModelProfile:
    """The gateway profile as LangChain's ``ModelProfile`` (``llm.profile``).

    Every key langchain-core defines that the profile can answer; keys the installed
    langchain-core does not know yet are left out (it warns about unknown keys).
    """
    from ._profile import langchain_profile_keys

    keys = langchain_profile_keys(profile)
    declared = _declared_profile_keys()
    return cast("LCModelProfile", {k: v for k, v in keys.items() if k in declared})


def _declared_profile_keys() -> frozenset[str]:
    from typing import get_type_hints

    try:
        return frozenset(get_type_hints(LCModelProfile))
    except (NameError, TypeError):  # unresolvable hints: send what 1.x always had
        return frozenset(LCModelProfile.__annotations__)


# --------------------------------------------------------------------------- errors

# Our error classes paired with LangChain's (langchain_core.exceptions): raised errors are
# instances of both, so code catching either keeps working.
_LANGCHAIN_BASES: tuple[tuple[type[GatewayError], type[ModelError]], ...] = (
    (gerrors.ContextWindowExceededError, ContextOverflowError),
    (gerrors.AuthenticationError, ModelAuthenticationError),
    (gerrors.PermissionDeniedError, ModelPermissionDeniedError),
    (gerrors.NotFoundError, ModelNotFoundError),
    (gerrors.RateLimitError, ModelRateLimitError),
    (gerrors.BadRequestError, ModelInvalidRequestError),
    (gerrors.GatewayTimeoutError, ModelTimeoutError),
    (gerrors.GatewayConnectionError, ModelConnectionError),
    (gerrors.APIError, ModelAPIError),
    (gerrors.StreamError, ModelAPIError),
)
_DUAL_CLASSES: dict[type[GatewayError], type[GatewayError]] = {}


def _dual_class(cls: type[GatewayError]) -> type[GatewayError]:
    dual = _DUAL_CLASSES.get(cls)
    if dual is None:
        base = next((lc for ours, lc in _LANGCHAIN_BASES if issubclass(cls, ours)), None)
        if base is None or issubclass(cls, ModelError):
            dual = cls
        else:
            dual = type(cls.__name__, (cls, base), {
                "__module__": cls.__module__,
                "__doc__": cls.__doc__,
                "is_retryable": property(lambda self: bool(self.retryable)),
            })
        _DUAL_CLASSES[cls] = dual
    return dual


def _langchain_error(
    error: GatewayError, accumulator: Any = None, model: str | None = None
) -> GatewayError:
    """The error, also as an instance of LangChain's matching exception class: a copy made
    with ``GatewayError.recast`` into a class built once per error class (never a class swap).

    Errors from a broken stream get ``partial``: the ``AIMessageChunk`` received so far.
    """
    dual = _dual_class(type(error))
    raised = error if dual is type(error) else error.recast(dual)
    if accumulator is not None:  # a stream's error, whatever broke it (as in LlamaIndex)
        raised.partial = _partial_chunk(accumulator, model or "")
    return raised


def _partial_chunk(accumulator: Any, model: str) -> AIMessageChunk:
    from langchain_core.messages.tool import tool_call_chunk

    extra = {"reasoning_content": accumulator.reasoning} if accumulator.reasoning else {}
    return AIMessageChunk(
        content=accumulator.text,
        additional_kwargs=extra,
        tool_call_chunks=[
            tool_call_chunk(name=c["name"], args=c["arguments"], id=c["id"], index=c["index"])
            for c in accumulator.tool_calls_so_far()
        ],
        response_metadata={"model_name": accumulator.model or model,
                           "model_provider": MODEL_PROVIDER,
                           "request_id": accumulator.request_id},
    )
