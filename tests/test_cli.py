"""The CLI contract that scripts depend on, against the fake Cursor API served on a real port."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from outlay.cli.app import app
from outlay.testing.cursor_fake.server import RunningFake
from outlay.testing.cursor_fake.team import TeamSpec

# The served fake generates its last 30 days up to the wall clock, and the CLI reads the wall
# clock too; fixed dates far around that window keep a run across midnight from losing a day.
START, END = "2020-01-01", "2099-12-31"


@pytest.fixture(scope="module")
def fake() -> Iterator[RunningFake]:
    with RunningFake(TeamSpec(users=6, days=30), rate_limit=True) as running:
        yield running


@pytest.fixture
def cli(tmp_path: Path, fake: RunningFake, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("OUTLAY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CURSOR_KEY", fake.key)
    monkeypatch.setenv("OUTLAY_ALLOWED_BASE_URLS", fake.url)
    return CliRunner()


def run(cli: CliRunner, *args: str, input: str | None = None, code: int = 0) -> str:
    result = cli.invoke(app, list(args), input=input)
    assert result.exit_code == code, result.output + str(result.exception or "")
    return result.output


def connect_and_sync(cli: CliRunner, fake: RunningFake) -> None:
    run(cli, "accounts", "add", "cursor", "--name", "acme", "--api-key-env", "CURSOR_KEY",
        "--base-url", fake.url)  # fmt: skip
    run(cli, "sync")


def costs_json(cli: CliRunner, *args: str) -> Any:
    out = run(cli, "costs", "--start", START, "--end", END, "--format", "json", *args)
    return json.loads(out)


def test_add_sync_and_report_totals_match_the_fake(cli: CliRunner, fake: RunningFake) -> None:
    connect_and_sync(cli, fake)
    accounts = json.loads(run(cli, "accounts", "list", "--format", "json"))
    assert [(a["name"], a["provider"], a["status"], a["error"]) for a in accounts] == [
        ("acme", "cursor", "stable", None)
    ]
    assert accounts[0]["last_synced_at"].endswith("Z")
    report = costs_json(cli, "--group-by", "service", "--date-bin", "cumulative")
    truth = fake.api.team.charged_cents_by("model", 0, 2**62)
    assert len(truth) > 1
    assert {r["service"]: Decimal(r["cost"]) for r in report["rows"]} == {
        k: v / 100 for k, v in truth.items()
    }
    assert Decimal(str(report["total_cost"])) == sum(truth.values()) / 100


def test_json_rows_carry_each_dimension_and_the_bin_date(cli: CliRunner, fake: RunningFake) -> None:
    connect_and_sync(cli, fake)
    report = costs_json(cli, "--group-by", "token_type,tag:cursor:max_mode", "--date-bin", "week")
    rows = report["rows"]
    assert isinstance(rows, list) and rows
    assert set(rows[0]) == {"date", "token_type", "tag:cursor:max_mode", "cost"}
    assert all(datetime.fromisoformat(r["date"]).weekday() == 0 for r in rows)
    assert {r["tag:cursor:max_mode"] for r in rows} == {"true", "false"}
    filtered = costs_json(
        cli, "--date-bin", "cumulative", "--group-by", "subcategory",
        "--filter", "costs.subcategory = 'Usage-based' AND costs.token_type != 'input'",
    )  # fmt: skip
    assert [r["subcategory"] for r in filtered["rows"]] == ["Usage-based"]


def test_csv_and_table_outputs(cli: CliRunner, fake: RunningFake) -> None:
    connect_and_sync(cli, fake)
    csv_out = run(cli, "costs", "--start", START, "--end", END, "--group-by", "resource",
                  "--date-bin", "month", "--format", "csv")  # fmt: skip
    assert csv_out.splitlines()[0] == "date,resource,cost"
    table = run(cli, "costs", "--start", START, "--end", END, "--date-bin", "cumulative",
                "--group-by", "service")  # fmt: skip
    assert "Total" in table and "$" in table


def test_a_table_report_says_which_days_may_still_change_and_json_stays_clean(
    cli: CliRunner, fake: RunningFake
) -> None:
    connect_and_sync(cli, fake)
    table = run(cli, "costs", "--start", START, "--end", END, "--date-bin", "cumulative")
    assert "note: acme: days from " in table and "pending (Cursor may revise)" in table
    out = run(cli, "costs", "--start", START, "--end", END, "--format", "json")
    assert "note:" not in out and json.loads(out)["rows"]


def test_a_rejected_key_exits_non_zero_in_one_line_and_registers_nothing(
    cli: CliRunner, fake: RunningFake
) -> None:
    out = run(cli, "accounts", "add", "cursor", "--name", "acme", "--api-key-stdin",
              "--base-url", fake.url, input="crsr_" + "a" * 60 + "wxyz\n", code=1)  # fmt: skip
    assert out.count("\n") == 1 and out.startswith("error: ") and "crsr_…wxyz" in out
    assert "a" * 20 not in out
    assert json.loads(run(cli, "accounts", "list", "--format", "json")) == []


def test_remove_asks_first_and_then_deletes_all_cost_data(
    cli: CliRunner, fake: RunningFake
) -> None:
    connect_and_sync(cli, fake)
    run(cli, "accounts", "remove", "acme", input="n\n", code=1)
    assert len(json.loads(run(cli, "accounts", "list", "--format", "json"))) == 1
    assert "cost rows" in run(cli, "accounts", "remove", "acme", "--yes")
    assert costs_json(cli, "--date-bin", "cumulative")["total_cost"] == "0"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--start", "2026-13-01", "--end", END],
            "--start '2026-13-01' is not a date; use YYYY-MM-DD",
        ),
        (["--start", END, "--end", START], "is before the start date"),
        (["--start", START, "--end", "9999-12-31"], "9999-12-31 is out of range; use a day from"),
        (["--start", "0001-01-01", "--end", END], "(--start)"),
        (["--start", END, "--end", START], "; swap them (--end)"),
        (["--start", START, "--end", END, "--group-by", "model"], "unknown dimension 'model'"),
        (["--start", START, "--end", END, "--filter", "costs.service = gpt"], "at position 17"),
    ],
)
def test_bad_report_input_is_one_clear_line(cli: CliRunner, args: list[str], message: str) -> None:
    out = run(cli, "costs", *args, code=1)
    assert out.startswith("error: ") and message in out


def test_sync_of_an_unknown_account_names_the_known_ones(cli: CliRunner, fake: RunningFake) -> None:
    connect_and_sync(cli, fake)
    out = run(cli, "sync", "--account", "nope", code=1)
    assert "no account named 'nope' (accounts: acme)" in out


@pytest.mark.parametrize("since", ["0001-01-01", "9999-12-31"])
def test_a_sync_start_outside_the_calendar_is_one_line(
    cli: CliRunner, fake: RunningFake, since: str
) -> None:
    connect_and_sync(cli, fake)
    out = run(cli, "sync", "--since", since, code=1)
    assert (
        out == f"error: --since {since} is out of range; use a day from 2000-01-01 to 2100-12-31\n"
    )
