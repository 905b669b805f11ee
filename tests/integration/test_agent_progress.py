"""Progress of a long media task where each framework streams it.

LangGraph: a tool writes through ``get_stream_writer()``, so ``agent.stream(...,
stream_mode="custom")`` yields the video's progress (sync and async); the LangChain custom event
still fires. LlamaIndex: a FunctionAgent / AgentWorkflow running the video tool yields
:class:`MediaTaskProgress` from ``handler.stream_events()``; the instrumentation event still
fires. All over loopback against the emulator (its video tasks move through their states).
"""

from __future__ import annotations

from typing import Any

from langchain.agents import create_agent
from llama_index.core.agent.workflow import AgentWorkflow, FunctionAgent, ToolCallResult

from langchain_gateway import ChatGateway, GatewayVideoTool
from langchain_gateway.tools import PROGRESS_EVENT
from llamaindex_gateway import GatewayLLM, GatewayMediaToolSpec
from llamaindex_gateway.tools import MediaTaskProgress, MediaTaskProgressEvent
from tests.llamaindex_events import recording

POLL = {"poll_interval": 0.02, "max_poll_interval": 0.05, "task_journal": False,
        "dedup_window": 0}


def _video_tool(gateway: Any) -> GatewayVideoTool:
    return GatewayVideoTool(**gateway.settings(model=gateway.video_model), **POLL)


def _check_progress(chunks: list[dict[str, Any]]) -> None:
    assert chunks, "no progress reached the stream"
    assert {c["type"] for c in chunks} == {PROGRESS_EVENT}
    assert len({c["task_id"] for c in chunks}) == 1
    assert chunks[-1]["state"] == "succeeded"
    assert chunks[-1]["progress"] == 100
    assert len(chunks) >= 2  # it moved while the agent waited


def test_langgraph_custom_stream_shows_video_progress(gateway: Any) -> None:
    agent = create_agent(ChatGateway(**gateway.settings(model=gateway.chat_model)),
                         [_video_tool(gateway)])
    chunks = list(agent.stream({"messages": [("user", "A video of waves")]},
                               stream_mode="custom"))
    _check_progress(chunks)


async def test_langgraph_async_custom_stream_and_messages(gateway: Any) -> None:
    agent = create_agent(ChatGateway(**gateway.settings(model=gateway.chat_model)),
                         [_video_tool(gateway)])
    custom: list[dict[str, Any]] = []
    updates = 0
    async for mode, chunk in agent.astream({"messages": [("user", "A video of rain")]},
                                           stream_mode=["custom", "updates"]):
        if mode == "custom":
            custom.append(chunk)
        else:
            updates += 1
    _check_progress(custom)
    assert updates >= 3  # model, tools, model


async def test_langchain_custom_event_still_fires_inside_langgraph(gateway: Any) -> None:
    agent = create_agent(ChatGateway(**gateway.settings(model=gateway.chat_model)),
                         [_video_tool(gateway)])
    events = [e async for e in agent.astream_events(
        {"messages": [("user", "A video of snow")]}, version="v2")
        if e["event"] == "on_custom_event" and e["name"] == PROGRESS_EVENT]
    assert events[-1]["data"]["state"] == "succeeded"


def _spec(gateway: Any) -> GatewayMediaToolSpec:
    return GatewayMediaToolSpec(**gateway.settings(), video_model=gateway.video_model, **POLL)


async def _run_and_collect(workflow: Any, prompt: str) -> tuple[list[Any], list[Any]]:
    progress: list[MediaTaskProgress] = []
    results: list[ToolCallResult] = []
    handler = workflow.run(user_msg=prompt)
    async for event in handler.stream_events():
        if isinstance(event, MediaTaskProgress):
            progress.append(event)
        elif isinstance(event, ToolCallResult):
            results.append(event)
    await handler
    return progress, results


async def test_llamaindex_function_agent_streams_progress(gateway: Any) -> None:
    spec = _spec(gateway)
    video_tool = [t for t in spec.to_tool_list() if t.metadata.name == "generate_video"]
    agent = FunctionAgent(tools=video_tool,
                          llm=GatewayLLM(**gateway.settings(model=gateway.chat_model)))
    with recording(MediaTaskProgressEvent) as instrumentation:
        progress, results = await _run_and_collect(agent, "A video of waves")
    _check_progress([{"type": PROGRESS_EVENT, **p.model_dump()} for p in progress])
    [result] = results
    assert result.tool_output.raw_output.task_id == progress[-1].task_id
    assert [e.state for e in instrumentation.events] == [p.state for p in progress]


async def test_llamaindex_agent_workflow_streams_progress(gateway: Any) -> None:
    spec = _spec(gateway)
    video_tool = [t for t in spec.to_tool_list() if t.metadata.name == "generate_video"]
    workflow = AgentWorkflow.from_tools_or_functions(
        video_tool, llm=GatewayLLM(**gateway.settings(model=gateway.chat_model)))
    progress, results = await _run_and_collect(workflow, "A video of a fox")
    _check_progress([{"type": PROGRESS_EVENT, **p.model_dump()} for p in progress])
    assert results[0].tool_output.raw_output.task_id == progress[-1].task_id
