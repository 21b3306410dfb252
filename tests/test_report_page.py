"""The report page at team size: the chart's series, two-level tables, previous period and
forecast lines, confirmations, and HTML 404s. Browser behaviour is in tests/browser."""

from __future__ import annotations

import html
import json
import re
from datetime import date, timedelta
from typing import Any

from outlay.web.pages.report_chart import bin_starts
from tests import test_pages
from tests.test_pages import World, query_of

REPORT_DATA = re.compile(r'<script type="application/json" id="report-data">(.*?)</script>', re.S)
#: The fake clock's today.
TODAY = date(2026, 11, 20)

# The pages tests' fixtures: a template world built once per module, a shared copy, a fresh copy.
template = test_pages.template
shared = test_pages.shared
world = test_pages.world


def chart_of(text: str) -> dict[str, Any]:
    found = REPORT_DATA.search(text)
    assert found is not None, "the page has no chart data"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def table_rows(text: str) -> list[str]:
    return re.findall(r"<tr [^>]*data-name=\"([^\"]*)\"", text)


def test_the_chart_draws_the_top_groups_and_one_other_while_the_table_keeps_all(
    shared: World,
) -> None:
    url = "/reports?workspace=A&interval=last_30_days&groupings=service,token_type"
    flat = "/reports?workspace=A&interval=last_30_days&groupings=service"
    every = table_rows(shared.get("owner", flat + "&date_bin=cumulative").text)
    assert len(every) > 3
    page = shared.get("owner", flat + "&chart_top=2").text
    series = chart_of(page)["series"]
    assert [s["name"] for s in series] == [*every[:2], "Other"]
    assert [s["other"] for s in series] == [False, False, True]
    assert table_rows(page) == every  # the table still lists every group
    # By default the chart keeps 10; the URL leaves the default out.
    response = shared.get("owner", flat)
    assert "chart_top" not in query_of(str(response.url))
    assert len(chart_of(response.text)["series"]) <= 11
    assert 'id="chart-top"' in shared.get("owner", url).text


def test_two_levels_show_subtotals_per_parent_and_stack_by_the_second(shared: World) -> None:
    url = (
        "/reports?workspace=A&interval=last_30_days&groupings=service,token_type"
        "&top_per_parent=1&date_bin=cumulative"
    )
    page = shared.get("owner", url).text
    parents = re.findall(r'<tbody class="parent" data-name="([^"]*)"', page)
    assert len(parents) > 1
    # Each parent: its subtotal row, its largest token type, and the rest as Other.
    assert page.count('class="subtotal') == len(parents)
    assert "Subtotal of 2" in page
    chart = chart_of(page)
    assert chart["stacked_by"] == "Token type"
    bars = [x for x in chart["series"][0]["x"] if x != "Other"]
    assert bars == parents[: len(bars)]  # the same parents, largest subtotal first


def test_previous_period_and_forecast_are_lines_on_the_chart(shared: World) -> None:
    url = (
        "/reports?workspace=A&interval=this_month&groupings=service&compare=previous&forecast=true"
    )
    chart = chart_of(shared.get("owner", url).text)
    previous = chart["previous"]
    # "This month" is compared with the same days of last month (the finance rule).
    assert previous["name"] == "Previous period (2026-10-01 to 2026-10-20)"
    # Moved onto this period's days: Oct 1 lines up with Nov 1.
    assert previous["x"] and all("2026-11-01" <= d <= "2026-11-20" for d in previous["x"])
    assert sum(previous["y"]) > 0
    days = chart["forecast"]["days"]
    assert days["x"][0] == "2026-11-21" and days["x"][-1] == "2026-11-30"
    assert all(
        low <= y <= high for low, y, high in zip(days["low"], days["y"], days["high"], strict=True)
    )


def test_month_bins_line_the_previous_period_up_by_month(shared: World) -> None:
    url = (
        "/reports?workspace=A&start_date=2026-10-01&end_date=2026-11-20&date_bin=month"
        "&groupings=service&compare=2026-08-01..2026-09-20"
    )
    chart = chart_of(shared.get("owner", url).text)
    assert set(chart["previous"]["x"]) <= {"2026-10-01", "2026-11-01"}


def test_daily_dates_show_their_weekday(shared: World) -> None:
    page = shared.get("owner", "/reports?workspace=A&interval=last_7_days&groupings=service")
    assert "<td>Fri 2026-11-20</td>" in page.text
    monday = TODAY - timedelta(days=4)
    assert f"<td>Mon {monday}</td>" in page.text


def test_an_empty_range_says_so_without_a_chart(shared: World) -> None:
    page = shared.get(
        "owner", "/reports?workspace=A&start_date=2024-01-01&end_date=2024-01-31"
    ).text
    assert 'id="empty-range"' in page and "No costs in this range" in page
    assert 'id="chart"' not in page and 'id="report-data"' not in page


def test_the_page_says_while_a_report_runs(shared: World) -> None:
    page = shared.get("owner", "/reports?workspace=A").text
    assert '<p id="loading" class="loading" role="status" hidden>' in page


def test_an_unknown_page_is_an_html_404_and_the_api_stays_json(shared: World) -> None:
    response = shared.get("owner", "/no-such-page")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "<h1>Not found</h1>" in response.text and "/no-such-page" in response.text
    api = shared.get("owner", "/api/v1/no-such-thing")
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"


def test_deleting_asks_on_its_own_page_and_a_viewer_may_not(world: World) -> None:
    listing = world.get("editor", "/reports/saved?workspace=A").text
    link = re.search(r'href="(/reports/delete\?[^"]+)"', listing)
    assert link is not None
    asked = world.get("editor", html.unescape(link.group(1)))
    assert asked.status_code == 200 and 'id="confirm-delete"' in asked.text
    assert [r.name for r in world.outlay.saved_reports(workspace="A")] == ["Saved"]
    assert world.get("viewer", html.unescape(link.group(1))).status_code == 403
    missing = world.get("editor", "/reports/delete?workspace=A&name=Nope")
    assert missing.status_code == 404


def test_saving_over_another_reports_name_asks_to_replace_or_save_as_new(world: World) -> None:
    query = "workspace=A&interval=last_7_days&groupings=resource"
    asked = world.post("editor", "/reports/save", {"name": "Saved", "query": query})
    text = html.unescape(asked.text)
    assert "A saved report is called Saved already" in text
    assert 'value="Saved (2)"' in text
    assert world.outlay.saved_spec("Saved", workspace="A").group_by == ("service",)
    world.post("editor", "/reports/save", {"name": "Saved (2)", "query": query})
    assert world.outlay.saved_spec("Saved (2)", workspace="A").group_by == ("resource",)
    world.post("editor", "/reports/save", {"name": "Saved", "query": query, "replace": "yes"})
    assert world.outlay.saved_spec("Saved", workspace="A").group_by == ("resource",)
    # Saving the report the view came from replaces it without asking.
    mine = f"{query}&report=Saved&date_bin=week"
    saved = world.post("editor", "/reports/save", {"name": "Saved", "query": mine})
    assert "Saved report Saved" in saved.text
    assert world.outlay.saved_spec("Saved", workspace="A").date_bin == "week"


def test_removing_the_second_level_or_the_comparison_drops_what_needed_it(shared: World) -> None:
    url = (
        "/reports?workspace=A&interval=last_30_days&groupings=service,token_type"
        "&top_per_parent=2&compare=previous&sort=movers"
    )
    page = shared.get("owner", url)
    remove = re.search(r'href="([^"]+)"[^>]*aria-label="Remove Token type"', page.text)
    assert remove is not None
    one_level = shared.get("owner", html.unescape(remove.group(1)))
    assert one_level.status_code == 200
    assert "top_per_parent" not in query_of(str(one_level.url))
    uncompared = shared.get("owner", url.replace("&compare=previous", ""))
    assert uncompared.status_code == 200
    assert "sort" not in query_of(str(uncompared.url))


def test_bins_start_on_mondays_months_and_quarters() -> None:
    assert bin_starts(date(2026, 11, 4), date(2026, 11, 20), "week") == [
        date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16),
    ]  # fmt: skip
    assert bin_starts(date(2025, 12, 15), date(2026, 2, 1), "month") == [
        date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1),
    ]  # fmt: skip
    assert bin_starts(date(2026, 2, 10), date(2026, 8, 1), "quarter") == [
        date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1),
    ]  # fmt: skip


def test_the_ungrouped_table_lines_up_and_says_total_once(shared: World) -> None:
    page = shared.get("owner", "/reports?workspace=A&interval=last_7_days&groupings=").text
    table = page[page.index('<table class="report"') : page.index("</table>")]
    head = table[table.index("<thead>") : table.index("</thead>")]
    foot = table[table.index("<tfoot>") : table.index("</tfoot>")]
    first_row = foot[foot.index("<tr>") : foot.index("</tr>")]
    assert len(re.findall(r"<th[ >]", head)) == first_row.count("<td")
    assert table.count(">Total<") == 1 and "<tbody" not in table
