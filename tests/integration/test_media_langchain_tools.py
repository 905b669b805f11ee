"""The LangChain media tools: langchain-tests standard suites, content + artifact, errors as
ToolException, progress as custom events — against the emulator over loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import AsyncCallbackHandler, BaseCallbackHandler
from langchain_core.tools import BaseTool, ToolException
from langchain_tests.integration_tests import ToolsIntegrationTests
from langchain_tests.unit_tests import ToolsUnitTests

from gateway_core.media_items import MediaItem
from langchain_gateway import GatewayImageEditTool, GatewayImageTool, GatewayVideoTool
from langchain_gateway.tools import PROGRESS_EVENT

TARGET: dict[str, Any] = {}


@pytest.fixture(autouse=True)
def _target(gateway: Any) -> None:
    TARGET.update(base_url=gateway.base_url, api_key=gateway.api_key)


def _params(**extra: Any) -> dict[str, Any]:
    return {**TARGET, "task_journal": False, "poll_interval": 0.02, "max_poll_interval": 0.05,
            **extra}


ENV = ({"GATEWAY_BASE_URL": "https://env-gateway.example.com/v1",
        "GATEWAY_API_KEY": "sk-from-env"},
       {"model": "gpt-image-1"},
       {"base_url": "https://env-gateway.example.com/v1", "api_key": "sk-from-env"})


class TestImageToolUnit(ToolsUnitTests):
    @property
    def tool_constructor(self) -> type[BaseTool]:
        return GatewayImageTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"model": "gpt-image-1", "base_url": "https://gw.example.com/v1",
                "api_key": "sk-unit"}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"prompt": "a red fox in the snow"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return ENV


class TestImageToolIntegration(ToolsIntegrationTests):
    @property
    def tool_constructor(self) -> type[BaseTool]:
        return GatewayImageTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return _params(model="gpt-image-1")

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"prompt": "a red fox in the snow", "size": "1024x1024"}


class TestImageEditToolUnit(TestImageToolUnit):
    @property
    def tool_constructor(self) -> type[BaseTool]:
        return GatewayImageEditTool

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"prompt": "make it blue", "image_urls": ["https://example.com/a.png"]}


class TestImageEditToolIntegration(TestImageToolIntegration):
    @property
    def tool_constructor(self) -> type[BaseTool]:
        return GatewayImageEditTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return _params(model="seedream-3.0")

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"prompt": "make it blue", "image_urls": ["https://example.com/a.png"]}


class TestVideoToolUnit(TestImageToolUnit):
    @property
    def tool_constructor(self) -> type[BaseTool]:
        return GatewayVideoTool

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"prompt": "waves at sunset", "seconds": 4, "aspect_ratio": "16:9"}


class TestVideoToolIntegration(TestImageToolIntegration):
    @property
    def tool_constructor(self) -> type[BaseTool]:
        return GatewayVideoTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return _params(model="sora-2", dedup_window=0)

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"prompt": "waves at sunset", "seconds": 4}


# ---------------------------------------------------------------- behaviour


def call(tool: BaseTool, args: dict[str, Any]) -> Any:
    return tool.invoke({"name": tool.name, "id": "call-1", "type": "tool_call", "args": args})


def test_schema_exposes_only_model_choices() -> None:
    for tool_class in (GatewayImageTool, GatewayImageEditTool, GatewayVideoTool):
        tool = tool_class(model="m", base_url="https://gw.example.com", api_key="sk-secret-x")
        properties = set(tool.tool_call_schema.model_json_schema()["properties"])
        assert properties <= {"prompt", "size", "aspect_ratio", "image_urls", "seconds",
                              "image_url"}
        assert "sk-secret-x" not in repr(tool)


def test_image_content_and_artifact(tmp_path: Path) -> None:
    tool = GatewayImageTool(**_params(model="gpt-image-1", save_dir=str(tmp_path),
                                      image_blocks=True))
    message = call(tool, {"prompt": "a red fox"})
    text = message.content[0]["text"]
    assert "Generated 1 image with gpt-image-1" in text
    assert str(tmp_path) in text
    assert message.content[1]["type"] == "image"
    assert message.content[1]["mime_type"] == "image/png"
    record = message.artifact["items"][0]
    assert record["mime_type"] == "image/png"
    item = MediaItem.from_dict(record)  # the artifact is JSON; the item comes back whole
    assert Path(message.artifact["paths"][0]).read_bytes() == item.data


def test_video_links_task_id_and_progress_events() -> None:
    events: list[dict[str, Any]] = []

    class Collect(BaseCallbackHandler):
        def on_custom_event(self, name: str, data: Any, *, run_id: UUID, **kwargs: Any) -> None:
            if name == PROGRESS_EVENT:
                events.append(data)

    tool = GatewayVideoTool(**_params(model="kling-v2-1", protocol="newapi-video"))
    message = tool.invoke({"name": tool.name, "id": "v1", "type": "tool_call",
                           "args": {"prompt": "a fox running", "seconds": 5}},
                          config={"callbacks": [Collect()]})
    task_id = message.artifact["task_id"]
    assert task_id in message.content
    assert message.artifact["urls"][0] in message.content
    assert message.artifact["protocol"] == "newapi-video"
    assert events
    assert events[-1]["state"] == "succeeded"
    assert {e["task_id"] for e in events} == {task_id}


async def test_async_video_progress_events() -> None:
    events: list[Any] = []

    class Collect(AsyncCallbackHandler):
        async def on_custom_event(self, name: str, data: Any, *, run_id: UUID,
                                  **kwargs: Any) -> None:
            events.append(data["progress"])

    tool = GatewayVideoTool(**_params(model="sora-2"))
    message = await tool.ainvoke({"name": tool.name, "id": "v2", "type": "tool_call",
                                  "args": {"prompt": "async waves"}},
                                 config={"callbacks": [Collect()]})
    assert message.artifact["items"][0]["kind"] == "video"
    assert events[-1] == 100


def test_failures_become_tool_errors_with_task_and_reason() -> None:
    tool = GatewayVideoTool(**_params(model="sora-2+fail", protocol="openai-videos"))
    message = call(tool, {"prompt": "doomed"})
    assert message.status == "error"
    assert "openai-videos" in message.content
    assert "asked to fail" in message.content
    strict = GatewayVideoTool(**_params(model="sora-2+fail", protocol="openai-videos",
                                        handle_tool_error=False))
    with pytest.raises(ToolException, match="asked to fail"):
        strict.invoke({"prompt": "doomed again"})
    bad_input = GatewayImageEditTool(**_params(model="gpt-image-1", handle_tool_error=False))
    with pytest.raises(ToolException, match="only http"):
        bad_input.invoke({"prompt": "x", "image_urls": ["ftp://nowhere/a.png"]})


def test_midjourney_image_tool_reports_progress_and_buttons() -> None:
    events: list[dict[str, Any]] = []

    class Collect(BaseCallbackHandler):
        def on_custom_event(self, name: str, data: Any, *, run_id: UUID, **kwargs: Any) -> None:
            events.append(data)

    tool = GatewayImageTool(**_params(model="midjourney", protocol="midjourney"))
    message = tool.invoke({"name": tool.name, "id": "m1", "type": "tool_call",
                           "args": {"prompt": "a paper crane", "aspect_ratio": "16:9"}},
                          config={"callbacks": [Collect()]})
    assert message.artifact["task_id"]
    assert message.artifact["extra"]["buttons"]
    assert message.artifact["urls"][0] in message.content
    assert events[-1]["state"] == "succeeded"
    assert events[-1]["tool"] == "generate_image"
