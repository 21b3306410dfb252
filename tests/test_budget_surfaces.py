"""Budgets, member limits and digests on every surface: the CLI's JSON contract and one-line
errors, the API's roles and workspaces, and the Budgets page."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from outlay.alerts.budget import Budget
from outlay.cli.app import app as cli_app
from outlay.report.spec import ReportSpec
from outlay.service import Outlay
from outlay.web.app import create_app
from outlay.web.deps import SESSION_COOKIE
from tests.fakes import cli_env, fake_cursor, make_outlay, sync_two_workspaces
from tests.test_budgets import add_channel

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
ROLES = ("viewer", "editor", "admin", "owner")
BUDGET_ROW = {"name", "amount", "period", "actual", "forecast", "percent_actual",
              "percent_forecast", "crosses_on", "mtd_budget"}  # fmt: skip


@dataclass
class World:
    outlay: Outlay
    client: TestClient
    tokens: dict[str, str]
    data_dir: Path

    def api(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return self.client.request(method, path, headers=headers, **kwargs)

    def cli(self, *args: str, code: int = 0) -> str:
        result = CliRunner().invoke(
            cli_app,
            ["--data-dir", str(self.data_dir), "--workspace", "A", *args],
            env=cli_env(self.data_dir),
        )
        assert result.exit_code == code, result.output
        return result.output

    def page_client(self, role: str) -> tuple[TestClient, str]:
        """A client signed in as ``role`` through the login form, and its CSRF token."""
        client = TestClient(self.client.app)
        found = CSRF.search(client.get("/login").text)
        assert found is not None
        client.post("/login", data={"email": f"{role}@x.io", "password": PASSWORD,
                                    "csrf": found.group(1)})  # fmt: skip
        assert SESSION_COOKIE in client.cookies
        token = CSRF.search(client.get("/budgets").text)
        assert token is not None
        return client, token.group(1)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir = tmp_path_factory.mktemp("budget-surfaces")
    outlay = make_outlay(data_dir, fake_cursor())
    sync_two_workspaces(outlay)
    add_channel(outlay, "ops", "A")
    add_channel(outlay, "secret-b", "B")
    outlay.add_budget(Budget("Hidden", Decimal(9)), workspace="B")
    tokens = {}
    for role in ROLES:
        outlay.add_user(f"{role}@x.io", role, PASSWORD, ["A"])
        tokens[role] = outlay.create_token(f"{role}@x.io")
    app = create_app(outlay.settings, outlay=outlay, scheduler=False)
    with TestClient(app) as client:
        yield World(outlay, client, tokens, data_dir)


@pytest.fixture
def clean(world: World) -> World:
    for budget in world.outlay.budgets(workspace="A"):
        world.outlay.remove_budget(budget.name, workspace="A")
    return world


# -- CLI -------------------------------------------------------------------------------------


def test_the_cli_json_follows_the_budgets_contract(clean: World) -> None:
    clean.cli("budgets", "add", "Platform", "--amount", "4000", "--alert-at", "50,80,100",
              "--forecast-alert", "--notify", "ops")  # fmt: skip
    clean.cli("budgets", "add", "Per dev", "--amount", "25", "--per", "resource",
              "--filter", "costs.service LIKE 'claude%'")  # fmt: skip
    rows = json.loads(clean.cli("budgets", "list", "--format", "json"))
    assert [r["name"] for r in rows] == ["Per dev", "Platform"]
    for row in rows:
        assert set(row) >= BUDGET_ROW and set(row["period"]) == {"start", "end"}
        for key in ("amount", "actual", "forecast", "mtd_budget", "percent_actual"):
            assert isinstance(row[key], str) and Decimal(row[key]).is_finite()
    per, platform = rows
    assert "groups" not in platform and platform["alert_at"] == ["50", "80", "100"]
    assert platform["channels"] == ["ops"] and platform["forecast_alert"] is True
    assert per["groups"] and all(set(g["group"]) == {"resource"} for g in per["groups"])
    assert sum(Decimal(g["actual"]) for g in per["groups"]) == Decimal(per["actual"])
    table = clean.cli("budgets", "list")
    assert table.startswith("Budgets") and "Cursor member limits" in table
    clean.cli("budgets", "edit", "Platform", "--amount", "5000", "--rename", "Core")
    assert [r["name"] for r in json.loads(clean.cli("budgets", "list", "--format", "json"))] == [
        "Core", "Per dev",
    ]  # fmt: skip
    clean.cli("budgets", "remove", "Core", "--yes")
    clean.cli("budgets", "remove", "Per dev", code=1)  # no --yes, no terminal: refused
    assert [b.name for b in clean.outlay.budgets(workspace="A")] == ["Per dev"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--amount", "lots"], "amount 'lots' is not an amount in USD"),
        (["--amount", "-3"], "amount '-3' is not an amount in USD"),
        (["--amount", "10", "--alert-at", "80,x"], "alert threshold 'x' is not a percent"),
        (["--amount", "10", "--notify", "nope"], "no channel named 'nope' in workspace A"),
        (["--amount", "10", "--notify", "secret-b"], "no channel named 'secret-b'"),
        (["--amount", "10", "--per", "colour"], "unknown dimension 'colour'"),
        (["--amount", "10", "--filter", "costs.colour = 'x'"], "filter"),
        (["--amount", "10", "--month", "2026-13=5"], "month '2026-13' is not YYYY-MM"),
        ([], "give the budget's monthly amount in USD"),
        (["--cursor-limit", "--amount", "10"], "a Cursor-limit budget"),
    ],
)
def test_a_bad_budget_is_one_line_and_saves_nothing(
    clean: World, args: list[str], message: str
) -> None:
    result = CliRunner().invoke(
        cli_app, ["--data-dir", str(clean.data_dir), "--workspace", "A", "budgets", "add", "X",
                  *args],
        env=cli_env(clean.data_dir),
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert message in result.output and result.output.strip().count("\n") == 0
    assert clean.outlay.budgets(workspace="A") == []


def test_the_cli_sets_and_stops_a_digest(clean: World) -> None:
    spec = ReportSpec(interval="last_7_days", group_by=("service",), date_bin="cumulative")
    clean.outlay.save_report("Models", spec, workspace="A")
    clean.cli("reports", "digest", "Models", "--every", "week", "--notify", "ops")
    listed = json.loads(clean.cli("reports", "digests", "--format", "json"))
    assert listed == [{"report": "Models", "every": "week", "channels": ["ops"]}]
    out = clean.cli("reports", "digest", "Models", "--every", "hourly", "--notify", "ops", code=1)
    assert "unknown digest schedule 'hourly'" in out
    clean.cli("reports", "digest", "Models", "--off")
    assert json.loads(clean.cli("reports", "digests", "--format", "json")) == []
    assert "has no digest" in clean.cli("reports", "digest", "Models", "--off", code=1)


def test_the_cli_lists_member_limits(clean: World) -> None:
    rows = json.loads(clean.cli("budgets", "limits", "--format", "json"))
    assert rows and {r["account"] for r in rows} == {"a"}  # workspace A sees account a only
    for row in rows:
        assert set(row) >= {"email", "spend", "limit", "percent", "hard_limit_override",
                            "monthly_limit", "effective_limit", "cycle"}  # fmt: skip
        assert Decimal(row["spend"]) >= 0 and (row["limit"] is None or Decimal(row["limit"]) > 0)


# -- API -------------------------------------------------------------------------------------

NEW = {"name": "Api budget", "amount": "300", "alert_at": ["80", "100"], "channels": ["ops"]}


def test_viewers_read_and_editors_write_budgets(clean: World) -> None:
    assert clean.api("viewer", "POST", "/api/v1/budgets", json=NEW).status_code == 403
    created = clean.api("editor", "POST", "/api/v1/budgets", json=NEW)
    assert created.status_code == 201, created.text
    assert created.json()["amount"] == "300"
    listed = clean.api("viewer", "GET", "/api/v1/budgets").json()
    assert [r["name"] for r in listed] == ["Api budget"] and set(listed[0]) >= BUDGET_ROW
    cli = json.loads(clean.cli("budgets", "list", "--format", "json"))
    assert [r["name"] for r in cli] == ["Api budget"]
    edit = {**NEW, "name": "Renamed", "amount": "450.50", "per": "service"}
    assert clean.api("viewer", "PUT", "/api/v1/budgets/Api budget", json=edit).status_code == 403
    replaced = clean.api("editor", "PUT", "/api/v1/budgets/Api budget", json=edit)
    assert replaced.status_code == 200 and replaced.json()["name"] == "Renamed"
    assert clean.api("viewer", "DELETE", "/api/v1/budgets/Renamed").status_code == 403
    assert clean.api("editor", "DELETE", "/api/v1/budgets/Renamed").status_code == 204
    assert clean.api("editor", "DELETE", "/api/v1/budgets/Renamed").status_code == 404
    assert clean.api("", "GET", "/api/v1/budgets").status_code == 401


def test_another_workspace_is_invisible_to_the_api(clean: World) -> None:
    for method, path, kwargs in [
        ("GET", "/api/v1/budgets", {}),
        ("GET", "/api/v1/budgets/member-limits", {}),
        ("POST", "/api/v1/budgets", {"json": NEW}),
        ("DELETE", "/api/v1/budgets/Hidden", {}),
        ("GET", "/api/v1/digests", {}),
    ]:
        answer = clean.api("editor", method, path, params={"workspace": "B"}, **kwargs)
        assert answer.status_code == 404, (path, answer.text)
        assert "Hidden" not in answer.text
    assert [b.name for b in clean.outlay.budgets(workspace="B")] == ["Hidden"]
    owner = clean.api("owner", "GET", "/api/v1/budgets", params={"workspace": "B"}).json()
    assert [r["name"] for r in owner] == ["Hidden"]


@pytest.mark.parametrize(
    ("change", "field_text"),
    [
        ({"amount": "abc"}, "not an amount in USD"),
        ({"alert_at": ["0"]}, "alert threshold"),
        ({"channels": ["secret-b"]}, "no channel named 'secret-b'"),
        ({"per": "x"}, "unknown dimension"),
        ({"months": {"2026-12": "-1"}}, "not an amount"),
        ({"name": "a/b"}, "without '/'"),
    ],
)
def test_the_api_refuses_bad_budgets_in_one_shape(
    clean: World, change: dict[str, Any], field_text: str
) -> None:
    answer = clean.api("editor", "POST", "/api/v1/budgets", json={**NEW, **change})
    assert answer.status_code == 400, answer.text
    assert set(answer.json()) == {"error"} and field_text in answer.json()["error"]["message"]
    assert clean.outlay.budgets(workspace="A") == []


def test_member_limits_and_digests_over_the_api(clean: World) -> None:
    limits = clean.api("viewer", "GET", "/api/v1/budgets/member-limits").json()
    assert limits == json.loads(clean.cli("budgets", "limits", "--format", "json"))
    spec = ReportSpec(interval="last_7_days", date_bin="cumulative")
    clean.outlay.save_report("Total", spec, workspace="A")
    body = {"every": "month", "channels": ["ops"]}
    assert clean.api("viewer", "PUT", "/api/v1/reports/Total/digest", json=body).status_code == 403
    assert clean.api("editor", "PUT", "/api/v1/reports/Total/digest", json=body).status_code == 200
    assert clean.api("viewer", "GET", "/api/v1/digests").json() == [
        {"report": "Total", "every": "month", "channels": ["ops"]}
    ]
    assert clean.api("editor", "DELETE", "/api/v1/reports/Total/digest").status_code == 204


# -- page ------------------------------------------------------------------------------------


def test_the_budgets_page_shows_bars_groups_and_limits(clean: World) -> None:
    clean.outlay.add_budget(Budget("Team", Decimal(50)), workspace="A")
    clean.outlay.add_budget(Budget("Devs", Decimal(5), per="resource"), workspace="A")
    limits = Budget("Limits", None, cursor_limit=True, alert_at=(Decimal(1),))
    clean.outlay.add_budget(limits, workspace="A")
    viewer, _ = clean.page_client("viewer")
    page = viewer.get("/budgets")
    assert page.status_code == 200
    html = page.text
    assert 'data-budget="Team"' in html and 'data-budget="Devs"' in html
    assert 'data-budget="Limits"' in html
    assert html.count("<meter") > 4 and 'id="member-limits"' in html and "data-member=" in html
    assert "<script>" not in html and "Hidden" not in html
    assert 'action="/budgets/save"' not in html  # a viewer gets no form
    assert "Content-Security-Policy" in page.headers
    hidden = viewer.get("/budgets", params={"workspace": "B"})
    assert hidden.status_code == 404 and "Hidden" not in hidden.text


def test_editors_create_edit_and_remove_on_the_page(clean: World) -> None:
    editor, csrf = clean.page_client("editor")
    form = {"csrf": csrf, "workspace": "A", "name": "Form budget", "amount": "120",
            "alert_at": "80,100", "notify": "ops", "forecast_alert": "on"}  # fmt: skip
    saved = editor.post("/budgets/save", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    (budget,) = clean.outlay.budgets(workspace="A")
    assert budget.amount == 120 and budget.forecast_alert and budget.channels == ("ops",)
    editing = editor.get("/budgets", params={"edit": "Form budget"}).text
    assert 'value="Form budget"' in editing and "Edit budget Form budget" in editing
    again = {**form, "original": "Form budget", "amount": "150", "forecast_alert": ""}
    assert editor.post("/budgets/save", data=again, follow_redirects=False).status_code == 303
    (budget,) = clean.outlay.budgets(workspace="A")
    assert budget.amount == 150 and not budget.forecast_alert
    bad = editor.post("/budgets/save", data={**form, "name": "Other", "amount": "x"})
    assert bad.status_code == 400 and "is not an amount in USD" in bad.text
    assert 'value="Other"' in bad.text  # what was typed comes back
    assert [b.name for b in clean.outlay.budgets(workspace="A")] == ["Form budget"]
    no_csrf = editor.post("/budgets/remove", data={"name": "Form budget", "workspace": "A"})
    assert no_csrf.status_code == 403
    removed = editor.post("/budgets/remove", follow_redirects=False,
                          data={"csrf": csrf, "name": "Form budget", "workspace": "A"})  # fmt: skip
    assert removed.status_code == 303 and clean.outlay.budgets(workspace="A") == []


def test_viewers_cannot_change_budgets_on_the_page(clean: World) -> None:
    viewer, csrf = clean.page_client("viewer")
    form = {"csrf": csrf, "workspace": "A", "name": "V", "amount": "1"}
    assert viewer.post("/budgets/save", data=form).status_code == 403
    assert clean.outlay.budgets(workspace="A") == []
    other, other_csrf = clean.page_client("editor")
    answer = other.post("/budgets/remove", data={"csrf": other_csrf, "name": "Hidden",
                                                 "workspace": "B"})  # fmt: skip
    assert answer.status_code == 404
    assert [b.name for b in clean.outlay.budgets(workspace="B")] == ["Hidden"]


WRITES = [
    ("POST", "/api/v1/budgets", {"json": NEW}),
    ("PUT", "/api/v1/budgets/Hidden", {"json": NEW}),
    ("DELETE", "/api/v1/budgets/Hidden", {}),
    ("PUT", "/api/v1/reports/Saved B/digest", {"json": {"every": "day", "channels": ["ops"]}}),
    ("DELETE", "/api/v1/reports/Saved B/digest", {}),
]
READS = [
    ("GET", "/api/v1/budgets", {}),
    ("GET", "/api/v1/budgets/member-limits", {}),
    ("GET", "/api/v1/digests", {}),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), WRITES)
def test_every_write_route_is_for_editors_of_the_workspace(
    clean: World, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    clean.outlay.save_report("Saved B", ReportSpec(interval="last_7_days"), workspace="B")
    before = (clean.outlay.budgets(workspace="B"), clean.outlay.digests(workspace="B"))
    # A viewer may not write, here or there; an editor of A does not see B at all.
    for workspace in ("A", "B"):
        answer = clean.api("viewer", method, path, params={"workspace": workspace}, **kwargs)
        assert answer.status_code == 403, (workspace, answer.text)
    answer = clean.api("editor", method, path, params={"workspace": "B"}, **kwargs)
    assert answer.status_code == 404 and "Hidden" not in answer.text
    assert (clean.outlay.budgets(workspace="B"), clean.outlay.digests(workspace="B")) == before


@pytest.mark.parametrize(("method", "path", "kwargs"), READS)
def test_every_read_route_is_for_viewers_of_the_workspace(
    clean: World, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    assert clean.api("viewer", method, path, **kwargs).status_code == 200
    assert clean.api("viewer", method, path, params={"workspace": "B"}).status_code == 404
    assert clean.api("", method, path).status_code == 401
    assert clean.api("owner", method, path, params={"workspace": "B"}).status_code == 200


def test_viewers_cannot_remove_on_the_page(clean: World) -> None:
    clean.outlay.add_budget(Budget("Keep", Decimal(1)), workspace="A")
    viewer, csrf = clean.page_client("viewer")
    answer = viewer.post("/budgets/remove", data={"csrf": csrf, "name": "Keep", "workspace": "A"})
    assert answer.status_code == 403
    assert [b.name for b in clean.outlay.budgets(workspace="A")] == ["Keep"]
