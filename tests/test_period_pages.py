"""The report page's period rules: a custom comparison range from its own fields, and the 1st
of a month, when "this month" has no cost yet, showing last month with a note."""

from __future__ import annotations

import html
from datetime import timedelta

from fastapi.testclient import TestClient

from tests.test_pages import PASSWORD, World, query_of, sign_in, template, world

__all__ = ["template", "world"]  # the fixtures this module uses


def test_a_custom_comparison_range_comes_from_the_page_fields(world: World) -> None:
    asked = (
        "/reports?workspace=A&interval=last_month&groupings=service&date_bin=cumulative"
        "&compare=custom&compare_start=2026-09-01&compare_end=2026-09-30"
    )
    page = world.get("viewer", asked)
    assert page.status_code == 200
    assert query_of(str(page.url))["compare"] == "2026-09-01..2026-09-30"
    text = html.unescape(page.text)
    assert "2026-09-01 to 2026-09-30" in text  # the comparison's own range, shown
    assert 'name="compare_start" value="2026-09-01"' in text
    assert '<option value="custom" selected>Custom range</option>' in text
    # "Previous" fills the fields with the range it compares with: the month before.
    previous = world.get("viewer", asked.replace("compare=custom", "compare=previous"))
    assert 'name="compare_start" value="2026-09-01"' in previous.text
    assert 'name="compare_end" value="2026-09-30"' in previous.text
    # A custom range with no dates is no comparison.
    blank = world.get("viewer", "/reports?workspace=A&compare=custom&compare_start=")
    assert "compare" not in query_of(str(blank.url))


def test_on_the_first_this_month_shows_last_month_until_today_has_cost(world: World) -> None:
    world.fake.clock.advance(timedelta(days=11))  # 2026-12-01; the data ends on 2026-11-20
    client = TestClient(world.clients["viewer"].app)  # a new session: the old ones expired
    assert sign_in(client, "viewer@x.io", PASSWORD).status_code == 200
    page = client.get("/reports?workspace=A&interval=this_month&date_bin=cumulative")
    text = html.unescape(page.text)
    assert "No cost of today (2026-12-01, the first of the month) has arrived yet" in text
    assert "2026-11-01 to 2026-11-30" in text
    world.fake.clock.advance(timedelta(days=1))  # the 2nd: this month, even if empty
    later = html.unescape(client.get("/reports?workspace=A&interval=this_month").text)
    assert "has arrived yet" not in later and "2026-12-01 to 2026-12-02" in later
