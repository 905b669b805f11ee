"""An agent that makes an image and a short video: a LlamaIndex ``FunctionAgent`` with
``GatewayLLM`` and ``GatewayMediaToolSpec`` tools, printing task progress (instrumentation
events) and the resulting links.

Run: python examples/agent_media_llamaindex.py (against the bundled emulator; with --live,
against the gateway in GATEWAY_BASE_URL / GATEWAY_API_KEY, which bills you).
"""

from __future__ import annotations

import asyncio
import tempfile
from typing import Any

from _support import Target, gateway, heading
from llama_index.core.agent.workflow import FunctionAgent, ToolCall, ToolCallResult
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler

from llamaindex_gateway import GatewayLLM, GatewayMediaToolSpec
from llamaindex_gateway.tools import MediaTaskProgressEvent, MediaToolResult


class PrintProgress(BaseEventHandler):
    """Prints media task progress from LlamaIndex's instrumentation."""

    @classmethod
    def class_name(cls) -> str:
        return "PrintProgress"

    def handle(self, event: Any, **kwargs: Any) -> None:
        if isinstance(event, MediaTaskProgressEvent):
            progress = "" if event.progress is None else f" {event.progress}%"
            print(f"  [{event.tool}] task {event.task_id}: {event.state}{progress}")


async def run(target: Target, workdir: str) -> None:
    fast = {} if target.live else {"poll_interval": 0.05, "max_poll_interval": 0.2}
    spec = GatewayMediaToolSpec(
        image_model=target.image_model, video_model=target.video_model,
        task_journal=f"{workdir}/tasks.sqlite3", save_dir=f"{workdir}/media",
        **target.settings, **fast,
    )
    agent = FunctionAgent(
        # The edit tool is left out: this request needs no input image.
        tools=spec.to_tool_list(spec_functions=[("generate_image", "agenerate_image"),
                                                ("generate_video", "agenerate_video")]),
        llm=GatewayLLM(model=target.chat_model, temperature=0, **target.settings),
        system_prompt="You make images and videos with your tools, then give the user the "
                      "links.",
    )
    request = ("Generate an image of a red fox in the snow, and generate a 4 second video of "
               "the fox running.")
    print("user:", request)
    handler = agent.run(user_msg=request)
    results: list[MediaToolResult] = []
    async for event in handler.stream_events():
        if isinstance(event, ToolCallResult):
            raw = event.tool_output.raw_output
            if isinstance(raw, MediaToolResult):
                results.append(raw)
            print(f"  {event.tool_name} done")
        elif isinstance(event, ToolCall):
            print(f"  calling {event.tool_name}({', '.join(event.tool_kwargs)}) ...")
    output = await handler

    heading("Tool results")
    for result in results:
        print(f"model={result.model} protocol={result.protocol} task={result.task_id}")
        for item in result.items:
            print(f"  {item.kind} {item.mime_type}: {item.best_url or 'inline bytes'}")
        for path in result.paths:
            print(f"  saved: {path}")
    heading("Agent's answer")
    print(output.response.content)


def main() -> None:
    handler = PrintProgress()
    get_dispatcher().add_event_handler(handler)
    with gateway() as target, tempfile.TemporaryDirectory() as workdir:
        heading("FunctionAgent: generate an image and a short video")
        asyncio.run(run(target, workdir))


if __name__ == "__main__":
    main()
