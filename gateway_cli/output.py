"""Plain-text tables and JSON for the command line (no dependency beyond the stdlib)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

__all__ = ["print_json", "print_table", "stdout_mid_line", "write_stream_text"]

_mid_line = False


def write_stream_text(text: str) -> None:
    """Write streamed text to stdout, remembering whether the line is still open."""
    global _mid_line
    if text:
        sys.stdout.write(text)
        sys.stdout.flush()
        _mid_line = not text.endswith("\n")


def stdout_mid_line() -> bool:
    """True while streamed text left stdout in the middle of a line."""
    return _mid_line


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]],
                out: TextIO = sys.stdout) -> None:
    """Left-aligned columns sized to their content."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for number, row in enumerate(cells):
        out.write("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() + "\n")
        if number == 0:
            out.write("  ".join("-" * w for w in widths) + "\n")


def print_json(value: Any, out: TextIO = sys.stdout) -> None:
    """Pretty JSON, non-ASCII kept readable."""
    out.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")
