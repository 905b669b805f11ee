"""``python -m gateway_emulator``: serve the emulator; the first stdout line is its base URL."""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys

try:
    from .app import create_app
    from .server import build_server
    from .state import DEFAULT_KEY

    _missing: str | None = None
except ModuleNotFoundError as error:  # the emulator extra (starlette, uvicorn) is absent
    _missing = (error.name or "").split(".")[0]
    if _missing not in ("starlette", "uvicorn"):
        raise
    DEFAULT_KEY = "sk-emulator-local"


def main(argv: list[str] | None = None) -> int:
    if _missing:
        print(f"The emulator needs {_missing}, which is not installed: "
              'pip install "ai-gateway-kit[emulator]"', file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(prog="python -m gateway_emulator",
                                     description="A local one-api/new-api style relay gateway.")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--keys", default=DEFAULT_KEY, help="comma-separated accepted keys")
    parser.add_argument("--ping-interval", type=float, default=0.0,
                        help="seconds between ': PING' comments while a stream is silent")
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="multiplies media task durations (0.02 makes them near-instant)")
    parser.add_argument("--rate-limit", type=int, default=None,
                        help="requests per key per --rate-window seconds, else HTTP 429")
    parser.add_argument("--rate-window", type=float, default=60.0,
                        help="the window of --rate-limit, in seconds")
    args = parser.parse_args(argv)
    keys = [k for k in args.keys.split(",") if k]
    app = create_app(keys=keys, time_scale=args.time_scale, ping_interval=args.ping_interval,
                     rate_limit=args.rate_limit, rate_window=args.rate_window)
    sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as error:
        sock.close()
        print(f"emulator: cannot listen on {args.host}:{args.port}: "
              f"{error.strerror or error}. Choose another --port (0 picks a free one).",
              file=sys.stderr)
        return 1
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    server = build_server(app, args.host, port)
    base_url = f"http://{host}:{port}/v1"
    # The first line stays the bare URL (scripts and EmulatorProcess read it); the second says
    # how to point the package at it.
    print(base_url, flush=True)
    print(f"key: {keys[0] if keys else '(none: every request is refused)'}   "
          f"export GATEWAY_BASE_URL={base_url} GATEWAY_API_KEY={keys[0] if keys else ''}",
          flush=True)
    try:
        asyncio.run(server.serve(sockets=[sock]))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
