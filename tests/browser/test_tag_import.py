"""A tag from an HR export in a real browser, at a real team's size: a CSV with a header row and
mixed-case emails, the report of what matches nothing, the confirm step, the short tag list."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from outlay.report.spec import ReportSpec
from outlay.testing.cursor_fake.server import RunningFake
from outlay.testing.cursor_fake.team import TeamSpec
from tests.browser.conftest import App
from tests.browser.test_acceptance import sign_in

Shot = Callable[[Page, str], None]
GHOSTS = ("left.company@acme.example", "Typo.Person@acme.example")


@pytest.fixture(scope="module")
def fake_api() -> Iterator[RunningFake]:
    """A 300-person team (replaces the conftest's small one for this module)."""
    with RunningFake(TeamSpec(users=300, days=30, events_per_user_day=3), rate_limit=False) as fake:
        yield fake


@pytest.fixture(scope="module")
def people(app: App) -> list[str]:
    """The team's emails that carry cost, imported once for the module."""
    app.outlay.add_account("cursor", "acme", app.fake.key, base_url=app.fake.url)
    app.outlay.sync("acme")
    spec = ReportSpec(interval="last_30_days", date_bin="cumulative", group_by=("resource",))
    rows = app.outlay.report(spec).rows
    return sorted(str(r["resource"]) for r in rows if r["resource"])


def hr_export(emails: list[str]) -> str:
    """Every second person's email in another case (as HR tools write them), a header, and
    two people the cost data has never seen."""
    lines = ["Work Email,Team"]
    for i, email in enumerate(emails):
        spelled = email.upper() if i % 2 else email.title()
        lines.append(f"{spelled},{('Platform', 'Research', 'Sales')[i % 3]}")
    lines += [f"{ghost},Sales" for ghost in GHOSTS]
    return "\n".join(lines) + "\n"


def test_csv_import_reports_unmatched_emails_then_saves(
    page: Page, app: App, people: list[str], shot: Shot
) -> None:
    assert len(people) > 250
    listed, missing = people[:-12], people[-12:]  # 12 people with cost are not in the export
    sign_in(page, app)
    page.goto(app.url + "/tags")
    form = page.locator("#csv-import form")
    form.locator("input[name=key]").fill("team")
    form.locator("textarea[name=csv]").fill(hr_export(listed))
    page.click("#csv-check")

    report = page.locator("[data-csv-report]")
    expect(report).to_contain_text(f"{len(listed) + 2} email(s) in 3 value(s)")
    expect(report).to_contain_text("the header row was skipped")
    expect(report).to_contain_text("Emails are compared case-insensitively")
    expect(page.locator("[data-matched]")).to_have_text(
        f"{len(listed)} of {len(listed) + 2} email(s) appear in the cost data."
    )
    expect(page.locator("[data-unmatched] li")).to_have_text([g.lower() for g in GHOSTS])
    uncovered = page.locator("[data-uncovered] tbody tr td:first-child")
    assert sorted(uncovered.all_text_contents()) == missing
    page.locator("#csv-import").scroll_into_view_if_needed()
    shot(page, "tag-csv-report")
    assert "team" not in app.outlay.tags()  # nothing saved before the confirm

    page.click("#csv-save")
    expect(page.locator(".notice")).to_contain_text("Saved tag team")
    card = page.locator('section.tag[data-tag="team"]')
    expect(card.locator("[data-tag-summary]")).to_have_text(
        f"3 values · {len(listed) + 2:,} emails"
    )
    expect(card.locator("tbody tr").first).to_contain_text(
        re.compile(r"costs\.resource IN \d+ values: .+, …")
    )
    card.scroll_into_view_if_needed()
    shot(page, "tag-list-summary")
    # Saving opens the editor: each value's emails one per line in a multi-line box.
    box = page.locator("#tag-editor textarea[name=v_filter]").first
    assert box.input_value().splitlines() == listed[::3]  # Platform's, in the export's order
    box.scroll_into_view_if_needed()
    shot(page, "tag-editor-email-list")
    # Every listed person's cost is tagged, whatever the case the export wrote.
    spec = ReportSpec(
        interval="last_30_days", date_bin="cumulative", group_by=("tag:team", "resource")
    )
    tagged = {r["resource"]: r["tag:team"] for r in app.outlay.report(spec).rows}
    assert all(tagged[e] is not None for e in listed)
    assert all(tagged[e] is None for e in missing)
