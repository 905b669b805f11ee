"""A gateway that echoes the key does not make us leak it (issue 12): a failed video whose
reason repeats the request's ``Authorization`` header (emulator flag ``echo-key``) leaves the
key in no journal file, error, tool output or log line, in either framework."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path
from typing import Any

import pytest

from gateway_core.errors import TaskError
from langchain_gateway import GatewayVideoTool
from llamaindex_gateway import GatewayMediaToolSpec
from tests.integration.media_support import media_client

pytestmark = pytest.mark.usefixtures("emulator")

MODEL = "sora-2+fail+echo-key"


def forms(gateway: Any) -> list[str]:
    return [gateway.api_key, gateway.api_key.removeprefix("sk-")]


def files_text(directory: Path) -> str:
    return "".join(p.read_bytes().decode("utf-8", "replace")
                   for p in sorted(directory.rglob("*")) if p.is_file())


def test_the_echo_really_happens(gateway: Any) -> None:
    # Control: the emulator does echo the key (else the tests below prove nothing).
    import httpx

    auth = {"Authorization": f"Bearer {gateway.api_key}"}
    created = httpx.post(f"{gateway.base_url}/videos", json={"model": MODEL, "prompt": "x"},
                         headers=auth).json()
    for _ in range(2000):  # the task fails after 0.1 s of emulator time; bounded, not timed
        polled = httpx.get(f"{gateway.base_url}/videos/{created['id']}", headers=auth).json()
        if polled["status"] == "failed":
            break
    assert gateway.api_key in polled["error"]["message"]


def test_journal_error_and_logs_hold_no_key(gateway: Any, tmp_path: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = media_client(gateway, tmp_path / "journal.sqlite3")
    with pytest.raises(TaskError) as info:
        client.create_video("doomed", model=MODEL, protocol="openai-videos").result()
    printed = "".join(traceback.format_exception(info.value)) + repr(info.value)
    assert "asked to fail" in printed
    assert "***" in printed
    stored = files_text(tmp_path)
    assert info.value.task_id in stored  # the scan sees the journal
    for form in forms(gateway):
        assert form not in printed
        assert form not in stored
        assert form not in caplog.text
        assert form not in (info.value.reason or "")


def test_the_langchain_tool_output_holds_no_key(gateway: Any, tmp_path: Path) -> None:
    tool = GatewayVideoTool(model=MODEL, protocol="openai-videos", base_url=gateway.base_url,
                            api_key=gateway.api_key, task_journal=str(tmp_path / "j.sqlite3"),
                            poll_interval=0.02, max_poll_interval=0.05)
    message = tool.invoke({"name": tool.name, "id": "call-1", "type": "tool_call",
                           "args": {"prompt": "doomed"}})
    assert message.status == "error"
    assert "asked to fail" in message.content
    for form in forms(gateway):
        assert form not in str(message.content)
        assert form not in files_text(tmp_path)


def test_the_llamaindex_tool_output_holds_no_key(gateway: Any, tmp_path: Path) -> None:
    spec = GatewayMediaToolSpec(video_model=MODEL, video_protocol="openai-videos",
                                base_url=gateway.base_url, api_key=gateway.api_key,
                                task_journal=str(tmp_path / "j.sqlite3"), poll_interval=0.02,
                                max_poll_interval=0.05)
    [video] = [t for t in spec.to_tool_list() if t.metadata.name == "generate_video"]
    try:
        text = str(video.call(prompt="doomed"))
    except TaskError as error:
        text = "".join(traceback.format_exception(error))
    assert "asked to fail" in text
    for form in forms(gateway):
        assert form not in text
        assert form not in files_text(tmp_path)
