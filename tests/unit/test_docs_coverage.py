"""docs/coverage.md stays true: every path and name its table cites exists, and the totals
stated in the text are the counts of the table's status column."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "coverage.md"
COLUMNS = ["feature", "seeds", "status", "where", "tests", "replay"]
STATUSES = ("own code + tested", "replayed", "pass-through", "not covered")
SEEDS = {"000", "001", "002", "003", "004"}
# A cited repository path, optionally with ::Name or ::Class.method after it.
CITED = re.compile(r"`([\w./-]+/[\w.-]+\.\w+)(?:::([\w.]+))?`")


def _rows() -> list[dict[str, str]]:
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines)
                 if [c.strip() for c in line.strip().strip("|").split("|")] == COLUMNS)
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == len(COLUMNS), line
        rows.append(dict(zip(COLUMNS, cells, strict=True)))
    return rows


def _status(cell: str) -> str:
    for status in STATUSES:
        if cell == status or (status == "not covered" and cell.startswith("not covered: ")):
            return status
    raise AssertionError(f"unknown status {cell!r}")


def _defines(source: str, name: str) -> bool:
    pattern = rf"^\s*(?:async\s+def|def|class)\s+{re.escape(name)}\b|^{re.escape(name)}\s*[:=]"
    return re.search(pattern, source, re.MULTILINE) is not None


def test_the_table_has_rows_with_known_statuses_and_seeds() -> None:
    rows = _rows()
    assert len(rows) > 50
    assert len({row["feature"] for row in rows}) == len(rows), "a feature is listed twice"
    for row in rows:
        _status(row["status"])
        seeds = set(row["seeds"].split())
        assert seeds, row["feature"]
        assert seeds <= SEEDS, row["feature"]


def test_every_cited_path_and_name_exists() -> None:
    cited = 0
    for row in _rows():
        for column in ("where", "tests", "replay"):
            for path, name in CITED.findall(row[column]):
                cited += 1
                target = ROOT / path
                assert target.is_file(), f"{row['feature']}: {path} does not exist"
                if name:
                    source = target.read_text(encoding="utf-8")
                    for part in name.split("."):
                        assert _defines(source, part), f"{row['feature']}: {path}::{name}"
    assert cited > 100


def test_own_code_rows_name_code_and_tests_and_replayed_rows_a_replay() -> None:
    for row in _rows():
        status = _status(row["status"])
        if status in ("own code + tested", "replayed"):
            assert CITED.search(row["where"]), row["feature"]
            assert "tests/" in row["tests"], row["feature"]
        if status == "replayed":
            assert re.search(r"`(cassettes|tests/fixtures/seeds)/", row["replay"]), row["feature"]
        else:
            assert row["replay"] == "—", row["feature"]
        if status == "not covered":
            assert row["where"] == row["tests"] == "—", row["feature"]


def test_the_stated_totals_are_the_table_counts() -> None:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(
        r"^Totals: (\d+) features; (\d+) own code \+ tested \((\d+) of them replayed\); "
        r"(\d+) pass-through; (\d+) not covered\.$", text, re.MULTILINE)
    assert found, "the totals line is missing or reworded"
    total, own, replayed, passed, uncovered = (int(n) for n in found.groups())
    counts = Counter(_status(row["status"]) for row in _rows())
    assert total == sum(counts.values())
    assert own == counts["own code + tested"] + counts["replayed"]
    assert replayed == counts["replayed"]
    assert passed == counts["pass-through"]
    assert uncovered == counts["not covered"]
    assert f"{own} of {total} (" in text  # the share quoted in the comparison
