"""Start ``stream_server.py`` in its own process for a probe; stop it at exit."""

from __future__ import annotations

import atexit
import subprocess
import sys
from pathlib import Path

SERVER = Path(__file__).resolve().parent.parent / "stream_server.py"


def start_server() -> str:
    process = subprocess.Popen([sys.executable, str(SERVER)], stdout=subprocess.PIPE, text=True)
    atexit.register(process.terminate)
    assert process.stdout is not None
    return process.stdout.readline().strip()
