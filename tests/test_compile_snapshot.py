"""The compiled SQL of a report with tags, split and lookup rules, pinned as a snapshot.

A change to the SQL shape shows up in review as a diff of ``tests/snapshots/*.sql``; rewrite
the snapshots with ``OUTLAY_UPDATE_SNAPSHOTS=1 make test`` after checking the change is meant.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from outlay.report.compile import Shape, compile_report_query
from outlay.report.tags import parse_tags_yaml
from outlay.report.vql import parse_vql

SNAPSHOTS = Path(__file__).parent / "snapshots"
# Read at import: the autouse fixture hides every OUTLAY_* variable from the test body.
UPDATE = os.environ.get("OUTLAY_UPDATE_SNAPSHOTS") == "1"
TAGS = parse_tags_yaml((Path(__file__).parent / "fixtures" / "tags_example.yaml").read_text())

CASES = {
    "plain_by_service_day": Shape(date(2026, 1, 1), date(2026, 1, 31), "day", ("service",), "cost"),
    "split_tag_with_filter": Shape(
        date(2026, 1, 1),
        date(2026, 3, 31),
        "week",
        ("tag:team", "token_type"),
        "cost",
        parse_vql("costs.subcategory = 'Usage-based' AND NOT costs.service ~* 'gpt'"),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_compiled_sql_matches_the_snapshot(name: str) -> None:
    compiled = compile_report_query(CASES[name], TAGS)
    text = compiled.sql.replace(" WITH ", "\nWITH ").replace("), r", "),\nr") + "\n-- params\n"
    text += "\n".join(repr(p) for p in compiled.params) + "\n"
    path = SNAPSHOTS / f"{name}.sql"
    if UPDATE:
        path.write_text(text, encoding="utf-8")
        pytest.skip(f"snapshot {path.name} written; re-run without OUTLAY_UPDATE_SNAPSHOTS")
    # A missing snapshot is a failure, not a first run: otherwise a deleted file always passes.
    assert path.exists(), f"no snapshot {path.name}; write it with OUTLAY_UPDATE_SNAPSHOTS=1"
    assert text == path.read_text(encoding="utf-8")
