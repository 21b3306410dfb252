"""/api/v1/alerts and /api/v1/anomalies: roles as for reports, workspaces kept apart."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from outlay.alerts.anomaly_life import Anomaly
from outlay.service import Outlay
from outlay.store.alerts import Channel
from tests.test_api import World, assert_error, body, status, world  # noqa: F401

COST = {"name": "weekly", "kind": "cost", "interval": "week", "threshold": "25%",
        "group_by": ["resource"], "notify": ["ops"]}  # fmt: skip


def channel(outlay: Outlay, workspace: str) -> None:
    space = outlay.workspace(workspace)
    outlay.alert_store.add_channel(
        Channel(space.id, "ops", "slack", b"-", "https://hooks.slack.com/…", None,
                datetime(2026, 11, 1), None, None)
    )  # fmt: skip


def planted(outlay: Outlay, workspace: str) -> int:
    """An anomaly stored directly in ``workspace``; its id."""
    space = outlay.workspace(workspace)
    day = {"actual": "300", "expected": "20", "upper": "45", "basis": "peers"}
    (saved,) = outlay.anomaly_store.save([
        Anomaly(None, space.id, "default", {"resource": "ada@x.io", "service": "opus"},
                date(2026, 11, 19), date(2026, 11, 19), {"2026-11-19": day})
    ])  # fmt: skip
    assert saved.id is not None and saved.actual == Decimal(300)
    return saved.id


def test_viewers_read_editors_create_and_remove_rules(world: World) -> None:  # noqa: F811
    channel(world.outlay, "A")
    assert_error(world.call("viewer", "POST", "/api/v1/alerts", json=COST), 403, "forbidden")
    created = world.call("editor", "POST", "/api/v1/alerts", json=COST)
    assert status(created) == 201 and body(created)["threshold"] == "25%"
    rules = body(world.call("viewer", "GET", "/api/v1/alerts"))
    assert [(r["name"], r["builtin"]) for r in rules] == [("default", True), ("weekly", False)]
    assert_error(world.call("viewer", "DELETE", "/api/v1/alerts/weekly"), 403, "forbidden")
    assert status(world.call("editor", "DELETE", "/api/v1/alerts/weekly")) == 204
    assert_error(world.call("editor", "DELETE", "/api/v1/alerts/weekly"), 404, "not_found")
    watch = {"name": "w", "kind": "anomaly", "notify": ["ops"], "sensitivity": "high"}
    assert body(world.call("editor", "POST", "/api/v1/alerts", json=watch))["sensitivity"] == "high"


def test_a_bad_rule_is_one_error_and_nothing_is_saved(world: World) -> None:  # noqa: F811
    channel(world.outlay, "A")
    for change in ({"threshold": "a lot"}, {"interval": "hourly"}, {"notify": ["pager"]},
                   {"filter": "costs.nope = 'x'"}, {"interval": None}):  # fmt: skip
        assert_error(world.call("editor", "POST", "/api/v1/alerts", json={**COST, **change}),
                     400, "bad_request")  # fmt: skip
    assert [r.name for r in world.outlay.alert_rule_list(workspace="A")] == ["default"]


def test_rules_and_anomalies_of_another_workspace_are_out_of_reach(world: World) -> None:  # noqa: F811
    channel(world.outlay, "B")
    hidden = planted(world.outlay, "B")
    world.outlay.add_cost_alert("b-rule", interval="day", threshold="10", notify=["ops"],
                                workspace="B")  # fmt: skip
    for path in ("/api/v1/alerts", "/api/v1/anomalies"):
        assert_error(world.call("viewer", "GET", path, params={"workspace": "B"}), 404,
                     "not_found")  # fmt: skip
    assert [r["name"] for r in body(world.call("viewer", "GET", "/api/v1/alerts"))] == ["default"]
    assert body(world.call("viewer", "GET", "/api/v1/anomalies")) == []
    ignore = world.call("editor", "POST", f"/api/v1/anomalies/{hidden}/ignore",
                        json={"reason": "not mine"})  # fmt: skip
    assert_error(ignore, 404, "not_found")  # an id of B is no anomaly of A
    assert world.outlay.anomaly_list(workspace="B")[0].status == "active"


def test_editors_ignore_anomalies_with_a_reason_viewers_only_list(world: World) -> None:  # noqa: F811
    found = planted(world.outlay, "A")
    (listed,) = body(world.call("viewer", "GET", "/api/v1/anomalies"))
    assert listed["id"] == found and listed["actual"] == "300" and listed["expected"] == "20"
    path = f"/api/v1/anomalies/{found}/ignore"
    assert_error(world.call("viewer", "POST", path, json={"reason": "ok"}), 403, "forbidden")
    assert status(world.call("editor", "POST", path, json={"reason": ""})) in (400, 422)
    ignored = body(world.call("editor", "POST", path, json={"reason": "load test"}))
    assert ignored["status"] == "ignored" and ignored["reason"] == "load test"
    only = body(world.call("viewer", "GET", "/api/v1/anomalies", params={"status": "active"}))
    assert only == []
    assert_error(world.call("viewer", "GET", "/api/v1/anomalies", params={"status": "x"}), 400,
                 "bad_request")  # fmt: skip
