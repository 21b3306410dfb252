"""Reports from real DuckDB checked against the pure-Python reference over the same rows."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from outlay.ingest.windows import day_start_ms
from outlay.providers.cursor.models import UsageEvent
from outlay.providers.cursor.normalize import normalize_events
from outlay.providers.cursor.prices import PriceTable
from outlay.report.compile import Shape, compile_report_query
from outlay.report.run import OTHER, run_report
from outlay.report.spec import ReportSpec
from outlay.report.tags import TagSet, TagValue, VirtualTag, parse_tags_yaml
from outlay.report.vql import parse_vql
from outlay.store.facts_api import Facts
from tests.fakes import facts_store
from tests.report_reference import reference_report

pytestmark = pytest.mark.storage

EVENT = TypeAdapter(UsageEvent)
FIRST = date(2026, 9, 1)
LAST = FIRST + timedelta(days=59)
TODAY = LAST
MODELS = ["claude-4.5-sonnet", "gpt-5.1-codex", "composer-1", "gemini-3-pro"]
KINDS = ["Usage-based", "Included in Business", "Errored, Not Charged"]
USERS = ["ana@acme.example", "bo@acme.example", "cy@acme.example", "ci-runner@acme.example"]

TAGS = parse_tags_yaml("""\
- key: team
  values:
    - name: Platform
      filter: costs.resource IN ('ana@acme.example', 'bo@acme.example')
    - name: Research
      filter: costs.service LIKE 'claude%'
      dates: {start: 2026-09-20, end: null}
    - split: {Platform: 60, Research: 33.3333, Ops: 6.6667}
      filter: costs.resource = 'ci-runner@acme.example'
- key: cost_center
  values:
    - name: R&D
      filter: tags.name = 'team' AND tags.value IN ('Platform', 'Research')
    - split: {Shared: 50, R&D: 50}
      filter: costs.token_type = 'cursor_token_fee' OR costs.category = 'Requests'
- key: tier
  values:
    - name: premium
      filter: costs.service ~* '^(claude|gpt)'
""")


def synthetic_events(n: int, seed: int = 3) -> list[UsageEvent]:
    rng = random.Random(seed)
    events = []
    for i in range(n):
        ts = day_start_ms(FIRST) + rng.randrange(60 * 86_400_000) + i % 7
        token_based = rng.random() > 0.1
        event: dict[str, Any] = {
            "timestamp": str(ts),
            "userEmail": rng.choice(USERS),
            "model": rng.choice(MODELS),
            "kind": rng.choice(KINDS),
            "maxMode": rng.random() < 0.2,
            "isTokenBasedCall": token_based,
            "isHeadless": rng.random() < 0.1,
            "chargedCents": Decimal(rng.randrange(-(10**6), 10**8)) / 10**6,
            "requestsCosts": rng.choice([1, 2, Decimal("1.4")]),
        }
        if token_based:
            event["tokenUsage"] = {
                "inputTokens": rng.randrange(0, 5000),
                "outputTokens": rng.randrange(0, 3000),
                "cacheReadTokens": rng.randrange(0, 90000),
                "totalCents": event["chargedCents"] * Decimal("1.25"),
            }
            if event["model"] != "composer-1" and event["chargedCents"] > 1:
                event["cursorTokenFee"] = Decimal("0.5")
        events.append(EVENT.validate_python(event))
    return events


def load_synthetic(folder: Path) -> tuple[Facts, list[dict[str, Any]]]:
    """3000 synthetic events normalized into a DuckDB store in ``folder``: (store, its rows)."""
    facts = facts_store(folder)
    table = normalize_events(
        synthetic_events(3000), account="acme", member_names={}, prices=PriceTable()
    )
    with facts.stage() as staged:
        staged.add(table)
        facts.replace_window("acme", 0, day_start_ms(date(2030, 1, 1)), staged)
    return facts, table.to_pylist()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Facts, list[dict[str, Any]]]:
    return load_synthetic(Path(tmp_path_factory.mktemp("facts")))


def check(loaded: tuple[Facts, list[dict[str, Any]]], spec: ReportSpec, tags: TagSet) -> None:
    facts, rows = loaded
    result = run_report(facts, spec, tags, today=TODAY)
    keys = result.group_keys
    got = {(r.get("date"), *(r[k] for k in keys)): r[spec.measure] for r in result.rows}
    start, end = spec.period(TODAY)
    expected = reference_report(
        rows,
        tags,
        start=start,
        end=end,
        date_bin=spec.date_bin,
        group_by=spec.group_by,
        measure=spec.measure,
        expr=spec.expr,
    )
    assert expected, "the reference found no rows: the case proves nothing"
    assert got == expected


SPECS = [
    ReportSpec(FIRST, LAST, group_by=("service",), date_bin="cumulative"),
    ReportSpec(FIRST, FIRST + timedelta(days=20), group_by=("service", "resource")),
    ReportSpec(FIRST, LAST, group_by=("token_type",), date_bin="week"),
    ReportSpec(FIRST, LAST, group_by=("subcategory",), date_bin="quarter"),
    ReportSpec(FIRST, FIRST + timedelta(days=1), group_by=("category",), date_bin="hour"),
    ReportSpec(FIRST, LAST, group_by=("tag:team",), date_bin="month"),
    ReportSpec(FIRST, LAST, group_by=("tag:team", "tag:cost_center"), date_bin="cumulative"),
    ReportSpec(
        FIRST,
        LAST,
        group_by=("resource",),
        date_bin="cumulative",
        filter="tags.name = 'team' AND tags.value = 'Research'",
    ),
    ReportSpec(
        FIRST, LAST, group_by=("service",), date_bin="cumulative", filter="tags.name = NULL"
    ),
    ReportSpec(
        FIRST,
        LAST,
        group_by=("tag:tier",),
        date_bin="week",
        measure="billed_cost",
        filter="NOT (costs.service = 'composer-1' OR tags.name = 'cursor:max_mode' AND "
        "tags.value = 'true')",
    ),
    ReportSpec(FIRST, LAST, group_by=("tag:team",), date_bin="cumulative", measure="list_cost"),
    ReportSpec(FIRST, LAST, group_by=("tag:team", "token_type"), date_bin="month", measure="usage"),
    ReportSpec(FIRST, LAST, group_by=("tag:cost_center",), date_bin="cumulative", measure="count"),
    ReportSpec(
        FIRST,
        LAST,
        date_bin="cumulative",
        filter="costs.token_type = NULL OR costs.token_type != 'input'",
    ),
]


@pytest.mark.parametrize(
    "spec", SPECS, ids=lambda s: f"{s.measure}-{s.date_bin}-{'-'.join(s.group_by)}"
)
def test_sql_results_equal_the_python_reference(
    loaded: tuple[Facts, list[dict[str, Any]]], spec: ReportSpec
) -> None:
    check(loaded, spec, TAGS)


def test_tag_totals_plus_untagged_equal_the_total_exactly(
    loaded: tuple[Facts, list[dict[str, Any]]],
) -> None:
    facts, _ = loaded
    plain = run_report(facts, ReportSpec(FIRST, LAST, date_bin="cumulative"), TAGS, today=TODAY)
    for key in TAGS.keys:
        by_tag = run_report(
            facts,
            ReportSpec(FIRST, LAST, date_bin="cumulative", group_by=(f"tag:{key}",)),
            TAGS,
            today=TODAY,
        )
        assert sum(r["cost"] for r in by_tag.rows) == by_tag.total == plain.total
        assert None in {r[f"tag:{key}"] for r in by_tag.rows}  # some rows are untagged


names = st.sampled_from(["A", "B", "C"])
filters = st.sampled_from(
    [
        "costs.service = 'gpt-5.1-codex'",
        "costs.resource IN ('ana@acme.example', 'cy@acme.example')",
        "costs.token_type != 'input'",
        "costs.subcategory LIKE 'Inc%'",
        "costs.service ~* 'CLAUDE'",
        "tags.name = 'cursor:max_mode' AND tags.value = 'true'",
        "costs.category = 'Requests'",
    ]
)


@st.composite
def tag_values(draw: st.DrawFn) -> TagValue:
    text = draw(filters)
    if draw(st.booleans()):
        return TagValue(text, parse_vql(text), name=draw(names))
    weights = draw(st.lists(st.integers(1, 97), min_size=1, max_size=3))
    whole = 100 * 10**4
    parts, left = [], whole
    for i, name in enumerate(["A", "B", "C"][: len(weights)]):
        share = (
            left
            if i == len(weights) - 1
            else min(left - (len(weights) - i - 1), weights[i] * 10**4)
        )
        parts.append((name, share))
        left -= share
    start = draw(st.none() | st.dates(FIRST, LAST))
    return TagValue(text, parse_vql(text), split=tuple(parts), start=start)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.lists(tag_values(), min_size=1, max_size=4),
    measure=st.sampled_from(["cost", "usage", "count"]),
)
def test_random_tags_first_match_and_exact_splits_agree_with_the_reference(
    loaded: tuple[Facts, list[dict[str, Any]]], values: list[TagValue], measure: str
) -> None:
    tags = TagSet((VirtualTag("g", tuple(values)),))
    spec = ReportSpec(FIRST, LAST, group_by=("tag:g",), date_bin="month", measure=measure)
    check(loaded, spec, tags)
    facts, _ = loaded
    if measure == "cost":  # splits never create or lose money
        plain = run_report(facts, ReportSpec(FIRST, LAST, date_bin="cumulative"), tags, today=TODAY)
        assert run_report(facts, spec, tags, today=TODAY).total == plain.total


def test_top_n_folds_the_rest_into_other_without_changing_the_total(
    loaded: tuple[Facts, list[dict[str, Any]]],
) -> None:
    facts, _ = loaded
    full = run_report(
        facts,
        ReportSpec(FIRST, LAST, group_by=("service", "resource"), date_bin="cumulative"),
        TAGS,
        today=TODAY,
    )
    top = run_report(
        facts,
        ReportSpec(FIRST, LAST, group_by=("service", "resource"), date_bin="cumulative", top=3),
        TAGS,
        today=TODAY,
    )
    assert len(top.rows) == 4 and top.rows[-1]["service"] == OTHER == top.rows[-1]["resource"]
    assert top.rows[:3] == full.rows[:3]
    assert top.total == full.total
    assert [r["cost"] for r in top.rows[:3]] == sorted(
        (r["cost"] for r in top.rows[:3]), reverse=True
    )


def test_compare_reports_previous_period_change_and_percent(
    loaded: tuple[Facts, list[dict[str, Any]]],
) -> None:
    facts, rows = loaded
    middle = FIRST + timedelta(days=30)
    spec = ReportSpec(middle, LAST, group_by=("service",), date_bin="week", compare="previous")
    result = run_report(facts, spec, TAGS, today=TODAY)
    assert (result.previous_start, result.previous_end) == (FIRST, middle - timedelta(days=1))
    before = reference_report(
        rows,
        TAGS,
        start=FIRST,
        end=middle - timedelta(days=1),
        date_bin="cumulative",
        group_by=("service",),
        measure="cost",
        expr=None,
    )
    assert result.groups
    for group in result.groups:
        assert group["previous"] == before[(None, group["service"])]
        assert group["change"] == group["cost"] - group["previous"]
        assert group["change_pct"] == (group["change"] * 100 / group["previous"]).quantize(
            Decimal("0.01")
        )


def test_named_intervals_resolve_against_today(
    loaded: tuple[Facts, list[dict[str, Any]]],
) -> None:
    facts, _ = loaded
    result = run_report(
        facts, ReportSpec(interval="last_7_days", date_bin="day"), TAGS, today=TODAY
    )
    assert (result.start, result.end) == (TODAY - timedelta(days=6), TODAY)
    assert {r["date"] for r in result.rows} == {
        (TODAY - timedelta(days=n)).isoformat() for n in range(7)
    }


def test_compiled_sql_binds_every_value() -> None:
    shape = Shape(FIRST, LAST, "day", ("tag:team",), "cost", parse_vql("costs.service = 'x'"))
    compiled = compile_report_query(shape, TAGS)
    assert "'x'" not in compiled.sql and "Platform" not in compiled.sql
    assert compiled.sql.count("?") == len(compiled.params)
    assert "x" in compiled.params and "Platform" in compiled.params


# -- tags are data, not schema (Vantage's semantics) -----------------------------------------

VANTAGE_TEAM = "(tags.name = 'teams' AND tags.value ~* 'Team A')"


def summed(rows: list[dict[str, Any]], keep: Any = lambda row: True) -> Decimal:
    """Σ cost of the fixture rows in [FIRST, LAST] that ``keep`` accepts: plain Python."""
    return sum((r["cost"] for r in rows if FIRST <= r["ts"].date() <= LAST and keep(r)), Decimal(0))


@pytest.mark.parametrize(
    ("filter_text", "matches_cursor_rows"),
    [
        (f"costs.provider = 'aws' AND {VANTAGE_TEAM}", False),
        (f"costs.provider = 'cursor' AND {VANTAGE_TEAM}", False),
        (f"costs.provider = 'cursor' AND NOT {VANTAGE_TEAM}", True),
        ("costs.provider = 'cursor' AND tags.name != 'teams'", True),
        ("costs.provider = 'aws' AND NOT tags.name = 'teams'", False),
        ("(tags.name, tags.value) NOT IN (('teams', 'Team A'))", True),
    ],
)
def test_a_filter_on_a_tag_no_row_carries_runs_and_matches_nothing(
    loaded: tuple[Facts, list[dict[str, Any]]], filter_text: str, matches_cursor_rows: bool
) -> None:
    facts, rows = loaded
    everything = summed(rows, lambda r: r["provider"] == "cursor")
    assert everything > 0 and summed(rows, lambda r: r["provider"] == "aws") == 0
    spec = ReportSpec(FIRST, LAST, date_bin="cumulative", filter=filter_text)
    result = run_report(facts, spec, TAGS, today=TODAY)
    assert result.total == (everything if matches_cursor_rows else Decimal(0))
    assert result.notices == (
        "no cost row carries tag 'teams'; known tags: team, cost_center, tier, cursor:max_mode, "
        "cursor:headless, cursor:user, cursor:service_account, cursor:cloud_agent, "
        "cursor:automation",
    )


def test_grouping_by_a_tag_no_row_carries_makes_one_untagged_group(
    loaded: tuple[Facts, list[dict[str, Any]]],
) -> None:
    facts, rows = loaded
    spec = ReportSpec(FIRST, LAST, group_by=("tag:teams", "service"), date_bin="cumulative")
    result = run_report(facts, spec, TAGS, today=TODAY)
    expected = {m: summed(rows, lambda r, m=m: r["service"] == m) for m in MODELS}
    assert {(r["tag:teams"], r["service"]): r["cost"] for r in result.rows} == {
        (None, m): v for m, v in expected.items() if v
    }
    assert result.total == summed(rows)
    assert len(result.notices) == 1 and "tag 'teams'" in result.notices[0]


def test_group_totals_are_ordered_with_previous_values_and_other_last(
    loaded: tuple[Facts, list[dict[str, Any]]],
) -> None:
    facts, rows = loaded
    middle = FIRST + timedelta(days=30)
    spec = ReportSpec(
        middle, LAST, group_by=("resource",), date_bin="week", compare="previous", top=2
    )
    result = run_report(facts, spec, TAGS, today=TODAY)

    def by_user(first: date, last: date) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for r in rows:
            if first <= r["ts"].date() <= last:
                out[r["resource"]] = out.get(r["resource"], Decimal(0)) + r["cost"]
        return out

    now, before = by_user(middle, LAST), by_user(FIRST, middle - timedelta(days=1))
    top = sorted(now, key=lambda u: -now[u])[:2]
    rest = [u for u in now if u not in top]
    expected = [
        (u, now[u], before.get(u, Decimal(0))) for u in top
    ] + [(OTHER, sum((now[u] for u in rest), Decimal(0)),
          sum((before.get(u, Decimal(0)) for u in before if u not in top), Decimal(0)))]  # fmt: skip
    got = [(g.key["resource"], g.total, g.previous) for g in result.group_totals]
    assert got == expected
    assert [g.other for g in result.group_totals] == [False, False, True]
    assert result.previous_total == sum(before.values(), Decimal(0))
    for g in result.group_totals:
        assert g.change == g.total - (g.previous or 0)
