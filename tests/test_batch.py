"""Many cost queries answered by one (``report.batch``): each gets exactly the rows its own
report query gives, whatever the mix of filters, group-bys, bins, first days and tags."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outlay.report.batch import Batch, CostQuery
from outlay.report.compile import Shape, compile_report_query
from outlay.report.tags import TagSet
from outlay.report.vql import parse_vql
from outlay.store.facts import DuckDBFacts
from tests.test_alerts_service import add_channel, synced
from tests.test_report import FIRST, LAST, TAGS, load_synthetic
from tests.test_rollup import DIMS, FILTERS, TAG_DIMS, TAG_SETS

ACCOUNTS = ("acme",)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> DuckDBFacts:
    return load_synthetic(Path(tmp_path_factory.mktemp("batch")))[0]


def rows(table: pa.Table) -> list[tuple[Any, ...]]:
    """The rows as tuples, in one order (group values may be NULL)."""
    return sorted(zip(*(c.to_pylist() for c in table.columns), strict=True), key=repr)


def own_answer(facts: DuckDBFacts, q: CostQuery, tags: TagSet, end: date) -> pa.Table:
    expr = parse_vql(q.filter) if q.filter else None
    shape = Shape(q.start, end, q.date_bin, q.group_by, "cost", expr, ACCOUNTS, facts.rollup_table)
    compiled = compile_report_query(shape, tags)
    return facts.arrow(compiled.sql, compiled.params)


def batch_answer(facts: DuckDBFacts, queries: list[CostQuery], tags: TagSet) -> list[pa.Table]:
    batch = Batch(queries)
    compiled = batch.compile(tags, end=LAST, accounts=ACCOUNTS, rollup=facts.rollup_table)
    return batch.split(facts.arrow(compiled.sql, compiled.params))


@st.composite
def cost_queries(draw: st.DrawFn) -> CostQuery:
    return CostQuery(
        draw(st.sampled_from((*FILTERS, "tags.name = NULL"))),
        tuple(draw(st.lists(st.sampled_from(DIMS + TAG_DIMS), max_size=2, unique=True))),
        draw(st.sampled_from(("day", "week", "month", "quarter"))),
        FIRST + timedelta(days=draw(st.integers(0, 59))),
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(queries=st.lists(cost_queries(), min_size=1, max_size=6), tags=st.sampled_from(TAG_SETS))
def test_each_query_of_a_batch_gets_the_rows_of_its_own_report_query(
    loaded: DuckDBFacts, queries: list[CostQuery], tags: TagSet
) -> None:
    answers = batch_answer(loaded, queries, tags)
    assert len(answers) == len(queries)
    for q, answer in zip(queries, answers, strict=True):
        assert rows(answer) == rows(own_answer(loaded, q, tags, LAST)), q


def test_queries_sharing_a_filter_or_a_grouping_share_one_sum_and_one_grouping() -> None:
    week = CostQuery("costs.service LIKE 'claude%'", ("resource",), "week", FIRST)
    queries = [
        week,
        CostQuery(week.filter, ("resource",), "week", FIRST + timedelta(days=20)),
        CostQuery(week.filter, ("resource",), "week", FIRST + timedelta(days=13)),
        CostQuery(None, ("resource", "service"), "day", FIRST),
        CostQuery(week.filter, ("service",), "day", FIRST),
    ]
    batch = Batch(queries)
    assert batch.filters == [week.filter, None]
    assert batch.groupings == {
        ("week", ("resource",), FIRST): FIRST,  # Sep 1st 2026 is a Tuesday: its own grouping
        ("week", ("resource",), None): FIRST + timedelta(days=13),  # two Mondays after: shared
        ("day", ("resource", "service"), None): FIRST,
        ("day", ("service",), None): FIRST,
    }
    compiled = batch.compile(TAGS, end=LAST, accounts=ACCOUNTS, rollup="cost_daily")
    assert compiled.sql.count(" UNION ALL ") == 3
    assert compiled.columns == ("set", "date", "g0", "g1", "v0", "v1")


def test_a_batch_reads_the_rollup_unless_a_split_tag_needs_the_cost_rows() -> None:
    def source(q: CostQuery) -> str:
        sql = Batch([q]).compile(TAGS, end=LAST, accounts=ACCOUNTS, rollup="cost_daily").sql
        return "cost_daily" if "FROM cost_daily" in sql else "cost_rows"

    assert source(CostQuery(None, ("resource", "service"), "day", FIRST)) == "cost_daily"
    assert source(CostQuery(None, ("tag:cost_center",), "month", FIRST)) == "cost_rows"


class CountingFacts(DuckDBFacts):
    """The store, keeping the text of every query it answers."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.queries: list[str] = []

    def arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        self.queries.append(sql)
        return super().arrow(sql, params)


def test_every_rule_of_a_workspace_is_answered_by_one_query_on_the_rollup(
    tmp_path: Path,
) -> None:
    outlay = synced(tmp_path)
    add_channel(outlay)
    for i, (interval, filter, group_by) in enumerate([
        ("day", None, ()), ("week", "costs.service LIKE 'claude%'", ("resource",)),
        ("month", "costs.token_type = 'output'", ("service",)), ("week", None, ("resource",)),
    ]):  # fmt: skip
        outlay.add_cost_alert(f"r{i}", interval=interval, threshold="25%", notify=["ops"],
                              filter=filter, group_by=group_by)  # fmt: skip
    outlay.evaluate_alert_rules()  # what fires is recorded: the next run only reads
    outlay.facts = counting = CountingFacts(outlay.settings.facts_path)

    assert outlay.evaluate_alert_rules() == []
    (sql,) = counting.queries
    assert "FROM cost_daily" in sql and "cost_rows" not in sql


def test_a_batch_refuses_hour_bins() -> None:
    with pytest.raises(ValueError, match="day, week, month or quarter"):
        Batch([CostQuery(None, (), "hour", FIRST)])
