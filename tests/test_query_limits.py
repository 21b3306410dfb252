"""Every report query runs under a memory and a time limit of the engine, from the settings."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from outlay.config import Settings
from outlay.errors import ConfigError, InputError
from outlay.ingest.windows import day_start_ms
from outlay.providers.cursor.normalize import normalize_events
from outlay.providers.cursor.prices import PriceTable
from outlay.service import Outlay
from outlay.store.facts import DuckDBFacts
from tests.test_report import synthetic_events

pytestmark = pytest.mark.storage

SLOW = "SELECT sum(hash(i)) FROM range(100000000000) t(i)"
GREEDY = (
    "SELECT max(length(s)) FROM (SELECT string_agg(i::VARCHAR, ',') s FROM range(30000000) t(i))"
)


def _memory_limit(facts: DuckDBFacts) -> str:
    return str(facts.query("SELECT current_setting('memory_limit')").rows[0][0])


def test_a_query_over_the_time_limit_is_stopped_with_a_clear_error(tmp_path: Path) -> None:
    facts = DuckDBFacts(tmp_path / "facts.duckdb", timeout_s=0.3)
    with pytest.raises(InputError, match=r"^the report took longer than 0.3 s and was stopped; "):
        facts.query(SLOW)
    assert facts.query("SELECT 42").rows == [(42,)]  # the store is fine afterwards


def test_a_query_over_the_memory_limit_is_stopped_with_a_clear_error(tmp_path: Path) -> None:
    facts = DuckDBFacts(tmp_path / "facts.duckdb", memory_mb=64)
    with pytest.raises(InputError, match=r"^the report needs more than 64 MB of memory"):
        facts.query(GREEDY)


def test_the_query_limit_comes_back_after_a_window_replace(tmp_path: Path) -> None:
    facts = DuckDBFacts(tmp_path / "facts.duckdb", memory_mb=200)
    before = _memory_limit(facts)
    table = normalize_events(synthetic_events(50), account="acme", member_names={},
                             prices=PriceTable())  # fmt: skip
    with facts.stage() as staged:
        staged.add(table)
        facts.replace_window("acme", 0, day_start_ms(date(2030, 1, 1)), staged)
    assert _memory_limit(facts) == before == "190.7 MiB"  # 200 MB, not the engine's default


def test_limits_are_settings_passed_to_the_store(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"OUTLAY_QUERY_MEMORY_MB": "512", "OUTLAY_QUERY_TIMEOUT_S": "7"}, data_dir=tmp_path
    )
    facts = Outlay(settings).facts
    assert (facts.memory_mb, facts.timeout_s) == (512, 7)
    assert (Settings().query_memory_mb, Settings().query_timeout_s) == (1024, 30)
    with pytest.raises(ConfigError, match="OUTLAY_QUERY_MEMORY_MB=10 is out of range; use 64"):
        Settings.from_env({"OUTLAY_QUERY_MEMORY_MB": "10"})
    with pytest.raises(ConfigError, match="OUTLAY_QUERY_TIMEOUT_S='soon' is not a whole number"):
        Settings.from_env({"OUTLAY_QUERY_TIMEOUT_S": "soon"})
