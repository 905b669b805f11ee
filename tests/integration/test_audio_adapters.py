"""Audio in both frameworks against the emulator over loopback: the LangChain speech and
transcription tools (standard suites, content + artifact, errors as ToolException), the blob
parser and loader, the LlamaIndex tool spec and reader; sync and async."""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path
from typing import Any

import pytest
from langchain_core.document_loaders import Blob
from langchain_core.tools import BaseTool
from langchain_tests.integration_tests import ToolsIntegrationTests
from langchain_tests.unit_tests import ToolsUnitTests

from gateway_core import GatewayClient
from langchain_gateway import (
    GatewayAudioLoader,
    GatewayAudioParser,
    GatewaySpeechTool,
    GatewayTranscriptionTool,
)
from llamaindex_gateway import GatewayAudioReader, GatewayAudioToolSpec

TARGET: dict[str, Any] = {}
TEXT = "Welcome to the review. Sales grew in March! Costs are flat."
SENTENCES = ["Welcome to the review.", "Sales grew in March!", "Costs are flat."]


SAVE_DIR: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _target(gateway: Any, tmp_path: Path) -> None:
    TARGET.update(base_url=gateway.base_url, api_key=gateway.api_key)
    SAVE_DIR["save_dir"] = str(tmp_path)


def _audio_url() -> str:
    return TARGET["base_url"].rstrip("/").removesuffix("/v1") + "/files/audio/standup.mp3"


@pytest.fixture
def recording(gateway: Any, tmp_path: Path) -> Path:
    client = GatewayClient(**gateway.settings())
    return client.speech(TEXT, tmp_path / "review.wav", response_format="wav").path


ENV = ({"GATEWAY_BASE_URL": "https://env-gateway.example.com/v1",
        "GATEWAY_API_KEY": "sk-from-env"},
       {},
       {"base_url": "https://env-gateway.example.com/v1", "api_key": "sk-from-env"})


class TestSpeechToolUnit(ToolsUnitTests):
    @property
    def tool_constructor(self) -> type[BaseTool]:
        return GatewaySpeechTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"base_url": "https://gw.example.com/v1", "api_key": "sk-unit"}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"text": "hello"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return ENV


class TestSpeechToolIntegration(ToolsIntegrationTests):
    @property
    def tool_constructor(self) -> type[BaseTool]:
        return GatewaySpeechTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {**TARGET, **SAVE_DIR, "audio_format": "wav"}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"text": "The build is green."}


class TestTranscriptionToolUnit(TestSpeechToolUnit):
    @property
    def tool_constructor(self) -> type[BaseTool]:
        return GatewayTranscriptionTool

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"audio": "https://example.com/a.mp3"}


class TestTranscriptionToolIntegration(TestSpeechToolIntegration):
    @property
    def tool_constructor(self) -> type[BaseTool]:
        return GatewayTranscriptionTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return dict(TARGET)

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"audio": _audio_url()}


def test_speech_tool_writes_a_wav_and_reports_it(tmp_path: Path) -> None:
    tool = GatewaySpeechTool(**TARGET, audio_format="wav", save_dir=str(tmp_path), voice="nova")
    message = tool.invoke({"name": "speak", "id": "1", "type": "tool_call",
                           "args": {"text": TEXT}})
    path = Path(message.artifact["path"])
    assert path.parent == tmp_path
    assert str(path) in message.content
    assert "voice nova" in message.content
    with wave.open(str(path)) as audio:
        assert audio.getnframes() > 0


def test_transcription_tool_gives_timestamps_and_the_artifact(recording: Path) -> None:
    tool = GatewayTranscriptionTool(**TARGET)
    message = tool.invoke({"name": "transcribe_audio", "id": "1", "type": "tool_call",
                           "args": {"audio": str(recording), "language": "en"}})
    assert message.content.splitlines()[1].startswith("[00:00.0-")
    assert [line.split("] ", 1)[1] for line in message.content.splitlines()[1:]] == SENTENCES
    assert message.artifact.text == TEXT


def test_tool_errors_are_tool_exceptions_the_agent_reads(tmp_path: Path) -> None:
    tool = GatewayTranscriptionTool(**TARGET)
    answer = tool.invoke({"audio": str(tmp_path / "missing.mp3")})
    assert "does not exist" in answer
    speaker = GatewaySpeechTool(**TARGET, audio_format="opus", save_dir=str(tmp_path))
    assert "opus" in speaker.invoke({"text": "hi"})


def test_async_tools(tmp_path: Path, recording: Path) -> None:
    async def run() -> tuple[str, str]:
        speaker = GatewaySpeechTool(**TARGET, audio_format="mp3", save_dir=str(tmp_path))
        spoken = await speaker.ainvoke({"text": "Async speech."})
        heard = await GatewayTranscriptionTool(**TARGET).ainvoke({"audio": str(recording)})
        return spoken, heard

    spoken, heard = asyncio.run(run())
    assert spoken.endswith(".mp3")
    assert SENTENCES[1] in heard


def test_parser_and_loader_give_one_document_per_segment(recording: Path) -> None:
    parser = GatewayAudioParser(**TARGET)
    from_path = parser.parse(Blob.from_path(recording))
    from_bytes = parser.parse(Blob.from_data(recording.read_bytes(), path="review.wav"))
    assert [d.page_content for d in from_path] == SENTENCES
    assert [d.page_content for d in from_bytes] == SENTENCES
    first, second, last = from_path
    assert first.metadata["start"] == 0.0
    assert first.metadata["end"] == second.metadata["start"]
    assert last.metadata["end"] == pytest.approx(last.metadata["duration"])
    assert first.metadata["source"] == str(recording)
    assert first.metadata["language"] == "english"
    loaded = GatewayAudioLoader(recording.parent, **TARGET).load()  # a directory
    assert [d.page_content for d in loaded] == SENTENCES
    whole = GatewayAudioLoader([recording], per_segment=False, **TARGET).load()
    assert len(whole) == 1
    assert whole[0].page_content == TEXT
    assert [s["text"] for s in whole[0].metadata["segments"]] == SENTENCES

    async def run() -> tuple[list[Any], list[Any]]:
        docs = [d async for d in GatewayAudioLoader([str(recording), _audio_url()],
                                                    **TARGET).alazy_load()]
        return docs, await parser.aparse(Blob.from_path(recording))

    docs, parsed = asyncio.run(run())
    assert [d.page_content for d in docs[:3]] == SENTENCES
    assert docs[3].metadata["source"] == _audio_url()
    assert [d.page_content for d in parsed] == SENTENCES


def test_llamaindex_tool_spec_and_reader(tmp_path: Path, recording: Path) -> None:
    spec = GatewayAudioToolSpec(**TARGET, audio_format="wav", save_dir=str(tmp_path))
    tools = {tool.metadata.name: tool for tool in spec.to_tool_list()}
    assert set(tools) == {"speak", "transcribe_audio"}
    spoken = tools["speak"].call(text="Hello there.")
    assert spoken.raw_output.endswith(".wav")
    heard = tools["transcribe_audio"].call(audio=str(recording))
    assert SENTENCES[2] in str(heard)
    reader = GatewayAudioReader(**TARGET)
    docs = reader.load_data(recording, extra_info={"meeting": "review"})
    assert [d.text for d in docs] == SENTENCES
    assert docs[1].metadata["meeting"] == "review"
    assert docs[1].metadata["start"] > 0

    async def run() -> tuple[Any, list[Any]]:
        out = await tools["transcribe_audio"].acall(audio=str(recording), language="en")
        return out, await reader.aload_data([recording])

    async_heard, async_docs = asyncio.run(run())
    assert SENTENCES[0] in str(async_heard)
    assert [d.text for d in async_docs] == SENTENCES
