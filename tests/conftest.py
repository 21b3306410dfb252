from __future__ import annotations

import gc
import os
import warnings
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from tests import fakes

#: Test files that exercise the metadata store: ``pytest --database postgresql -m storage`` runs
#: them on PostgreSQL. A file may also mark itself (``pytestmark = pytest.mark.storage``).
STORAGE_TESTS = frozenset(
    {"test_access", "test_alert_events", "test_base_url", "test_completeness",
     "test_data_permissions", "test_login_throttle", "test_reconcile", "test_scheduler",
     "test_seats", "test_sync", "test_sync_failures", "test_sync_resume", "test_trust_surfaces",
     "test_migrations", "test_shared_state", "test_worker", "test_meta_store", "test_sso",
     "test_delivery", "test_budgets", "test_budget_surfaces", "test_channels_surfaces",
     "test_alerts_service", "test_api_alerts", "test_audit", "test_lifecycle",
     "test_lifecycle_web", "test_cli_users"}
)  # fmt: skip
#: Test files whose results come from the fact store: ``pytest --facts chdb -m facts`` runs them
#: on ClickHouse (chDB), where every report must equal DuckDB's to the last digit.
FACTS_TESTS = frozenset(
    {"test_clickhouse_facts", "test_completeness", "test_db_copy", "test_facts_store",
     "test_guardrail_run", "test_per_parent", "test_query_limits", "test_reconcile",
     "test_report", "test_seats", "test_sync", "test_sync_failures", "test_sync_resume",
     "test_budgets", "test_alerts_service",
     "test_focus", "test_focus_web", "test_focus_engines"}
)  # fmt: skip
#: Read once, before any test clears the OUTLAY_* variables.
POSTGRES_URL = os.environ.get("OUTLAY_TEST_POSTGRES_URL")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="where the metadata of fake_settings/make_outlay lives (default: sqlite)",
    )
    parser.addoption(
        "--facts", choices=("duckdb", "chdb"), default="duckdb",
        help="fact engine of the storage tests: duckdb (default) or chdb",
    )  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    fakes.FACTS_ENGINE["name"] = config.getoption("--facts")
    config.addinivalue_line("markers", "postgresql: needs PostgreSQL (skipped without it)")
    config.addinivalue_line(
        "markers",
        "embedded_only: reads the embedded files in the data dir (skipped on PostgreSQL, chDB)",
    )
    if config.getoption("--database") == "postgresql":
        # Tests drop their Outlay without closing it: psycopg warns for each idle pooled
        # connection collected with it. The databases are dropped (with force) after each test.
        config.addinivalue_line(
            "filterwarnings", "ignore:.*was deleted while still open:ResourceWarning"
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    on_postgres = config.getoption("--database") == "postgresql"
    on_chdb = config.getoption("--facts") == "chdb"
    for item in items:
        if item.path.stem in STORAGE_TESTS:
            item.add_marker(pytest.mark.storage)
        if item.path.stem in FACTS_TESTS:
            item.add_marker(pytest.mark.facts)
        if item.get_closest_marker("postgresql") and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs --database postgresql"))
        if item.get_closest_marker("embedded_only") and (on_postgres or on_chdb):
            item.add_marker(pytest.mark.skip(reason="reads the embedded files in the data dir"))


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


@pytest.fixture(scope="session")
def postgres(request: pytest.FixtureRequest) -> Iterator[fakes.Databases]:
    """Databases on the test PostgreSQL server (started here unless OUTLAY_TEST_POSTGRES_URL)."""
    from tests.postgres import Databases, throwaway_cluster

    if request.config.getoption("--database") != "postgresql":
        pytest.skip("needs --database postgresql")
    with ExitStack() as stack:
        server = POSTGRES_URL or stack.enter_context(throwaway_cluster())
        databases = Databases(server)
        stack.callback(databases.close)
        yield databases


@pytest.fixture(scope="session", autouse=True)
def metadata_on_postgres(request: pytest.FixtureRequest) -> Iterator[None]:
    """With ``--database postgresql``, each data dir of fake_settings/make_outlay gets its own
    fresh PostgreSQL database."""
    if request.config.getoption("--database") != "postgresql":
        yield
        return
    databases = request.getfixturevalue("postgres")
    fakes.metadata_urls.enable(databases)
    try:
        yield
    finally:
        fakes.metadata_urls.disable()
        # Collect the tests' services now, while their closed connections' warnings are muted
        # (the ini filters no longer apply once the session ends).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()


@pytest.fixture(autouse=True)
def drop_test_databases() -> Iterator[None]:
    """Databases a test made are dropped after it (those of module fixtures, at the end)."""
    mark = fakes.metadata_urls.mark()
    yield
    fakes.metadata_urls.drop_since(mark)
