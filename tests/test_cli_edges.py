"""The command line at its edges: empty tag documents, unwritable outputs, oversized CSV fields,
formula-looking cells and dates outside the calendar a report accepts."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from outlay.cli.app import app
from outlay.config import Settings
from outlay.errors import InputError
from outlay.report.export import to_csv
from outlay.report.run import ReportResult
from outlay.report.spec import ReportSpec
from outlay.service import Outlay

TAGS = "- key: team\n  values:\n    - name: Core\n      filter: costs.service LIKE 'claude%'\n"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("OUTLAY_DATA_DIR", str(tmp_path / "data"))
    return CliRunner()


def run(cli: CliRunner, *args: str, code: int = 0) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == code, result.output + repr(result.exception)
    return result.output


@pytest.mark.parametrize("document", ["", "   \n\n", "# only a comment\n", "[]\n"])
def test_importing_a_document_without_tags_is_refused_and_deletes_nothing(
    cli: CliRunner, tmp_path: Path, document: str
) -> None:
    (tmp_path / "tags.yaml").write_text(TAGS)
    run(cli, "tags", "import", str(tmp_path / "tags.yaml"))
    (tmp_path / "empty.yaml").write_text(document)
    out = run(cli, "tags", "import", str(tmp_path / "empty.yaml"), code=1)
    assert out.startswith("error: ") and "empty.yaml: the tags document has no tags" in out
    assert "`outlay tags delete --all`" in out
    assert "team" in run(cli, "tags", "list")


def test_the_service_refuses_an_empty_document_whatever_the_surface(tmp_path: Path) -> None:
    outlay = Outlay(Settings(data_dir=tmp_path))
    outlay.import_tags(TAGS, "tags")
    with pytest.raises(InputError, match="has no tags") as refused:
        outlay.import_tags("\n", "pasted YAML")
    assert "outlay" not in str(refused.value) and "--" not in str(refused.value)
    assert outlay.tags().keys == ("team",)


def test_deleting_every_tag_is_its_own_command(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "tags.yaml").write_text(TAGS)
    run(cli, "tags", "import", str(tmp_path / "tags.yaml"))
    assert "give one tag key to delete, or --all" in run(cli, "tags", "delete", code=1)
    assert "or --all" in run(cli, "tags", "delete", "team", "--all", code=1)
    assert "Deleted 1 tag(s): team." in run(cli, "tags", "delete", "--all")
    assert "No virtual tags yet" in run(cli, "tags", "list")


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_an_output_file_that_cannot_be_written_is_one_line(cli: CliRunner, fmt: str) -> None:
    out = run(cli, "costs", "--interval", "last_7_days", "--format", fmt,
              "--output", "/nonexistent/folder/x", code=1)  # fmt: skip
    assert out == (
        "error: cannot write /nonexistent/folder/x: No such file or directory; pick a file in a "
        "folder that exists and you can write to (--output)\n"
    )


def test_a_csv_field_over_the_csv_limit_names_the_file_and_line(
    cli: CliRunner, tmp_path: Path
) -> None:
    people = tmp_path / "people.csv"
    people.write_text("email,value\nann@x.io,Core\nbob@x.io," + "x" * 140_000 + "\n")
    out = run(cli, "tags", "import-csv", "team", str(people), code=1)
    assert out.startswith(f"error: {people}, line 3: not valid CSV (field larger than")
    assert "Traceback" not in out


@pytest.mark.parametrize(
    "args",
    [
        ["--start", "2026-01-01", "--end", "9999-12-31"],
        ["--start", "0001-01-01", "--end", "2026-01-01"],
        ["--interval", "last_7_days", "--compare", "0001-01-01..9999-12-31"],
        ["--interval", "last_7_days", "--compare", "2026-01-01..9999-12-31"],
    ],
)
def test_dates_outside_the_report_calendar_are_one_line(cli: CliRunner, args: list[str]) -> None:
    out = run(cli, "costs", *args, code=1)
    assert out.startswith("error: ") and "is out of range; use a day from 2000-01-01 to" in out
    assert out.count("\n") == 1


def parse_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def hostile_result(measure: str = "cost") -> ReportResult:
    spec = ReportSpec(
        start=date(2026, 1, 1), end=date(2026, 1, 31), date_bin="cumulative",
        group_by=("tag:team",), measure=measure,
    )  # fmt: skip
    rows = [{"tag:team": v, measure: Decimal("-1.5")} for v in [*HOSTILE, "plain", None]]
    return ReportResult(spec, spec.start, spec.end, rows, {"": Decimal("-12")})  # type: ignore[arg-type]


def test_csv_cells_a_spreadsheet_would_run_are_neutralized_and_numbers_stay_numbers() -> None:
    rows = parse_csv(to_csv(hostile_result()))
    assert rows[0] == ["tag:team", "cost"]
    assert [r[0] for r in rows[1:]] == [*("'" + v for v in HOSTILE), "plain", ""]
    assert {r[1] for r in rows[1:]} == {"-1.5"}  # a negative amount is a number, not a formula


def test_raw_csv_keeps_every_text_as_stored() -> None:
    rows = parse_csv(to_csv(hostile_result(), raw=True))
    assert [r[0] for r in rows[1:]] == [*HOSTILE, "plain", ""]


def test_the_cli_writes_safe_csv_unless_asked_for_raw(cli: CliRunner, tmp_path: Path) -> None:
    tags = tmp_path / "tags.yaml"
    tags.write_text(
        "- key: team\n  values:\n    - name: '=HYPERLINK(\"http://evil.example\")'\n"
        "      filter: costs.service LIKE '%'\n"
    )
    run(cli, "tags", "import", str(tags))
    args = ("costs", "--interval", "last_7_days", "--group-by", "tag:team", "--format", "csv")
    # No costs synced: the header is what can be checked here; the cells are tested above.
    assert run(cli, *args).splitlines()[0] == "date,tag:team,cost"
    assert run(cli, *args, "--raw-csv").splitlines()[0] == "date,tag:team,cost"
