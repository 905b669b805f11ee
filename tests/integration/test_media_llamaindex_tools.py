"""GatewayMediaToolSpec against the emulator: tool list, sync/async calls, results, events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from llama_index.core.base.llms.types import ImageBlock, TextBlock

from gateway_core.errors import TaskError
from llamaindex_gateway import GatewayMediaToolSpec
from llamaindex_gateway.tools import MediaTaskProgressEvent, MediaToolResult
from tests.llamaindex_events import recording


def spec_for(gateway: Any, **settings: Any) -> GatewayMediaToolSpec:
    return GatewayMediaToolSpec(base_url=gateway.base_url, api_key=gateway.api_key,
                                task_journal=False, poll_interval=0.02, max_poll_interval=0.05,
                                **settings)


@pytest.fixture
def progress_events() -> Any:
    with recording(MediaTaskProgressEvent) as recorder:
        yield recorder.events


def test_tool_list_and_schemas(gateway: Any) -> None:
    tools = spec_for(gateway).to_tool_list()
    names = [tool.metadata.name for tool in tools]
    assert names == ["generate_image", "edit_image", "generate_video"]
    for tool in tools:
        schema = tool.metadata.fn_schema.model_json_schema()  # type: ignore[union-attr]
        assert "timeout" not in schema["properties"]
        assert "api_key" not in schema["properties"]
        assert tool.async_fn is not None
    video_props = tools[2].metadata.fn_schema.model_json_schema()["properties"]  # type: ignore[union-attr]
    assert set(video_props) == {"prompt", "seconds", "aspect_ratio", "image_url"}


def test_generate_image_tool_output(gateway: Any, tmp_path: Path) -> None:
    tool = spec_for(gateway, save_dir=str(tmp_path)).to_tool_list()[0]
    output = tool.call(prompt="a red fox")
    assert "Generated 1 image with gpt-image-1" in output.content
    assert str(tmp_path) in output.content
    result = output.raw_output
    assert isinstance(result, MediaToolResult)
    assert result.items[0].mime_type == "image/png"
    assert Path(result.paths[0]).exists()


async def test_video_async_with_progress_events(gateway: Any, progress_events: Any) -> None:
    tool = spec_for(gateway, video_model="kling-v2-1",
                    video_protocol="newapi-video").to_tool_list()[2]
    output = await tool.acall(prompt="a fox running", seconds=5)
    result = output.raw_output
    assert result.task_id in output.content
    assert result.urls[0].endswith(".mp4")
    assert progress_events
    assert progress_events[-1].state == "succeeded"
    assert {e.task_id for e in progress_events} == {result.task_id}


def test_edit_and_image_blocks(gateway: Any) -> None:
    spec = spec_for(gateway, image_model="dall-e-3", edit_model="seedream-3.0",
                    image_blocks=True)
    generate, edit, _ = spec.to_tool_list()
    output = generate.call(prompt="a bowl", size="1024x1024")
    assert isinstance(output.blocks[1], ImageBlock)  # for a vision model ...
    assert isinstance(output.raw_output, MediaToolResult)  # ... and the result for the program
    assert output.raw_output.urls == [str(output.blocks[1].url)]
    edited = edit.call(prompt="make it blue", image_urls=output.raw_output.urls)
    assert "Edited 1 image with seedream-3.0" in edited.blocks[0].text
    assert edited.raw_output.items[0].kind == "image"
    direct = spec.generate_image("a cup")  # a direct call returns the result itself
    assert isinstance(direct, MediaToolResult)
    assert [type(b) for b in direct.blocks(images=True)] == [TextBlock, ImageBlock]


def test_failure_is_raised_with_task_and_reason(gateway: Any) -> None:
    spec = spec_for(gateway, video_model="sora-2+fail", video_protocol="openai-videos")
    with pytest.raises(TaskError) as caught:
        spec.generate_video("doomed")
    assert caught.value.task_id
    assert "asked to fail" in str(caught.value)
    with pytest.raises(TaskError, match="asked to fail"):  # agents turn it into an error output
        spec.to_tool_list()[2].call(prompt="doomed 2")
