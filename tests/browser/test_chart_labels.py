"""Chart labels are text: a tag value written as HTML shows as written, never as a link."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import App
from tests.browser.test_acceptance import query, sign_in

LINK = '<a href="http://evil.example/">win</a> & <b>bold</b>'
TAGS = (
    "- key: team\n  values:\n"
    f"    - name: '{LINK}'\n      filter: costs.service LIKE 'claude%'\n"
    "    - name: Plain\n      filter: costs.service LIKE '%'\n"
)


@pytest.fixture(scope="module")
def hostile(app: App) -> App:
    app.outlay.add_account("cursor", "acme", app.fake.key, base_url=app.fake.url)
    app.outlay.sync("acme")
    app.outlay.import_tags(TAGS, "tags")
    return app


@pytest.mark.parametrize(
    ("chart", "date_bin"), [("bar", "cumulative"), ("pie", "cumulative"), ("line", "day")]
)
def test_a_tag_value_in_html_is_drawn_as_text(
    page: Page, hostile: App, chart: str, date_bin: str
) -> None:
    sign_in(page, hostile)
    page.goto(
        f"{hostile.url}/reports?interval=last_30_days&groupings=tag:team"
        f"&date_bin={date_bin}&chart={chart}"
    )
    plot = page.locator("#chart .main-svg").first
    expect(plot).to_be_visible()
    # Plotly turns <a href> in a label into an SVG link; escaped, the label is plain text.
    assert page.locator("#chart a").count() == 0
    assert page.locator("#chart b").count() == 0
    texts = page.locator("#chart text").all_text_contents()
    assert any(LINK in t for t in texts), texts


@pytest.mark.parametrize(
    ("chart", "segment"), [("bar", ".point path"), ("pie", ".slice .slicetext")]
)
def test_clicking_a_hostile_segment_still_drills_down(
    page: Page, hostile: App, chart: str, segment: str
) -> None:
    sign_in(page, hostile)
    page.goto(
        f"{hostile.url}/reports?interval=last_30_days&groupings=tag:team"
        f"&date_bin=cumulative&chart={chart}"
    )
    expect(page.locator("#chart .main-svg").first).to_be_visible()
    names = page.locator("#report-table tbody tr td:first-child").all_inner_texts()
    # Segments are drawn in the table's order; Plotly's drag layer takes the pointer: force.
    page.locator(f"#chart {segment}").nth(names.index(LINK)).click(force=True)
    expect(page).to_have_url(re.compile(r"groupings=service"))
    assert "evil.example" in query(page)["filter"]
