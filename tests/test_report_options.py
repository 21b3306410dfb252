"""The report options are defined once: every surface takes each of them, and parses it the same."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from outlay.cli.app import app as cli_app
from outlay.errors import InputError
from outlay.report.options import OPTIONS, spec_from_text, spec_to_text
from outlay.report.spec import ReportSpec
from outlay.web.api import router
from outlay.web.pages.report_view import ReportView

EVERY_OPTION = ReportSpec(
    start=date(2026, 1, 1), end=date(2026, 1, 31), date_bin="week",
    group_by=("service", "tag:team"), filter="costs.service LIKE 'claude%'", measure="count",
    compare="previous", top=5, top_per_parent=3, sort="name", forecast=True, chart="pie",
    chart_top=20,
)  # fmt: skip


def test_the_example_sets_every_option_away_from_its_default() -> None:
    defaults = ReportSpec(interval="this_month")
    changed = {
        o.field for o in OPTIONS if getattr(EVERY_OPTION, o.field) != getattr(defaults, o.field)
    }
    assert changed == {o.field for o in OPTIONS}


@pytest.mark.parametrize("command", [["costs"], ["reports", "save"]])
def test_every_option_is_a_flag(command: list[str]) -> None:
    out = CliRunner().invoke(cli_app, [*command, "--help"], terminal_width=200).output
    assert [o.flag for o in OPTIONS if o.flag not in out] == []


def test_every_option_is_an_api_parameter() -> None:
    api = FastAPI()
    api.include_router(router)
    params = {p["name"] for p in api.openapi()["paths"]["/api/v1/costs"]["get"]["parameters"]}
    assert {o.param for o in OPTIONS} <= params


def test_text_round_trips_through_the_table_and_the_page_url() -> None:
    assert spec_from_text(spec_to_text(EVERY_OPTION)) == EVERY_OPTION
    view = ReportView.from_spec(EVERY_OPTION, "Default")
    again = ReportView.from_query(dict(view.params()), "Default")
    assert again == view and again.spec() == EVERY_OPTION


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"top": "many", "interval": "this_month"}, "top 'many' is not a whole number"),
        ({"start": "2026-02-30", "end": "2026-03-01"}, "start_date '2026-02-30' is not a date"),
        ({"forecast": "maybe", "interval": "this_month"}, "forecast 'maybe' is not true or false"),
    ],
)
def test_bad_text_names_the_option(values: dict[str, str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        spec_from_text(values)
