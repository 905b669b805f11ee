"""``gateway-kit``: see what a relay gateway offers and what the key has left, from a terminal.

Every command takes ``--base-url`` / ``--api-key`` (or ``GATEWAY_BASE_URL`` / ``GATEWAY_API_KEY``),
exits non-zero with one line a person can act on (a traceback only with ``--debug``), and never
prints the key.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence

from gateway_core.client import GatewayClient
from gateway_core.errors import ConfigurationError, GatewayError, InvalidRequestError, redact

__all__ = ["build_parser", "main"]

Command = Callable[[GatewayClient, argparse.Namespace], int]


def _verify_value(raw: str) -> bool | str:
    """``--verify``: a CA bundle path, or off/false/no/0 to turn TLS verification off."""
    return False if raw.strip().lower() in ("off", "false", "no", "0") else raw


def _add_connection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-url", help="gateway base URL (default: $GATEWAY_BASE_URL)")
    parser.add_argument("--api-key", help="gateway key (default: $GATEWAY_API_KEY)")
    parser.add_argument("--allow-insecure-http", action="store_true", default=None,
                        help="allow plain http:// to a gateway that is not on this machine "
                        "(a trusted LAN; or set GATEWAY_ALLOW_INSECURE_HTTP=1)")
    parser.add_argument("--verify", type=_verify_value, metavar="CA_BUNDLE|off",
                        help="TLS: the path of a CA bundle to trust (a self-signed gateway), or "
                        "'off' to skip verification (default: the system's CAs)")
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
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                help="what to do (gateway-kit COMMAND --help for its options)")

    models = sub.add_parser("models", help="list the gateway's models and their profiles")
    models.add_argument("--type", choices=sorted(commands.KINDS), help="only this kind")
    models.add_argument("--json", action="store_true", help="machine-readable output")
    models.set_defaults(handler=commands.models)

    balance = sub.add_parser("balance", help="what the key has left")
    balance.add_argument("--json", action="store_true", help="machine-readable output")
    balance.set_defaults(handler=commands.balance)

    chat = sub.add_parser("chat", help="send one prompt")
    chat.add_argument("prompt", help="what to ask")
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
    emulator.add_argument("--host", default="127.0.0.1",
                          help="address to listen on (default: %(default)s)")
    emulator.add_argument("--port", type=int, default=0,
                          help="port to listen on (default: 0, a free one)")
    emulator.add_argument("--keys", default="sk-emulator-local",
                          help="comma-separated keys it accepts (default: %(default)s)")
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


def _client(args: argparse.Namespace) -> GatewayClient:
    settings = {"base_url": args.base_url, "api_key": args.api_key, "timeout": args.timeout,
                "max_retries": args.max_retries, "allow_insecure_http": args.allow_insecure_http,
                "verify": args.verify}
    return GatewayClient(**{name: value for name, value in settings.items() if value is not None})


def _run(args: argparse.Namespace) -> int:
    """Run the command; every failure becomes one line on stderr (a traceback with --debug)."""
    key = args.api_key or ""
    client: GatewayClient | None = None
    try:
        if args.command == "tasks" and args.action == "list":
            from .tasks_list import list_tasks

            return list_tasks(args)  # reads the local journal: needs no gateway or key
        client = _client(args)
        key = client.config.secret
        handler: Command = args.handler
        return handler(client, args)
    except KeyboardInterrupt:
        _end_partial_line()
        print("gateway-kit: interrupted", file=sys.stderr)
        return 130
    except (ConfigurationError, InvalidRequestError) as error:
        if args.debug:
            raise
        _end_partial_line()
        message = redact(str(error), [key])
        message = message.replace("pass base_url='https://your-gateway'", "pass --base-url URL")
        message = message.replace("pass api_key='sk-…'", "pass --api-key KEY")
        print(f"gateway-kit: {message}", file=sys.stderr)
        return 2
    except (GatewayError, OSError) as error:  # OSError: a file the command had to use
        if isinstance(error, BrokenPipeError) or args.debug:
            raise
        _end_partial_line()
        print(f"gateway-kit: {redact(str(error), [key])}", file=sys.stderr)
        return 1
    finally:
        if client is not None:
            client.transport.close()  # no ResourceWarning at exit


def _end_partial_line() -> None:
    """A stream cut mid-line: the error starts on a line of its own."""
    from .output import stdout_mid_line

    if stdout_mid_line():
        sys.stdout.write("\n")
        sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gateway-kit`` console script and ``python -m gateway_cli``."""
    args = build_parser().parse_args(argv)
    if args.command == "emulator":
        return _run_emulator(args)
    if args.debug:
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
    try:
        status = _run(args)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader left (`gateway-kit models | head -1`): stop quietly, as `cat` does. Point
        # stdout at /dev/null so the interpreter's final flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 141  # 128 + SIGPIPE, the shell's code for a closed pipe
    return status
