"""Virtual tag files: parsing, validation with line numbers, CSV import, dependencies."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from outlay.errors import InputError
from outlay.report.tag_csv import match_report, parse_tag_csv, spellings_of, tag_from_csv
from outlay.report.tags import TagSet, parse_tag_value, parse_tags_yaml

EXAMPLE = (
    (Path(__file__).parent / "fixtures" / "tags_example.yaml").read_text()
    + """\
- key: cost_center
  values:
    - name: R&D
      filter: tags.name = 'team' AND tags.value IN ('Platform', 'Research')
"""
)


def test_the_documented_example_parses() -> None:
    tags = parse_tags_yaml(EXAMPLE)
    team = tags.get("team")
    assert [v.names for v in team.values] == [
        ("Platform",),
        ("Research",),
        ("Platform", "Research"),
    ]
    assert team.values[1].start == date(2026, 1, 1) and team.values[1].end is None
    assert team.values[2].split == (("Platform", 600000), ("Research", 400000))
    assert team.has_split and not tags.get("cost_center").has_split
    assert tags.get("cost_center").depends_on() == {"team"}
    assert [t.key for t in tags.closure(["cost_center"])] == ["team", "cost_center"]


def test_export_then_import_gives_the_same_definitions() -> None:
    tags = parse_tags_yaml(EXAMPLE)
    assert parse_tags_yaml(tags.to_yaml()) == tags


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- key: team\n  values: []\n", "line 2: tag 'team' needs a non-empty list 'values'"),
        (
            "- key: team\n  values:\n    - name: A\n      filter: costs.model = 'x'\n",
            "line 4: filter: expected",
        ),
        (
            "- key: team\n  values:\n    - split: {A: 60, B: 30}\n"
            "      filter: costs.service = 'x'\n",
            "line 3: split shares add up to 90, not 100",
        ),
        (
            "- key: team\n  values:\n    - name: A\n      split: {A: 100}\n"
            "      filter: costs.service = 'x'\n",
            "line 3: a tag value needs either 'name' or 'split'",
        ),
        (
            "- key: team\n  values:\n    - name: A\n      filter: costs.service = 'x'\n"
            "      colour: red\n",
            "line 5: unknown field 'colour'",
        ),
        (
            "- key: team\n  values:\n    - name: A\n      filter: costs.service = 'x'\n"
            "      dates: {start: 2026-02-30}\n",
            "line 5: dates.start '2026-02-30' is not a date",
        ),
        ("- key: team\n  values: [\n", "not valid YAML"),
        (
            "- key: cursor:mine\n  values:\n    - name: A\n      filter: costs.service = 'x'\n",
            "line 1: tag key 'cursor:mine' is reserved",
        ),
        ("key: team\n", "line 1: expected a list of tags"),
    ],
)
def test_problems_name_the_line_and_the_fix(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_tags_yaml(text, "tags.yaml")
    assert str(caught.value).startswith("tags.yaml")
    assert message in str(caught.value)


def test_a_cycle_is_rejected_with_its_path() -> None:
    text = """\
- key: a
  values: [{name: x, filter: "tags.name = 'b' AND tags.value = 'y'"}]
- key: b
  values: [{name: y, filter: "tags.name = 'c' AND tags.value = 'z'"}]
- key: c
  values: [{name: z, filter: "tags.name = 'a' AND tags.value = 'x'"}]
"""
    with pytest.raises(InputError, match=r"cycle: a -> b -> c -> a"):
        parse_tags_yaml(text)


def test_an_unknown_tag_in_a_filter_is_rejected() -> None:
    text = "- key: a\n  values: [{name: x, filter: \"tags.name = 'nope'\"}]\n"
    with pytest.raises(InputError, match="uses tag 'nope', which is not defined"):
        parse_tags_yaml(text)


def test_csv_rows_become_one_value_per_name_in_first_seen_order() -> None:
    tag = tag_from_csv("team", "email,value\nana@x.io,ML\nbo@x.io,Infra\ncy@x.io,ML\n\n")
    assert [v.name for v in tag.values] == ["ML", "Infra"]
    assert tag.values[0].filter_text == "costs.resource IN ('ana@x.io', 'cy@x.io')"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ana@x.io,ML\nana@x.io,Infra\n", "line 2: ana@x.io is 'Infra' here but 'ML' on line 1"),
        ("ana@x.io,ML,extra\n", "line 1: expected 2 columns"),
        ("not-an-email,ML\n", "line 1: 'not-an-email','ML' is not an email and a value"),
        ("email,value\n", "no email,value rows found"),
    ],
)
def test_bad_csv_rows_name_the_line(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        tag_from_csv("team", text, "people.csv")


@pytest.mark.parametrize(
    "header", ["email,value", "Email,Team", "E-mail,Department", "User Email,x"]
)
def test_a_header_row_naming_the_columns_is_skipped(header: str) -> None:
    parsed = parse_tag_csv("team", f"{header}\nana@x.io,ML\n")
    assert parsed.header and parsed.members == {"ML": ["ana@x.io"]}


def test_csv_emails_are_compared_case_insensitively() -> None:
    parsed = parse_tag_csv("team", "Ana@X.io,ML\nana@x.io,ML\nBO@x.io,Infra\n")
    assert parsed.members == {"ML": ["ana@x.io"], "Infra": ["bo@x.io"]}
    with pytest.raises(InputError, match=r"line 2: ana@x\.io is 'Infra' here but 'ML' on line 1 "):
        parse_tag_csv("team", "ana@x.io,ML\nANA@x.io,Infra\n")


def test_the_rule_lists_every_spelling_the_cost_data_has() -> None:
    parsed = parse_tag_csv("team", "email,team\nana@x.io,ML\n")
    tag = parsed.tag(spellings_of(["Ana@X.io", "ana@x.io", "bo@x.io"]))
    assert tag.values[0].filter_text == "costs.resource IN ('ana@x.io', 'Ana@X.io')"


def test_the_match_report_names_what_matches_nothing_on_either_side() -> None:
    parsed = parse_tag_csv("team", "email,team\nANA@x.io,ML\nghost@x.io,ML\ncy@x.io,Infra\n")
    costs = {
        "Ana@X.io": Decimal("5"), "cy@x.io": Decimal("0"), "bo@x.io": Decimal("7"),
        "dee@x.io": Decimal("2"), "old@x.io": Decimal("0"), "ci-runner": Decimal("9"),
    }  # fmt: skip
    report = match_report(parsed, costs, date(2026, 9, 1))
    assert report.matched == 2
    assert report.unmatched == ("ghost@x.io",)
    # Costliest first; no cost in the period, or no email, is not listed.
    assert report.uncovered == (("bo@x.io", Decimal("7")), ("dee@x.io", Decimal("2")))
    assert report.uncovered_cost == Decimal("9")
    assert report.recased == (("ana@x.io", "Ana@X.io"),)


def test_deleting_a_tag_another_tag_uses_is_refused() -> None:
    tags = parse_tags_yaml(EXAMPLE)
    with pytest.raises(InputError, match="used by tag\\(s\\) cost_center"):
        tags.without("team")
    assert tags.without("cost_center").keys == ("team",)
    assert TagSet(()).keys == ()


def test_one_value_from_plain_data_is_judged_like_a_value_in_a_file() -> None:
    value = parse_tag_value({"split": [("A", "60"), ("B", "40")], "filter": "costs.service = 'x'"})
    assert value.split == (("A", 600_000), ("B", 400_000)) and value.name is None
    with pytest.raises(InputError, match=r"^split names 'A' twice$"):
        parse_tag_value({"split": [("A", "50"), ("A", "50")], "filter": "costs.service = 'x'"})
    with pytest.raises(InputError, match=r"^'filter' must be a non-empty text$"):
        parse_tag_value({"name": "A", "filter": ""})
