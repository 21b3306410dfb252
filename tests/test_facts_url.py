"""OUTLAY_FACTS_URL: the default, the accepted forms, and a clear refusal of anything else."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from outlay.config import Settings
from outlay.errors import ConfigError
from outlay.store.facts_api import open_facts


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


def test_chdb_without_its_extra_installed_is_one_line_naming_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An install without the chdb extra: the module cannot be imported.
    monkeypatch.setitem(sys.modules, "chdb", None)
    settings = Settings.from_env(
        {"OUTLAY_DATA_DIR": str(tmp_path), "OUTLAY_FACTS_URL": f"chdb:///{tmp_path}/ch"}
    )
    with pytest.raises(ConfigError) as caught:
        open_facts(settings)
    message = str(caught.value)
    assert "\n" not in message and "OUTLAY_FACTS_URL" in message
    assert "pip install 'outlay[chdb]'" in message
    assert not (tmp_path / "ch").exists()  # nothing made
