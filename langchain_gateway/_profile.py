"""A gateway capability profile in the keys of LangChain's ``ModelProfile`` (``llm.profile``)."""

from __future__ import annotations

from typing import Any

from gateway_core.profiles import ModelProfile

__all__ = ["langchain_profile_keys"]


def _effort_levels(profile: ModelProfile) -> list[str]:
    if not profile.reasoning_effort:
        return []
    if profile.family.startswith("gpt-5"):
        return ["minimal", "low", "medium", "high"]
    if profile.family.startswith("deepseek-v4"):
        return ["low", "high", "max"]
    return ["low", "medium", "high"]


def langchain_profile_keys(profile: ModelProfile) -> dict[str, Any]:
    """Every ``ModelProfile`` key of langchain-core 1.x the gateway profile can answer."""
    keys: dict[str, Any] = {
        "max_input_tokens": profile.context_window,
        "max_output_tokens": profile.max_output_tokens,
        "text_inputs": True,
        "image_inputs": profile.vision,
        "image_url_inputs": profile.vision,
        "pdf_inputs": profile.pdf_input,
        "audio_inputs": profile.audio_input,
        "video_inputs": profile.video_input,
        # images and PDFs a tool returns are moved into a user turn by the core (relays take
        # only text in tool turns), so they work wherever the input kind works
        "image_tool_message": profile.vision,
        "pdf_tool_message": profile.pdf_input,
        "reasoning_output": profile.reasoning not in ("none", "hidden"),
        "text_outputs": True,
        # media models relays serve through chat answer with links, returned as blocks
        "image_outputs": profile.kind == "image",
        "video_outputs": profile.kind == "video",
        "audio_outputs": False,
        "tool_calling": profile.tool_calling,
        "tool_choice": profile.tool_choice,
        # streamed tool calls are assembled whatever the relay does (ids, index, repeats)
        "tool_call_streaming": profile.tool_calling,
        "structured_output": profile.json_schema,
        "temperature": profile.temperature,
    }
    levels = _effort_levels(profile)
    if levels:
        keys["reasoning_effort_levels"] = levels
    return keys
