"""OUTLAY_FACTS_URL: the default, the accepted forms, and a clear refusal of anything else."""

from __future__ import annotations

from pathlib import Path

import pytest

from outlay.config import Settings
from outlay.errors import ConfigError


def test_the_default_is_the_data_dirs_duckdb_file(tmp_path: Path) -> None:
    settings = Settings.from_env({"OUTLAY_DATA_DIR": str(tmp_path)})
    assert settings.facts_url == f"duckdb:///{tmp_path}/facts.duckdb"


@pytest.mark.parametrize(
    "url", ["duckdb:////srv/f.duckdb", "chdb:////srv/ch", "clickhouse://u:p@ch:8123/outlay"]
)
def test_every_documented_form_is_accepted(tmp_path: Path, url: str) -> None:
    settings = Settings.from_env({"OUTLAY_DATA_DIR": str(tmp_path), "OUTLAY_FACTS_URL": url})
    assert settings.facts_url == url


@pytest.mark.parametrize("url", ["postgresql://x/y", "duckdb:///", "/srv/facts.duckdb"])
def test_anything_else_is_one_line_naming_the_forms(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"OUTLAY_DATA_DIR": str(tmp_path), "OUTLAY_FACTS_URL": url})
    message = str(caught.value)
    assert "\n" not in message and "OUTLAY_FACTS_URL" in message
    assert "duckdb:///path, chdb:///path or clickhouse://" in message
