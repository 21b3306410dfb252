from __future__ import annotations

import os

import pytest

from tests import fakes


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--facts", choices=("duckdb", "chdb"), default="duckdb",
        help="fact engine of the storage tests: duckdb (default) or chdb",
    )  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    fakes.FACTS_ENGINE["name"] = config.getoption("--facts")


def pytest_unconfigure(config: pytest.Config) -> None:
    if fakes.FACTS_ENGINE["chdb_root"]:
        import shutil

        shutil.rmtree(fakes.FACTS_ENGINE["chdb_root"], ignore_errors=True)


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's OUTLAY_* settings."""
    for name in list(os.environ):
        if name.startswith("OUTLAY_"):
            monkeypatch.delenv(name)
