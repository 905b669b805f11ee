"""Import boundaries: the core never pulls a framework in; adapters never pull the other."""

from __future__ import annotations

import subprocess
import sys

import pytest


def loaded_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return set(out.stdout.split())


def test_core_loads_no_framework() -> None:
    modules = loaded_after("import gateway_core")
    assert not [m for m in modules if m.startswith(("langchain", "llama_index"))]
    assert "openai" not in modules
    assert "tiktoken" not in modules


def test_emulator_is_independent_of_the_client() -> None:
    modules = loaded_after("import gateway_emulator, gateway_emulator.app")
    assert not [m for m in modules if m.startswith(("gateway_core", "langchain_gateway",
                                                     "llamaindex_gateway"))]


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("langchain_gateway", "llama_index"), ("llamaindex_gateway", "langchain")],
)
def test_adapters_do_not_load_each_other(package: str, forbidden: str) -> None:
    modules = loaded_after(f"import {package}")
    assert not [m for m in modules if m.startswith(forbidden) and m != "langchain_protocol"]


def test_every_public_name_resolves() -> None:
    import gateway_core
    import langchain_gateway
    import llamaindex_gateway

    for package in (gateway_core, langchain_gateway, llamaindex_gateway):
        for name in package.__all__:
            assert getattr(package, name) is not None, f"{package.__name__}.{name}"


def test_core_never_imports_the_cli_or_the_emulator() -> None:
    """The CLI sits above the core and the emulator; the arrow never points back."""
    import pathlib

    core = pathlib.Path(__file__).resolve().parents[2] / "gateway_core"
    offenders = [
        str(path.relative_to(core.parent))
        for path in core.rglob("*.py")
        if "gateway_emulator" in path.read_text(encoding="utf-8")
        or "gateway_cli" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
