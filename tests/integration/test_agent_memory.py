"""Agents with memory keep what the media tools made (item: checkpointer-safe artifacts).

LangGraph: ``create_agent(..., checkpointer=...)`` with our tools over two turns, then the thread
resumed by a new agent (and, for SQLite, a new connection): every checkpoint is written by the
serializer every LangGraph saver uses, in its strict mode too, and the resumed thread still has
the media links and task ids. LlamaIndex: a tool result inside a workflow ``Context`` survives
``Context.to_dict()`` / ``from_dict`` and the workflow's JSON serializer.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from gateway_core.media_items import MediaItem
from langchain_gateway import ChatGateway, GatewayImageTool, GatewayVideoTool

pytestmark = pytest.mark.filterwarnings("error::DeprecationWarning:langgraph.*")


def _tools(gateway: Any) -> list[Any]:
    common = {**gateway.settings(), "task_journal": False, "poll_interval": 0.02,
              "max_poll_interval": 0.05, "dedup_window": 0}
    return [GatewayVideoTool(model=gateway.video_model, **common)]


def _tool_messages(state: Any) -> list[ToolMessage]:
    return [m for m in state.values["messages"] if isinstance(m, ToolMessage)]


def _strict_round_trip(checkpointer: Any, config: dict[str, Any]) -> None:
    """Every message of the thread through LangGraph's serializer with no custom types
    allowed (LANGGRAPH_STRICT_MSGPACK): only LangChain messages and JSON values."""
    strict = JsonPlusSerializer(allowed_msgpack_modules=None)
    checkpoint = checkpointer.get_tuple(config).checkpoint
    messages = checkpoint["channel_values"]["messages"]
    back = strict.loads_typed(strict.dumps_typed(messages))
    assert [type(m) for m in back] == [type(m) for m in messages]
    for before, after in zip(messages, back, strict=True):
        if isinstance(before, ToolMessage):
            assert after.artifact == before.artifact


def _check_artifacts(messages: list[ToolMessage], turns: int) -> None:
    assert len(messages) == turns
    for message in messages:
        artifact = message.artifact
        assert artifact["task_id"]
        assert artifact["task_id"] in message.content
        assert artifact["urls"]
        assert artifact["urls"][0] in message.content
        item = MediaItem.from_dict(artifact["items"][0])
        assert item.kind == "video"
        assert item.best_url == artifact["urls"][0]


def test_two_turns_then_a_resumed_thread_in_memory(gateway: Any) -> None:
    saver = InMemorySaver()
    model = ChatGateway(**gateway.settings(model=gateway.chat_model))
    config = {"configurable": {"thread_id": "media-1"}}
    agent = create_agent(model, _tools(gateway), checkpointer=saver)
    agent.invoke({"messages": [("user", "Make a video of waves at sunset")]}, config)
    agent.invoke({"messages": [("user", "Now one of a fox running")]}, config)
    _strict_round_trip(saver, config)
    resumed = create_agent(model, _tools(gateway), checkpointer=saver)  # a new agent
    _check_artifacts(_tool_messages(resumed.get_state(config)), turns=2)


async def test_async_turns_in_memory(gateway: Any) -> None:
    saver = InMemorySaver()
    model = ChatGateway(**gateway.settings(model=gateway.chat_model))
    config = {"configurable": {"thread_id": "media-async"}}
    agent = create_agent(model, _tools(gateway), checkpointer=saver)
    await agent.ainvoke({"messages": [("user", "A video of rain")]}, config)
    await agent.ainvoke({"messages": [("user", "And one of snow")]}, config)
    _strict_round_trip(saver, config)
    _check_artifacts(_tool_messages(await agent.aget_state(config)), turns=2)


def test_sqlite_checkpointer_across_connections(gateway: Any, tmp_path: Path) -> None:
    sqlite_saver = pytest.importorskip("langgraph.checkpoint.sqlite")
    path = tmp_path / "checkpoints.sqlite"
    model = ChatGateway(**gateway.settings(model=gateway.chat_model))
    config = {"configurable": {"thread_id": "media-sqlite"}}
    with sqlite3.connect(path, check_same_thread=False) as connection:
        agent = create_agent(model, _tools(gateway),
                             checkpointer=sqlite_saver.SqliteSaver(connection))
        agent.invoke({"messages": [("user", "Make a video of waves")]}, config)
        agent.invoke({"messages": [("user", "Now a fox")]}, config)
    with sqlite3.connect(path, check_same_thread=False) as connection:  # a new process's view
        saver = sqlite_saver.SqliteSaver(connection)
        resumed = create_agent(model, _tools(gateway), checkpointer=saver)
        _check_artifacts(_tool_messages(resumed.get_state(config)), turns=2)
        _strict_round_trip(saver, config)


def test_image_bytes_survive_the_checkpoint(gateway: Any, tmp_path: Path) -> None:
    """gpt-image answers base64 only: the artifact keeps the bytes (as a data URI)."""
    saver = InMemorySaver()
    tool = GatewayImageTool(**gateway.settings(model=gateway.image_model), task_journal=False)
    agent = create_agent(ChatGateway(**gateway.settings(model=gateway.chat_model)), [tool],
                         checkpointer=saver)
    config = {"configurable": {"thread_id": "image-1"}}
    agent.invoke({"messages": [("user", "Draw a red fox")]}, config)
    _strict_round_trip(saver, config)
    [message] = _tool_messages(agent.get_state(config))
    item = MediaItem.from_dict(message.artifact["items"][0])
    assert item.mime_type == "image/png"
    assert item.save(tmp_path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------- LlamaIndex


async def test_llamaindex_tool_output_survives_context_to_dict(gateway: Any) -> None:
    import json

    from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
    from llama_index.core.workflow import Context
    from workflows.context.serializers import JsonSerializer

    from llamaindex_gateway import GatewayLLM, GatewayMediaToolSpec
    from llamaindex_gateway.tools import MediaToolResult

    spec = GatewayMediaToolSpec(**gateway.settings(), video_model=gateway.video_model,
                                task_journal=False, poll_interval=0.02, max_poll_interval=0.05,
                                dedup_window=0)
    agent = FunctionAgent(tools=spec.to_tool_list(),
                          llm=GatewayLLM(**gateway.settings(model=gateway.chat_model)))
    ctx = Context(agent)
    handler = agent.run("Draw a red fox", ctx=ctx)
    results = [e async for e in handler.stream_events() if isinstance(e, ToolCallResult)]
    await handler
    [event] = results
    made = event.tool_output.raw_output
    assert isinstance(made, MediaToolResult)

    # the event itself, as the workflow journals and streams it
    serializer = JsonSerializer()
    back = serializer.deserialize(serializer.serialize(event))
    assert back.tool_output.raw_output["items"][0]["mime_type"] == "image/png"
    assert back.tool_output.raw_output["text"] == made.text

    # the result kept in the context's state, through to_dict / JSON / from_dict
    await ctx.store.set("last_media", made)
    video = await spec.agenerate_video("waves at sunset")
    await ctx.store.set("video", video)
    data = json.loads(json.dumps(ctx.to_dict(serializer=serializer)))
    restored = Context.from_dict(agent, data, serializer=serializer)
    again = await restored.store.get("last_media")
    assert isinstance(again, MediaToolResult)
    assert again.items[0].data == made.items[0].data  # the inline image's bytes
    assert again.model == made.model
    assert str(again) == str(made)
    video_again = await restored.store.get("video")
    assert video_again.task_id == video.task_id
    assert video_again.urls == video.urls
    assert video.urls
