"""``python -m gateway_emulator``: serve the emulator; the first stdout line is its base URL."""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys

from .app import create_app
from .server import build_server
from .state import DEFAULT_KEY


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway_emulator",
                                     description="A local one-api/new-api style relay gateway.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--keys", default=DEFAULT_KEY, help="comma-separated accepted keys")
    parser.add_argument("--ping-interval", type=float, default=0.0,
                        help="seconds between ': PING' comments while a stream is silent")
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="multiplies media task durations (0.02 makes them near-instant)")
    parser.add_argument("--rate-limit", type=int, default=None,
                        help="requests per key per --rate-window seconds, else HTTP 429")
    parser.add_argument("--rate-window", type=float, default=60.0)
    args = parser.parse_args(argv)
    app = create_app(keys=[k for k in args.keys.split(",") if k], time_scale=args.time_scale,
                     ping_interval=args.ping_interval, rate_limit=args.rate_limit,
                     rate_window=args.rate_window)
    sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    server = build_server(app, args.host, port)
    print(f"http://{host}:{port}/v1", flush=True)
    try:
        asyncio.run(server.serve(sockets=[sock]))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
