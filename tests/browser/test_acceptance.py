"""The acceptance path in a real browser: connect, import, report, drill, save, export, tag."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, expect

from tests.browser.conftest import App

Shot = Callable[[Page, str], None]


def query(page: Page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


def sign_in(page: Page, app: App) -> None:
    page.goto(app.url + "/integrations")
    expect(page).to_have_url(re.compile(r"/login\?next=/integrations"))
    page.fill("input[name=email]", app.email)
    page.fill("input[name=password]", app.password)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/integrations$"))


def test_connect_import_report_drill_save_export_and_tag(page: Page, app: App, shot: Shot) -> None:
    sign_in(page, app)
    expect(page.locator(".empty")).to_contain_text("No Cursor account is connected")

    # Connect the fake account without starting the import, to see it Importing first.
    page.fill("input[name=name]", "acme")
    page.fill("input[name=api_key]", app.fake.key)
    page.fill("input[name=base_url]", app.fake.url)
    page.uncheck("input[name=start_import]")
    page.click("text=Connect account")
    row = page.locator('tr[data-account="acme"]')
    expect(page.locator(".notice")).to_contain_text("Connected acme")
    expect(row.locator("[data-status]")).to_have_text("Importing")
    assert app.fake.key not in page.content()

    # Sync now: the scheduler thread imports it; the page refreshes itself until Stable.
    row.locator("text=Sync now").click()
    expect(page.locator(".notice")).to_contain_text("Sync of acme queued")
    shot(page, "integrations-importing")
    expect(row.locator("[data-status]")).to_have_text("Stable", timeout=30_000)
    expect(row).to_contain_text("history complete")
    shot(page, "integrations-stable")

    # A report grouped by model over the last 30 days, built with the controls.
    page.click("nav >> text=Cost Reports")
    page.wait_for_load_state()
    page.select_option("#interval", "last_30_days")
    expect(page).to_have_url(re.compile(r"interval=last_30_days"))
    page.wait_for_load_state()
    page.click('.chip[data-group="service"] >> [aria-label^="Remove"]')
    expect(page).to_have_url(re.compile(r"groupings=&"))
    page.wait_for_load_state()
    page.select_option("#add-group", "service")
    expect(page).to_have_url(re.compile(r"groupings=service&"))
    expect(page.locator("#chart .plot-container svg.main-svg").first).to_be_visible()
    expect(page.locator("#total")).to_have_text(re.compile(r"^\$[\d,]+\.\d\d$"))
    first_model = page.locator("#report-table tbody tr").first.locator("td").first.inner_text()
    shot(page, "report-by-model")

    # The filter builder writes VQL into the filter box; Apply runs it.
    page.click("text=+ Add filter rule")
    rule = page.locator("#filter-builder .rule").first
    rule.locator("select").first.select_option("token_type")
    # Its values come from the data: a datalist filled from a report grouped by token type.
    values = rule.locator("input").first.get_attribute("list")
    expect(page.locator(f"datalist#{values} option[value=output]")).to_have_count(1)
    rule.locator("input").first.fill("output")
    expect(page.locator("#filter-vql")).to_have_value("costs.token_type = 'output'")
    page.click("#apply")
    expect(page).to_have_url(re.compile(r"filter=costs.token_type"))
    assert query(page)["filter"] == "costs.token_type = 'output'"

    # Drill down: a click on a row (not on its link) filters on it and goes a level deeper
    # (service -> token type, already fixed by the filter, so -> resource: the users).
    page.wait_for_load_state()
    page.locator("#report-table tbody tr.drill").first.locator("td.num").first.click()
    expect(page).to_have_url(re.compile(r"groupings=resource"))
    drilled = query(page)
    assert drilled["filter"].startswith("costs.token_type = 'output' AND costs.service = '")
    expect(page.locator("#report-table thead")).to_contain_text("Resource (user)")
    expect(page.locator("#chart .plot-container")).to_be_visible()
    shot(page, "report-drilled")

    # Save it; it shows in the list and opens the same view.
    page.fill("form[action='/reports/save'] input[name=name]", "Output by model")
    page.click("#save-report")
    expect(page.locator(".notice")).to_contain_text("Saved report Output by model")
    page.click("text=Saved reports")
    page.click("a:text('Output by model')")
    assert query(page)["filter"] == drilled["filter"]

    # Export CSV: a download with the report's rows.
    with page.expect_download() as download:
        page.click("#export-csv")
    text = Path(download.value.path()).read_text()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["date", "resource", "cost"] and len(rows) > 5
    assert all("@" in r[1] for r in rows[1:])

    # A virtual tag, previewed live before saving, then used to group a report.
    page.click("nav >> text=Virtual Tags")
    page.click("text=New tag")
    page.fill("#tag-key", "vendor")
    page.locator("textarea[name=v_label]").first.fill("Top model")
    page.locator("[name=v_filter]").first.fill(f"costs.service = '{first_model}'")
    page.click("text=+ Add value")
    page.locator("textarea[name=v_label]").nth(1).fill("Rest\nShared: 50\nOther team: 50")
    expect(page.locator("#tag-preview .error")).to_contain_text("value 2: split line")
    page.locator("textarea[name=v_label]").nth(1).fill("Shared: 50\nOther team: 50")
    page.locator("[name=v_filter]").nth(1).fill("costs.token_type = 'input'")
    preview = page.locator("#tag-preview table[data-preview]")
    expect(preview).to_contain_text("Top model")
    expect(preview).to_contain_text("Untagged")
    expect(preview).to_contain_text("Other team")
    page.locator("#editor").evaluate("editor => editor.scrollIntoView()")
    shot(page, "tag-editor-preview")
    page.click("#save-tag")
    expect(page.locator(".notice")).to_contain_text("Saved tag vendor")
    page.click("text=Costs by vendor")
    expect(page).to_have_url(re.compile(r"groupings=tag%3Avendor"))
    expect(page.locator("#report-table")).to_contain_text("Top model")
    expect(page.locator("#report-table")).to_contain_text("(untagged)")
    expect(page.locator("#chart .plot-container svg.main-svg").first).to_be_visible()
    shot(page, "report-by-tag")

    # A click on a chart segment drills too: the "Top model" part of a day's stacked bar.
    page.wait_for_load_state()
    # Traces are drawn in the table's order. Plotly's drag layer takes the pointer: force.
    names = page.locator("#report-table tbody tr td:first-child").all_inner_texts()
    trace = page.locator("#chart .barlayer .trace").nth(names.index("Top model"))
    segments = trace.locator(".point path")
    heights = [box["height"] if (box := p.bounding_box()) else 0 for p in segments.all()]
    segments.nth(heights.index(max(heights))).click(force=True)
    expect(page).to_have_url(re.compile(r"groupings=service"))
    assert query(page)["filter"] == "tags.name = 'vendor' AND tags.value = 'Top model'"
    expect(page.locator("#report-table tbody tr")).to_have_count(1)


def test_a_bad_filter_shows_inline_and_the_page_still_works(
    page: Page, app: App, shot: Shot
) -> None:
    sign_in(page, app)
    page.goto(app.url + "/reports?interval=last_30_days&filter=costs.service%20%3D%20")
    expect(page.locator("#filter-error")).to_contain_text("at position 16")
    expect(page.locator("#filter-builder")).to_be_visible()
    page.fill("#filter-vql", "")
    page.click("#apply")
    expect(page.locator("#filter-error")).to_have_count(0)
    expect(page.locator("#total")).to_have_text(re.compile(r"^\$"))
