"""Chat calls over the shared transport: plain and streamed, sync and async.

Both adapters and :class:`~gateway_core.client.GatewayClient` go through here. What happens on
top of the transport (which already retries 429/5xx/connection failures):

* a 400 that refuses one optional parameter we sent is answered by sending the request again
  without it, once per parameter, and the refusal is remembered for the model in this process
  (:mod:`~gateway_core.chat.learned`);
* structured output tries the methods of :mod:`~gateway_core.chat.structured` in order, moving to
  the next when the gateway refuses one, and remembers that too;
* a stream is read through the :class:`~gateway_core.chat.stream.StreamAccumulator`; a transport
  failure in the middle becomes an :class:`~gateway_core.errors.IncompleteStreamError` carrying
  the partial answer.

Retries for refused parameters happen only before any output was received.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..bodies import body_kind
from ..errors import GatewayError, ResponseTooLargeError, TransportError
from ..profiles import ModelProfile, resolve_profile
from ..sse import ServerSentEvent, SSEDecoder
from .learned import LEARNED, LearnedRejections
from .request import build_request
from .response import parse_choices, parse_completion
from .stream import StreamAccumulator
from .types import ChatDelta, ChatResult, MediaKind
from .validate import check_model

if TYPE_CHECKING:
    from ..transport import Response, StreamResponse, Transport
    from .structured import StructuredSpec

logger = logging.getLogger("gateway_core")

__all__ = [
    "AsyncChatStream",
    "ChatCall",
    "ChatStream",
    "acomplete",
    "acomplete_all",
    "as_messages",
    "complete",
    "complete_all",
    "make_call",
]

PATH = "/v1/chat/completions"
RESPONSES_PATH = "/v1/responses"
MAX_DROPPED_PARAMS = 4
_METHOD_PARAMS = {
    "json_schema": frozenset({"response_format"}),
    "json_mode": frozenset({"response_format"}),
    "function_calling": frozenset({"tool_choice"}),
}


class ChatCall:
    """Everything about one chat call except the messages.

    Args:
        model: The model id.
        profile: Its capability profile.
        params: OpenAI parameters (see :func:`~gateway_core.chat.request.build_request`).
        extra_body: Fields merged into the body last.
        stream_usage: Ask for usage at the end of a stream.
        structured: Ask for structured output (the method chosen and fallen back here).
        think_tags: Split a leading ``<think>`` block out of the text.
        media_kind: ``image``/``video`` for chat-format media models (links are classified
            with it); None detects links by extension only.
        timeout: Read timeout for a plain call (None: the config's).
        wire: ``"chat"`` (``/v1/chat/completions``) or ``"responses"`` (``/v1/responses``,
            translated at the edges by :mod:`gateway_core.responses`).
        learned: Where refusals are remembered (the process-wide table by default).
    """

    __slots__ = ("extra_body", "learned", "media_kind", "model", "params", "profile",
                 "stream_usage", "structured", "think_tags", "timeout", "wire")

    def __init__(
        self,
        model: str,
        profile: ModelProfile,
        params: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        stream_usage: bool = True,
        structured: StructuredSpec | None = None,
        think_tags: bool = True,
        media_kind: MediaKind | None = None,
        timeout: float | None = None,
        learned: LearnedRejections = LEARNED,
        wire: str = "chat",
    ) -> None:
        self.model = model
        self.wire = wire
        self.profile = profile
        self.params: Mapping[str, Any] = {} if params is None else params
        self.extra_body = extra_body
        self.stream_usage = stream_usage
        self.structured = structured
        self.think_tags = think_tags
        self.media_kind = media_kind
        self.timeout = timeout
        self.learned = learned

    def replace(self, **changes: Any) -> ChatCall:
        """A copy with some fields changed."""
        values = {name: getattr(self, name) for name in self.__slots__}
        values.update(changes)
        return ChatCall(**values)


def make_call(
    model: str,
    *,
    profile: Mapping[str, Any] | ModelProfile | None = None,
    extra_body: Mapping[str, Any] | None = None,
    stream_usage: bool = True,
    structured: StructuredSpec | None = None,
    think_tags: bool = True,
    media_kind: MediaKind | None = None,
    timeout: float | None = None,
    use_responses_api: bool | None = None,
    **params: Any,
) -> ChatCall:
    """A :class:`ChatCall` with the profile resolved (``profile`` = overrides or a profile).

    Image and video models reached through chat (``sora-2``, ``chat-seededit``) get their kind
    as ``media_kind``, so the links they answer with are classified without an extension.
    ``use_responses_api``: True/False to choose the wire; None follows the profile's
    ``responses_api``.
    """
    resolved = resolve_profile(check_model(model), profile)
    if media_kind is None and resolved.kind in ("image", "video"):
        media_kind = resolved.kind
    return ChatCall(
        model=model, profile=resolved, params=params, extra_body=extra_body,
        stream_usage=stream_usage, structured=structured, think_tags=think_tags,
        media_kind=media_kind, timeout=timeout,
        wire="responses" if (resolved.responses_api if use_responses_api is None
                             else use_responses_api) else "chat",
    )


def as_messages(messages: str | Sequence[Mapping[str, Any]]) -> Sequence[Mapping[str, Any]]:
    """A bare string is one user message; anything else is taken as OpenAI messages."""
    if isinstance(messages, str):
        return [{"role": "user", "content": messages}]
    return messages


class _Plan:
    """The attempts of one call: which method, which parameters left out, when to give up."""

    __slots__ = ("call", "dropped", "gateway", "messages", "method_index", "methods")

    def __init__(self, call: ChatCall, messages: Sequence[Mapping[str, Any]], gateway: str):
        self.call = call
        self.messages = messages
        self.gateway = gateway
        self.dropped: set[str] = set()
        self.method_index = 0
        spec = call.structured
        if spec is None:
            self.methods: list[str | None] = [None]
        else:
            from .structured import candidate_methods

            refused = set(call.learned.methods(gateway, call.model))
            if "response_format" in call.learned.params(gateway, call.model):
                refused |= {"json_schema", "json_mode"}
            if spec.answer_in_text:  # the caller reads text and keeps its own tools
                refused.add("function_calling")
            self.methods = list(candidate_methods(call.profile, spec.method, refused))

    @property
    def method(self) -> str | None:
        return self.methods[self.method_index]

    def body(self, *, stream: bool) -> dict[str, Any]:
        call = self.call
        params: Mapping[str, Any] = call.params
        messages = self.messages
        method = self.method
        if method is not None and call.structured is not None:
            from .structured import apply_method

            params, messages = apply_method(method, call.structured, params, messages,
                                            call.profile)
        skip = call.learned.params(self.gateway, call.model) | self.dropped
        body = build_request(
            messages, model=call.model, profile=call.profile, stream=stream, params=params,
            extra_body=call.extra_body, stream_usage=call.stream_usage, skip=skip,
        )
        if call.wire == "responses":
            from ..responses import to_responses_body

            return to_responses_body(body)
        return body

    def recover(self, error: GatewayError, body: Mapping[str, Any]) -> bool:
        """Decide after a failed attempt: True to try again (the plan has changed)."""
        from .rejection import find_rejected_param
        from .structured import refuses_method

        call = self.call
        method = self.method
        param = find_rejected_param(error, body)
        if method is not None and (
            (param is not None and param in _METHOD_PARAMS.get(method, ()))
            or (param is None and refuses_method(error, method))
        ):
            call.learned.reject_method(self.gateway, call.model, method)
            self.method_index += 1
            return self.method_index < len(self.methods)
        if param is None or param in self.dropped or len(self.dropped) >= MAX_DROPPED_PARAMS:
            return False
        self.dropped.add(param)
        call.learned.reject_param(self.gateway, call.model, param)
        return True

    def finish(self, result: ChatResult) -> ChatResult:
        result.structured_method = self.method
        return result


def _gateway(transport: Transport) -> str:
    return transport.config.root_url


def _path(call: ChatCall) -> str:
    return RESPONSES_PATH if call.wire == "responses" else PATH


def _results(response: Response, call: ChatCall, secrets: tuple[str, ...]) -> list[ChatResult]:
    """Every choice of a plain call's answer (a streamed one has one: see :func:`_streamed`)."""
    if _is_streamed(response):
        return [_streamed(response, call, secrets)]
    return parse_choices(_answer(response, call), request_id=response.request_id,
                         think_tags=call.think_tags, media_kind=call.media_kind)


def _result(response: Response, call: ChatCall, secrets: tuple[str, ...]) -> ChatResult:
    """The first choice of a plain call's answer."""
    if _is_streamed(response):
        return _streamed(response, call, secrets)
    return parse_completion(_answer(response, call), request_id=response.request_id,
                            think_tags=call.think_tags, media_kind=call.media_kind)


def _is_streamed(response: Response) -> bool:
    return body_kind(response.content[:64]) == "sse"


def _streamed(response: Response, call: ChatCall, secrets: tuple[str, ...]) -> ChatResult:
    """A plain call answered with an event stream (some relays always stream): its events are
    read as a stream's would be, into the whole answer."""
    accumulator = _new_accumulator(call, response.request_id, secrets)
    decoder = SSEDecoder(max_event_bytes=len(response.content) + 1)
    events = [*decoder.feed(response.content), *decoder.flush()]
    for event in _translated(iter(events), call):
        if event.event == "message":
            accumulator.feed(event.data)
        else:
            accumulator.feed_event(event.data, event.event)
    return accumulator.finish()


def _new_accumulator(call: ChatCall, request_id: str | None,
                     secrets: tuple[str, ...]) -> StreamAccumulator:
    return StreamAccumulator(request_id=request_id, think_tags=call.think_tags,
                             media_kind=call.media_kind, secrets=secrets)


def _answer(response: Response, call: ChatCall) -> Any:
    """The body as a ``chat.completion`` (a Responses object is translated)."""
    body = response.json()
    if call.wire == "responses":
        from ..responses import completion_from_response

        return completion_from_response(body)
    return body


def _events(response: StreamResponse, call: ChatCall) -> Iterator[ServerSentEvent]:
    """The stream's events as chat chunk events (Responses events are translated)."""
    return _translated(response.events(), call)


def _translated(events: Iterator[ServerSentEvent], call: ChatCall) -> Iterator[ServerSentEvent]:
    if call.wire != "responses":
        return events
    from ..responses import ResponsesStreamTranslator

    translated: Iterator[ServerSentEvent] = ResponsesStreamTranslator().translate(events)
    return translated


def _aevents(response: Any, call: ChatCall) -> Any:
    """Async twin of :func:`_events`."""
    if call.wire != "responses":
        return response.aevents()
    from ..responses import ResponsesStreamTranslator

    return ResponsesStreamTranslator().atranslate(response.aevents())


def _post(transport: Transport, body: Mapping[str, Any], call: ChatCall) -> Any:
    return transport.request("POST", _path(call), json=body, timeout=call.timeout,
                             idempotent=_idempotent(call), what="Chat completion")


def _idempotent(call: ChatCall) -> bool:
    """A chat call to an image/video model starts paid generation: never sent twice once its
    body may have reached the gateway (plain chat is safe to resend)."""
    return call.media_kind is None


def complete_all(
    transport: Transport, messages: Sequence[Mapping[str, Any]], call: ChatCall
) -> list[ChatResult]:
    """A non-streamed call; every choice (``n`` > 1) as a :class:`ChatResult`."""
    plan = _Plan(call, messages, _gateway(transport))
    while True:
        body = plan.body(stream=False)
        try:
            response = _post(transport, body, call)
        except GatewayError as error:
            if plan.recover(error, body):
                continue
            raise
        results = _results(response, call, transport.config.secrets)
        return [plan.finish(result) for result in results]


def complete(
    transport: Transport, messages: Sequence[Mapping[str, Any]], call: ChatCall
) -> ChatResult:
    """A non-streamed call; the first choice."""
    plan = _Plan(call, messages, _gateway(transport))
    while True:
        body = plan.body(stream=False)
        try:
            response = _post(transport, body, call)
        except GatewayError as error:
            if plan.recover(error, body):
                continue
            raise
        return plan.finish(_result(response, call, transport.config.secrets))


async def acomplete_all(
    transport: Transport, messages: Sequence[Mapping[str, Any]], call: ChatCall
) -> list[ChatResult]:
    """Async twin of :func:`complete_all`."""
    plan = _Plan(call, messages, _gateway(transport))
    while True:
        body = plan.body(stream=False)
        try:
            response = await transport.arequest("POST", _path(call), json=body,
                                                timeout=call.timeout,
                                                idempotent=_idempotent(call),
                                                what="Chat completion")
        except GatewayError as error:
            if plan.recover(error, body):
                continue
            raise
        results = _results(response, call, transport.config.secrets)
        return [plan.finish(result) for result in results]


async def acomplete(
    transport: Transport, messages: Sequence[Mapping[str, Any]], call: ChatCall
) -> ChatResult:
    """Async twin of :func:`complete`."""
    plan = _Plan(call, messages, _gateway(transport))
    while True:
        body = plan.body(stream=False)
        try:
            response = await transport.arequest("POST", _path(call), json=body,
                                                timeout=call.timeout,
                                                idempotent=_idempotent(call),
                                                what="Chat completion")
        except GatewayError as error:
            if plan.recover(error, body):
                continue
            raise
        return plan.finish(_result(response, call, transport.config.secrets))


class _StreamDriver:
    """What a streamed call decides, shared by its sync and async drivers (which only do the
    I/O): the plan, the accumulator of each attempt, how a break is raised, how it ends."""

    def __init__(
        self, transport: Transport, messages: Sequence[Mapping[str, Any]], call: ChatCall
    ) -> None:
        self._transport = transport
        self._plan = _Plan(call, messages, _gateway(transport))
        self.call = call
        self.result: ChatResult | None = None
        self.accumulator: StreamAccumulator | None = None
        self.request_id: str | None = None

    @property
    def method(self) -> str | None:
        return self._plan.method

    def _opened(self, request_id: str | None) -> StreamAccumulator:
        self.request_id = request_id
        self.accumulator = _new_accumulator(self.call, request_id,
                                            self._transport.config.secrets)
        return self.accumulator

    @staticmethod
    def _after_break(accumulator: StreamAccumulator, exc: GatewayError) -> None:
        """A stream that broke: raised with the partial answer, unless the answer was whole."""
        error = accumulator.broken(exc)
        if error is None:
            logger.debug("chat stream: the connection broke after the answer's finish_reason "
                         "(%s); the answer is kept", type(exc).__name__)
            return
        if error is exc:  # the deadline: raised as itself, never its own cause
            raise exc
        raise error from exc


class ChatStream(_StreamDriver):
    """A streamed call. Iterate it (once) for :class:`ChatDelta`\\ s; then read :attr:`result`.

    ``accumulator`` holds the running totals while iterating (text so far, reasoning so far,
    tool calls so far); ``method`` the structured-output method in use, if any. Iteration raises
    :class:`~gateway_core.errors.IncompleteStreamError` when the stream ends without a
    ``finish_reason`` or breaks, and the gateway's typed error on an error event; either way the
    partial output is on the error.
    """

    def __iter__(self) -> Iterator[ChatDelta]:
        plan = self._plan
        call = self.call
        while True:
            body = plan.body(stream=True)
            opened = False
            try:
                with self._transport.stream("POST", _path(call), json=body, what="Chat stream",
                                            idempotent=_idempotent(call),
                                            events=True) as response:
                    opened = True
                    accumulator = self._opened(response.request_id)
                    feed = accumulator.feed
                    try:
                        for event in _events(response, call):
                            delta = (feed(event.data) if event.event == "message"
                                     else accumulator.feed_event(event.data, event.event))
                            if delta is not None:
                                yield delta
                    except (TransportError, ResponseTooLargeError) as exc:
                        self._after_break(accumulator, exc)
                    tail = accumulator.flush()
                    if tail is not None:
                        yield tail
                    self.result = plan.finish(accumulator.finish())
                    return
            except GatewayError as error:
                if opened or not plan.recover(error, body):
                    raise


class AsyncChatStream(_StreamDriver):
    """Async twin of :class:`ChatStream` (``async for delta in stream``)."""

    def __aiter__(self) -> AsyncIterator[ChatDelta]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[ChatDelta]:
        plan = self._plan
        call = self.call
        while True:
            body = plan.body(stream=True)
            opened = False
            try:
                async with self._transport.astream(
                    "POST", _path(call), json=body, what="Chat stream",
                    idempotent=_idempotent(call), events=True,
                ) as response:
                    opened = True
                    accumulator = self._opened(response.request_id)
                    feed = accumulator.feed
                    try:
                        async for event in _aevents(response, call):
                            delta = (feed(event.data) if event.event == "message"
                                     else accumulator.feed_event(event.data, event.event))
                            if delta is not None:
                                yield delta
                    except (TransportError, ResponseTooLargeError) as exc:
                        self._after_break(accumulator, exc)
                    tail = accumulator.flush()
                    if tail is not None:
                        yield tail
                    self.result = plan.finish(accumulator.finish())
                    return
            except GatewayError as error:
                if opened or not plan.recover(error, body):
                    raise
