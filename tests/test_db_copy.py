"""``outlay db copy``: an embedded install into other stores, every report identical after."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from typer.testing import CliRunner

from outlay.config import Settings
from outlay.errors import StoreError
from outlay.report.spec import ReportSpec
from outlay.report.tags import parse_tags_yaml
from outlay.service import Outlay
from outlay.store.copy import copy_install
from outlay.store.facts import DuckDBFacts
from outlay.testing.cursor_fake.api import DEFAULT_KEY
from outlay.testing.cursor_fake.team import TeamSpec
from tests.fakes import BASE_URL, chdb_url, fake_cursor, make_outlay, run_cli

pytestmark = pytest.mark.storage

TAGS = parse_tags_yaml("""\
- key: team
  values:
    - name: Heavy
      filter: costs.service ~* '^(claude|gpt)'
    - split: {Heavy: 60, Light: 40}
      filter: costs.category = 'Requests'
""")


def specs(today: date) -> list[ReportSpec]:
    start = today - timedelta(days=20)
    return [
        ReportSpec(start, today, date_bin="day", group_by=("service",)),
        ReportSpec(start, today, date_bin="cumulative", group_by=("resource",)),
        ReportSpec(start, today, date_bin="week", group_by=("tag:team",)),
        ReportSpec(start, today, date_bin="month", filter="costs.service LIKE 'claude%'"),
    ]


def results(outlay: Outlay) -> list[Any]:
    return [
        (result.rows and list(result.rows), result.totals)
        for result in (outlay.report(s, TAGS) for s in specs(outlay.today()))
    ]


def test_a_copied_install_answers_every_report_as_the_original(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = fake_cursor(TeamSpec(users=6, days=25))
    source = make_outlay(tmp_path / "a", fake)
    source.add_account("cursor", "acme", DEFAULT_KEY, base_url=BASE_URL)
    source.sync("acme")
    before = results(source)
    assert before[0][0], "the synced team has costs to compare"
    target_dir = tmp_path / "b"
    target_dir.mkdir()
    monkeypatch.setenv("OUTLAY_DATA_DIR", str(tmp_path / "a"))
    monkeypatch.setenv("OUTLAY_FACTS_URL", source.settings.facts_url)
    if source.settings.database_url:  # the PostgreSQL pass keeps the source's metadata there
        monkeypatch.setenv("OUTLAY_DATABASE_URL", source.settings.database_url)
    out = run_cli(
        CliRunner(), "db", "copy", "--to-database-url", f"sqlite:///{target_dir}/meta.sqlite",
        "--to-facts-url", chdb_url(target_dir), "--yes",
    )  # fmt: skip
    assert "Copy verified" in out and "table accounts" in out
    copied = Outlay(
        Settings(
            data_dir=target_dir, facts_store_url=chdb_url(target_dir), allowed_base_urls=(BASE_URL,)
        ),
        clock=fake.clock,
    )
    assert results(copied) == before


def test_a_target_that_holds_rows_is_refused_and_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = fake_cursor(TeamSpec(users=2, days=3))
    source = make_outlay(tmp_path / "a", fake)
    source.add_account("cursor", "acme", DEFAULT_KEY, base_url=BASE_URL)
    monkeypatch.setenv("OUTLAY_DATA_DIR", str(tmp_path / "a"))
    if source.settings.database_url:  # the PostgreSQL pass keeps the source's metadata there
        monkeypatch.setenv("OUTLAY_DATABASE_URL", source.settings.database_url)
    args = ("db", "copy", "--to-database-url", f"sqlite:///{tmp_path}/b.sqlite",
            "--to-facts-url", chdb_url(tmp_path / "b"), "--yes")  # fmt: skip
    run_cli(CliRunner(), *args)
    out = run_cli(CliRunner(), *args, code=1)
    assert "already holds rows (table" in out


def test_an_unknown_facts_url_is_refused_in_one_line(tmp_path: Path) -> None:
    out = run_cli(
        CliRunner(), "--data-dir", str(tmp_path), "db", "copy", "--to-database-url",
        "sqlite:///x.sqlite", "--to-facts-url", "parquet:///x", "--yes", code=1,
    )  # fmt: skip
    assert "is not a fact store; use duckdb:///path" in out


@pytest.mark.postgresql
def test_an_embedded_install_copied_to_postgresql_and_chdb_answers_every_report_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from tests.fakes import fake_settings, metadata_urls

    fake = fake_cursor(TeamSpec(users=6, days=25))
    embedded = replace(fake_settings(tmp_path / "a"), database_url=None)  # SQLite + DuckDB
    source = Outlay(embedded, http=lambda: fake.http(), clock=fake.clock,
                    monotonic=fake.clock.monotonic, sleep=fake.clock.sleep)  # fmt: skip
    source.add_account("cursor", "acme", DEFAULT_KEY, base_url=BASE_URL)
    source.sync("acme")
    source.add_user("owner@x.test", "owner", "correct horse battery")
    before = results(source)
    target_dir = tmp_path / "b"
    target_dir.mkdir()
    target_meta = metadata_urls.of(target_dir)
    assert target_meta is not None and target_meta.startswith("postgresql")
    monkeypatch.setenv("OUTLAY_DATA_DIR", str(tmp_path / "a"))
    monkeypatch.setenv("OUTLAY_FACTS_URL", source.settings.facts_url)
    out = run_cli(
        CliRunner(), "db", "copy", "--to-database-url", target_meta,
        "--to-facts-url", chdb_url(target_dir), "--yes",
    )  # fmt: skip
    assert "Copy verified" in out
    copied = Outlay(
        Settings(data_dir=target_dir, database_url=target_meta, facts_store_url=chdb_url(target_dir),
                 allowed_base_urls=(BASE_URL,)),
        http=lambda: fake.http(), clock=fake.clock,
    )  # fmt: skip
    assert results(copied) == before
    # The copied ids do not collide with the next rows the new install writes.
    copied.add_user("second@x.test", "viewer", "correct horse battery")
    copied.add_account("cursor", "beta", DEFAULT_KEY, base_url=BASE_URL)
    assert [a.name for a in copied.accounts()] == ["acme", "beta"]


class _DropsARow(DuckDBFacts):
    """A target engine that loses the first row of every batch it is given."""

    def append(self, account: str, rows: pa.Table) -> None:
        super().append(account, rows.slice(1))


class _AddsAnEarlierRow(DuckDBFacts):
    """A target engine that also writes a copy of each batch's first row a year earlier."""

    def append(self, account: str, rows: pa.Table) -> None:
        first = rows.slice(0, 1)
        year = pa.scalar(timedelta(days=365), pa.duration("ms"))
        earlier = first.set_column(
            first.schema.get_field_index("ts"), "ts", pc.subtract(first["ts"], year)
        )
        super().append(account, pa.concat_tables([rows, earlier]))


@pytest.mark.embedded_only
@pytest.mark.parametrize("engine", [_DropsARow, _AddsAnEarlierRow])
def test_a_copy_that_differs_from_its_source_is_an_error_naming_the_first_difference(
    tmp_path: Path, engine: type[DuckDBFacts]
) -> None:
    fake = fake_cursor(TeamSpec(users=3, days=40, events_per_user_day=3))
    outlay = make_outlay(tmp_path / "source", fake)
    outlay.add_account("cursor", "acme", DEFAULT_KEY, base_url=BASE_URL)
    outlay.sync("acme")
    target = engine(tmp_path / "target.duckdb")
    with pytest.raises(StoreError) as caught:
        copy_install(outlay.settings.meta_url, outlay.facts,
                     f"sqlite:///{tmp_path / 'target.sqlite'}", target)  # fmt: skip
    message = str(caught.value)
    assert "differs from its source" in message and "\n" not in message
    assert ("cost of acme on" if engine is _DropsARow else "rows of acme outside") in message
