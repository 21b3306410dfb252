"""The tag CSV import through the service: checked against its own workspace's cost data only,
with every spelling the data has of an email, and saved only by ``import_tag_csv``."""

from __future__ import annotations

from datetime import timedelta

from outlay.report.spec import ReportSpec
from outlay.service.reports import CSV_MATCH_DAYS
from tests.test_access import World, world

__all__ = ["world"]  # the fixture this module uses


def resources(world: World, workspace: str) -> set[str]:
    spec = ReportSpec(interval="last_30_days", date_bin="cumulative", group_by=("resource",))
    rows = world.outlay.report(spec, workspace=workspace).rows
    return {str(r["resource"]) for r in rows if r["resource"]}


def test_the_preview_reads_only_its_workspaces_costs_and_saves_nothing(world: World) -> None:
    in_a, in_b = resources(world, "A"), resources(world, "B")
    only_b = sorted(in_b - in_a)
    assert only_b, "the teams should differ"
    first = sorted(in_a)[0]
    text = f"email,team\n{first.upper()},Core\n{only_b[0]},Core\n"
    before = world.outlay.tags("A").to_yaml()
    preview = world.outlay.preview_tag_csv("crew", text, "p.csv", "A")
    # B's person is unknown in A, and A's people not in the CSV are listed with their cost.
    assert preview.report.unmatched == (only_b[0].lower(),)
    assert {email for email, _ in preview.report.uncovered} == in_a - {first}
    assert preview.report.since == world.outlay.today() - timedelta(days=CSV_MATCH_DAYS - 1)
    assert preview.header and preview.emails == 2 and not preview.replaces
    assert world.outlay.tags("A").to_yaml() == before
