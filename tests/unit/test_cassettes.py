"""No cassette or fixture file may contain anything that looks like an API key."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = [ROOT / "cassettes", ROOT / "tests" / "fixtures"]
# Keys look like sk-<16+ chars>; bearer tokens and key= query values must be redacted.
KEY_PATTERNS = [
    re.compile(r"\bsk-[A-Za-z0-9_\-]{16,}"),
    re.compile(r"(?i)bearer\s+(?!<redacted>|PLACEHOLDER|\{\{)[A-Za-z0-9._\-]{8,}"),
    re.compile(r"(?i)[?&]key=(?!<redacted>|%3Credacted%3E)[A-Za-z0-9._\-]{8,}"),
    re.compile(
        r"(?im)^\s*-?\s*['\"]?(authorization|x-api-key|api-key|mj-api-secret|x-goog-api-key)['\"]?"
        r"\s*:\s*(?!.*(<redacted>|PLACEHOLDER))\S+"
    ),
]


def scanned_files() -> list[Path]:
    files: list[Path] = []
    for folder in SCANNED:
        if folder.exists():
            files.extend(p for p in folder.rglob("*") if p.is_file() and p.suffix != ".png")
    return files


def test_no_cassette_contains_a_key() -> None:
    offenders = []
    for path in scanned_files():
        text = path.read_bytes().decode("utf-8", "replace")
        for pattern in KEY_PATTERNS:
            match = pattern.search(text)
            if match:
                offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)[:40]}")
    assert not offenders, "secrets in cassettes/fixtures:\n" + "\n".join(offenders)


def test_the_scanner_catches_keys() -> None:
    samples = [
        "Authorization: Bearer sk-abcdefghijklmnopqrstu",
        "    authorization:\n    - Bearer abcdefgh12345678",
        "uri: https://x.example/v1beta/models?key=AIzaSyA1234567890",
        "  x-api-key: realvalue123",
    ]
    for sample in samples:
        assert any(p.search(sample) for p in KEY_PATTERNS), sample
    clean = "authorization:\n- <redacted>\nuri: https://x.example/v1/models?key=<redacted>"
    assert not any(p.search(clean) for p in KEY_PATTERNS)


def test_a_recorded_request_keeps_no_secret_header() -> None:
    from vcr.request import Request

    from tests.conftest import _scrub_request

    request = Request("POST", "https://gw.example/v1/chat/completions", b"{}", {
        "Authorization": "Bearer sk-abc", "x-portkey-api-key": "pk-123", "X-Tenant-Token": "t",
        "x-trace-id": "visible"})
    headers = _scrub_request(request).headers
    assert headers["Authorization"] == headers["x-portkey-api-key"] == "<redacted>"
    assert headers["X-Tenant-Token"] == "<redacted>"
    assert headers["x-trace-id"] == "visible"
