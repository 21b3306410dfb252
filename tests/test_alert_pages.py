"""The Alerts and Anomalies pages: roles, CSRF, workspaces, the chart data and the report link."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from urllib.parse import parse_qs, urlparse

from outlay.alerts.anomaly_life import Anomaly
from outlay.store.alerts import Channel
from tests.test_pages import World, problem, shared, template, world  # noqa: F401

RULE = {"workspace": "A", "kind": "cost", "name": "weekly", "interval": "week",
        "threshold": "25%", "group_by": "resource", "notify": "ops"}  # fmt: skip


def channel(world: World, workspace: str = "A") -> None:  # noqa: F811
    space = world.outlay.workspace(workspace)
    world.outlay.alert_store.add_channel(
        Channel(space.id, "ops", "webhook", b"-", "https://hooks.example/…", None,
                datetime(2026, 11, 1), None, None)
    )  # fmt: skip


def plant(world: World, workspace: str = "A") -> int:  # noqa: F811
    space = world.outlay.workspace(workspace)
    day = {"actual": "300", "expected": "20", "upper": "45", "basis": "peers"}
    drivers = [{"max_mode": "true", "category": "Usage", "token_type": "output", "cost": "250"}]
    (saved,) = world.outlay.anomaly_store.save([
        Anomaly(None, space.id, "default", {"resource": "ada@x.io", "service": "claude-4-opus"},
                date(2026, 11, 19), date(2026, 11, 19), {"2026-11-19": day}, drivers)
    ])  # fmt: skip
    assert saved.id is not None
    return saved.id


def test_editors_add_and_remove_rules_on_the_alerts_page(world: World) -> None:  # noqa: F811
    channel(world)
    page = world.get("editor", "/alerts")
    assert page.status_code == 200 and 'id="new-rule"' in page.text and "default" in page.text
    added = world.post("editor", "/alerts/create", RULE, follow_redirects=False)
    assert added.status_code == 303
    assert [r.name for r in world.outlay.alert_rule_list(workspace="A")] == ["default", "weekly"]
    assert 'data-rule="weekly"' in world.get("viewer", "/alerts").text
    bad = world.post("editor", "/alerts/create", {**RULE, "name": "x", "threshold": "lots"})
    assert bad.status_code == 400 and "threshold" in problem(bad)
    removed = world.post("editor", "/alerts/remove", {"workspace": "A", "name": "weekly"},
                         follow_redirects=False)  # fmt: skip
    assert removed.status_code == 303
    assert [r.name for r in world.outlay.alert_rule_list(workspace="A")] == ["default"]


def test_viewers_see_rules_but_cannot_change_them(world: World) -> None:  # noqa: F811
    channel(world)
    page = world.get("viewer", "/alerts")
    assert page.status_code == 200 and 'id="new-rule"' not in page.text
    for path, data in (("/alerts/create", RULE), ("/alerts/remove", {"name": "default"})):
        refused = world.post("viewer", path, data, follow_redirects=False)
        assert refused.status_code == 403 and "viewer@x.io is a viewer" in problem(refused)
        assert world.post("owner", path, data, csrf=None).status_code == 403  # no CSRF token
    assert [r.name for r in world.outlay.alert_rule_list(workspace="A")] == ["default"]


def test_an_anomaly_opens_its_chart_and_the_drilled_report(world: World) -> None:  # noqa: F811
    found = plant(world)
    listing = world.get("viewer", "/anomalies")
    assert f'data-anomaly="{found}"' in listing.text and "$300.00" in listing.text
    page = world.get("viewer", f"/anomalies/{found}")
    assert page.status_code == 200 and "/static/anomaly.js" in page.text
    data = re.search(r'id="anomaly-data">(.*?)</script>', page.text, re.S)
    assert data is not None
    points = json.loads(data.group(1))
    (spike,) = [p for p in points if p["date"] == "2026-11-19"]
    assert spike["expected"] == "20.00" and spike["upper"] == "45.00"
    link = re.search(r'href="([^"]+)" id="report-link"', page.text)
    assert link is not None
    query = parse_qs(urlparse(link.group(1).replace("&amp;", "&")).query)
    assert "costs.resource = 'ada@x.io'" in query["filter"][0]
    assert "costs.service = 'claude-4-opus'" in query["filter"][0]
    assert query["end_date"] == ["2026-11-19"] and query["workspace"] == ["A"]
    assert world.get("viewer", link.group(1).replace("&amp;", "&")).status_code == 200
    assert "Max Mode" in page.text and 'id="ignore"' not in page.text


def test_editors_ignore_an_anomaly_viewers_cannot(world: World) -> None:  # noqa: F811
    found = plant(world)
    path = f"/anomalies/{found}/ignore"
    refused = world.post("viewer", path, {"workspace": "A", "reason": "fine"})
    assert refused.status_code == 403
    ignored = world.post("editor", path, {"workspace": "A", "reason": "load test"},
                         follow_redirects=False)  # fmt: skip
    assert ignored.status_code == 303
    assert world.outlay.anomaly_list(workspace="A")[0].status == "ignored"
    assert "load test" in world.get("viewer", "/anomalies?status=ignored").text


def test_anomalies_of_another_workspace_are_not_found(world: World) -> None:  # noqa: F811
    hidden = plant(world, "B")
    assert world.get("viewer", f"/anomalies/{hidden}").status_code == 404
    assert world.get("viewer", f"/anomalies/{hidden}?workspace=B").status_code == 404
    assert world.get("viewer", "/anomalies?workspace=B").status_code == 404
    assert world.get("viewer", "/alerts?workspace=B").status_code == 404
    refused = world.post("editor", f"/anomalies/{hidden}/ignore", {"workspace": "A", "reason": "x"})
    assert refused.status_code == 404
