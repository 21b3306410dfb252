"""Cost alert rules and anomaly watches of a workspace, and their evaluation.

Each rule is one report query: its scope's cost per group and interval (cost alerts) or per
UTC day (anomaly watches); a workspace's rules are answered together by one query
(``report.batch``). Evaluation is pure
(``alerts.cost_alert``, ``alerts.anomaly``); what fires is recorded through ``_fire``, once.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

from outlay.access import LOCAL_OWNER, Action, Principal
from outlay.alerts import cost_alert
from outlay.alerts.anomaly import DEFAULT_GROUP_BY, Watch, query_start
from outlay.alerts.anomaly import DEFAULT_MIN_COST as ANOMALY_MIN_COST
from outlay.alerts.cost_alert import CostRule, parse_threshold
from outlay.alerts.event import AlertEvent
from outlay.alerts.text import parse_usd
from outlay.errors import InputError, OutlayError
from outlay.report.batch import Batch, CostQuery
from outlay.service.anomalies import Anomalies, rows_of
from outlay.service.audit import audited
from outlay.service.core import path_safe, requires
from outlay.store.access import Workspace
from outlay.store.alert_rules import AlertRule, AlertRuleStore

log = logging.getLogger(__name__)

#: The anomaly watch every workspace has; a stored anomaly rule of this name replaces it.
DEFAULT_WATCH = "default"


class Alerts(Anomalies):
    @cached_property
    def alert_rules(self) -> AlertRuleStore:
        return AlertRuleStore(self.meta)

    @audited("alert.add")
    @requires(Action.EDIT)
    def add_cost_alert(
        self, name: str, *, interval: str, threshold: str, notify: Sequence[str],
        filter: str | None = None, group_by: Sequence[str] = (), min_cost: str | None = None,
        principal: Principal = LOCAL_OWNER, workspace: str | None = None,
    ) -> AlertRule:  # fmt: skip
        """A cost alert; every input is checked before anything is saved."""
        space = self.workspace(workspace, principal)
        value, percent = parse_threshold(threshold)
        rule = CostRule(
            interval=interval, threshold=value, percent=percent, filter=filter,
            group_by=tuple(group_by),
            min_cost=cost_alert.DEFAULT_MIN_COST if min_cost is None
            else parse_usd(min_cost, "minimum cost", "min_cost", allow_zero=True),
        )  # fmt: skip
        return self._add_rule(space, name, "cost", rule.to_data(), notify)

    @audited("alert.add")
    @requires(Action.EDIT)
    def add_anomaly_watch(
        self, name: str, *, notify: Sequence[str], filter: str | None = None,
        group_by: Sequence[str] = (), min_cost: str | None = None, sensitivity: str = "medium",
        principal: Principal = LOCAL_OWNER, workspace: str | None = None,
    ) -> AlertRule:  # fmt: skip
        space = self.workspace(workspace, principal)
        watch = Watch(
            filter=filter, group_by=tuple(group_by) or DEFAULT_GROUP_BY,
            min_cost=ANOMALY_MIN_COST if min_cost is None
            else parse_usd(min_cost, "minimum cost", "min_cost", allow_zero=True),
            sensitivity=sensitivity,
        )  # fmt: skip
        return self._add_rule(space, name, "anomaly", watch.to_data(), notify)

    def _add_rule(
        self, space: Workspace, name: str, kind: str, spec: dict[str, Any], notify: Sequence[str]
    ) -> AlertRule:
        name = path_safe(name.strip(), "an alert rule name", "name")
        if not name or len(name) > 100:
            raise InputError("an alert rule needs a name of 1 to 100 characters", field="name")
        if name == DEFAULT_WATCH and kind != "anomaly":
            raise InputError(
                f"{DEFAULT_WATCH!r} names the default anomaly watch; pick another name",
                field="name",
            )
        channels = self._check_channels(
            space, notify, required="name at least one channel to notify"
        )
        rule = AlertRule(space.id, name, kind, spec, channels, None)
        return self.alert_rules.add(rule, now=self.clock.now())

    @requires(Action.READ)
    def alert_rule_list(
        self, principal: Principal = LOCAL_OWNER, workspace: str | None = None
    ) -> list[AlertRule]:
        """The workspace's rules, with the default anomaly watch unless a rule replaces it."""
        return self._rules_of(self.workspace(workspace, principal))

    def _rules_of(self, space: Workspace) -> list[AlertRule]:
        rules = self.alert_rules.rules(space.id)
        if not any(r.name == DEFAULT_WATCH for r in rules):
            rules.insert(0, AlertRule(space.id, DEFAULT_WATCH, "anomaly", Watch().to_data(), (),
                                      None))  # fmt: skip
        return rules

    @audited("alert.remove")
    @requires(Action.EDIT)
    def remove_alert_rule(
        self, name: str, principal: Principal = LOCAL_OWNER, workspace: str | None = None
    ) -> None:
        """Remove a rule; removing ``default`` restores the built-in anomaly watch."""
        self.alert_rules.remove(self.workspace(workspace, principal).id, name)

    @requires(Action.ADMIN)
    def evaluate_alert_rules(
        self, now: datetime | None = None, principal: Principal = LOCAL_OWNER
    ) -> list[AlertEvent]:
        """Evaluate every cost alert and anomaly watch of every workspace the principal sees;
        record what fired and return the events not recorded before. A rule that fails is
        logged and skipped."""
        today = self._today_at(now)
        fired: list[AlertEvent] = []
        for space in self.workspaces(principal):
            plans = [p for r in self._rules_of(space) if (p := self._plan(space, r, today))]
            try:
                answers = self._run_plans(space, plans, today)
            except OutlayError as exc:  # the next run (after the next sync) tries again
                log.warning("guardrails of %s failed: %s", space.name, exc)
                continue
            for plan, rows in zip(plans, answers, strict=True):
                try:
                    fired.extend(self._judge(space, plan, rows, today))
                except OutlayError as exc:
                    log.warning("alert rule %r of %s failed: %s", plan.rule.name, space.name, exc)
        return fired

    def _plan(self, space: Workspace, rule: AlertRule, today: date) -> _Plan | None:
        """The rule's query, or None (logged) when it cannot be compiled."""
        try:
            if rule.kind == "anomaly":
                watch = Watch.from_data(rule.spec)
                scope = CostQuery(watch.filter, watch.group_by, "day", query_start(today))
            else:
                spec = CostRule.from_data(rule.spec)
                start = cost_alert.query_range(spec, today)[0]
                scope = CostQuery(spec.filter, spec.group_by, spec.interval, start)
            query = self._compiled(
                space, scope.filter, scope.group_by, scope.start, today, None, scope.date_bin
            )
        except OutlayError as exc:
            log.warning("alert rule %r of %s failed: %s", rule.name, space.name, exc)
            return None
        return _Plan(rule, scope, query)

    def _run_plans(
        self, space: Workspace, plans: list[_Plan], today: date
    ) -> list[list[tuple[Any, ...]]]:
        """Every plan's rows, all from one query (``report.batch``)."""
        live = [p for p in plans if p.query is not None]
        if not live:
            return [[] for _ in plans]
        batch = Batch([p.scope for p in live])
        compiled = batch.compile(
            self._tags_in(space), end=today, accounts=self._account_names(space),
            rollup=self.facts.rollup_table,
        )  # fmt: skip
        tables = iter(batch.split(self.facts.arrow(compiled.sql, compiled.params)))
        return [rows_of(next(tables)) if p.query is not None else [] for p in plans]

    def _judge(
        self, space: Workspace, plan: _Plan, rows: list[tuple[Any, ...]], today: date
    ) -> list[AlertEvent]:
        rule = plan.rule
        if rule.kind == "anomaly":
            return self._watch(space, rule, rows, today)
        spec = CostRule.from_data(rule.spec)
        totals: dict[date, dict[tuple[str, ...], Decimal]] = defaultdict(dict)
        for row in rows:
            totals[row[0]][row[1:-1]] = row[-1]
        events = cost_alert.evaluate(
            rule.name, spec, totals, today=today, workspace_id=space.id, channels=rule.channels
        )
        return self._fire(events)


@dataclass(frozen=True)
class _Plan:
    rule: AlertRule
    #: What its query asks: filter, group-by, bin and first day.
    scope: CostQuery
    #: Its own report query (None: the workspace has no account yet).
    query: tuple[str, list[Any]] | None
