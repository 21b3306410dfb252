"""Virtual tags at query time: a report grouped by ``tag:team`` × day.

Two tags, as an admin would define them: ``team`` maps 200 user emails one rule each (the
worst case for a CASE) onto 20 teams, and ``cost_center`` splits every token-fee row 60/40 and
names the rest by team (so it depends on ``team`` and multiplies rows). Each report runs in
outlay's own ``run_report`` over all 90 days of a dataset built by ``query.py``: 10M cost rows
(the target's size), and the query benchmark's 10M events (37.5M rows) beside it; the same
grouping without tags is the baseline for the overhead.
"""

from __future__ import annotations

import statistics
from datetime import timedelta
from pathlib import Path
from time import perf_counter
from typing import Any

from outlay.report.run import run_report
from outlay.report.spec import ReportSpec
from outlay.report.tags import TagSet, parse_tags_yaml
from outlay.store.facts import DuckDBFacts
from query import DATA_START, QueryParams, ensure_dataset

EMAIL_RULES = 200
TEAMS = 20
RUNS = 5


def tag_definitions() -> TagSet:
    lines = ["- key: team", "  values:"]
    for user in range(1, EMAIL_RULES + 1):
        lines += [
            f"    - name: team-{(user - 1) % TEAMS + 1:02d}",
            f"      filter: costs.resource = 'dev{user}@acme.example'",
        ]
    lines += [
        "- key: cost_center",
        "  values:",
        "    - split: {Shared: 60, Product: 40}",
        "      filter: costs.token_type = 'cursor_token_fee'",
        "    - name: Product",
        "      filter: tags.name = 'team' AND tags.value IN ('team-01', 'team-02', 'team-03')",
        "    - name: Platform",
        "      filter: tags.name = 'team'",
    ]
    return parse_tags_yaml("\n".join(lines) + "\n", "bench tags")


def cases(p: QueryParams) -> list[tuple[str, ReportSpec]]:
    start = DATA_START
    end = DATA_START + timedelta(days=p.days - 1)
    span: dict[str, Any] = {"start": start, "end": end, "date_bin": "day"}
    return [
        ("no tags: resource × day (baseline)", ReportSpec(**span, group_by=("resource",))),
        ("tag:team × day (200 email rules)", ReportSpec(**span, group_by=("tag:team",))),
        (
            "tag:team × day, filtered by the split tag",
            ReportSpec(
                **span,
                group_by=("tag:team",),
                filter="tags.name = 'cost_center' AND tags.value != 'Shared'",
            ),
        ),
        (
            "tag:team × tag:cost_center × day",
            ReportSpec(**span, group_by=("tag:team", "tag:cost_center")),
        ),
    ]


def measure(p: QueryParams, out_dir: Path) -> list[dict[str, Any]]:
    dataset = ensure_dataset(p, out_dir, with_sqlite=False)
    facts = DuckDBFacts(dataset.duckdb_path)
    tags = tag_definitions()
    today = DATA_START + timedelta(days=p.days - 1)
    results = []
    baseline_total = None
    for label, spec in cases(p):
        timings = []
        result = None
        for _ in range(RUNS + 1):
            started = perf_counter()
            result = run_report(facts, spec, tags, today=today)
            timings.append((perf_counter() - started) * 1000)
        assert result is not None
        baseline_total = baseline_total if baseline_total is not None else result.total
        results.append(
            {
                "label": label,
                "rows": len(result.rows),
                "cold_ms": timings[0],
                "warm_ms": statistics.median(timings[1:]),
                "total": result.total,
                "total_matches": result.total == baseline_total or spec.expr is not None,
                "cost_rows": dataset.rows,
            }
        )
    return results


def format_table(results: list[dict[str, Any]]) -> str:
    base = results[0]["warm_ms"]
    lines = [
        f"{'report':<44}{'groups':>8}{'cold ms':>10}{'warm median ms':>16}{'overhead':>10}",
        "-" * 88,
    ]
    for r in results:
        overhead = f"{r['warm_ms'] / base:.1f}x"
        lines.append(
            f"{r['label']:<44}{r['rows']:>8,}{r['cold_ms']:>10.0f}{r['warm_ms']:>16.0f}{overhead:>10}"
        )
    return "\n".join(lines)
