"""Top N per parent, subtotals per parent and the movers order, against plain Python."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from outlay.errors import InputError
from outlay.report.per_parent import rank_per_parent, regroup
from outlay.report.run import OTHER, run_report
from outlay.report.spec import ReportSpec
from outlay.report.tags import TagSet
from outlay.store.facts_api import Facts
from tests.report_reference import reference_report
from tests.test_report import FIRST, LAST, TODAY, load_synthetic

pytestmark = pytest.mark.storage

Loaded = tuple[Facts, list[dict[str, Any]]]
NO_TAGS = TagSet(())


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    return load_synthetic(Path(tmp_path_factory.mktemp("facts")))


def expected_top_per_parent(
    sums: dict[tuple[str, str], Decimal], parents: int, per_parent: int
) -> dict[tuple[str, str], Decimal]:
    """The answer worked out the long way: rank parents, then children within each."""
    by_parent: dict[str, Decimal] = defaultdict(Decimal)
    for (parent, _), value in sums.items():
        by_parent[parent] += value
    ranked = sorted(by_parent, key=lambda p: (-by_parent[p], p))
    out: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for index, parent in enumerate(ranked):
        children = sorted((k for k in sums if k[0] == parent), key=lambda k: (-sums[k], k[1]))
        for rank, key in enumerate(children):
            if index >= parents:
                out[(OTHER, OTHER)] += sums[key]
            elif rank >= per_parent:
                out[(parent, OTHER)] += sums[key]
            else:
                out[key] += sums[key]
    return dict(out)


def test_top_per_parent_matches_the_long_way_and_keeps_the_total(loaded: Loaded) -> None:
    facts, rows = loaded
    spec = ReportSpec(
        FIRST, LAST, group_by=("resource", "service"), date_bin="cumulative", top=2,
        top_per_parent=2,
    )  # fmt: skip
    result = run_report(facts, spec, NO_TAGS, today=TODAY)
    reference = reference_report(
        rows, NO_TAGS, start=FIRST, end=LAST, date_bin="cumulative",
        group_by=("resource", "service"), measure="cost", expr=None,
    )  # fmt: skip
    sums = {(k[1], k[2]): v for k, v in reference.items()}
    expected = expected_top_per_parent(sums, parents=2, per_parent=2)
    got = {(g.key["resource"], g.key["service"]): g.total for g in result.group_totals}
    assert got == expected
    # Each kept parent's children come together, largest first, its Other last.
    parents = [g.key["resource"] for g in result.group_totals]
    assert parents == sorted(parents, key=parents.index)
    assert result.group_totals[-1].other
    assert result.total == sum(sums.values())
    # Subtotals per parent add up to the parents' children.
    for entry in result.parent_totals:
        parent = entry["key"]["resource"]
        assert entry["total"] == sum(v for k, v in expected.items() if k[0] == parent)


def test_top_per_parent_compares_folded_groups_with_their_previous_values(
    loaded: Loaded,
) -> None:
    facts, _ = loaded
    middle = FIRST + timedelta(days=30)
    spec = ReportSpec(
        middle, LAST, group_by=("resource", "service"), date_bin="day", top_per_parent=1,
        compare="previous", sort="movers",
    )  # fmt: skip
    result = run_report(facts, spec, NO_TAGS, today=TODAY)
    flat = run_report(
        facts, ReportSpec(FIRST, middle - timedelta(days=1), group_by=("resource",)),
        NO_TAGS, today=TODAY,
    )  # fmt: skip
    before = {g.key["resource"]: g.total for g in flat.group_totals}
    for entry in result.parent_totals:
        assert entry["previous"] == before.get(entry["key"]["resource"], 0)
    # Movers: parents by the size of their change, largest first.
    changes = [abs(e["change"]) for e in result.parent_totals]
    assert changes == sorted(changes, reverse=True)


def test_rank_and_regroup_fold_per_parent_and_per_date() -> None:
    sums = {("a", "x"): 5, ("a", "y"): 3, ("a", "z"): 1, ("b", "x"): 2, ("c", "x"): 1}
    ranking = rank_per_parent(
        sums, ("user", "model"), per_parent=1, parents=2, by_name=False, other=OTHER
    )
    assert ranking.order == [("a", "x"), ("a", OTHER), ("b", "x"), (OTHER, OTHER)]
    rows = [
        {"date": "d1", "user": "a", "model": "y", "cost": 3},
        {"date": "d1", "user": "a", "model": "z", "cost": 1},
        {"date": "d2", "user": "a", "model": "z", "cost": 4},
    ]
    folded = regroup(rows, ("user", "model"), ranking.fold, "cost")
    assert folded == [
        {"date": "d1", "user": "a", "model": OTHER, "cost": 4},
        {"date": "d2", "user": "a", "model": OTHER, "cost": 4},
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"group_by": ("resource",), "top_per_parent": 3}, "needs two group-by levels"),
        ({"group_by": ("resource", "service"), "top_per_parent": 0}, "1 to 1000"),
        ({"sort": "movers"}, "add compare=previous"),
        ({"chart_top": 0}, "chart top must be 1 to"),
    ],
)
def test_bad_two_level_options_say_what_to_do(options: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        ReportSpec(FIRST, LAST, **options)
