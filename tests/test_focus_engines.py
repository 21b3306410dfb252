"""FOCUS export on a ClickHouse fact store (chDB): the same file DuckDB writes, byte for byte in
CSV, schema and rows in Parquet; whole or not at all; under the store's limits."""

from __future__ import annotations

import dataclasses
import io
import os
import threading
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outlay.errors import InputError, OutlayError
from outlay.report.focus import FocusScope, compile_focus_query
from outlay.report.spec import ReportSpec
from outlay.report.tags import TagSet, parse_tags_yaml
from outlay.service import Outlay
from outlay.store.clickhouse import ClickHouseFacts
from outlay.store.clickhouse_conn import connect
from outlay.store.clickhouse_export import CsvWriter, _groups, export_rows
from outlay.testing.cursor_fake.api import DEFAULT_KEY
from tests.fakes import BASE_URL, FakeCursor, chdb_url, fake_cursor, fake_settings

START, END = date(2020, 1, 1), date(2099, 12, 31)
#: A tag value with the characters JSON escapes differently between engines (``/``, quotes,
#: a backslash, non-ASCII), so Tags must be escaped alike.
TAGS = """\
- key: team
  values:
    - name: 'R&D / "core" \\ é'
      filter: costs.service LIKE 'gpt%'
    - name: Research
      filter: costs.service ~* '^claude'
- key: split
  values:
    - split: {A: 50, B: 50}
      filter: costs.category = 'Tokens'
"""
#: (date bin, filter): day and hour rows, a filter, and one that matches nothing.
SCOPES = [
    ("day", None),
    ("hour", None),
    ("day", "costs.token_type IN ('input', 'output')"),
    ("day", "costs.service = 'no such model'"),
]


def synced(data_dir: Path, fake: FakeCursor, facts_url: str | None) -> Outlay:
    """An Outlay on ``facts_url`` (None: the embedded DuckDB file) with the fake team synced,
    virtual tags and a seat price (seat rows export as purchases)."""
    settings_ = dataclasses.replace(fake_settings(data_dir), facts_store_url=facts_url)
    outlay = Outlay(settings_, http=lambda: fake.http(None), clock=fake.clock,
                    monotonic=fake.clock.monotonic, sleep=fake.clock.sleep)  # fmt: skip
    outlay.add_account("cursor", "acme", DEFAULT_KEY, base_url=BASE_URL)
    outlay.sync("acme")
    outlay.replace_tags(parse_tags_yaml(TAGS))
    outlay.set_seat_price("acme", "40")
    return outlay


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outlay]:
    """The same fake team synced into DuckDB and into chDB, whatever ``--facts`` says."""
    root = tmp_path_factory.mktemp("engines")
    fake = fake_cursor()
    return {
        "duckdb": synced(root / "duckdb", fake, None),
        "chdb": synced(root / "chdb", fake, chdb_url(root / "chdb")),
    }


def export(outlay: Outlay, out: Path, fmt: str, date_bin: str, vql: str | None) -> int:
    spec = ReportSpec(START, END, date_bin=date_bin, filter=vql)
    return outlay.export_focus(spec, out, fmt=fmt)


def csv_lines(path: Path) -> tuple[bytes, list[bytes]]:
    """The header and the sorted rows: neither engine orders an export (DuckDB's runs without
    insertion order), so two exports of the same rows differ only in their order."""
    header, *rows = path.read_bytes().split(b"\n")
    return header, sorted(rows)


@pytest.mark.parametrize(("date_bin", "vql"), SCOPES)
def test_csv_export_on_chdb_has_duckdbs_bytes(
    engines: dict[str, Outlay], tmp_path: Path, date_bin: str, vql: str | None
) -> None:
    counts = {name: export(o, tmp_path / f"{name}.csv", "csv", date_bin, vql)
              for name, o in engines.items()}  # fmt: skip
    assert counts["chdb"] == counts["duckdb"]
    assert (counts["duckdb"] > 50) is (vql != SCOPES[-1][1])
    duck, chdb = csv_lines(tmp_path / "duckdb.csv"), csv_lines(tmp_path / "chdb.csv")
    assert chdb == duck
    assert len(duck[1]) == counts["duckdb"] + 1  # the file's last line is empty
    if vql is None:  # every kind of row: seats, tags
        text = (tmp_path / "chdb.csv").read_text(encoding="utf-8")
        # The tag value's JSON (``"R&D / \"core\" \\ é"``) with its quotes doubled by CSV.
        assert 'R&D / \\""core\\"" \\\\ é' in text and ",Purchase," in text


@pytest.mark.parametrize(("date_bin", "vql"), SCOPES)
def test_parquet_export_on_chdb_has_duckdbs_schema_and_rows(
    engines: dict[str, Outlay], tmp_path: Path, date_bin: str, vql: str | None
) -> None:
    tables = {}
    for name, outlay in engines.items():
        rows = export(outlay, tmp_path / f"{name}.parquet", "parquet", date_bin, vql)
        tables[name] = pq.read_table(tmp_path / f"{name}.parquet")
        assert tables[name].num_rows == rows
    duck, chdb = tables["duckdb"], tables["chdb"]
    if duck.num_rows:
        assert chdb.schema.remove_metadata() == duck.schema.remove_metadata()  # and nullability
    else:
        # With no rows DuckDB's planner drops the NOT NULL it knows of ``account`` (its Parquet
        # marks BillingAccountId optional); ClickHouse keeps it. The types are the same.
        assert [(f.name, f.type) for f in chdb.schema] == [(f.name, f.type) for f in duck.schema]
    assert sorted_rows(chdb) == sorted_rows(duck)


def sorted_rows(table: pa.Table) -> list[tuple[Any, ...]]:
    return sorted((tuple(r.values()) for r in table.to_pylist()), key=repr)


def test_a_report_beside_an_export_leaves_both_whole(
    engines: dict[str, Outlay], tmp_path: Path
) -> None:
    # chDB's own result stream ends when any query runs on its connection: the export must
    # not be one of those, whatever runs beside it.
    outlay = engines["chdb"]
    export(outlay, tmp_path / "alone.csv", "csv", "hour", None)
    failures: list[Exception] = []

    def exports() -> None:
        try:
            for n in range(3):
                export(outlay, tmp_path / f"beside-{n}.csv", "csv", "hour", None)
        except Exception as exc:  # noqa: BLE001 - asserted below, in the test's thread
            failures.append(exc)

    thread = threading.Thread(target=exports)
    thread.start()
    spec = ReportSpec(START, END, date_bin="cumulative", measure="billed_cost")
    totals = set()
    while thread.is_alive():
        totals.add(outlay.report(spec).total)
    thread.join()
    assert failures == [] and len(totals) == 1
    for n in range(3):
        assert csv_lines(tmp_path / f"beside-{n}.csv") == csv_lines(tmp_path / "alone.csv")


def test_an_export_to_a_missing_folder_fails_first_and_writes_nothing(
    engines: dict[str, Outlay], tmp_path: Path
) -> None:
    for name, outlay in engines.items():
        with pytest.raises(OutlayError, match="missing") as caught:
            export(outlay, tmp_path / "missing" / "focus.csv", "csv", "day", None)
        assert list(tmp_path.iterdir()) == [], name
    assert "choose a file in a folder that exists" in str(caught.value)  # chDB's, the last


@pytest.fixture
def chdb_connector(tmp_path: Path) -> Iterator[Any]:
    con = connect(chdb_url(tmp_path))
    yield con
    con.close()


def test_an_export_over_the_time_limit_stops_keeps_the_old_file_and_names_the_fix(
    chdb_connector: Any, tmp_path: Path
) -> None:
    out = tmp_path / "focus.csv"
    out.write_text("the previous export")
    slow = "SELECT * FROM (SELECT sleepEachRow(0.01) AS s, number FROM numbers(400) " \
           "SETTINGS max_block_size = 10)"  # fmt: skip
    with pytest.raises(InputError, match=r"longer than 0\.5 s .*OUTLAY_QUERY_TIMEOUT_S"):
        export_rows(chdb_connector, slow, out, "csv", memory_mb=256, timeout_s=0.5,
                    spool=tmp_path / "spool")  # fmt: skip
    assert out.read_text() == "the previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["focus.csv", "spool"]
    assert list((tmp_path / "spool").iterdir()) == []


def test_an_export_over_the_memory_limit_stops_and_writes_nothing(
    chdb_connector: Any, tmp_path: Path
) -> None:
    big = "SELECT groupArray(number) AS all_numbers FROM numbers(20000000)"
    with pytest.raises(InputError, match=r"more than 64 MB .*OUTLAY_QUERY_MEMORY_MB"):
        export_rows(chdb_connector, big, tmp_path / "x.parquet", "parquet", memory_mb=64,
                    timeout_s=30, spool=tmp_path / "spool")  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spool"]


def test_the_store_exports_under_its_own_memory_limit(
    engines: dict[str, Outlay], tmp_path: Path
) -> None:
    url = engines["chdb"].settings.facts_url
    facts = ClickHouseFacts(url, tmp_path / "staging", memory_mb=1)
    compiled = compile_focus_query(FocusScope(START, END, "hour"), TagSet(()))
    with pytest.raises(InputError, match="more than 1 MB"):
        facts.export(compiled.sql, compiled.params, tmp_path / "x.csv", "csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["staging"]


# -- the CSV text, against DuckDB's own writer -------------------------------------------------

MONEY = pa.decimal128(38, 10)
QUANTITY = pa.decimal128(38, 6)
#: Any text a tag value or an e-mail may hold (UTF-8: no lone surrogates; no NUL).
characters = st.characters(codec="utf-8", exclude_characters="\x00")
texts = st.none() | st.text(characters, max_size=12)
money = st.none() | st.decimals(
    min_value=Decimal("-1e27"), max_value=Decimal("1e27"), places=10, allow_nan=False
)
small_money = st.integers(-(10**7), 10**7).map(lambda n: Decimal(n).scaleb(-10))
quantities = st.none() | st.decimals(
    min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=6, allow_nan=False
)
row = st.tuples(texts, money | small_money, quantities, st.none() | st.booleans())


@settings(max_examples=60, deadline=None)
@given(st.lists(row, max_size=30))
def test_csv_text_is_duckdbs_for_any_strings_decimals_and_flags(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[Any, ...]]
) -> None:
    names = ["Text", "Cost, USD", "Quantity", "Flag"]
    kinds = [pa.string(), MONEY, QUANTITY, pa.bool_()]
    table = pa.table([pa.array([r[i] for r in rows], k) for i, k in enumerate(kinds)], names=names)
    out = io.BytesIO()
    writer = CsvWriter(out, table.schema)
    if rows:
        writer.write(table)
    path = tmp_path_factory.getbasetemp() / "duckdb.csv"
    with duckdb.connect() as con:
        con.register("t", table)
        con.execute(f"COPY (SELECT * FROM t) TO '{path}' (FORMAT csv, HEADER true)")
    assert out.getvalue() == path.read_bytes()


@settings(max_examples=40, deadline=None)
@given(st.text(characters, max_size=16))
def test_to_json_on_chdb_is_duckdbs(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    folder = tmp_path_factory.getbasetemp() / "json"
    facts = ClickHouseFacts(chdb_url(folder), folder / "staging")
    found = facts.query("SELECT to_json(?) AS j", [text]).rows[0][0]
    expected = duckdb.execute("SELECT to_json(?)", [text]).fetchone()
    assert expected is not None and found == expected[0]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 50), max_size=8), st.integers(1, 20))
def test_groups_keep_every_row_in_order_and_hold_at_most_a_batch_more_than_asked(
    sizes: list[int], size: int
) -> None:
    numbers = iter(range(10_000))
    batches = [pa.record_batch([pa.array([next(numbers) for _ in range(n)], pa.int64())],
                               names=["n"]) for n in sizes]  # fmt: skip
    groups = list(_groups(batches, size))
    assert [v for g in groups for v in g.column("n").to_pylist()] == list(range(sum(sizes)))
    assert all(size <= g.num_rows < 2 * size for g in groups[:-1])
    assert all(0 < g.num_rows < 2 * size for g in groups)


def test_a_killed_exports_rows_are_removed_from_the_spool_a_day_later(
    chdb_connector: Any, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    old, recent = spool / "export-old.arrows", spool / "export-recent.arrows"
    for path in (old, recent):
        path.write_bytes(b"rows of a killed export")
    os.utime(old, (time.time() - 2 * 86_400,) * 2)
    rows = export_rows(chdb_connector, "SELECT number FROM numbers(3)", tmp_path / "n.csv", "csv",
                       memory_mb=256, timeout_s=30, spool=spool)  # fmt: skip
    assert rows == 3 and (tmp_path / "n.csv").read_text() == "number\n0\n1\n2\n"
    assert sorted(p.name for p in spool.iterdir()) == ["export-recent.arrows"]
