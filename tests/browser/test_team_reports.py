"""The report page with a 300-user demo team: legible chart, a table to work with, two-level
reports, and the previous period and forecast drawn. Screenshots go to the artifacts folder."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from outlay.testing.cursor_fake.server import RunningFake
from outlay.testing.cursor_fake.team import TeamSpec
from tests.browser.conftest import App
from tests.browser.test_acceptance import sign_in

Shot = Callable[[Page, str], None]
USERS = 300
BY_USER = "/reports?interval=last_30_days&groupings=resource"
TRACES = "Array.from(document.getElementById('chart').data, t => ({name: t.name, type: t.type, "
TRACES += "meta: t.meta, colour: t.marker && t.marker.color, dash: t.line && t.line.dash, "
TRACES += "fill: t.fill || null, x: Array.from(t.x || [])}))"


@pytest.fixture(scope="module")
def fake_api() -> Iterator[RunningFake]:
    """Replaces the shared 8-user team: 300 members, two months, a light day each."""
    spec = TeamSpec(users=USERS, days=65, events_per_user_day=2.0)
    with RunningFake(spec, rate_limit=False) as fake:
        yield fake


@pytest.fixture(scope="module")
def team(app: App) -> App:
    app.outlay.add_account("cursor", "team", app.fake.key, base_url=app.fake.url, paced=False)
    app.outlay.sync("team")
    return app


def open_report(page: Page, team: App, path: str) -> None:
    sign_in(page, team)
    page.goto(team.url + path)
    expect(page.locator("#chart[data-drawn]")).to_be_attached()


def traces(page: Page) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.evaluate(TRACES)
    return found


def test_300_users_chart_top_10_and_other_with_distinct_colours_and_table_pages(
    page: Page, team: App, shot: Shot
) -> None:
    open_report(page, team, BY_USER)
    bars = [t for t in traces(page) if t["type"] == "bar"]
    assert len(bars) == 11 and bars[-1]["name"] == "Other"
    assert len({t["colour"] for t in bars}) == 11  # no colour twice
    # The table keeps every user, 50 to a page.
    count = page.locator("#table-count").inner_text()
    total = int(count.split()[0])
    assert total > 250, count
    rows = page.locator("#report-table tbody tr:visible")
    expect(rows).to_have_count(50)
    expect(page.locator("#page-info")).to_have_text(f"1–50 of {total}")
    shot(page, "team-by-user-top10")
    page.click("#page-next")
    expect(page.locator("#page-info")).to_have_text(f"51–100 of {total}")
    expect(rows).to_have_count(50)
    # Daily ticks carry their weekday; month bins tick on month starts.
    page.goto(team.url + BY_USER.replace("last_30_days", "last_3_months") + "&date_bin=month")
    expect(page.locator("#chart[data-drawn]")).to_be_attached()
    ticks = page.locator("#chart .xtick text").all_text_contents()
    assert ticks and all(re.fullmatch(r"[A-Z][a-z]{2} \d{4}", t) for t in ticks), ticks
    shot(page, "team-by-user-months")


def test_sort_by_change_movers_and_search(page: Page, team: App, shot: Shot) -> None:
    open_report(page, team, BY_USER + "&compare=previous")
    page.select_option("#table-sort", "change")
    changes = page.locator("#report-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.change === '' ? null : Number(r.dataset.change))"
    )
    known = [c for c in changes if c is not None]
    assert known == sorted(known, reverse=True)
    assert changes[: len(known)] == known  # those without a previous value come after
    page.select_option("#table-sort", "movers")
    first = page.locator("#report-table tbody tr:visible").first
    biggest = max(abs(c) for c in known)
    assert abs(float(first.get_attribute("data-change") or 0)) == biggest
    shot(page, "team-sorted-by-movers")
    page.click("th[data-sort=name] button")
    names = page.locator("#report-table tbody tr:visible").evaluate_all(
        "rows => rows.map(r => r.dataset.name)"
    )
    # In the browser's own name order (locale-aware, as people read names).
    in_order = page.evaluate("names => [...names].sort((a, b) => a.localeCompare(b))", names)
    assert names == in_order and len(names) == 50
    # Search narrows the table to matching groups, across pages.
    needle = names[3].split("@")[0]
    page.fill("#table-search", needle)
    expect(page.locator("#table-count")).to_contain_text("match")
    visible = page.locator("#report-table tbody tr:visible").all_inner_texts()
    assert visible and all(needle in v for v in visible)
    shot(page, "team-search")


def test_top_n_per_parent_with_subtotals_and_a_chart_stacked_by_model(
    page: Page, team: App, shot: Shot
) -> None:
    path = "/reports?interval=last_30_days&groupings=resource,service&top=10&top_per_parent=3"
    open_report(page, team, path + "&date_bin=cumulative")
    parents = page.locator("#report-table tbody.parent")
    expect(parents).to_have_count(11)  # ten users and Other
    for index in range(10):
        block = parents.nth(index)
        expect(block.locator("tr.subtotal")).to_have_count(1)
        assert block.locator("tr").count() <= 1 + 3 + 1  # subtotal, three models, Other
    bars = [t for t in traces(page) if t["type"] == "bar"]
    # One bar per top user, stacked by model; the other 290 users are in the table only.
    assert bars and all(len(t["x"]) == 10 for t in bars)
    expect(page.locator("#stack-note")).to_contain_text("is in the table, not drawn")
    expect(page.locator("#top-per-parent")).to_have_value("3")
    shot(page, "team-top-users-and-their-models")


def test_previous_period_and_forecast_are_drawn(page: Page, team: App, shot: Shot) -> None:
    open_report(page, team, BY_USER + "&compare=previous&forecast=true")
    drawn = traces(page)
    previous = [t for t in drawn if t["meta"] == "previous"]
    assert len(previous) == 1 and previous[0]["dash"] == "dash"
    forecast = [t for t in drawn if t["meta"] == "forecast"]
    band = [t for t in drawn if t["meta"] == "forecast-band"]
    assert forecast and forecast[0]["dash"] == "dash"
    assert band and band[0]["fill"] == "tonexty"
    dashed = page.locator("#chart .scatterlayer path.js-line")
    styles = dashed.evaluate_all("paths => paths.map(p => p.style.strokeDasharray)")
    assert sum(1 for s in styles if s and s != "none") >= 2, styles
    shot(page, "team-previous-and-forecast")


def test_a_report_running_shows_the_loading_sign_and_an_empty_range_no_chart(
    page: Page, team: App
) -> None:
    open_report(page, team, BY_USER)
    loading = page.locator("#loading")
    expect(loading).to_be_hidden()
    # The controls' submit shows it (a plain event: the page does not really reload).
    page.evaluate("document.getElementById('controls').dispatchEvent(new Event('submit'))")
    expect(loading).to_be_visible()
    page.goto(team.url + "/reports?start_date=2024-01-01&end_date=2024-01-31&groupings=resource")
    expect(page.locator("#empty-range")).to_be_visible()
    expect(page.locator("#chart")).to_have_count(0)
