"""Cost alerts and anomaly watches end to end: the fake team (with a planted spike), a sync,
``run_guardrails``, the stored anomalies and events, and the CLI."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from outlay.access import Principal
from outlay.errors import FilterError, ForbiddenError, InputError
from outlay.service import Outlay
from outlay.store.alerts import Channel
from outlay.testing.cursor_fake import DEFAULT_KEY, Spike, TeamSpec
from tests.fakes import BASE_URL, NOW_MS, fake_cursor, make_outlay, run_cli

TODAY = datetime.fromtimestamp(NOW_MS / 1000).date()
SPIKE_DAY = TODAY - timedelta(days=1)


def add_channel(outlay: Outlay, name: str = "ops", workspace_id: int = 1) -> None:
    outlay.workspace(None)  # the Default workspace exists
    outlay.alert_store.add_channel(
        Channel(workspace_id, name, "webhook", b"sealed", "https://hooks.example/…", None,
                datetime(2026, 11, 1), None, None)
    )  # fmt: skip


def synced(tmp_path: Path, spikes: tuple[Spike, ...] = ()) -> Outlay:
    fake = fake_cursor(TeamSpec(users=8, days=40, spikes=spikes))
    outlay = make_outlay(tmp_path, fake)
    outlay.add_account("cursor", "acme", DEFAULT_KEY, base_url=BASE_URL)
    outlay.sync("acme")
    return outlay


@pytest.fixture(scope="module")
def spike() -> Spike:
    email, model = fake_cursor(TeamSpec(users=8, days=40)).team.busiest(SPIKE_DAY)
    return Spike(email, model, SPIKE_DAY, 20)


def test_a_planted_spike_is_one_anomaly_with_its_drivers_notified_once(
    tmp_path: Path, spike: Spike
) -> None:
    outlay = synced(tmp_path, (spike,))
    add_channel(outlay)
    outlay.add_anomaly_watch("default", notify=["ops"])  # the default watch, now notifying
    fired = outlay.evaluate_alert_rules()
    group = {"resource": spike.email, "service": spike.model}
    mine = [e for e in fired if e.kind == "anomaly" and e.group == group]
    assert len(mine) == 1 and mine[0].channels == ("ops",)
    assert mine[0].period_start == SPIKE_DAY and mine[0].amount > mine[0].expected  # type: ignore[operator]
    (found,) = [a for a in outlay.anomaly_list() if a.group == group]
    assert found.first_day == SPIKE_DAY and found.status == "active"
    assert found.drivers and {"max_mode", "category", "token_type", "cost"} <= set(found.drivers[0])
    assert sum(Decimal(d["cost"]) for d in found.drivers) <= found.actual
    assert outlay.evaluate_alert_rules() == []  # evaluating again sends nothing new


def test_without_the_spike_that_group_is_not_anomalous(tmp_path: Path, spike: Spike) -> None:
    outlay = synced(tmp_path)
    outlay.evaluate_alert_rules()
    group = {"resource": spike.email, "service": spike.model}
    assert [a for a in outlay.anomaly_list() if a.group == group] == []


def test_a_cost_alert_fires_per_group_once_and_a_new_group_fires(tmp_path: Path) -> None:
    outlay = synced(tmp_path)
    add_channel(outlay)
    outlay.add_cost_alert("users", interval="day", threshold="1000%", notify=["ops"],
                          group_by=["resource"], min_cost="0")  # fmt: skip
    first = [e for e in outlay.evaluate_alert_rules() if e.kind == "cost_alert"]
    assert all(e.detail["new_group"] or Decimal(e.detail["change_pct"]) >= 1000 for e in first)
    assert all(set(e.group) == {"resource"} for e in first)
    assert outlay.evaluate_alert_rules() == []
    outlay.add_cost_alert("total", interval="month", threshold="0.01", notify=["ops"])
    fired = outlay.evaluate_alert_rules()
    # The month in progress grew from nothing on its 1st; the month before grew against a
    # September with only its last days synced.
    assert {e.period_start for e in fired} == {date(2026, 10, 1), date(2026, 11, 1)}
    assert all(e.rule == "total" and e.group == {} and e.report_path for e in fired)
    assert outlay.evaluate_alert_rules() == []


@pytest.mark.parametrize(
    ("change", "error", "field"),
    [
        ({"interval": "fortnight"}, InputError, "interval"),
        ({"threshold": "lots"}, InputError, "threshold"),
        ({"threshold": "-5%"}, InputError, "threshold"),
        ({"threshold": "0"}, InputError, "threshold"),
        ({"notify": ["nowhere"]}, InputError, "notify"),
        ({"notify": []}, InputError, "notify"),
        ({"min_cost": "ten"}, InputError, "min_cost"),
        ({"group_by": ["colour"]}, InputError, None),
        ({"filter": "costs.service = "}, FilterError, None),
    ],
)
def test_a_bad_input_is_refused_and_nothing_is_saved(
    tmp_path: Path, change: dict[str, object], error: type[Exception], field: str | None
) -> None:
    outlay = Outlay(make_outlay(tmp_path, fake_cursor()).settings)
    add_channel(outlay)
    args: dict[str, object] = {"interval": "week", "threshold": "25%", "notify": ["ops"], **change}
    with pytest.raises(error) as caught:
        outlay.add_cost_alert("x", **args)  # type: ignore[arg-type]
    assert field is None or getattr(caught.value, "field", None) == field
    assert [r.name for r in outlay.alert_rule_list()] == ["default"]


def test_rules_belong_to_their_workspace_and_need_the_editor_role(tmp_path: Path) -> None:
    outlay = Outlay(make_outlay(tmp_path, fake_cursor()).settings)
    a, b = outlay.add_workspace("A"), outlay.add_workspace("B")
    add_channel(outlay, workspace_id=a.id)
    viewer = Principal(7, "v@example.com", "viewer", frozenset({a.id}))
    editor = Principal(8, "e@example.com", "editor", frozenset({a.id}))
    with pytest.raises(ForbiddenError):
        outlay.add_anomaly_watch("w", notify=["ops"], principal=viewer, workspace="A")
    outlay.add_anomaly_watch("w", notify=["ops"], principal=editor, workspace="A")
    assert [r.name for r in outlay.alert_rule_list(viewer, "A")] == ["default", "w"]
    assert [r.name for r in outlay.alert_rule_list(workspace="B")] == ["default"]
    with pytest.raises(InputError, match="no channel named 'ops'"):
        outlay.add_anomaly_watch("w", notify=["ops"], workspace="B")
    with pytest.raises(ForbiddenError):
        outlay.ignore_anomaly(1, "fine", principal=viewer, workspace="A")
    assert b.id != a.id


def test_the_cli_adds_lists_runs_and_removes(tmp_path: Path) -> None:
    outlay = Outlay(make_outlay(tmp_path, fake_cursor()).settings)
    add_channel(outlay)
    cli = CliRunner()
    d = ("--data-dir", str(tmp_path))
    run_cli(cli, *d, "alerts", "add", "cost", "weekly", "--interval", "week",
            "--threshold", "25%", "--group-by", "resource", "--notify", "ops")  # fmt: skip
    run_cli(cli, *d, "alerts", "add", "anomaly", "opus", "--filter",
            "costs.service LIKE 'claude%'", "--sensitivity", "high", "--notify", "ops")  # fmt: skip
    rules = json.loads(run_cli(cli, *d, "alerts", "list", "--format", "json"))
    assert [(r["name"], r["kind"]) for r in rules] == [
        ("default", "anomaly"),
        ("opus", "anomaly"),
        ("weekly", "cost"),
    ]
    assert rules[2]["threshold"] == "25%" and rules[2]["channels"] == ["ops"]
    error = run_cli(cli, *d, "alerts", "add", "cost", "bad", "--interval", "week",
                    "--threshold", "25", "--notify", "nope", code=1)  # fmt: skip
    assert error.count("\n") == 1 and "no channel named 'nope'" in error
    assert "Nothing new fired" in run_cli(cli, *d, "alerts", "run")
    run_cli(cli, *d, "alerts", "remove", "opus", "--yes")
    assert json.loads(run_cli(cli, *d, "anomalies", "list", "--format", "json")) == []
    assert "status" in run_cli(cli, *d, "anomalies", "list", "--status", "nope", code=1)


def test_the_scheduler_evaluates_the_rules_after_each_sync(tmp_path: Path) -> None:
    from outlay.web.scheduler import Scheduler
    from tests.test_scheduler import wait_until

    outlay = make_outlay(tmp_path, fake_cursor(TeamSpec(users=2, days=3)))
    add_channel(outlay)
    outlay.add_account("cursor", "acme", DEFAULT_KEY, base_url=BASE_URL)
    outlay.add_cost_alert("total", interval="month", threshold="0.01", notify=["ops"], min_cost="0")
    outlay.request_sync("acme")
    scheduler = Scheduler(outlay, interval_s=3600)
    scheduler.start()
    try:
        wait_until(lambda: bool(outlay.alert_store.events(1)))
    finally:
        scheduler.stop()
    (event, _), *_ = outlay.alert_store.events(1)
    assert event.rule == "total" and event.kind == "cost_alert"


def test_the_one_pass_summary_gives_each_rule_the_rows_of_its_own_query(tmp_path: Path) -> None:
    from outlay.service.anomalies import rows_of

    outlay = synced(tmp_path)
    add_channel(outlay)
    outlay.add_cost_alert(
        "claude",
        interval="week",
        threshold="25%",
        notify=["ops"],
        filter="costs.service LIKE 'claude%'",
        group_by=["resource"],
    )
    outlay.add_cost_alert("kinds", interval="month", threshold="10", notify=["ops"],
                          group_by=["tag:cursor:max_mode", "token_type"])  # fmt: skip
    space = outlay.workspace(None)
    plans = [p for r in outlay._rules_of(space) if (p := outlay._plan(space, r, TODAY))]
    assert len(plans) == 3 and all(p.query for p in plans)
    batched = outlay._run_plans(space, plans, TODAY)
    direct = [rows_of(outlay.facts.arrow(*p.query)) for p in plans if p.query]
    assert [sorted(rows) for rows in batched] == [sorted(rows) for rows in direct]
    assert all(batched)
