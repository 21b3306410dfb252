"""Fast output on every surface: light CLI imports, streamed exact JSON/CSV, API paging."""

from __future__ import annotations

import csv
import io
import json
import random
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from outlay.cli.app import app as cli_app
from outlay.cli.render import json_ready
from outlay.report.export import (
    columns,
    csv_chunks,
    exact,
    json_chunks,
    number_text,
    spreadsheet_safe,
    to_csv,
    to_data,
)
from outlay.report.run import ReportResult
from outlay.report.spec import ReportSpec
from tests.test_api import World, body, world  # noqa: F401  (the API test's fixture)

#: What no report or help command may load: the web stack, the engines, password hashing.
HEAVY = ("fastapi", "starlette", "uvicorn", "duckdb", "pyarrow", "sqlalchemy", "httpx",
         "pydantic", "argon2", "cryptography", "plotly", "jinja2")  # fmt: skip


def loaded_modules(code: str) -> set[str]:
    """Top-level modules a fresh interpreter holds after running ``code``."""
    probe = f"{code}\nimport sys\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


def test_importing_the_cli_loads_no_web_framework_engine_or_hasher() -> None:
    assert loaded_modules("import outlay.cli.app") & set(HEAVY) == set()


@pytest.mark.parametrize("args", [["--help"], ["costs", "--help"], ["sync", "--help"]])
def test_help_loads_no_heavy_module(args: list[str]) -> None:
    run = f"from outlay.cli.app import app\ntry:\n    app({args!r})\nexcept SystemExit:\n    pass"
    # Typer itself validates parsed options with pydantic once a command runs: not ours to drop.
    assert loaded_modules(run) & (set(HEAVY) - {"pydantic"}) == set()


def test_importing_access_hashes_nothing() -> None:
    code = "import outlay.access as a\nassert a.dummy_hash.cache_info().currsize == 0"
    assert "argon2" not in loaded_modules(code)


def hand_result(measure: str, values: list[Any]) -> ReportResult:
    spec = ReportSpec(start=date(2026, 1, 1), end=date(2026, 1, 31), date_bin="cumulative",
                      group_by=("tag:team",), measure=measure)  # fmt: skip
    names = ['=HYPERLINK("x")', "a,b", 'q"q', "ü\u2028", "", " lead", "new\nline", "\rx", None]
    unit = {"unit": "tokens"} if measure == "usage" else {}
    rows = [
        {"tag:team": name, **unit, measure: values[i % len(values)]} for i, name in enumerate(names)
    ]
    totals = {"tokens": Decimal(1)} if measure == "usage" else {"": Decimal("-12")}
    return ReportResult(spec, spec.start, spec.end, rows, totals)  # type: ignore[arg-type]


MONEY = [Decimal("-1.5"), Decimal("0.0000000001"), Decimal(0), Decimal("123456789.1200"),
         Decimal("-0.000001"), Decimal("1E+3")]  # fmt: skip


@pytest.mark.parametrize(
    "result",
    [hand_result("cost", MONEY), hand_result("usage", MONEY), hand_result("count", [1, 0, -5])],
)
def test_streamed_json_and_csv_are_the_exact_bytes_of_the_row_by_row_shapes(
    result: ReportResult,
) -> None:
    pretty = json.dumps(to_data(result), default=json_ready, indent=2, ensure_ascii=False)
    assert b"".join(json_chunks(result, indent=2)).decode() == pretty
    compact = b"".join(json_chunks(result, {"notices": ["n"]})).decode()
    assert json.loads(compact) == {**json.loads(pretty), "notices": ["n"]}
    for raw in (False, True):
        assert b"".join(csv_chunks(result, raw=raw)).decode() == csv_by_rows(result, raw)
    assert "'=HYPERLINK" in to_csv(result) and "'=HYPERLINK" not in to_csv(result, raw=True)


def csv_by_rows(result: ReportResult, raw: bool) -> str:
    """The CSV as the csv module writes it row by row: the reference the stream must match."""
    names = columns(result)
    safe = (lambda text: text) if raw else spreadsheet_safe
    lines = []
    for cells in [names, *([row[n] for n in names] for row in result.rows)]:
        out = io.StringIO()
        text = [
            "" if v is None else exact(v) if isinstance(v, Decimal) else
            str(v) if isinstance(v, int) else safe(str(v)) for v in cells
        ]  # fmt: skip
        csv.writer(out, lineterminator="\r\n").writerow(text)
        lines.append(out.getvalue()[:-2] + "\n")
    return "".join(lines)


def test_decimals_become_text_exactly_without_exponents() -> None:
    rng = random.Random(7)
    values = [Decimal(rng.randrange(-(10**14), 10**14)).scaleb(-rng.randrange(0, 11))
              for _ in range(3000)]  # fmt: skip
    values += [Decimal(0), Decimal("1E-10"), Decimal("-1E-10"), Decimal("1E-7"), Decimal(100)]
    for scale in (10, 6):
        quantum = Decimal(1).scaleb(-scale)
        column = pa.array([v.quantize(quantum) for v in values], pa.decimal128(38, scale))
        assert number_text(column).to_pylist() == [exact(v) for v in column.to_pylist()]


SPEC = {"start_date": "2026-10-01", "end_date": "2026-11-20", "groupings": "service",
        "date_bin": "day", "workspace": "A"}  # fmt: skip


def test_the_cli_json_is_the_api_json(world: World) -> None:  # noqa: F811
    full = body(world.call("owner", "GET", "/api/v1/costs", params=SPEC))
    cli = CliRunner().invoke(cli_app, [
        "--data-dir", str(world.data_dir), "--workspace", "A", "costs", "--start", "2026-10-01",
        "--end", "2026-11-20", "--group-by", "service", "--format", "json",
    ])  # fmt: skip
    assert cli.exit_code == 0, cli.output
    assert cli.output == json.dumps(full, indent=2, ensure_ascii=False) + "\n"


def test_api_pages_rows_with_links_and_keeps_the_totals(world: World) -> None:  # noqa: F811
    full = body(world.call("owner", "GET", "/api/v1/costs", params=SPEC))
    assert len(full["rows"]) > 5 and "links" not in full
    rows, page, pages = [], 1, []
    while page:
        got = body(world.call("owner", "GET", "/api/v1/costs",
                              params={**SPEC, "limit": 4, "page": page}))  # fmt: skip
        assert got["total_cost"] == full["total_cost"] and len(got["rows"]) <= 4
        rows += got["rows"]
        pages.append(got["links"])
        following = got["links"]["next"]
        page = int(parse_qs(urlsplit(following).query)["page"][0]) if following else 0
    assert rows == full["rows"]
    assert pages[0]["prev"] is None and pages[-1]["next"] is None
    assert pages[-1]["last"] == pages[-1]["self"] and pages[1]["first"] == pages[0]["self"]
    assert parse_qs(urlsplit(pages[0]["next"]).query)["groupings"] == ["service"]
    beyond = body(world.call("owner", "GET", "/api/v1/costs",
                             params={**SPEC, "limit": 4, "page": 999}))  # fmt: skip
    assert beyond["rows"] == [] and beyond["links"]["next"] is None


def test_api_csv_streams_every_row(world: World) -> None:  # noqa: F811
    response = world.call("owner", "GET", "/api/v1/costs", params={**SPEC, "format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    spec = ReportSpec(date(2026, 10, 1), date(2026, 11, 20), group_by=("service",))
    assert response.text == to_csv(world.outlay.report(spec, workspace="A"))


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": "x"}, {"page": 0}, {"format": "xml"}, {"limit": 10**6}]
)
def test_bad_paging_is_a_clear_error(world: World, params: dict[str, Any]) -> None:  # noqa: F811
    response = world.call("owner", "GET", "/api/v1/costs", params={**SPEC, **params})
    assert response.status_code in (400, 422)
    assert set(response.json()) == {"error"}


def test_a_command_turns_the_collector_back_on_once_its_modules_are_loaded(
    tmp_path: Path,
) -> None:
    # main() pauses the collector while modules load; a command must never run with it off.
    code = (
        "import gc, sys\nfrom outlay.cli.app import main\n"
        f"sys.argv = ['outlay', '--data-dir', {str(tmp_path / 'data')!r}, 'accounts', 'list']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(gc.isenabled(), gc.get_freeze_count() > 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-2:] == ["True", "True"]
