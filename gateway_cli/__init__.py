"""``gateway-kit``: see what a relay gateway offers and what the key has left, from a terminal.

Every command takes ``--base-url`` / ``--api-key`` (or ``GATEWAY_BASE_URL`` / ``GATEWAY_API_KEY``),
exits non-zero with one line a person can act on (a traceback only with ``--debug``), and never
prints the key.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence

from gateway_core.client import GatewayClient
from gateway_core.errors import ConfigurationError, GatewayError, InvalidRequestError, redact

__all__ = ["build_parser", "main"]

Command = Callable[[GatewayClient, argparse.Namespace], int]


def _add_connection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-url", help="gateway base URL (default: $GATEWAY_BASE_URL)")
    parser.add_argument("--api-key", help="gateway key (default: $GATEWAY_API_KEY)")
    parser.add_argument("--timeout", type=float, help="read timeout in seconds")
    parser.add_argument("--max-retries", type=int, help="retries for retryable failures")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and HTTP logs")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the tests)."""
    from . import commands

    parser = argparse.ArgumentParser(
        prog="gateway-kit",
        description="Use an OpenAI-compatible relay gateway (one-api / new-api) from a terminal.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    models = sub.add_parser("models", help="list the gateway's models and their profiles")
    models.add_argument("--type", choices=sorted(commands.KINDS), help="only this kind")
    models.add_argument("--json", action="store_true", help="machine-readable output")
    models.set_defaults(handler=commands.models)

    balance = sub.add_parser("balance", help="what the key has left")
    balance.add_argument("--json", action="store_true", help="machine-readable output")
    balance.set_defaults(handler=commands.balance)

    chat = sub.add_parser("chat", help="send one prompt")
    chat.add_argument("prompt")
    chat.add_argument("--model", default="gpt-4o-mini", help="chat model (default: %(default)s)")
    chat.add_argument("--system", help="a system prompt")
    chat.add_argument("--stream", action="store_true", help="print the answer as it arrives")
    chat.add_argument("--show-reasoning", action="store_true", help="also print the reasoning")
    chat.set_defaults(handler=commands.chat)

    from .media import add_media_commands

    add_media_commands(sub)

    from .audio import add_audio_commands

    add_audio_commands(sub)

    emulator = sub.add_parser("emulator", help="start the bundled local emulator gateway")
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=0)
    emulator.add_argument("--keys", default="sk-emulator-local")
    emulator.add_argument("--time-scale", default="1.0",
                          help="multiplies media task durations (default: %(default)s)")
    emulator.set_defaults(handler=None)

    for child in sub.choices.values():
        if child.prog.split()[-1] != "emulator":
            _add_connection_options(child)
    return parser


def _run_emulator(args: argparse.Namespace) -> int:
    try:
        # Imported by name: the core has no static dependency on the emulator.
        emulator_main = importlib.import_module("gateway_emulator.__main__").main
    except ImportError:
        print("gateway-kit: the emulator needs its extra: pip install 'ai-gateway-kit[emulator]'",
              file=sys.stderr)
        return 2
    return int(emulator_main(["--host", args.host, "--port", str(args.port),
                              "--keys", args.keys, "--time-scale", args.time_scale]) or 0)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gateway-kit`` console script and ``python -m gateway_cli``."""
    args = build_parser().parse_args(argv)
    if args.command == "emulator":
        return _run_emulator(args)
    if args.debug:
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
    key = args.api_key or ""
    handler: Command = args.handler
    try:
        client = GatewayClient(base_url=args.base_url, api_key=args.api_key,
                               timeout=args.timeout, max_retries=args.max_retries)
        key = client.config.secret
        return handler(client, args)
    except KeyboardInterrupt:
        print("gateway-kit: interrupted", file=sys.stderr)
        return 130
    except (ConfigurationError, InvalidRequestError) as error:
        if args.debug:
            raise
        message = redact(str(error), [key])
        message = message.replace("pass base_url='https://your-gateway'", "pass --base-url URL")
        message = message.replace("pass api_key='sk-…'", "pass --api-key KEY")
        print(f"gateway-kit: {message}", file=sys.stderr)
        return 2
    except GatewayError as error:
        if args.debug:
            raise
        print(f"gateway-kit: {redact(str(error), [key])}", file=sys.stderr)
        return 1
    except OSError as error:  # a file or directory the command had to use (journal, --out)
        if args.debug:
            raise
        print(f"gateway-kit: {redact(str(error), [key])}", file=sys.stderr)
        return 1
