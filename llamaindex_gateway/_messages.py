"""Pure converters between LlamaIndex chat types and the gateway's OpenAI-format dicts.

Out (LlamaIndex -> gateway): :func:`format_messages` turns ``ChatMessage`` objects into chat
completion messages: every role (``chatbot`` / ``model`` are the assistant), ``TextBlock``,
``ImageBlock`` (URL, path or bytes), ``AudioBlock``, ``DocumentBlock`` (text documents as text,
others as ``file`` parts), ``VideoBlock`` (``video_url``), citation blocks (their content),
``ToolCallBlock`` (assistant ``tool_calls``) and ``ThinkingBlock`` (``reasoning_content``, which
the core sends back only to models that need it). Media returned by tools moves into a user
message (:mod:`gateway_core.chat.toolmedia`). URLs are passed on, never downloaded here.

In (gateway -> LlamaIndex): :func:`chat_response`, :func:`stream_response` and friends build
``ChatResponse`` / ``CompletionResponse`` from the core's framework-free results: reasoning as a
``ThinkingBlock`` (and ``thinking_delta`` per chunk, as ``FunctionAgent`` expects), tool calls as
``ToolCallBlock`` plus OpenAI dicts in ``additional_kwargs["tool_calls"]`` (LlamaIndex's
streaming structured output reads those), usage where ``TokenCountingHandler`` looks for it
(``raw["usage"]`` and the token counts in ``additional_kwargs``), chat-format media links as
image / video blocks.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from io import IOBase
from typing import Any

from llama_index.core.base.llms.types import (
    AudioBlock,
    CachePoint,
    ChatMessage,
    ChatResponse,
    CitableBlock,
    CitationBlock,
    CompletionResponse,
    DocumentBlock,
    ImageBlock,
    LogProb,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)

from gateway_core.chat import parts
from gateway_core.chat.types import ChatDelta, ChatResult, MediaLink, ToolCall
from gateway_core.errors import InvalidRequestError

__all__ = [
    "chat_response",
    "completion_response",
    "format_block",
    "format_message",
    "format_messages",
    "partial_response",
    "result_view",
    "stream_completion_response",
    "stream_response",
    "tool_call_kwargs",
]

_ASSISTANT_ROLES = frozenset({"assistant", "chatbot", "model"})
_TEXT_DOCUMENT_TYPES = ("text/", "application/json", "application/xml", "application/x-yaml")

# --------------------------------------------------------------------------- out: content


def _binary(data: bytes | IOBase | None, path: Any) -> bytes:
    """The raw bytes of a block's inline data or file (LlamaIndex keeps bytes base64-encoded)."""
    if isinstance(data, IOBase):
        data.seek(0)
        raw = data.read()
        return raw if isinstance(raw, bytes) else str(raw).encode()
    from llama_index.core.utils import resolve_binary

    return resolve_binary(raw_bytes=data, path=path).read()


def _has_inline(data: Any, path: Any) -> bool:
    return bool(data) or path is not None


def _image_part(block: ImageBlock) -> dict[str, Any]:
    if block.url is not None and not _has_inline(block.image, block.path):
        return parts.image_part(str(block.url), detail=block.detail)
    if not _has_inline(block.image, block.path):
        raise InvalidRequestError("An ImageBlock needs an image (bytes), a path or a url.")
    return parts.image_part(data=_binary(block.image, block.path),
                            mime_type=block.image_mimetype, detail=block.detail)


def _audio_part(block: AudioBlock) -> dict[str, Any]:
    if block.url is not None and not _has_inline(block.audio, block.path):
        # Some relays (Qwen-Omni) accept a URL as the audio data.
        return parts.audio_url_part(str(block.url), audio_format=block.format)
    if not _has_inline(block.audio, block.path):
        raise InvalidRequestError("An AudioBlock needs audio (bytes), a path or a url.")
    return parts.audio_part(_binary(block.audio, block.path), audio_format=block.format)


def _video_part(block: VideoBlock) -> dict[str, Any]:
    if block.url is not None and not _has_inline(block.video, block.path):
        return parts.video_part(str(block.url))
    if not _has_inline(block.video, block.path):
        raise InvalidRequestError("A VideoBlock needs a video (bytes), a path or a url.")
    return parts.video_part(data=_binary(block.video, block.path),
                            mime_type=block.video_mimetype)


def _document_part(block: DocumentBlock) -> dict[str, Any]:
    mime_type = block.document_mimetype
    filename = block.title if block.title and block.title != "input_document" else None
    if filename is None and block.path is not None:
        filename = str(block.path).replace("\\", "/").rsplit("/", 1)[-1]
    if block.url is not None and not _has_inline(block.data, block.path):
        return parts.file_part(url=str(block.url), mime_type=mime_type, filename=filename)
    if not _has_inline(block.data, block.path):
        raise InvalidRequestError("A DocumentBlock needs data (bytes), a path or a url.")
    raw = _binary(block.data, block.path)
    if mime_type and mime_type.startswith(_TEXT_DOCUMENT_TYPES):
        # Plain-text documents travel as text: every model reads that, few accept text files.
        text = raw.decode("utf-8", "replace")
        return parts.text_part(f"{filename}:\n{text}" if filename else text)
    return parts.file_part(data=raw, mime_type=mime_type or "application/pdf", filename=filename)


def format_block(block: Any) -> list[dict[str, Any]]:
    """One content block as OpenAI parts (none for thinking, tool-call and cache blocks)."""
    if isinstance(block, TextBlock):
        return [parts.text_part(block.text)]
    if isinstance(block, ImageBlock):
        return [_image_part(block)]
    if isinstance(block, DocumentBlock):
        return [_document_part(block)]
    if isinstance(block, AudioBlock):
        return [_audio_part(block)]
    if isinstance(block, VideoBlock):
        return [_video_part(block)]
    if isinstance(block, CitableBlock):
        return [part for inner in block.content for part in format_block(inner)]
    if isinstance(block, CitationBlock):
        return [part for inner in block.cited_content for part in format_block(inner)]
    if isinstance(block, (ThinkingBlock, ToolCallBlock, CachePoint)):
        return []
    raise InvalidRequestError(f"Unsupported content block {type(block).__name__}.")


def _content(blocks: Sequence[Any]) -> str | list[dict[str, Any]]:
    """A string when every block is text (older gateways want that), else OpenAI parts."""
    if all(isinstance(block, TextBlock) for block in blocks):
        return "\n".join(block.text for block in blocks)
    formatted = [part for block in blocks for part in format_block(block)]
    if all(part.get("type") == "text" for part in formatted):
        return "\n".join(part["text"] for part in formatted)
    return formatted


# --------------------------------------------------------------------------- out: messages


def _arguments(kwargs: Any) -> str:
    return kwargs if isinstance(kwargs, str) else json.dumps(kwargs or {}, ensure_ascii=False)


def _legacy_tool_calls(raw: Any) -> list[dict[str, Any]]:
    """``additional_kwargs["tool_calls"]`` (dicts or SDK objects) as OpenAI dicts."""
    calls: list[dict[str, Any]] = []
    for item in raw if isinstance(raw, list) else ():
        if not isinstance(item, Mapping) and hasattr(item, "model_dump"):
            item = item.model_dump()
        if not isinstance(item, Mapping):
            continue
        function = item.get("function") or {}
        calls.append({
            "id": item.get("id") or f"call_{len(calls)}",
            "type": "function",
            "function": {"name": function.get("name") or "",
                         "arguments": _arguments(function.get("arguments"))},
        })
    return calls


def _assistant(message: ChatMessage) -> dict[str, Any]:
    texts: list[str] = []
    reasoning: list[str] = []
    calls: list[dict[str, Any]] = []
    for block in message.blocks:
        if isinstance(block, TextBlock):
            texts.append(block.text)
        elif isinstance(block, ThinkingBlock):
            if block.content:
                reasoning.append(block.content)
        elif isinstance(block, ToolCallBlock):
            calls.append({
                "id": block.tool_call_id or f"call_{len(calls)}",
                "type": "function",
                "function": {"name": block.tool_name, "arguments": _arguments(block.tool_kwargs)},
            })
        elif isinstance(block, (CitableBlock, CitationBlock)):
            texts.extend(p["text"] for p in format_block(block) if p.get("type") == "text")
        # Media on an assistant turn (chat-format media answers) is already linked in its text.
    extra = message.additional_kwargs
    if not calls:
        calls = _legacy_tool_calls(extra.get("tool_calls"))
    text = "\n".join(texts)
    result: dict[str, Any] = {"role": "assistant", "content": text or (None if calls else "")}
    if calls:
        result["tool_calls"] = calls
    thinking = "".join(reasoning) or extra.get("reasoning_content")
    if isinstance(thinking, str) and thinking:
        result["reasoning_content"] = thinking
    return result


def format_message(message: ChatMessage) -> dict[str, Any]:
    """One ``ChatMessage`` as an OpenAI chat message dict."""
    role = message.role.value if isinstance(message.role, MessageRole) else str(message.role)
    extra = message.additional_kwargs
    if role in _ASSISTANT_ROLES:
        result = _assistant(message)
    elif role == "tool":
        call_id = extra.get("tool_call_id") or extra.get("tool_use_id")
        if not call_id:
            raise InvalidRequestError(
                "A tool message needs additional_kwargs['tool_call_id'] (the id of the tool "
                "call it answers); the gateway refuses tool results without it."
            )
        result = {"role": "tool", "tool_call_id": call_id, "content": _content(message.blocks)}
    elif role in ("system", "developer", "user", "function"):
        result = {"role": role, "content": _content(message.blocks)}
    else:
        raise InvalidRequestError(f"Unsupported message role {role!r}.")
    name = extra.get("name")
    if isinstance(name, str) and name and role != "tool":
        result["name"] = name
    return result


def format_messages(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    """Every message, in order, as OpenAI chat message dicts (tool media moved, see above)."""
    formatted = [format_message(message) for message in messages]
    if any(m["role"] == "tool" and isinstance(m.get("content"), list) for m in formatted):
        from gateway_core.chat.toolmedia import hoist_tool_media

        return hoist_tool_media(formatted)
    return formatted


# --------------------------------------------------------------------------- in


def tool_call_kwargs(value: dict[str, Any] | str) -> dict[str, Any]:
    """Tool arguments as a dict: complete JSON, partial JSON (while streaming), else ``{}``."""
    if isinstance(value, dict):
        return value
    from gateway_core.chat.toolcalls import parse_arguments

    args, error = parse_arguments(value)
    if error is None and args is not None:
        return args
    from llama_index.core.llms.utils import parse_partial_json

    try:
        partial = parse_partial_json(value)
    except (ValueError, TypeError):
        return {}
    return partial if isinstance(partial, dict) else {}


def _tool_blocks(calls: Sequence[ToolCall]) -> list[ToolCallBlock]:
    return [
        ToolCallBlock(tool_call_id=call.id, tool_name=call.name,
                      tool_kwargs=call.args if call.args is not None else call.arguments)
        for call in calls
    ]


def _media_block(link: MediaLink) -> ImageBlock | VideoBlock:
    if link.kind == "video":
        return VideoBlock(url=link.url)
    return ImageBlock(url=link.url)


def result_message(result: ChatResult) -> ChatMessage:
    """The assistant ``ChatMessage`` of a finished answer."""
    blocks: list[Any] = []
    if result.reasoning:
        num_tokens = result.usage.reasoning if result.usage is not None else None
        blocks.append(ThinkingBlock(content=result.reasoning, num_tokens=num_tokens,
                                    additional_information={"field": "reasoning_content"}))
    calls = result.all_tool_calls
    if result.text or not calls:
        blocks.append(TextBlock(text=result.text))
    blocks.extend(_media_block(link) for link in result.media)
    blocks.extend(_tool_blocks(calls))
    extra: dict[str, Any] = {}
    if calls:
        extra["tool_calls"] = [call.to_openai() for call in calls]
    if result.invalid_tool_calls:
        extra["invalid_tool_calls"] = [
            {"id": c.id, "name": c.name, "arguments": c.arguments, "error": c.error}
            for c in result.invalid_tool_calls
        ]
    if result.refusal:
        extra["refusal"] = result.refusal
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=extra)


def response_kwargs(result: ChatResult) -> dict[str, Any]:
    """``ChatResponse.additional_kwargs``: token counts (as LlamaIndex reads them), metadata."""
    extra: dict[str, Any] = result.metadata()
    usage = result.usage
    if usage is not None:
        extra["prompt_tokens"] = usage.input_tokens
        extra["completion_tokens"] = usage.output_tokens
        extra["total_tokens"] = usage.total_tokens
        if usage.cache_read is not None:
            extra["cached_tokens"] = usage.cache_read
        if usage.reasoning is not None:
            extra["reasoning_tokens"] = usage.reasoning
    if result.structured_method:
        extra["structured_output_method"] = result.structured_method
    return extra


def _logprobs(result: ChatResult) -> list[list[LogProb]] | None:
    if not result.logprobs:
        return None
    converted: list[list[LogProb]] = []
    for entry in result.logprobs:
        if not isinstance(entry, Mapping):
            continue
        tops = entry.get("top_logprobs") or [entry]
        converted.append([
            LogProb(token=str(top.get("token", "")), logprob=float(top.get("logprob") or 0.0),
                    bytes=list(top.get("bytes") or []))
            for top in tops if isinstance(top, Mapping)
        ])
    return converted


def chat_response(result: ChatResult, *, delta: str | None = None) -> ChatResponse:
    """A ``ChatResponse`` for a finished answer (``raw`` is a chat.completion dict)."""
    return ChatResponse(message=result_message(result), raw=result.to_dict(), delta=delta,
                        logprobs=_logprobs(result), additional_kwargs=response_kwargs(result))


def completion_response(result: ChatResult, *, delta: str | None = None) -> CompletionResponse:
    """A ``CompletionResponse`` for a finished answer (reasoning in ``additional_kwargs``)."""
    extra = response_kwargs(result)
    if result.reasoning:
        extra["reasoning_content"] = result.reasoning
    return CompletionResponse(text=result.text, raw=result.to_dict(), delta=delta,
                              logprobs=_logprobs(result), additional_kwargs=extra)


# Streams build one response per chunk, so each constructor is the cheaper of the two for its
# class (measured: pydantic's Python-level model_construct costs ~6 us a call, while validating
# the small TextBlock / ChatResponse / CompletionResponse in pydantic-core costs ~2 us).
_text_block = TextBlock
_thinking_block = ThinkingBlock.model_construct
_tool_block = ToolCallBlock.model_construct
_message = ChatMessage.model_construct
_chat_response = ChatResponse
_completion = CompletionResponse
_ASSISTANT = MessageRole.ASSISTANT


def stream_response(accumulator: Any, delta: ChatDelta) -> ChatResponse:
    """The response for one streamed delta: the message so far, and what this chunk added.

    ``accumulator`` is the core's :class:`~gateway_core.chat.stream.StreamAccumulator`.
    """
    blocks: list[Any] = []
    reasoning = accumulator.reasoning
    if reasoning:
        blocks.append(_thinking_block(content=reasoning, num_tokens=None,
                                      additional_information={}))
    blocks.append(_text_block(text=accumulator.text))
    extra: dict[str, Any] = {}
    if accumulator.has_tool_calls:
        calls = accumulator.tool_calls_so_far()
        for call in calls:
            blocks.append(_tool_block(tool_call_id=call["id"], tool_name=call["name"],
                                      tool_kwargs=call["arguments"]))
        extra["tool_calls"] = [
            {"id": c["id"], "type": "function",
             "function": {"name": c["name"], "arguments": c["arguments"]}}
            for c in calls
        ]
    return _chat_response(
        message=_message(role=_ASSISTANT, blocks=blocks, additional_kwargs=extra),
        raw=None, delta=delta.text, logprobs=None,
        additional_kwargs={"thinking_delta": delta.reasoning} if delta.reasoning else {},
    )


def stream_completion_response(accumulator: Any, delta: ChatDelta) -> CompletionResponse:
    """The completion response for one streamed delta (text so far, the new text)."""
    return _completion(
        text=accumulator.text, delta=delta.text, raw=None, logprobs=None,
        additional_kwargs={"thinking_delta": delta.reasoning} if delta.reasoning else {},
    )


def partial_response(accumulator: Any) -> ChatResponse:
    """What a broken stream delivered before it broke (put on the error as ``partial``)."""
    return stream_response(accumulator, ChatDelta())


# --------------------------------------------------------------------------- back to the core


def result_view(response: ChatResponse) -> ChatResult:
    """A :class:`ChatResult` view of a ``ChatResponse`` (text and tool calls), so the core's
    structured-output parser reads it."""
    from gateway_core.chat.toolcalls import parse_arguments

    calls: list[ToolCall] = []
    invalid: list[ToolCall] = []
    texts: list[str] = []
    for block in response.message.blocks:
        if isinstance(block, TextBlock):
            texts.append(block.text)
        elif isinstance(block, ToolCallBlock):
            arguments = _arguments(block.tool_kwargs)
            args, error = parse_arguments(arguments)
            call = ToolCall(id=block.tool_call_id or "", name=block.tool_name,
                            arguments=arguments, args=args, error=error,
                            index=len(calls) + len(invalid))
            (calls if error is None else invalid).append(call)
    finish = response.additional_kwargs.get("finish_reason")
    refusal = response.message.additional_kwargs.get("refusal")
    return ChatResult(text="\n".join(texts), tool_calls=calls, invalid_tool_calls=invalid,
                      finish_reason=finish if isinstance(finish, str) else None,
                      refusal=refusal if isinstance(refusal, str) and refusal else None)
