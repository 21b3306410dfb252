"""The fact store under a server's conditions: readers and a writer in one process, at once."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest

from outlay.ingest.windows import day_start_ms
from outlay.providers.cursor.normalize import normalize_events
from outlay.providers.cursor.prices import PriceTable
from outlay.report.run import run_report
from outlay.report.spec import ReportSpec
from outlay.report.tags import TagSet
from tests.fakes import facts_store
from tests.test_report import synthetic_events

pytestmark = pytest.mark.storage


def test_reports_and_window_replaces_run_side_by_side_in_one_process(tmp_path: Path) -> None:
    facts = facts_store(tmp_path)
    table = normalize_events(synthetic_events(2000), account="acme", member_names={},
                             prices=PriceTable())  # fmt: skip
    end = day_start_ms(date(2030, 1, 1))
    errors: list[BaseException] = []
    with facts.stage() as staged:  # the window exists before the rewrites start
        staged.add(table)
        facts.replace_window("acme", 0, end, staged)

    def write() -> None:
        try:
            for _ in range(15):
                with facts.stage() as staged:
                    staged.add(table)
                    facts.replace_window("acme", 0, end, staged)
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            errors.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    spec = ReportSpec(date(2026, 9, 1), date(2026, 10, 30), date_bin="cumulative")
    totals = set()
    while True:  # at least one read, even if the writer is done before the first
        totals.add(run_report(facts, spec, TagSet(()), today=date(2026, 10, 30)).total)
        if not writer.is_alive():
            break
    writer.join()
    assert errors == []
    final = run_report(facts, spec, TagSet(()), today=date(2026, 10, 30)).total
    assert totals <= {final}  # every read saw a whole window: never half of one, never doubled
    assert facts.count_rows("acme") == table.num_rows
