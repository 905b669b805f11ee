"""Run the emulator as a subprocess for tests, examples and benchmarks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from .state import DEFAULT_KEY


class EmulatorProcess:
    """``python -m gateway_emulator`` on a free loopback port, stopped on exit.

    .. code-block:: python

        with EmulatorProcess() as emulator:
            emulator.base_url   # "http://127.0.0.1:PORT/v1"
            emulator.requests("/v1/chat/completions")
    """

    def __init__(self, keys: Sequence[str] = (DEFAULT_KEY,), extra_args: Sequence[str] = (),
                 startup_timeout: float = 20.0) -> None:
        self.api_key = keys[0]
        self._keys = list(keys)
        self._extra_args = list(extra_args)
        self._startup_timeout = startup_timeout
        self._process: subprocess.Popen[str] | None = None
        self.base_url = ""
        self.root_url = ""

    def start(self) -> EmulatorProcess:
        command = [sys.executable, "-m", "gateway_emulator", "--port", "0",
                   "--keys", ",".join(self._keys), *self._extra_args]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
        assert self._process.stdout is not None
        line = self._process.stdout.readline().strip()
        if not line.startswith("http"):
            self.stop()
            raise RuntimeError(f"the emulator did not start (first line: {line!r})")
        self.base_url = line
        self.root_url = line[: -len("/v1")]
        deadline = time.monotonic() + self._startup_timeout
        while True:
            try:
                self._get("/_emulator/health")
                return self
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.05)

    def _get(self, path: str) -> Any:
        with urllib.request.urlopen(self.root_url + path, timeout=10) as response:
            return json.loads(response.read())

    def requests(self, path: str | None = None) -> list[dict[str, Any]]:
        """The request log (optionally for one path), oldest first."""
        query = "?" + urllib.parse.urlencode({"path": path}) if path else ""
        return list(self._get("/_emulator/requests" + query)["requests"])

    def reset(self) -> None:
        """Forget the request log and every fault scenario."""
        request = urllib.request.Request(self.root_url + "/_emulator/reset", method="POST",
                                         data=b"")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._process = None

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
