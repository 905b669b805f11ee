"""The provider switches the seeds document, as types the adapters and the client share.

``thinking``: Doubao's hybrid models (seed 000: "混合推理, 可关闭思考") take ``{"type": "enabled" |
"disabled" | "auto"}``; a mode string is sent as that object, an object as given (GLM, Claude
through the relay add ``budget_tokens``). ``web_search_options``: OpenAI's search models take
``{"search_context_size": "low" | "medium" | "high", "user_location": {...}}``. A model whose
profile refuses either (``rejected_params``: OpenAI's other models) has it left out.
"""

from __future__ import annotations

from typing import Any, Literal

__all__ = ["THINKING_MODES", "Thinking", "ThinkingMode", "WebSearchOptions"]

ThinkingMode = Literal["enabled", "disabled", "auto"]
THINKING_MODES: tuple[ThinkingMode, ...] = ("enabled", "disabled", "auto")
Thinking = ThinkingMode | dict[str, Any]
WebSearchOptions = dict[str, Any]
