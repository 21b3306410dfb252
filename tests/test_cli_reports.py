"""The report, tag and saved-report commands, run as written against synced fake data."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from outlay.cli.app import app
from outlay.testing.cursor_fake.team import TeamSpec
from tests.fakes import run_cli as run
from tests.fakes import sync_with_cli

TAGS = """\
- key: team
  values:
    - name: Platform
      filter: costs.service LIKE 'gpt%'
    - split: {Platform: 60, Research: 40}
      filter: costs.service ~* '^claude'
"""


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("outlay")
    sync_with_cli(folder, TeamSpec(users=6, days=40))
    return folder


@pytest.fixture
def cli(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("OUTLAY_DATA_DIR", str(data_dir))
    return CliRunner()


def as_json(cli: CliRunner, *args: str) -> Any:
    return json.loads(run(cli, "costs", "--format", "json", *args))


def test_tags_import_then_group_by_tag_adds_up_to_the_total(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "tags.yaml").write_text(TAGS)
    assert "Imported 1 tag(s): team" in run(cli, "tags", "import", str(tmp_path / "tags.yaml"))
    by_team = as_json(cli, "--interval", "last_30_days", "--group-by", "tag:team", "--date-bin",
                      "cumulative")  # fmt: skip
    rows = by_team["rows"]
    assert isinstance(rows, list)
    assert {r["tag:team"] for r in rows} == {"Platform", "Research", None}
    total = as_json(cli, "--interval", "last_30_days", "--date-bin", "cumulative")["total_cost"]
    assert sum(Decimal(r["cost"]) for r in rows) == Decimal(str(total))
    assert "Platform" in run(cli, "tags", "export") and "team" in run(cli, "tags", "list")


def test_a_malformed_tag_file_changes_nothing_and_names_the_line(
    cli: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "good.yaml").write_text(TAGS)
    run(cli, "tags", "import", str(tmp_path / "good.yaml"))
    before = run(cli, "tags", "export")
    bad = TAGS + "- key: other\n  values:\n    - name: X\n      filter: costs.service = 'a' OR\n"
    (tmp_path / "bad.yaml").write_text(bad)
    out = run(cli, "tags", "import", str(tmp_path / "bad.yaml"), code=1)
    assert out.startswith("error: ") and "bad.yaml, line 10: filter: expected" in out
    assert run(cli, "tags", "export") == before


def test_a_tag_edit_shows_in_the_very_next_report(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "tags.yaml").write_text(TAGS)
    run(cli, "tags", "import", str(tmp_path / "tags.yaml"))
    (tmp_path / "people.csv").write_text("email,value\n")
    args = ("--interval", "last_30_days", "--group-by", "tag:team", "--date-bin", "cumulative")
    before = {r["tag:team"] for r in as_json(cli, *args)["rows"]}
    (tmp_path / "v2.yaml").write_text(TAGS.replace("name: Platform", "name: Core"))
    run(cli, "tags", "import", str(tmp_path / "v2.yaml"))
    after = {r["tag:team"] for r in as_json(cli, *args)["rows"]}
    assert "Core" in after and "Core" not in before


def test_csv_import_reads_a_header_matches_any_case_and_lists_what_matches_nothing(
    cli: CliRunner, tmp_path: Path
) -> None:
    rows = as_json(cli, "--interval", "last_30_days", "--group-by", "resource",
                   "--date-bin", "cumulative")["rows"]  # fmt: skip
    emails = [r["resource"] for r in rows]
    people = tmp_path / "people.csv"
    people.write_text(
        f"Email,Team\n{emails[0].upper()},ML\n{emails[1]},Infra\nghost@nowhere.example,ML\n"
    )
    refused = run(cli, "tags", "import-csv", "crew", str(people), code=1)
    assert "pass --yes to save without asking" in refused
    assert "crew" not in run(cli, "tags", "export")  # nothing saved
    out = run(cli, "tags", "import-csv", "crew", str(people), "--yes")
    assert "3 email(s) in 2 value(s); header row skipped; emails are compared " in out
    assert "case-insensitively" in out
    assert "2 of 3 email(s) appear in the cost data" in out
    assert "1 email(s) of the CSV match no cost row:\n  ghost@nowhere.example\n" in out
    assert f"{len(emails) - 2} email(s) carried cost since" in out
    for email in emails[2:]:
        assert f"  {email}  $" in out
    listed = cli.invoke(app, ["tags", "list"], env={"COLUMNS": "300"}).output
    assert "(2 values · 3 emails)" in listed and "ghost@nowhere.example" in listed
    grouped = as_json(cli, "--interval", "last_30_days", "--group-by", "tag:crew,resource",
                      "--date-bin", "cumulative")["rows"]  # fmt: skip
    assert {r["resource"]: r["tag:crew"] for r in grouped} == {
        emails[0]: "ML",
        emails[1]: "Infra",
        **dict.fromkeys(emails[2:]),
    }


def test_preview_saves_nothing(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "tags.yaml").write_text(TAGS.replace("key: team", "key: trial"))
    out = run(cli, "tags", "preview", str(tmp_path / "tags.yaml"), "--interval", "last_30_days")
    assert "tag:trial" in out and "Untagged" in out
    assert "trial" not in run(cli, "tags", "export")


def test_csv_import_and_delete(cli: CliRunner, tmp_path: Path) -> None:
    accounts = as_json(cli, "--interval", "last_30_days", "--group-by", "resource",
                       "--date-bin", "cumulative")["rows"]  # fmt: skip
    assert isinstance(accounts, list)
    emails = [r["resource"] for r in accounts][:2]
    (tmp_path / "people.csv").write_text(f"email,value\n{emails[0]},ML\n{emails[1]},Infra\n")
    run(cli, "tags", "import-csv", "owner", str(tmp_path / "people.csv"), "--yes")
    rows = as_json(cli, "--interval", "last_30_days", "--group-by", "tag:owner",
                   "--date-bin", "cumulative")["rows"]  # fmt: skip
    assert {r["tag:owner"] for r in rows} == {"ML", "Infra", None}
    run(cli, "tags", "delete", "owner")
    # A tag no rule defines any more is one untagged group (Vantage's semantics), with a note
    # on stderr instead of a refusal.
    args = ["costs", "--format", "json", "--interval", "last_30_days", "--date-bin", "cumulative"]
    result = cli.invoke(app, [*args, "--group-by", "tag:owner"])
    assert result.exit_code == 0, result.output
    assert "note: no cost row carries tag 'owner'" in result.stderr
    grouped = json.loads(result.stdout)
    assert grouped["rows"] == [{"tag:owner": None, "cost": as_json(cli, *args[3:])["total_cost"]}]


def test_measures_bins_top_compare_and_forecast(cli: CliRunner) -> None:
    usage = as_json(cli, "--interval", "last_7_days", "--measure", "usage", "--group-by",
                    "token_type", "--date-bin", "cumulative")  # fmt: skip
    assert "tokens" in usage["totals"] and set(usage["totals"]) <= {"tokens", "requests"}
    assert usage["rows"] and all("unit" in r for r in usage["rows"])
    hourly = as_json(cli, "--interval", "last_7_days", "--date-bin", "hour")
    assert hourly["rows"] and all("T" in r["date"] for r in hourly["rows"])
    top = as_json(cli, "--interval", "last_30_days", "--group-by", "resource", "--top", "2",
                  "--date-bin", "cumulative", "--compare", "previous", "--forecast")  # fmt: skip
    assert [r["resource"] for r in top["rows"]][-1] == "Other"
    assert {"groups", "forecast", "previous_start"} <= set(top)
    count = as_json(cli, "--interval", "last_30_days", "--measure", "count", "--date-bin",
                    "quarter")  # fmt: skip
    assert isinstance(count["total_count"], int) and count["total_count"] > 0


def test_saved_reports_round_trip_and_export_parquet(cli: CliRunner, tmp_path: Path) -> None:
    run(cli, "reports", "save", "by-model", "--interval", "last_30_days", "--group-by",
        "service", "--date-bin", "cumulative")  # fmt: skip
    assert "by-model" in run(cli, "reports", "list")
    saved = json.loads(run(cli, "reports", "run", "by-model", "--format", "json"))
    direct = as_json(cli, "--interval", "last_30_days", "--group-by", "service",
                     "--date-bin", "cumulative")  # fmt: skip
    assert saved == direct
    out_file = tmp_path / "by-model.parquet"
    run(cli, "reports", "run", "by-model", "--format", "parquet", "--output", str(out_file))
    table = pq.read_table(out_file)
    assert table.column_names == ["service", "cost"]
    assert sum(table.column("cost").to_pylist()) == Decimal(str(direct["total_cost"]))
    run(cli, "reports", "delete", "by-model")
    assert "no saved report 'by-model'" in run(cli, "reports", "run", "by-model", code=1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--interval", "last_year"], "unknown interval 'last_year'"),
        (["--interval", "last_7_days", "--start", "2026-01-01"], "not both (--start/--end or"),
        (
            ["--interval", "last_7_days", "--filter", "costs.service = 'a' AND (costs.service"],
            "expected",
        ),
        (["--interval", "last_7_days", "--measure", "usage", "--forecast"], "not usage"),
        (["--interval", "last_7_days", "--format", "parquet"], "needs --output FILE"),
        (["--interval", "last_7_days", "--compare", "2026-01"], "'2026-01' is not 'previous'"),
        (["--interval", "last_7_days", "--compare", "2026-01"], "(--compare)"),
        (
            ["--interval", "last_7_days", "--compare", "0001-01-01..9999-12-31"],
            "0001-01-01 is out of range",
        ),
        (["--interval", "last_7_days", "--top", "0"], "top must be 1 to 1000, not 0 (--top)"),
        (["--interval", "last_7_days", "--measure", "usage", "--forecast"], "(--forecast)"),
    ],
)
def test_bad_options_are_one_clear_line(cli: CliRunner, args: list[str], message: str) -> None:
    out = run(cli, "costs", *args, code=1)
    assert out.startswith("error: ") and message in out


def test_a_vantage_filter_on_a_tag_that_does_not_exist_runs(cli: CliRunner) -> None:
    window = ["--interval", "last_30_days", "--date-bin", "cumulative"]
    everything = as_json(cli, *window)["total_cost"]
    assert everything != "0"
    team_a = "(tags.name = 'teams' AND tags.value ~* 'Team A')"
    for text, expected in (
        (f"costs.provider = 'aws' AND {team_a}", "0"),
        (f"costs.provider = 'cursor' AND {team_a}", "0"),
        (f"costs.provider = 'cursor' AND NOT {team_a}", everything),
    ):
        result = cli.invoke(app, ["costs", "--format", "json", *window, "--filter", text])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["total_cost"] == expected
        assert result.stderr.startswith("note: no cost row carries tag 'teams'; known tags: ")


def test_reports_save_takes_a_chart_type(cli: CliRunner) -> None:
    run(cli, "reports", "save", "pie", "--interval", "last_7_days", "--chart", "pie")
    assert as_json(cli, "--interval", "last_7_days") == json.loads(
        run(cli, "reports", "run", "pie", "--format", "json")
    )
    out = run(
        cli, "reports", "save", "bad", "--interval", "last_7_days", "--chart", "donut", code=2
    )
    assert "donut" in out
    run(cli, "reports", "delete", "pie")
