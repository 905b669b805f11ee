"""GatewayLLM: a LlamaIndex function-calling LLM for OpenAI-compatible relay gateways.

Everything that is not LlamaIndex-specific (request building, the stream accumulator, parameter
rejection, the structured-output strategy, reasoning round-trip) lives in
:mod:`gateway_core.chat`; this module converts LlamaIndex types to the core's and back
(:mod:`llamaindex_gateway._messages`) and plugs into LlamaIndex's callbacks and programs.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
    ToolCallBlock,
)
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.types import PydanticProgramMode
from pydantic import ConfigDict, Field

from gateway_core.arguments import CALL_OPTIONS
from gateway_core.errors import GatewayError
from gateway_core.profiles import ModelProfile, resolve_profile
from gateway_core.switches import Thinking, WebSearchOptions

from . import _messages as convert
from ._connection import GatewayConnection

if TYPE_CHECKING:
    from llama_index.core.prompts import PromptTemplate
    from llama_index.core.tools.types import BaseTool

    from gateway_core.chat.api import ChatCall
    from gateway_core.chat.structured import StructuredSpec

__all__ = ["GatewayLLM"]

StructuredMethod = Literal["json_schema", "function_calling", "json_mode", "prompt"]

# Call keyword arguments that steer this class rather than being sent to the gateway.
_LOCAL_KWARGS = CALL_OPTIONS | {
    "additional_kwargs", "formatted", "structured_output_method", "profile", "structured",
    "think_tags", "media_kind",
}
# Program arguments LlamaIndex's own programs take out of ``llm_kwargs`` as well.
_PROGRAM_KWARGS = ("tool_choice", "tool_required", "allow_parallel_tool_calls",
                   "structured_output_method")


class GatewayLLM(GatewayConnection, FunctionCallingLLM):
    r"""LlamaIndex LLM for OpenAI-compatible relay gateways (one-api, new-api and their forks).

    A true ``FunctionCallingLLM`` (agents, ``predict_and_call``, structured programs) talking to
    ``/v1/chat/completions`` over httpx, on a transport shared with every other class built
    for the same gateway and key. What it gets right for relays: capabilities from the model's
    profile (no 3,900-token window, no "unknown model", function calling on); every method
    native sync and async, completions through the chat endpoint; streamed tool calls
    assembled whatever the relay does (missing ``index``, repeated ids, two calls in one chunk,
    arguments as objects); reasoning as a ``ThinkingBlock`` (also in async streams) and sent
    back to the models that need it; usage requested and counted once; structured output that
    never sends ``tool_choice`` without tools and can use ``json_schema``; one retry layer.

    Setup:
        Install ``ai-gateway-kit[llamaindex]`` and set the gateway and key:

        .. code-block:: bash

            pip install "ai-gateway-kit[llamaindex]"
            export GATEWAY_BASE_URL="https://your-gateway.example.com/v1"
            export GATEWAY_API_KEY="sk-..."

    Key init args — completion params:
        model: str
            Model id as the gateway lists it (``gpt-4o-mini``, ``deepseek-reasoner``, …).
        temperature: float | None
            Sampling temperature (left out for models that refuse it).
        max_tokens: int | None
            Output limit, sent as ``max_tokens`` or ``max_completion_tokens`` per model.
        reasoning_effort: str | None
            ``minimal`` / ``low`` / ``medium`` / ``high`` for reasoning models.
        thinking: str | dict | None
            Doubao thinking switch: ``"disabled"``, ``"enabled"``, ``"auto"`` (or an object).
        web_search_options: dict | None
            Web search options of models that offer them.
        additional_kwargs: dict
            Other OpenAI parameters for every call (per-call keyword arguments win).
        extra_body: dict | None
            Gateway-specific fields merged into the request last.

    Key init args — client params:
        api_base (or base_url): str | None
            The gateway (``…/v1`` or the root); falls back to ``GATEWAY_BASE_URL``.
        api_key: str | None
            The relay key; falls back to ``GATEWAY_API_KEY``. Never serialised or logged.
        timeout: float
            Read timeout in seconds for a plain call (streams use ``stream_idle_timeout``).
        max_retries: int
            Retries of 429 / 5xx / connection failures, done once, in the transport.
        capabilities: dict | None
            Overrides of the model's capability profile (``context_window``,
            ``json_schema``, ``reasoning_roundtrip``, …; see ``gateway_core.profiles``).
        verify: bool | str | None
            TLS verification: ``False``, or the path of a CA bundle.
        allow_insecure_http: bool | None
            Allow plain ``http://`` to a self-hosted gateway on a trusted network.

        ``openai_api_base`` / ``openai_api_key`` (from ``OpenAILike``) work too. An argument
        that is not a setting moves into ``additional_kwargs`` with a warning (and is sent);
        one that looks like a misspelled setting is refused. ``metadata.num_output`` is
        ``max_tokens``, else -1 (LlamaIndex's convention), so prompt budgets keep the window.

    Instantiate:
        .. code-block:: python

            from llamaindex_gateway import GatewayLLM

            llm = GatewayLLM(
                model="gpt-4o-mini",
                # api_base="https://your-gateway.example.com/v1",
                # api_key="sk-...",
            )
            llm.metadata.context_window  # 128000, from the model's profile

    Invoke:
        .. code-block:: python

            from llama_index.core.llms import ChatMessage

            messages = [ChatMessage(role="user", content="Say hello.")]
            response = llm.chat(messages)
            response.message.content
            llm.complete("Say hello.").text  # through /v1/chat/completions

    Stream:
        .. code-block:: python

            for chunk in llm.stream_chat([ChatMessage(role="user", content="Say hello.")]):
                print(chunk.delta, end="", flush=True)

    Async:
        .. code-block:: python

            await llm.achat(messages)
            async for chunk in await llm.astream_chat(messages):
                ...

    Tool calling:
        .. code-block:: python

            from llama_index.core.agent.workflow import FunctionAgent
            from llama_index.core.tools import FunctionTool


            def get_weather(city: str) -> str:
                '''Get the current weather in a city.'''
                return f"Sunny in {city}."


            tool = FunctionTool.from_defaults(get_weather)
            response = llm.chat_with_tools([tool], user_msg="Weather in Paris?")
            llm.get_tool_calls_from_response(response)  # [ToolSelection(...)]

            agent = FunctionAgent(tools=[get_weather], llm=llm)
            await agent.run("What is the weather in Paris?")

    Structured output:
        .. code-block:: python

            from llama_index.core.prompts import PromptTemplate
            from pydantic import BaseModel


            class City(BaseModel):
                name: str
                country: str


            prompt = PromptTemplate("Name a city in {country}.")
            llm.structured_predict(City, prompt, country="France")  # a forced tool call
            llm.as_structured_llm(City).complete("Name a city in Japan.").raw

        ``structured_output_method="json_schema"`` (or ``json_mode`` / ``prompt``), or
        ``pydantic_program_mode=PydanticProgramMode.OPENAI``, uses the core's strategy instead:
        that method first, the next one when the gateway refuses it.

    Reasoning:
        .. code-block:: python

            reasoner = GatewayLLM(model="deepseek-reasoner")
            response = reasoner.chat(messages)
            response.message.blocks[0]  # ThinkingBlock(content="...")

        Reasoning arriving as ``reasoning_content``, ``reasoning`` or a ``<think>`` block is
        read the same way; streamed responses carry ``additional_kwargs["thinking_delta"]``.
        Models that need it back (DeepSeek reasoner with tools, Kimi thinking) get the
        ``ThinkingBlock`` of earlier turns as ``reasoning_content``.

    Token usage:
        .. code-block:: python

            response.additional_kwargs  # {"prompt_tokens": 9, "completion_tokens": 3, ...}
            response.raw["usage"]  # what TokenCountingHandler reads
    """

    model: str = Field(description="Model id as the gateway names it.")
    temperature: float | None = Field(default=None, description="Sampling temperature.")
    max_tokens: int | None = Field(default=None, gt=0, description="Maximum output tokens.")
    reasoning_effort: str | None = Field(
        default=None, description="Reasoning effort (minimal, low, medium, high)."
    )
    thinking: Thinking | None = Field(
        default=None, description="Thinking switch of Doubao's hybrid models: 'enabled', "
        "'disabled', 'auto' (sent as {'type': ...}) or the provider's object; left out for a "
        "model whose profile refuses it (OpenAI's).")
    web_search_options: WebSearchOptions | None = Field(
        default=None, description="Web search of OpenAI's search models "
        "({'search_context_size': 'low'}); left out for a model whose profile refuses it.")
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict,
        description="OpenAI parameters for every call; per-call keyword arguments win.",
    )
    extra_body: dict[str, Any] | None = Field(
        default=None, description="Fields merged into the request body last."
    )
    timeout: float = Field(default=120.0, gt=0, description="Read timeout of a plain call (s).")
    stream_idle_timeout: float | None = Field(
        default=None, gt=0, description="Longest silence tolerated inside a stream (s)."
    )
    stream_usage: bool = Field(
        default=True, description="Ask for usage at the end of streams (include_usage)."
    )
    use_responses_api: bool | None = Field(
        default=None, description="Send through /v1/responses (True) or chat completions "
        "(False); None follows the model's profile (responses_api).",
    )
    capabilities: dict[str, Any] | None = Field(
        default=None, description="Overrides of the model's capability profile."
    )
    context_window: int | None = Field(
        default=None, gt=0, description="Override of the profile's context window."
    )
    is_function_calling_model: bool | None = Field(
        default=None, description="Override of the profile's function-calling support."
    )
    structured_output_method: StructuredMethod | None = Field(
        default=None,
        description="Use the core's structured-output strategy, trying this method first "
        "(None: LlamaIndex's function-calling program).",
    )
    strict: bool | None = Field(
        default=None, description="Strict schemas for tools and structured output."
    )

    model_config = ConfigDict(extra="forbid", populate_by_name=True,
                              arbitrary_types_allowed=True)
    _passthrough: ClassVar[str] = "additional_kwargs"

    # ------------------------------------------------------------------ LlamaIndex plumbing

    @classmethod
    def class_name(cls) -> str:
        return "GatewayLLM"

    def gateway_profile(self, model: str | None = None) -> ModelProfile:
        """The capability profile used for ``model`` (default: this instance's)."""
        return resolve_profile(model or self.model, self.capabilities)

    @property
    def metadata(self) -> LLMMetadata:
        profile = self.gateway_profile()
        function_calling = self.is_function_calling_model
        return LLMMetadata(
            context_window=self.context_window or profile.context_window,
            # LlamaIndex's convention (OpenAI, OpenAILike): the configured max_tokens, else -1
            # ("not limited"; PromptHelper then reserves its default 256). The model's maximum
            # would make PromptHelper give up to half the window to an answer nobody asked for.
            num_output=self.max_tokens or -1,
            is_chat_model=True,
            is_function_calling_model=(profile.tool_calling if function_calling is None
                                       else function_calling),
            model_name=self.model,
            system_role=MessageRole.SYSTEM,
        )

    def _call(self, kwargs: dict[str, Any]) -> ChatCall:
        """The core call for these per-call keyword arguments (they override the instance)."""
        merged: dict[str, Any] = {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "reasoning_effort": self.reasoning_effort,
            "thinking": self.thinking,
            "web_search_options": self.web_search_options,
            **self.additional_kwargs,
        }
        if self.strict is not None:
            merged["strict"] = self.strict
        per_call = kwargs.get("additional_kwargs")
        if per_call:
            merged.update(per_call)
        merged.update(kwargs)
        params = {k: v for k, v in merged.items() if k not in _LOCAL_KWARGS}
        if params.get("tools"):  # LlamaIndex tools passed straight to chat()
            params["tools"] = [_tool_spec(tool) for tool in params["tools"]]
        model = merged.get("model") or self.model
        extra_body = self.extra_body
        for source in (self.additional_kwargs, per_call or {}, kwargs):
            if source.get("extra_body"):
                extra_body = {**(extra_body or {}), **source["extra_body"]}
        structured = merged.get("structured_output")
        if structured is not None:
            from gateway_core.chat.structured import StructuredSpec

            structured = StructuredSpec.coerce(structured)
        from gateway_core.chat.api import make_call

        return make_call(
            model,
            profile=self.gateway_profile(model),
            extra_body=extra_body,
            stream_usage=merged.get("stream_usage", self.stream_usage),
            structured=structured,
            timeout=merged.get("timeout"),
            use_responses_api=merged.get("use_responses_api", self.use_responses_api),
            **params,
        )

    # ------------------------------------------------------------------ chat

    def _result(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> Any:
        from gateway_core.chat.api import complete

        return complete(self.client.transport, convert.format_messages(messages),
                        self._call(kwargs))

    async def _aresult(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> Any:
        from gateway_core.chat.api import acomplete

        return await acomplete(self.client.transport, convert.format_messages(messages),
                               self._call(kwargs))

    def _stream(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any],
                build: Any) -> Generator[Any, None, None]:
        from gateway_core.chat.api import ChatStream

        stream = ChatStream(self.client.transport, convert.format_messages(messages),
                            self._call(kwargs))

        def gen() -> Generator[Any, None, None]:
            try:
                for delta in stream:
                    yield build(stream.accumulator, delta)
            except GatewayError as error:
                _attach_partial(error, stream.accumulator)
                raise
            assert stream.result is not None
            yield _final(stream.result, build)

        return gen()

    def _astream(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any],
                 build: Any) -> AsyncGenerator[Any, None]:
        from gateway_core.chat.api import AsyncChatStream

        stream = AsyncChatStream(self.client.transport, convert.format_messages(messages),
                                 self._call(kwargs))

        async def gen() -> AsyncGenerator[Any, None]:
            try:
                async for delta in stream:
                    yield build(stream.accumulator, delta)
            except GatewayError as error:
                _attach_partial(error, stream.accumulator)
                raise
            assert stream.result is not None
            yield _final(stream.result, build)

        return gen()

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return convert.chat_response(self._result(messages, kwargs))

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return convert.chat_response(await self._aresult(messages, kwargs))

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        return self._stream(messages, kwargs, convert.stream_response)

    @llm_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        return self._astream(messages, kwargs, convert.stream_response)

    # ------------------------------------------------------------------ completion (via chat)

    @staticmethod
    def _prompt_messages(prompt: str) -> list[ChatMessage]:
        return [ChatMessage(role=MessageRole.USER, content=prompt)]

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return convert.completion_response(self._result(self._prompt_messages(prompt), kwargs))

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        result = await self._aresult(self._prompt_messages(prompt), kwargs)
        return convert.completion_response(result)

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        return self._stream(self._prompt_messages(prompt), kwargs,
                            convert.stream_completion_response)

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        return self._astream(self._prompt_messages(prompt), kwargs,
                             convert.stream_completion_response)

    # ------------------------------------------------------------------ tools

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: str | dict[str, Any] | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """The ``chat`` arguments for a tool-calling turn.

        ``tool_choice`` may be ``"auto"``, ``"none"``, ``"required"``, a tool's name or an
        OpenAI dict; ``tool_required`` alone forces a tool (the only tool, by name, when there
        is one). No ``tools`` means no ``tool_choice`` and no ``parallel_tool_calls`` sent.
        """
        from gateway_core.chat.request import normalize_tool_choice

        specs = [_tool_spec(tool) for tool in tools]
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            messages.append(ChatMessage(role=MessageRole.USER, content=user_msg))
        elif user_msg is not None:
            messages.append(user_msg)
        prepared: dict[str, Any] = {"messages": messages, **kwargs}
        if not specs:
            return prepared
        prepared["tools"] = specs
        if tool_choice is None and tool_required:
            tool_choice = specs[0]["function"]["name"] if len(specs) == 1 else "required"
        choice = normalize_tool_choice(tool_choice, specs)
        if choice is not None:
            prepared["tool_choice"] = choice
        if self.gateway_profile(kwargs.get("model")).parallel_tool_calls:
            prepared["parallel_tool_calls"] = allow_parallel_tool_calls
        if strict is not None:
            prepared["strict"] = strict
        if strict or (strict is None and self.strict):
            from gateway_core.chat.structured import make_strict

            for spec in specs:
                spec["function"]["parameters"] = make_strict(spec["function"]["parameters"])
        return prepared

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        """Keep only the first tool call unless parallel calls were allowed (LlamaIndex's rule)."""
        if not allow_parallel_tool_calls:
            _keep_first_tool_call(response)
        return response

    def get_tool_calls_from_response(
        self,
        response: ChatResponse,
        error_on_no_tool_call: bool = True,
        **kwargs: Any,
    ) -> list[ToolSelection]:
        """The tool calls of a response (partial arguments of a streamed chunk tolerated)."""
        blocks = [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]
        selections = [
            ToolSelection(tool_id=block.tool_call_id or "", tool_name=block.tool_name,
                          tool_kwargs=convert.tool_call_kwargs(block.tool_kwargs))
            for block in blocks
        ]
        if not selections:
            for raw in response.message.additional_kwargs.get("tool_calls") or ():
                if not isinstance(raw, dict):
                    continue
                function = raw.get("function") or {}
                selections.append(ToolSelection(
                    tool_id=raw.get("id") or "", tool_name=function.get("name") or "",
                    tool_kwargs=convert.tool_call_kwargs(function.get("arguments") or "{}"),
                ))
        if not selections and error_on_no_tool_call:
            from gateway_core.chat.structured import refusal_of

            refusal = response.message.additional_kwargs.get("refusal")
            finish = response.additional_kwargs.get("finish_reason")
            refused = refusal_of(refusal if isinstance(refusal, str) else None,
                                 finish if isinstance(finish, str) else None,
                                 bool(response.message.content))
            if refused is not None:
                raise refused  # the model's words, typed (a ValueError too)
            raise ValueError(
                "Expected at least one tool call, but the model answered without one: "
                f"{(response.message.content or '')[:200]!r}"
            )
        return selections

    # ------------------------------------------------------------------ structured output

    def _core_method(self, llm_kwargs: dict[str, Any] | None) -> tuple[bool, str | None]:
        """(use the core's structured strategy?, the method to try first)."""
        method = (llm_kwargs or {}).get("structured_output_method") or (
            self.structured_output_method)
        if method is not None:
            return True, method
        mode = self.pydantic_program_mode
        if mode == PydanticProgramMode.OPENAI:
            return True, "json_schema"
        if mode == PydanticProgramMode.DEFAULT and not self.metadata.is_function_calling_model:
            return True, None  # the profile's best method (json_mode, then a prompt)
        return False, None

    def _structured_call(
        self, output_cls: type[Any], prompt: PromptTemplate, llm_kwargs: dict[str, Any] | None,
        method: str | None, prompt_args: dict[str, Any],
    ) -> tuple[list[ChatMessage], StructuredSpec, Any, dict[str, Any]]:
        from gateway_core.chat.structured import structured_target

        spec, validate = structured_target(output_cls, method=method, strict=self.strict)
        kwargs = {k: v for k, v in (llm_kwargs or {}).items() if k not in _PROGRAM_KWARGS}
        kwargs["structured_output"] = spec
        messages = self._get_messages(prompt, **prompt_args)
        return messages, spec, validate, kwargs

    def structured_predict(
        self,
        output_cls: type[Any],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Any:
        """Structured output: LlamaIndex's function-calling program, or the core's strategy.

        The core's strategy (``json_schema`` / ``function_calling`` / ``json_mode`` /
        ``prompt``, falling back when the gateway refuses one) is used when
        ``structured_output_method`` is set (on the LLM or in ``llm_kwargs``), with
        ``PydanticProgramMode.OPENAI`` (json_schema first), and for models without function
        calling.
        """
        use_core, method = self._core_method(llm_kwargs)
        if not use_core:
            return super().structured_predict(output_cls, prompt, llm_kwargs, **prompt_args)
        from llama_index.core.instrumentation.events.llm import (
            LLMStructuredPredictEndEvent,
            LLMStructuredPredictStartEvent,
        )

        _dispatcher().event(LLMStructuredPredictStartEvent(
            output_cls=output_cls, template=prompt, template_args=prompt_args))
        messages, spec, validate, kwargs = self._structured_call(
            output_cls, prompt, llm_kwargs, method, prompt_args)
        response = self.chat(messages, **kwargs)
        output = _parse_structured(response, spec, validate, output_cls)
        _dispatcher().event(LLMStructuredPredictEndEvent(output=output))
        return output

    async def astructured_predict(
        self,
        output_cls: type[Any],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Any:
        """Async twin of :meth:`structured_predict`."""
        use_core, method = self._core_method(llm_kwargs)
        if not use_core:
            return await super().astructured_predict(output_cls, prompt, llm_kwargs,
                                                     **prompt_args)
        from llama_index.core.instrumentation.events.llm import (
            LLMStructuredPredictEndEvent,
            LLMStructuredPredictStartEvent,
        )

        _dispatcher().event(LLMStructuredPredictStartEvent(
            output_cls=output_cls, template=prompt, template_args=prompt_args))
        messages, spec, validate, kwargs = self._structured_call(
            output_cls, prompt, llm_kwargs, method, prompt_args)
        response = await self.achat(messages, **kwargs)
        output = _parse_structured(response, spec, validate, output_cls)
        _dispatcher().event(LLMStructuredPredictEndEvent(output=output))
        return output

    def stream_structured_predict(
        self,
        output_cls: type[Any],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Generator[Any, None, None]:
        """Partial objects while the answer streams, then the validated object."""
        use_core, method = self._core_method(llm_kwargs)
        if not use_core:
            yield from super().stream_structured_predict(output_cls, prompt, llm_kwargs,
                                                         **prompt_args)
            return
        from llama_index.core.instrumentation.events.llm import (
            LLMStructuredPredictEndEvent,
            LLMStructuredPredictInProgressEvent,
            LLMStructuredPredictStartEvent,
        )

        dispatcher = _dispatcher()
        dispatcher.event(LLMStructuredPredictStartEvent(
            output_cls=output_cls, template=prompt, template_args=prompt_args))
        messages, spec, validate, kwargs = self._structured_call(
            output_cls, prompt, llm_kwargs, method, prompt_args)
        partials = _Partials(self, output_cls)
        last: ChatResponse | None = None
        for last in self.stream_chat(messages, **kwargs):
            partial = partials.update(last)
            if partial is not None:
                dispatcher.event(LLMStructuredPredictInProgressEvent(output=partial))
                yield partial
        assert last is not None
        output = _parse_structured(last, spec, validate, output_cls)
        dispatcher.event(LLMStructuredPredictEndEvent(output=output))
        yield output

    async def astream_structured_predict(
        self,
        output_cls: type[Any],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> AsyncGenerator[Any, None]:
        """Async twin of :meth:`stream_structured_predict`."""
        use_core, method = self._core_method(llm_kwargs)
        if not use_core:
            return await super().astream_structured_predict(output_cls, prompt, llm_kwargs,
                                                            **prompt_args)
        from llama_index.core.instrumentation.events.llm import (
            LLMStructuredPredictEndEvent,
            LLMStructuredPredictInProgressEvent,
            LLMStructuredPredictStartEvent,
        )

        dispatcher = _dispatcher()

        async def gen() -> AsyncGenerator[Any, None]:
            dispatcher.event(LLMStructuredPredictStartEvent(
                output_cls=output_cls, template=prompt, template_args=prompt_args))
            messages, spec, validate, kwargs = self._structured_call(
                output_cls, prompt, llm_kwargs, method, prompt_args)
            partials = _Partials(self, output_cls)
            last: ChatResponse | None = None
            async for last in await self.astream_chat(messages, **kwargs):
                partial = partials.update(last)
                if partial is not None:
                    dispatcher.event(LLMStructuredPredictInProgressEvent(output=partial))
                    yield partial
            assert last is not None
            output = _parse_structured(last, spec, validate, output_cls)
            dispatcher.event(LLMStructuredPredictEndEvent(output=output))
            yield output

        return gen()

    # ------------------------------------------------------------------ token estimates

    def get_num_tokens(self, text: str) -> int:
        """An estimate (no tokenizer download): ~4 chars a token, one per CJK character."""
        from gateway_core.chat.tokens import estimate_tokens

        return estimate_tokens(text)


# --------------------------------------------------------------------------- helpers


def _tool_spec(tool: Any) -> dict[str, Any]:
    """An OpenAI tool dict for a LlamaIndex tool (dicts pass as they are)."""
    if isinstance(tool, dict):
        return tool
    return dict(tool.metadata.to_openai_tool(skip_length_check=True))


def _dispatcher() -> Any:
    from llama_index.core.instrumentation import get_dispatcher  # type: ignore[attr-defined]

    return get_dispatcher(__name__)


def _final(result: Any, build: Any) -> Any:
    """The last response of a stream: the whole answer, with usage, delta empty."""
    if build is convert.stream_completion_response:
        return convert.completion_response(result, delta="")
    return convert.chat_response(result, delta="")


def _attach_partial(error: GatewayError, accumulator: Any) -> None:
    """Give a broken stream's error the ``ChatResponse`` received so far (``error.partial``)."""
    if accumulator is not None:
        error.partial = convert.partial_response(accumulator)


def _keep_first_tool_call(response: ChatResponse) -> None:
    message = response.message
    seen = False
    kept = []
    for block in message.blocks:
        if isinstance(block, ToolCallBlock):
            if seen:
                continue
            seen = True
        kept.append(block)
    if len(kept) != len(message.blocks):
        message.blocks = kept
        calls = message.additional_kwargs.get("tool_calls")
        if isinstance(calls, list):
            message.additional_kwargs["tool_calls"] = calls[:1]


def _parse_structured(response: ChatResponse, spec: Any, validate: Any,
                      output_cls: type[Any]) -> Any:
    """The validated object of a structured answer (read by the core's tolerant parser)."""
    from gateway_core.chat.structured import parse_structured
    from gateway_core.errors import RefusalError

    try:
        return validate(parse_structured(convert.result_view(response), spec))
    except RefusalError:
        raise  # the model's own words, typed (a ValueError too, as LlamaIndex expects)
    except Exception as exc:
        raise ValueError(
            f"Could not read a {output_cls.__name__} from the model's answer "
            f"({type(exc).__name__}: {exc}). Answer: {(response.message.content or '')[:200]!r}"
        ) from exc


class _Partials:
    """Partial objects of a streaming structured answer, via LlamaIndex's own parser."""

    def __init__(self, llm: GatewayLLM, output_cls: type[Any]) -> None:
        self.llm = llm
        self.output_cls = output_cls
        self.current: list[Any] | None = None

    def update(self, response: ChatResponse) -> Any:
        from llama_index.core.program.utils import process_streaming_objects

        if not response.delta and not response.message.additional_kwargs.get("tool_calls"):
            return None
        try:
            objects = process_streaming_objects(
                response, self.output_cls, cur_objects=self.current, flexible_mode=True,
                llm=self.llm,
            )
        except Exception:  # a partial that cannot be read yet
            return None
        self.current = objects if isinstance(objects, list) else [objects]
        return objects
