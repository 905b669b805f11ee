"""Every ``gateway-kit`` option says what it does, and the connection options reach the config:
plain http to a trusted LAN gateway, and TLS with a CA bundle or none."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from gateway_cli import _client, build_parser, main


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found.extend(_parsers(child))
    return found


def test_every_option_and_argument_has_help() -> None:
    missing = [f"{parser.prog}: {action.dest}"
               for parser in _parsers(build_parser()) for action in parser._actions
               if not isinstance(action, argparse._HelpAction) and not action.help]
    assert missing == []


def test_allow_insecure_http_reaches_the_config() -> None:
    args = build_parser().parse_args(["models", "--base-url", "http://one-api:3000/v1",
                                      "--api-key", "sk-lan-0123456789", "--allow-insecure-http"])
    client = _client(args)
    assert client.config.allow_insecure_http is True
    assert client.config.root_url == "http://one-api:3000"


def test_plain_http_without_the_flag_names_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--base-url", "http://one-api:3000/v1",
                 "--api-key", "sk-lan-0123456789"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--allow-insecure-http" in err
    assert "GATEWAY_ALLOW_INSECURE_HTTP=1" in err
    assert "sk-lan-0123456789" not in err


def test_verify_takes_a_ca_bundle_or_off(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    base = ["balance", "--base-url", "https://relay.example", "--api-key", "sk-tls-0123456789"]
    with_bundle = _client(build_parser().parse_args([*base, "--verify", str(bundle)]))
    assert with_bundle.config.verify == str(bundle)
    off = _client(build_parser().parse_args([*base, "--verify", "off"]))
    assert off.config.verify is False
    default = _client(build_parser().parse_args(base))
    assert default.config.verify is True


def test_a_missing_ca_bundle_is_one_line(capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    assert main(["balance", "--base-url", "https://relay.example", "--api-key",
                 "sk-tls-0123456789", "--verify", str(tmp_path / "missing.pem")]) == 2
    err = capsys.readouterr().err
    assert "CA bundle" in err
    assert err.count("\n") == 1
