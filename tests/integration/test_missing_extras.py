"""A missing extra is one line naming the ``pip install`` to run, never a bare
ModuleNotFoundError. Each case runs in a fresh interpreter where the extra's module is blocked
(``sys.modules[name] = None`` makes every import of it fail as if it were not installed); the
wheel-install tests (test_docs_snippets.py) see the same messages in venvs without the extras."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CASES = {
    "langchain": ("langchain_core", "from langchain_gateway import ChatGateway",
                  'langchain_gateway.ChatGateway needs langchain-core, which is not installed: '
                  'pip install "ai-gateway-kit[langchain]"'),
    "llamaindex": ("llama_index", "from llamaindex_gateway import GatewayLLM",
                   'llamaindex_gateway.GatewayLLM needs llama-index-core, which is not '
                   'installed: pip install "ai-gateway-kit[llamaindex]"'),
    "tqdm": ("tqdm", "from langchain_gateway import GatewayEmbeddings\n"
             "GatewayEmbeddings(model='m', base_url='https://relay.example', api_key='sk-k',"
             " show_progress=True).embed_documents(['a'])",
             'show_progress=True needs tqdm, which is not installed: '
             'pip install "ai-gateway-kit[cli]"'),
    "emulator": ("starlette", "import runpy, sys\nsys.argv = ['gateway_emulator']\n"
                 "runpy.run_module('gateway_emulator', run_name='__main__')",
                 'The emulator needs starlette, which is not installed: '
                 'pip install "ai-gateway-kit[emulator]"'),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_missing_extra_names_the_install(case: str) -> None:
    blocked, code, message = CASES[case]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-c", f"import sys\nsys.modules[{blocked!r}] = None\n{code}"],
        env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1].endswith(message), result.stderr


def test_the_cli_emulator_command_names_the_extra() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env["PYTHONPATH"] = str(ROOT)
    code = ("import sys\nsys.modules['starlette'] = None\nfrom gateway_cli import main\n"
            "sys.exit(main(['emulator']))")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == ("The emulator needs starlette, which is not installed: "
                                     'pip install "ai-gateway-kit[emulator]"')
