"""The command line without a gateway: parsing, configuration errors, no traceback, no key."""

from __future__ import annotations

import pytest

from gateway_cli import build_parser, main


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in ("models", "balance", "chat", "emulator"):
        assert command in out


def test_missing_base_url_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 2
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0
    assert "--base-url" in err
    assert "Traceback" not in err


def test_bad_base_url_never_prints_the_key(capsys: pytest.CaptureFixture[str]) -> None:
    key = "sk-cli-secret-0123456789"
    assert main(["balance", "--base-url", "api.example.com", "--api-key", key]) == 2
    captured = capsys.readouterr()
    assert key not in captured.out + captured.err
    assert "no scheme" in captured.err


def test_models_type_choices() -> None:
    args = build_parser().parse_args(["models", "--type", "rerank", "--json"])
    assert (args.type, args.json) == ("rerank", True)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["models", "--type", "nonsense"])
