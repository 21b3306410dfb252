"""The FOCUS 1.2 export of synced fake data: every rule of ``focus_rules`` and exact totals."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from outlay.report.focus import COLUMN_NAMES, COLUMNS
from outlay.testing.cursor_fake.team import TeamSpec
from tests.fakes import cli_env, sync_with_cli
from tests.fakes import run_cli as run
from tests.focus_rules import check_header, check_rows

START, END = "2020-01-01", "2099-12-31"
TAGS = """\
- key: team
  values:
    - name: Platform
      filter: costs.service LIKE 'gpt%'
    - name: Research
      filter: costs.service ~* '^claude'
- key: split
  values:
    - split: {A: 50, B: 50}
      filter: costs.category = 'Tokens'
"""


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("outlay")
    tags = folder / "tags.yaml"
    tags.write_text(TAGS)
    sync_with_cli(folder / "data", TeamSpec(users=5, days=20), ["tags", "import", str(tags)])
    return folder / "data"


@pytest.fixture
def cli(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("OUTLAY_DATA_DIR", str(data_dir))
    for name, value in cli_env(data_dir).items():  # the facts on this run's engine
        monkeypatch.setenv(name, value)
    return CliRunner()


def export_csv(cli: CliRunner, out: Path, *args: str) -> tuple[list[str], list[dict[str, Any]]]:
    run(cli, "export", "focus", "--start", START, "--end", END, "--out", str(out), *args)
    with out.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        # CSV has no NULL: an empty field is one (the export never writes an empty string).
        rows = [dict(zip(header, (v or None for v in r), strict=True)) for r in reader]
    return header, rows


def total(cli: CliRunner, measure: str, *args: str) -> Decimal:
    out = run(cli, "costs", "--start", START, "--end", END, "--format", "json",
              "--date-bin", "cumulative", "--measure", measure, *args)  # fmt: skip
    return Decimal(str(json.loads(out)[f"total_{measure}"]))


def column_sum(rows: list[dict[str, Any]], name: str) -> Decimal:
    return sum((Decimal(r[name]) for r in rows), Decimal(0))


def test_csv_export_follows_every_rule_and_adds_up_exactly(cli: CliRunner, tmp_path: Path) -> None:
    header, rows = export_csv(cli, tmp_path / "focus.csv")
    assert header == list(COLUMN_NAMES)
    assert check_header(header) == []
    assert len(rows) > 50
    assert check_rows(rows) == []
    assert {r["ChargeCategory"] for r in rows} == {"Usage"}
    assert {r["ServiceCategory"] for r in rows} == {"AI and Machine Learning"}
    assert {r["ServiceSubcategory"] for r in rows} == {"Generative AI"}
    assert {r["ConsumedUnit"] for r in rows} <= {"Tokens", "Requests"}
    # The cost columns sum to outlay's own totals for the same scope, to the last digit.
    assert column_sum(rows, "BilledCost") == total(cli, "billed_cost")
    assert column_sum(rows, "ListCost") == total(cli, "list_cost")
    assert column_sum(rows, "EffectiveCost") == total(cli, "cost")
    assert column_sum(rows, "ContractedCost") == total(cli, "cost")
    # Included usage is billed 0 yet listed at its price.
    included = [r for r in rows if r["x_CursorKind"] and r["x_CursorKind"].startswith("Included")]
    assert included and all(Decimal(r["BilledCost"]) == 0 for r in included)
    assert any(Decimal(r["ListCost"]) > 0 for r in included)


def test_one_row_per_period_account_model_token_type_kind_user_and_max_mode(
    cli: CliRunner, tmp_path: Path
) -> None:
    _, rows = export_csv(cli, tmp_path / "focus.csv")
    keys = [
        (r["ChargePeriodStart"], r["BillingAccountId"], r["SkuId"], r["x_TokenType"],
         r["x_CursorKind"], r["ResourceId"], r["x_MaxMode"], r["SubAccountId"], r["Tags"])
        for r in rows
    ]  # fmt: skip
    assert len(keys) == len(set(keys))
    assert all(r["ChargePeriodStart"].endswith("T00:00:00Z") for r in rows)
    _, hourly = export_csv(cli, tmp_path / "hourly.csv", "--grain", "hour")
    assert len(hourly) > len(rows)
    assert check_rows(hourly) == []
    assert column_sum(hourly, "BilledCost") == column_sum(rows, "BilledCost")


def test_tags_carry_cursor_and_whole_virtual_tags_not_split_ones(
    cli: CliRunner, tmp_path: Path
) -> None:
    _, rows = export_csv(cli, tmp_path / "focus.csv")
    tags = [json.loads(r["Tags"]) for r in rows]
    assert all(t["cursor:user"] == r["ResourceId"] for t, r in zip(tags, rows, strict=True))
    assert all(t["cursor:max_mode"] in ("true", "false") for t in tags)
    assert {t.get("team") for t in tags} == {"Platform", "Research", None}
    assert not any("split" in t for t in tags)
    platform = [r for r, t in zip(rows, tags, strict=True) if t.get("team") == "Platform"]
    by_tag = total(cli, "billed_cost", "--filter", "tags.name = 'team' AND tags.value = 'Platform'")
    assert column_sum(platform, "BilledCost") == by_tag


def test_a_filter_scopes_the_export_like_the_report(cli: CliRunner, tmp_path: Path) -> None:
    vql = "costs.token_type IN ('input', 'output')"
    _, rows = export_csv(cli, tmp_path / "focus.csv", "--filter", vql)
    assert {r["x_TokenType"] for r in rows} == {"input", "output"}
    assert column_sum(rows, "BilledCost") == total(cli, "billed_cost", "--filter", vql)
    out = run(cli, "export", "focus", "--start", START, "--end", END, "--out",
              str(tmp_path / "x.csv"), "--filter", "tags.name = 'split'", code=1)  # fmt: skip
    assert "cannot filter by tag 'split'" in out
    assert not (tmp_path / "x.csv").exists()


def test_parquet_export_has_the_types_and_real_nulls(cli: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "focus.parquet"
    run(cli, "export", "focus", "--start", START, "--end", END, "--format", "parquet",
        "--out", str(out))  # fmt: skip
    table = pq.read_table(out)
    assert table.column_names == list(COLUMN_NAMES)
    for column in COLUMNS:
        kind = table.schema.field(column.name).type
        if column.type == "Decimal":
            assert pa.types.is_decimal(kind), column.name
        elif column.type == "Boolean":
            assert pa.types.is_boolean(kind), column.name
        else:
            assert pa.types.is_string(kind), column.name
    rows = table.to_pylist()
    assert check_rows(rows) == []
    assert table.column("ChargeClass").null_count == table.num_rows
    assert sum(table.column("BilledCost").to_pylist()) == total(cli, "billed_cost")


def test_bad_export_input_is_one_clear_line(cli: CliRunner, tmp_path: Path) -> None:
    out = run(cli, "export", "focus", "--start", "2026-13-01", "--end", END, "--out",
              str(tmp_path / "x.csv"), code=1)  # fmt: skip
    assert out.startswith("error: ") and "--start" in out and out.count("\n") == 1
    out = run(cli, "export", "focus", "--start", END, "--end", START, "--out",
              str(tmp_path / "x.csv"), code=1)  # fmt: skip
    assert "swap them" in out
    out = run(cli, "accounts", "set", "acme", code=1)
    assert "exactly one of --seat-price" in out and out.count("\n") == 1
    out = run(cli, "accounts", "set", "acme", "--seat-price", "forty", code=1)
    assert out.startswith("error: seat price 'forty' is not a number") and out.count("\n") == 1


def test_seats_export_as_recurring_purchases_and_still_add_up(
    cli: CliRunner, tmp_path: Path
) -> None:
    out = run(cli, "accounts", "set", "acme", "--seat-price", "40")
    assert "$40 per member per month" in out
    try:
        _, rows = export_csv(cli, tmp_path / "focus.csv")
        seats = [r for r in rows if r["ChargeCategory"] == "Purchase"]
        assert seats and check_rows(rows) == []
        assert {r["ChargeFrequency"] for r in seats} == {"Recurring"}
        assert {r["PricingUnit"] for r in seats} == {"Seat-Days"}
        assert all(r["ConsumedQuantity"] is None and r["x_MaxMode"] is None for r in seats)
        assert all(Decimal(r["BilledCost"]) > 0 for r in seats)
        assert column_sum(rows, "BilledCost") == total(cli, "billed_cost")
        assert column_sum(seats, "BilledCost") == total(
            cli, "billed_cost", "--filter", "costs.charge_type = 'Subscription'"
        )
        _, usage = export_csv(
            cli, tmp_path / "usage.csv", "--filter", "costs.charge_type = 'Usage'"
        )
        assert {r["ChargeCategory"] for r in usage} == {"Usage"}
    finally:
        assert "off" in run(cli, "accounts", "set", "acme", "--no-seats")
