"""The Virtual Tags page at a real team's size: CSV import with its match report, a short tag
list, email lists in the filter box, and deletes that ask first."""

from __future__ import annotations

import html

from outlay.report.spec import ReportSpec
from tests.test_pages import World, problem, template, world

__all__ = ["template", "world"]  # the fixtures this module uses


def emails_with_cost(world: World) -> list[str]:
    spec = ReportSpec(interval="last_30_days", date_bin="cumulative", group_by=("resource",))
    rows = world.outlay.report(spec, workspace="A").rows
    return sorted(str(r["resource"]) for r in rows if r["resource"])


def test_a_csv_import_reports_what_matches_nothing_and_saves_only_when_confirmed(
    world: World,
) -> None:
    emails = emails_with_cost(world)
    text = f"Email,Team\n{emails[0].upper()},ML\n{emails[1]},Infra\nghost@nowhere.example,ML\n"
    checked = world.post(
        "editor", "/tags/import-csv", {"workspace": "A", "key": "crew", "op": "check"},
        files={"file": ("people.csv", text, "text/csv")},
    )  # fmt: skip
    assert checked.status_code == 200
    page = html.unescape(checked.text)
    assert "people.csv</strong>: 3 email(s) in 2 value(s); the header row was skipped" in page
    assert "Emails are compared case-insensitively" in page
    assert "2 of 3 email(s) appear in the cost data" in page
    assert "<li>ghost@nowhere.example</li>" in page
    for email in emails[2:]:
        assert f"<tr><td>{email}</td>" in page
    assert "crew" not in world.outlay.tags("A")  # nothing saved by the check
    saved = world.post(
        "editor", "/tags/import-csv",
        {"workspace": "A", "key": "crew", "op": "save", "csv": text, "source": "people.csv"},
    )  # fmt: skip
    assert saved.status_code == 200 and "Saved tag crew" in saved.text
    values = world.outlay.tags("A").get("crew").values
    assert [v.name for v in values] == ["ML", "Infra"]
    assert emails[0] in values[0].filter_text and emails[1] in values[1].filter_text


def test_a_bad_csv_is_shown_again_with_its_line(world: World) -> None:
    form = {"workspace": "A", "key": "crew", "op": "check", "csv": "ana@x.io,ML,extra\n"}
    refused = world.post("editor", "/tags/import-csv", form)
    assert refused.status_code == 400
    assert "pasted CSV, line 1: expected 2 columns" in problem(refused)
    assert "ana@x.io,ML,extra" in refused.text


def test_the_tag_list_summarises_long_email_lists(world: World) -> None:
    emails = [f"user{i}@acme.example" for i in range(40)]
    world.outlay.import_tag_csv("crew", "".join(f"{e},Core\n" for e in emails), "p.csv", "A")
    page = html.unescape(world.get("editor", "/tags?workspace=A").text)
    assert "1 value · 40 emails" in page
    assert (
        "costs.resource IN 40 values: user0@acme.example, user1@acme.example, user2@acme.example, …"
    ) in page
    # The whole list is one click away, folded.
    assert '<details class="filter">' in page


def test_the_filter_box_takes_a_pasted_list_of_emails(world: World) -> None:
    form = {
        "workspace": "A", "original": "", "key": "crew", "op": "save", "v_label": ["Core"],
        "v_filter": ["ana@acme.example\nbo@acme.example, cy@acme.example;\n"],
        "v_start": [""], "v_end": [""],
    }  # fmt: skip
    saved = world.post("editor", "/tags/edit", form)
    assert saved.status_code == 200, problem(saved)
    value = world.outlay.tags("A").get("crew").values[0]
    assert value.filter_text == (
        "costs.resource IN ('ana@acme.example', 'bo@acme.example', 'cy@acme.example')"
    )
    editor = world.get("editor", "/tags?workspace=A&tag=crew").text
    assert ">ana@acme.example\nbo@acme.example\ncy@acme.example</textarea>" in editor


def test_deleting_a_tag_asks_first(world: World) -> None:
    asked = world.post("editor", "/tags/delete", {"workspace": "A", "key": "team"})
    assert asked.status_code == 200 and "Delete tag team?" in asked.text
    assert 'name="confirm" value="yes"' in asked.text
    assert world.outlay.tags("A").keys == ("team",)
    gone = world.post("editor", "/tags/delete", {"workspace": "A", "key": "team", "confirm": "yes"})
    assert "Deleted tag team" in gone.text and world.outlay.tags("A").keys == ()
    unknown = world.post("editor", "/tags/delete", {"workspace": "A", "key": "nope"})
    assert unknown.status_code == 400 and "no virtual tag 'nope'" in problem(unknown)
