"""Anomaly watches evaluated, anomalies listed, ignored and charted."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

import pyarrow as pa

from outlay.access import LOCAL_OWNER, Action, Principal
from outlay.alerts import anomaly_life
from outlay.alerts.anomaly import SENSITIVITY, Watch, baseline, by_group, detect, query_start
from outlay.alerts.anomaly_life import STATUSES, Anomaly
from outlay.alerts.event import AlertEvent
from outlay.errors import InputError
from outlay.report.compile import Shape, compile_report_query
from outlay.report.vql import And, Expr, InList, parse_vql
from outlay.service.audit import audited
from outlay.service.core import requires
from outlay.service.guardrails import Guardrails
from outlay.service.reports import Reports
from outlay.store.access import Workspace
from outlay.store.alert_rules import AlertRule
from outlay.store.anomalies import AnomalyStore

#: What the rows that drove an anomaly are grouped by (max mode, kind, token type).
DRIVER_DIMS = ("tag:cursor:max_mode", "category", "token_type")
DRIVER_NAMES = ("max_mode", "category", "token_type")
TOP_DRIVERS = 5
#: Days of the anomaly chart before its first day.
CHART_DAYS_BEFORE = 28


@dataclass(frozen=True)
class AnomalyChart:
    anomaly: Anomaly
    #: One point per day: date, actual, expected, upper (decimal text).
    points: list[dict[str, str | None]]


class Anomalies(Reports, Guardrails):
    @cached_property
    def anomaly_store(self) -> AnomalyStore:
        return AnomalyStore(self.meta)

    @requires(Action.READ)
    def anomaly_list(
        self, status: str | None = None, principal: Principal = LOCAL_OWNER,
        workspace: str | None = None,
    ) -> list[Anomaly]:  # fmt: skip
        if status is not None and status not in STATUSES:
            raise InputError(
                f"unknown status {status!r}; use one of {', '.join(STATUSES)}", field="status"
            )
        return self.anomaly_store.list(self.workspace(workspace, principal).id, status)

    @audited("anomaly.ignore")
    @requires(Action.EDIT)
    def ignore_anomaly(
        self, anomaly_id: int, reason: str, principal: Principal = LOCAL_OWNER,
        workspace: str | None = None,
    ) -> Anomaly:  # fmt: skip
        """Ignore it with a reason: it keeps its days but never notifies again."""
        if not reason.strip():
            raise InputError("say why the anomaly is ignored (a reason)", field="reason")
        space = self.workspace(workspace, principal)
        return self.anomaly_store.ignore(space.id, anomaly_id, reason.strip())

    @requires(Action.READ)
    def anomaly_chart(
        self, anomaly_id: int, principal: Principal = LOCAL_OWNER, workspace: str | None = None
    ) -> AnomalyChart:
        """The group's daily cost around the anomaly, with the expected value and band."""
        space = self.workspace(workspace, principal)
        found = self.anomaly_store.get(space.id, anomaly_id)
        first = found.first_day - timedelta(days=CHART_DAYS_BEFORE)
        last = min(self.today(), found.last_day + timedelta(days=7))
        history_start = query_start(found.first_day)
        group_by = tuple(found.group)
        scope = _groups_scope([found.group])
        rows = self._query(space, None, group_by, history_start, last, scope)
        key = tuple(found.group[d] for d in group_by)
        days = by_group(rows).get(key, {})
        base = baseline(days, history_start, found.first_day - timedelta(days=1))
        points = []
        for offset in range((last - first).days + 1):
            day = first + timedelta(days=offset)
            figures = found.days.get(day.isoformat())
            expected, upper = (
                (Decimal(figures["expected"]), Decimal(figures["upper"])) if figures
                else base.band(day, SENSITIVITY["medium"]) if base else (None, None)
            )  # fmt: skip
            points.append({
                "date": day.isoformat(),
                "actual": format(days.get(day, Decimal(0)), "f"),
                "expected": None if expected is None else format(expected.quantize(_CENT), "f"),
                "upper": None if upper is None else format(upper.quantize(_CENT), "f"),
            })  # fmt: skip
        return AnomalyChart(found, points)

    def _query(
        self, space: Workspace, filter: str | None, group_by: tuple[str, ...], start: date,
        end: date, extra: Expr | None = None, date_bin: str = "day",
    ) -> list[tuple[Any, ...]]:  # fmt: skip
        """(bin's first day, *group values, cost) rows of one report query over the scope."""
        compiled = self._compiled(space, filter, group_by, start, end, extra, date_bin)
        return [] if compiled is None else rows_of(self.facts.arrow(*compiled))

    def _compiled(
        self, space: Workspace, filter: str | None, group_by: tuple[str, ...], start: date,
        end: date, extra: Expr | None = None, date_bin: str = "day",
    ) -> tuple[str, list[Any]] | None:  # fmt: skip
        """The report engine's query (the workspace's tags and accounts) for the cost per bin
        and group; None when the workspace has no account."""
        accounts = self._account_names(space)
        if not accounts:
            return None
        parts = [e for e in (parse_vql(filter) if filter else None, extra) if e is not None]
        flat: list[Expr] = []
        for part in parts:
            flat.extend(part.items if isinstance(part, And) else (part,))
        expr = flat[0] if len(flat) == 1 else And(tuple(flat)) if flat else None
        shape = Shape(
            start, end, date_bin, group_by, "cost", expr, accounts, self.facts.rollup_table
        )
        compiled = compile_report_query(shape, self._tags_in(space))
        return compiled.sql, compiled.params

    def _watch(
        self, space: Workspace, rule: AlertRule, rows: list[tuple[Any, ...]], today: date
    ) -> list[AlertEvent]:
        """From the watch's daily rows (``_compiled``'s): detect, fold into anomalies, attach
        drivers, notify what is due, archive."""
        watch = Watch.from_data(rule.spec)
        daily = by_group(rows)
        flags = detect(daily, watch, today)
        store = self.anomaly_store
        existing = store.recent(space.id, rule.name, today - timedelta(days=30))
        changed = anomaly_life.fold(
            existing, flags, workspace_id=space.id, rule=rule.name, group_by=watch.group_by
        )
        if changed:
            changed = self._with_drivers(space, watch, changed, today)
        saved = store.save(changed)
        due = [a for a in saved if anomaly_life.due(a)]
        fired = self._fire([anomaly_life.notification(a, rule.channels) for a in due])
        store.save([anomaly_life.notified(a) for a in due])
        store.archive(space.id, anomaly_life.archive_before(today))
        return fired

    def _with_drivers(
        self, space: Workspace, watch: Watch, anomalies: Sequence[Anomaly], today: date
    ) -> list[Anomaly]:
        """Each anomaly with the rows that drove it: one query for the anomalous groups."""
        scope = _groups_scope([a.group for a in anomalies])
        first = min(a.first_day for a in anomalies)
        group_by = (*watch.group_by, *DRIVER_DIMS)
        rows = self._query(space, watch.filter, group_by, first, today, scope)
        width = len(watch.group_by)
        out = []
        for a in anomalies:
            key = tuple(a.group[d] for d in watch.group_by)
            sums: dict[tuple[str, ...], Decimal] = defaultdict(Decimal)
            for row in rows:
                if tuple(row[1 : 1 + width]) == key and row[0].isoformat() in a.days:
                    sums[tuple(row[1 + width : -1])] += row[-1]
            top = sorted(sums.items(), key=lambda kv: -kv[1])[:TOP_DRIVERS]
            drivers = [
                {**dict(zip(DRIVER_NAMES, k, strict=True)), "cost": format(v, "f")} for k, v in top
            ]
            out.append(replace(a, drivers=drivers))
        return out


_CENT = Decimal("0.01")


def _groups_scope(groups: Sequence[dict[str, str]]) -> Expr:
    """A filter that keeps these groups (and maybe a few more: rows are matched after)."""
    values: dict[str, set[str]] = defaultdict(set)
    for group in groups:
        for dim, value in group.items():
            values[dim].add(value)
    lists = tuple(InList(d, tuple(sorted(vs)), negated=False) for d, vs in values.items())
    return lists[0] if len(lists) == 1 else And(lists)


def rows_of(table: pa.Table) -> list[tuple[Any, ...]]:
    """(bin's first day, *group values as text, cost) per row with a cost."""
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    out = []
    for values in zip(*columns, strict=True):
        if values[-1] is None:
            continue
        keys = tuple("" if v is None else str(v) for v in values[1:-1])
        out.append((_day(values[0]), *keys, values[-1]))
    return out


def _day(value: Any) -> date:
    if isinstance(value, date):
        return value if type(value) is date else date(value.year, value.month, value.day)
    return date.fromisoformat(str(value)[:10])
