"""Pure converters between LangChain messages and the gateway's OpenAI-format dicts.

Out (LangChain -> gateway): :func:`format_messages` turns every message type into a chat
completion message: system / human / ai / tool / function / chat roles, ``name``, LangChain v1
standard content blocks (text, image, audio, file, video, text-plain), OpenAI-style parts
(``image_url``, ``input_audio``, ``file``, ``video_url``), Anthropic-style image blocks, tool
calls (valid and invalid) and reasoning (``reasoning_content``, which the core sends back only
to models that need it).

In (gateway -> LangChain): :func:`result_to_message`, :func:`delta_to_chunk` and
:func:`final_chunk` build ``AIMessage`` / ``AIMessageChunk`` from the core's framework-free
results: reasoning in ``additional_kwargs["reasoning_content"]`` (rendered by LangChain as a
standard reasoning block), tool calls, invalid tool calls and tool-call chunks, usage with cache
and reasoning details, response metadata, and chat-format media links as image/video blocks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.messages.tool import invalid_tool_call, tool_call, tool_call_chunk

from gateway_core.chat.types import ChatDelta, ChatResult, MediaLink, Usage
from gateway_core.errors import InvalidRequestError

__all__ = [
    "MODEL_PROVIDER",
    "delta_to_chunk",
    "final_chunk",
    "format_content",
    "format_message",
    "format_messages",
    "result_to_message",
    "usage_metadata",
]

MODEL_PROVIDER = "gateway"
"""``response_metadata["model_provider"]``: LangChain's best-effort block translation applies
(reasoning from ``additional_kwargs``, tool calls, standard media blocks)."""

_SKIPPED_BLOCKS = frozenset({
    "reasoning", "thinking", "redacted_thinking", "tool_call", "tool_call_chunk", "tool_use",
    "invalid_tool_call", "server_tool_call", "server_tool_call_chunk", "server_tool_result",
    "function_call", "citation", "non_standard_annotation",
})
_ROLES = {"human": "user", "user": "user", "ai": "assistant", "assistant": "assistant",
          "system": "system", "developer": "developer", "tool": "tool", "function": "function"}


# --------------------------------------------------------------------------- out: content


def _source(block: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(url, base64 data, file id) of a standard v1 or legacy v0 data block."""
    url = block.get("url")
    data = block.get("base64")
    file_id = block.get("file_id")
    source_type = block.get("source_type")
    if source_type == "url":
        url = url or block.get("data")
    elif source_type == "base64":
        data = data or block.get("data")
    elif source_type == "id":
        file_id = file_id or block.get("id")
    if isinstance(url, str) and url.startswith("data:"):
        return None, url, file_id
    return url, data, file_id


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _data_block(block: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """A standard image / audio / video / file block as an OpenAI content part."""
    from gateway_core.chat import parts

    url, data, file_id = _source(block)
    mime_type = block.get("mime_type")
    if isinstance(data, str) and data.startswith("data:") and not mime_type:
        mime_type = data[5:].split(";", 1)[0] or None
    extras = block.get("extras") or {}
    if kind == "file" and mime_type:
        kind = {"image": "image", "audio": "audio", "video": "video"}.get(
            mime_type.split("/", 1)[0], "file"
        )
    if kind == "image":
        detail = block.get("detail") or extras.get("detail")
        if url is not None:
            return parts.image_part(url, detail=detail)
        if data is not None:
            return parts.image_part(data=data, mime_type=mime_type, detail=detail)
    elif kind == "video":
        if url is not None or data is not None:
            return parts.video_part(url, data=data, mime_type=mime_type)
    elif kind == "audio":
        if data is not None:
            return parts.audio_part(data, mime_type=mime_type)
        if url is not None:  # some relays (Qwen-Omni) accept a URL as the audio data
            return parts.audio_url_part(url, mime_type=mime_type)
    else:
        filename = (block.get("filename") or extras.get("filename")
                    or (block.get("metadata") or {}).get("filename"))
        return parts.file_part(data=data, url=url, file_id=file_id, mime_type=mime_type,
                               filename=filename)
    if file_id is not None:
        return parts.file_part(file_id=file_id, mime_type=mime_type)
    raise InvalidRequestError(f"The {kind} block has no url, base64 data or file id: {block!r}")


def _format_block(block: Any) -> dict[str, Any] | None:
    """One content item as an OpenAI part, or None when it is not content (reasoning, …)."""
    if isinstance(block, str):
        return _text_part(block)
    if not isinstance(block, Mapping):
        raise InvalidRequestError(f"Unsupported content item {block!r}.")
    kind = block.get("type")
    formatter = _BLOCK_FORMATTERS.get(kind) if isinstance(kind, str) else None
    if formatter is not None:
        return formatter(block)
    if kind in _SKIPPED_BLOCKS:
        return None
    return dict(block)  # a provider-specific part: sent as given


def _plain_text_block(block: Mapping[str, Any]) -> dict[str, Any]:
    text = block.get("text")
    if text is None and block.get("base64"):
        import base64

        text = base64.b64decode(block["base64"]).decode("utf-8", "replace")
    return _text_part(str(text or ""))


def _input_media_block(block: Mapping[str, Any]) -> dict[str, Any]:
    """LangChain's standard image / audio / video / file blocks, and the Anthropic and OpenAI
    shapes of image and file blocks."""
    kind = block["type"]
    if kind == "image" and isinstance(block.get("source"), Mapping):  # Anthropic style
        from gateway_core.chat import parts

        source = block["source"]
        if source.get("type") == "base64":
            return parts.image_part(data=source.get("data"), mime_type=source.get("media_type"))
        return parts.image_part(source.get("url"))
    if kind == "file" and isinstance(block.get("file"), Mapping):  # OpenAI style
        return {"type": "file", "file": dict(block["file"])}
    return _data_block(block, kind)


def _url_block(key: str) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """An OpenAI ``image_url`` / ``video_url`` part, its URL given bare or as an object."""
    def format_url(block: Mapping[str, Any]) -> dict[str, Any]:
        value = block.get(key)
        value = {"url": value} if isinstance(value, str) else dict(value or {})
        return {"type": key, key: value}
    return format_url


def _document_block(block: Mapping[str, Any]) -> dict[str, Any]:
    source = block.get("source")
    if not isinstance(source, Mapping):
        return dict(block)
    from gateway_core.chat import parts  # Anthropic PDF

    return parts.file_part(data=source.get("data"), url=source.get("url"),
                           mime_type=source.get("media_type") or "application/pdf")


def _non_standard_block(block: Mapping[str, Any]) -> dict[str, Any] | None:
    value = block.get("value")
    return dict(value) if isinstance(value, Mapping) else None


_BLOCK_FORMATTERS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any] | None]] = {
    "text": lambda block: _text_part(str(block.get("text", ""))),
    "text-plain": _plain_text_block,
    **dict.fromkeys(("image", "audio", "video", "file"), _input_media_block),
    "image_url": _url_block("image_url"),
    "video_url": _url_block("video_url"),
    "input_audio": dict,
    "document": _document_block,
    "non_standard": _non_standard_block,
}


def format_content(content: str | list[Any], *, joiner: str = "\n") -> str | list[dict[str, Any]]:
    """A message content: a string, or OpenAI parts when it holds more than text."""
    if isinstance(content, str):
        return content
    formatted = [part for part in map(_format_block, content) if part is not None]
    if all(part.get("type") == "text" for part in formatted):
        return joiner.join(part["text"] for part in formatted)
    return formatted


# --------------------------------------------------------------------------- out: messages


def _reasoning_of(message: AIMessage) -> str | None:
    reasoning = message.additional_kwargs.get("reasoning_content")
    if isinstance(reasoning, str) and reasoning:
        return reasoning
    if isinstance(message.content, list):
        pieces = [
            block.get("reasoning") or block.get("thinking") or ""
            for block in message.content
            if isinstance(block, Mapping) and block.get("type") in ("reasoning", "thinking")
        ]
        text = "".join(p for p in pieces if isinstance(p, str))
        if text:
            return text
    return None


def _assistant_tool_calls(message: AIMessage) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = [
        {
            "id": call.get("id") or f"call_{index}",
            "type": "function",
            "function": {
                "name": call["name"],
                "arguments": json.dumps(call.get("args") or {}, ensure_ascii=False),
            },
        }
        for index, call in enumerate(message.tool_calls)
    ]
    for call in message.invalid_tool_calls:
        calls.append({
            "id": call.get("id") or f"call_{len(calls)}",
            "type": "function",
            "function": {"name": call.get("name") or "", "arguments": call.get("args") or ""},
        })
    if not calls and isinstance(message.content, list):  # Anthropic-style tool_use blocks
        for block in message.content:
            if isinstance(block, Mapping) and block.get("type") == "tool_use":
                calls.append({
                    "id": block.get("id"),
                    "type": "function",
                    "function": {
                        "name": block.get("name"),
                        "arguments": json.dumps(block.get("input") or {}, ensure_ascii=False),
                    },
                })
    if not calls:
        raw = message.additional_kwargs.get("tool_calls")
        if isinstance(raw, list):
            calls = [
                {"id": c.get("id"), "type": "function", "function": c.get("function")}
                for c in raw if isinstance(c, Mapping)
            ]
    return calls


def _tool_content(content: str | list[Any]) -> str | list[dict[str, Any]]:
    if isinstance(content, str):
        return content
    formatted = format_content(content)
    if isinstance(formatted, str):
        return formatted
    if not formatted:
        return ""
    return formatted


def format_message(message: BaseMessage) -> dict[str, Any]:
    """One LangChain message as an OpenAI chat message dict."""
    result: dict[str, Any]
    if isinstance(message, AIMessage):
        calls = _assistant_tool_calls(message)
        content = format_content(message.content, joiner="")
        if isinstance(content, list):
            text_only = [p for p in content if p.get("type") == "text"]
            content = "".join(p["text"] for p in text_only)
        result = {"role": "assistant", "content": content or (None if calls else "")}
        if calls:
            result["tool_calls"] = calls
        reasoning = _reasoning_of(message)
        if reasoning:
            result["reasoning_content"] = reasoning
    elif isinstance(message, HumanMessage):
        result = {"role": "user", "content": format_content(message.content)}
    elif isinstance(message, SystemMessage):
        role = message.additional_kwargs.get("__openai_role__", "system")
        result = {"role": role, "content": format_content(message.content)}
    elif isinstance(message, ToolMessage):
        result = {"role": "tool", "tool_call_id": message.tool_call_id,
                  "content": _tool_content(message.content)}
    elif isinstance(message, FunctionMessage):
        result = {"role": "function", "name": message.name,
                  "content": format_content(message.content)}
    elif isinstance(message, ChatMessage):
        result = {"role": _ROLES.get(message.role, message.role),
                  "content": format_content(message.content)}
    else:
        raise InvalidRequestError(f"Unsupported message type {type(message).__name__}.")
    if message.name and "name" not in result and not isinstance(message, ToolMessage):
        result["name"] = message.name
    return result


def format_messages(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """Every message, in order, as OpenAI chat message dicts."""
    return [format_message(message) for message in messages]


# --------------------------------------------------------------------------- in


def usage_metadata(usage: Usage) -> UsageMetadata:
    """LangChain usage from the core's, with cache and reasoning details when reported."""
    metadata: dict[str, Any] = {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
    }
    input_details = InputTokenDetails()
    if usage.cache_read is not None:
        input_details["cache_read"] = usage.cache_read
    if usage.cache_creation is not None:
        input_details["cache_creation"] = usage.cache_creation
    if usage.audio_input is not None:
        input_details["audio"] = usage.audio_input
    output_details = OutputTokenDetails()
    if usage.reasoning is not None:
        output_details["reasoning"] = usage.reasoning
    if usage.audio_output is not None:
        output_details["audio"] = usage.audio_output
    if input_details:
        metadata["input_token_details"] = input_details
    if output_details:
        metadata["output_token_details"] = output_details
    return cast("UsageMetadata", metadata)


def _media_block(link: MediaLink) -> dict[str, Any]:
    if link.url.startswith("data:"):
        header, _, data = link.url.partition(",")
        return {"type": link.kind, "base64": data, "mime_type": header[5:].split(";", 1)[0]}
    return {"type": link.kind, "url": link.url}


def response_metadata(result: ChatResult, model: str) -> dict[str, Any]:
    """``response_metadata`` of an answer (``model_name`` falls back to the requested one)."""
    metadata: dict[str, Any] = {
        "model_name": result.model or model,
        "model_provider": MODEL_PROVIDER,
    }
    for key in ("finish_reason", "system_fingerprint", "id", "request_id", "service_tier",
                "created"):
        value = getattr(result, key)
        if value is not None:
            metadata[key] = value
    if result.usage is not None:
        metadata["token_usage"] = result.usage.raw
    if result.logprobs:
        metadata["logprobs"] = {"content": result.logprobs}
    if result.structured_method:
        metadata["structured_output_method"] = result.structured_method
    return metadata


def _additional_kwargs(result: ChatResult) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if result.reasoning:
        extra["reasoning_content"] = result.reasoning
    if result.refusal:
        extra["refusal"] = result.refusal
    return extra


def result_to_message(result: ChatResult, model: str) -> AIMessage:
    """An ``AIMessage`` for a non-streamed answer."""
    content: str | list[str | dict[str, Any]] = result.text
    if result.media:
        blocks: list[str | dict[str, Any]] = []
        if result.text:
            blocks.append({"type": "text", "text": result.text})
        blocks.extend(_media_block(link) for link in result.media)
        content = blocks
    return AIMessage(
        content=content,
        additional_kwargs=_additional_kwargs(result),
        tool_calls=[tool_call(name=c.name, args=c.args or {}, id=c.id)
                    for c in result.tool_calls],
        invalid_tool_calls=[
            invalid_tool_call(name=c.name, args=c.arguments, id=c.id, error=c.error)
            for c in result.invalid_tool_calls
        ],
        usage_metadata=usage_metadata(result.usage) if result.usage else None,
        response_metadata=response_metadata(result, model),
        id=result.id,
    )


def delta_to_chunk(delta: ChatDelta) -> AIMessageChunk:
    """An ``AIMessageChunk`` for one streamed delta (text, reasoning, tool-call fragments)."""
    if delta.tool_calls:
        return AIMessageChunk(
            content=delta.text,
            additional_kwargs={"reasoning_content": delta.reasoning} if delta.reasoning else {},
            tool_call_chunks=[
                tool_call_chunk(name=f["name"], args=f["arguments"], id=f["id"],
                                index=f["index"])
                for f in delta.tool_calls
            ],
        )
    if delta.reasoning:
        return AIMessageChunk(content=delta.text,
                              additional_kwargs={"reasoning_content": delta.reasoning})
    return AIMessageChunk(content=delta.text)


def final_chunk(result: ChatResult, model: str) -> AIMessageChunk:
    """The closing chunk: usage (exactly once), response metadata, media blocks."""
    content: str | list[str | dict[str, Any]] = ""
    if result.media:
        content = [_media_block(link) for link in result.media]
    return AIMessageChunk(
        content=content,
        # the refusal, whole, once (its pieces carried no text to stream)
        additional_kwargs={"refusal": result.refusal} if result.refusal else {},
        usage_metadata=usage_metadata(result.usage) if result.usage else None,
        response_metadata=response_metadata(result, model),
        chunk_position="last",
    )
