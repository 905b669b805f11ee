"""The examples in the public classes' docstrings run, in order, against the emulator.

Each class's ``.. code-block:: python`` blocks are executed one after another in one namespace
(top-level ``await`` allowed), with ``GATEWAY_BASE_URL`` / ``GATEWAY_API_KEY`` pointing at the
emulator, exactly as a reader would paste them.
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import inspect
import textwrap
from typing import Any

import pytest

pytestmark = pytest.mark.usefixtures("emulator")

PUBLIC_CLASSES = [
    "gateway_core:GatewayClient",
    "langchain_gateway:ChatGateway",
    "langchain_gateway:GatewayEmbeddings",
    "langchain_gateway:GatewayRerank",
    "langchain_gateway:GatewayImageTool",
    "langchain_gateway:GatewayImageEditTool",
    "langchain_gateway:GatewayVideoTool",
    "llamaindex_gateway:GatewayLLM",
    "llamaindex_gateway:GatewayEmbedding",
    "llamaindex_gateway:GatewayRerank",
    "llamaindex_gateway:GatewayMediaToolSpec",
]


def python_blocks(doc: str) -> list[str]:
    """The bodies of ``.. code-block:: python`` directives (lines indented past the directive)."""
    blocks: list[str] = []
    lines = doc.splitlines()
    for number, line in enumerate(lines):
        if line.strip() != ".. code-block:: python":
            continue
        indent = len(line) - len(line.lstrip())
        body = []
        for following in lines[number + 1:]:
            if following.strip() and len(following) - len(following.lstrip()) <= indent:
                break
            body.append(following)
        blocks.append(textwrap.dedent("\n".join(body)).strip() + "\n")
    return blocks


def run_block(source: str, namespace: dict[str, Any]) -> None:
    code = compile(source, "<docstring>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    result = eval(code, namespace)  # our own docstrings, run as a reader would
    if inspect.iscoroutine(result):
        asyncio.run(result)


@pytest.mark.parametrize("target", PUBLIC_CLASSES)
def test_docstring_examples_run(target: str, gateway: Any, tmp_path: Any,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    module_name, class_name = target.split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    blocks = python_blocks(inspect.getdoc(cls) or "")
    assert blocks, f"{target} has no runnable example in its docstring"
    monkeypatch.setenv("GATEWAY_BASE_URL", gateway.base_url)
    monkeypatch.setenv("GATEWAY_API_KEY", gateway.api_key)
    monkeypatch.chdir(tmp_path)  # examples that save files write here
    namespace: dict[str, Any] = {"__name__": "__docstring__"}
    for number, block in enumerate(blocks, 1):
        try:
            run_block(block, namespace)
        except Exception as exc:
            raise AssertionError(f"{target}, example {number} failed:\n{block}") from exc
