"""An agent that makes an image and a short video: LangChain ``create_agent`` with
``ChatGateway`` and the gateway media tools, printing task progress and the resulting links.

Run: python examples/agent_media_langchain.py (against the bundled emulator; with --live,
against the gateway in GATEWAY_BASE_URL / GATEWAY_API_KEY, which bills you). The emulator's chat
model calls the tools with arguments taken from their schemas and the request text.
"""

from __future__ import annotations

import tempfile
from typing import Any
from uuid import UUID

from _support import gateway, heading
from langchain.agents import create_agent
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import ToolMessage

from gateway_core.media_items import MediaItem
from langchain_gateway import ChatGateway, GatewayImageTool, GatewayVideoTool
from langchain_gateway.tools import PROGRESS_EVENT


class PrintProgress(BaseCallbackHandler):
    """Prints the media tools' progress events as they arrive."""

    def on_custom_event(self, name: str, data: Any, *, run_id: UUID, **kwargs: Any) -> None:
        if name == PROGRESS_EVENT:
            progress = "" if data["progress"] is None else f" {data['progress']}%"
            print(f"  [{data['tool']}] task {data['task_id']}: {data['state']}{progress}")


def main() -> None:
    with gateway() as target, tempfile.TemporaryDirectory() as workdir:
        fast = {} if target.live else {"poll_interval": 0.05, "max_poll_interval": 0.2}
        media = {**target.settings, "task_journal": f"{workdir}/tasks.sqlite3", **fast}
        tools = [
            GatewayImageTool(model=target.image_model, save_dir=f"{workdir}/media", **media),
            GatewayVideoTool(model=target.video_model, save_dir=f"{workdir}/media", **media),
        ]
        agent = create_agent(
            ChatGateway(model=target.chat_model, temperature=0, **target.settings),
            tools,
            system_prompt="You make images and videos with your tools, then give the user "
                          "the links.",
        )

        heading("Agent: generate an image and a short video")
        request = ("Generate an image of a red fox in the snow, and generate a 4 second video "
                   "of the fox running.")
        print("user:", request)
        state = agent.invoke({"messages": [("user", request)]},
                             config={"callbacks": [PrintProgress()]})

        heading("Tool results (artifacts)")
        for message in state["messages"]:
            if isinstance(message, ToolMessage) and message.artifact:
                artifact = message.artifact
                print(f"{message.name}: model={artifact['model']} "
                      f"protocol={artifact['protocol']} task={artifact['task_id']}")
                for record in artifact["items"]:  # JSON values (checkpointer-safe)
                    item = MediaItem.from_dict(record)
                    print(f"  {item.kind} {item.mime_type}: {item.best_url or 'inline bytes'}")
                for path in artifact["paths"]:
                    print(f"  saved: {path}")
        heading("Agent's answer")
        print(state["messages"][-1].text)


if __name__ == "__main__":
    main()
