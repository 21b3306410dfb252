"""FOCUS export and seat prices over HTTP: the API route, the Cost Reports button, Integrations."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from outlay.report.focus import COLUMN_NAMES
from outlay.report.spec import ReportSpec
from outlay.service import Outlay
from outlay.testing.cursor_fake.api import DEFAULT_KEY
from outlay.web.app import create_app
from tests.fakes import BASE_URL, fake_cursor, make_outlay
from tests.focus_rules import check_rows
from tests.test_pages import sign_in

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
SCOPE = {"start_date": "2026-10-01", "end_date": "2026-11-20"}


@dataclass
class Site:
    outlay: Outlay
    api: TestClient
    page: TestClient
    viewer: TestClient


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    fake = fake_cursor()
    outlay = make_outlay(tmp_path, fake)
    outlay.add_account("cursor", "acme", DEFAULT_KEY, base_url=BASE_URL)
    outlay.sync("acme")
    outlay.add_user("owner@x.io", "owner", PASSWORD)
    outlay.add_user("viewer@x.io", "viewer", PASSWORD)
    token = outlay.create_token("owner@x.io")
    app = create_app(outlay.settings, outlay=outlay, scheduler=False)
    with TestClient(app) as api, TestClient(app) as page, TestClient(app) as viewer:
        api.headers["Authorization"] = f"Bearer {token}"
        assert sign_in(page, "owner@x.io", PASSWORD).status_code == 200
        assert sign_in(viewer, "viewer@x.io", PASSWORD).status_code == 200
        yield Site(outlay, api, page, viewer)


def _rows(text: str) -> list[dict[str, str | None]]:
    return [{k: v or None for k, v in r.items()} for r in csv.DictReader(io.StringIO(text))]


def test_the_api_streams_focus_csv_and_parquet_that_add_up(site: Site) -> None:
    params = {**SCOPE, "filter": "costs.token_type = 'input'"}
    response = site.api.get("/api/v1/exports/focus", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = _rows(response.text)
    assert list(rows[0]) == list(COLUMN_NAMES) and check_rows(rows) == []
    spec = ReportSpec.from_data(
        {"start": "2026-10-01", "end": "2026-11-20", "date_bin": "cumulative",
         "measure": "billed_cost", "filter": "costs.token_type = 'input'"}
    )  # fmt: skip
    total = sum((Decimal(r["BilledCost"] or 0) for r in rows), Decimal(0))
    assert total == site.outlay.report(spec).total
    parquet = site.api.get("/api/v1/exports/focus", params={**params, "format": "parquet"})
    assert parquet.status_code == 200 and parquet.content[:4] == b"PAR1"
    bad = site.api.get("/api/v1/exports/focus", params={**params, "format": "xml"})
    assert bad.status_code == 400 and "csv or parquet" in bad.json()["error"]["message"]
    monthly = site.api.get("/api/v1/exports/focus", params={**params, "date_bin": "month"})
    assert monthly.status_code == 400 and "day or an hour" in monthly.json()["error"]["message"]


def test_the_cost_reports_button_exports_the_views_scope(site: Site) -> None:
    page = site.page.get("/reports", params={**SCOPE, "date_bin": "week"}).text
    link = re.search(r'id="export-focus" href="([^"]+)"', page)
    assert link is not None
    response = site.page.get(link.group(1).replace("&amp;", "&"))
    assert response.status_code == 200, response.text
    rows = _rows(response.text)
    assert rows and check_rows(rows) == []
    # A weekly view exports daily rows: a FOCUS charge period is a day or an hour.
    assert all(r["ChargePeriodStart"].endswith("T00:00:00Z") for r in rows)  # type: ignore[union-attr]
    spec = ReportSpec.from_data({"start": "2026-10-01", "end": "2026-11-20",
                                 "date_bin": "cumulative", "measure": "billed_cost"})  # fmt: skip
    total = sum((Decimal(r["BilledCost"] or 0) for r in rows), Decimal(0))
    assert total == site.outlay.report(spec).total


def test_integrations_shows_and_sets_the_seat_price(site: Site) -> None:
    page = site.page.get("/integrations").text
    assert 'id="seats"' in page and "off" in page and "teams-standard $40" in page
    csrf = CSRF.search(page)
    assert csrf is not None
    saved = site.page.post(
        "/integrations/seats",
        data={"csrf": csrf.group(1), "account": "acme", "seat_price": "teams-standard"},
    )
    assert saved.status_code == 200 and "Saved the seat price of acme" in saved.text
    assert site.outlay.seat_summary("acme").price == 40
    assert "$40.00" in saved.text
    # A viewer sees the price but no form, and cannot post one.
    viewer = site.viewer.get("/integrations").text
    assert 'data-seats="acme"' in viewer and 'action="/integrations/seats"' not in viewer
    token = CSRF.search(viewer)
    denied = site.viewer.post(
        "/integrations/seats",
        data={"csrf": token.group(1) if token else "", "account": "acme", "seat_price": "1"},
    )
    assert denied.status_code in (403, 404)
    assert site.outlay.seat_summary("acme").price == 40
    off = site.page.post(
        "/integrations/seats", data={"csrf": csrf.group(1), "account": "acme", "seat_price": ""}
    )
    assert off.status_code == 200 and site.outlay.seat_summary("acme").price is None


def test_the_api_reads_and_sets_the_seat_price(site: Site) -> None:
    assert site.api.get("/api/v1/accounts/acme/seats").json()["price"] is None
    body = site.api.put("/api/v1/accounts/acme/seats", json={"price": "39.99"}).json()
    assert body["price"] == "39.99" and body["seats"] > 0
    assert Decimal(body["monthly"]) == Decimal("39.99") * body["seats"]
    preset = site.api.put("/api/v1/accounts/acme/seats", json={"preset": "teams-premium"})
    assert preset.json()["price"] == "120" and preset.json()["preset"] == "teams-premium"
    bad = site.api.put("/api/v1/accounts/acme/seats", json={"price": "12.345"})
    assert bad.status_code == 400 and "more than 2 decimals" in bad.json()["error"]["message"]
    off = site.api.put("/api/v1/accounts/acme/seats", json={})
    assert off.json()["price"] is None
