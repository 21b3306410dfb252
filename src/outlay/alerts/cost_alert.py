"""Cost alerts: a report scope's cost per group and interval, against the interval before.

Pure: the service fetches each group's cost per interval in one query and passes it in; this
module decides what fires. Rules:

- Intervals are UTC: a day, a week starting Monday, a calendar month. The interval in progress
  and the one just ended are both evaluated, so cost that arrives late still fires.
- The threshold is an increase against the previous interval, in USD (``500``) or percent
  (``25%``). Only increases fire.
- A group with no cost in the previous interval is new: it fires as a USD alert whatever the
  threshold's unit (a percent of nothing is undefined, and new users must not go unseen).
- Nothing fires for a group whose cost in the interval is below ``min_cost``.
- An event is identified by (rule, group, interval start, threshold): once per group and
  interval, however often it is evaluated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from outlay.alerts.event import AlertEvent, event_id
from outlay.alerts.text import parse_usd
from outlay.errors import InputError
from outlay.report.dimensions import check_dimension
from outlay.report.intervals import months_before
from outlay.report.vql import parse_vql

INTERVALS = ("day", "week", "month")
DEFAULT_MIN_COST = Decimal(10)
CENT = Decimal("0.01")
Key = tuple[str, ...]


def parse_threshold(text: str) -> tuple[Decimal, bool]:
    """``500`` → (500, USD); ``25%`` → (25, percent)."""
    stripped = text.strip()
    if stripped.endswith("%"):
        try:
            value = Decimal(stripped[:-1])
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite() or not 0 < value <= 100_000 or value != value.quantize(CENT):
            raise InputError(
                f"threshold {text!r} is not a percent; use e.g. 25% (more than 0)",
                field="threshold",
            )
        return value, True
    return parse_usd(stripped, "threshold", "threshold"), False


def check_filter(text: str | None) -> str | None:
    """The filter text if it parses (None when empty); a bad one is a ``FilterError``."""
    if text is None or not text.strip():
        return None
    parse_vql(text)
    return text.strip()


def check_group_by(dims: tuple[str, ...]) -> tuple[str, ...]:
    if len(set(dims)) != len(dims):
        raise InputError(f"group-by {','.join(dims)} names a dimension twice", field="group_by")
    for dim in dims:
        check_dimension(dim)
    return dims


@dataclass(frozen=True)
class CostRule:
    interval: str
    threshold: Decimal
    percent: bool
    filter: str | None = None
    group_by: tuple[str, ...] = ()
    min_cost: Decimal = DEFAULT_MIN_COST

    def __post_init__(self) -> None:
        if self.interval not in INTERVALS:
            raise InputError(
                f"unknown interval {self.interval!r}; use one of {', '.join(INTERVALS)}",
                field="interval",
            )
        object.__setattr__(self, "filter", check_filter(self.filter))
        check_group_by(self.group_by)

    @property
    def threshold_text(self) -> str:
        return f"{self.threshold}%" if self.percent else format(self.threshold, "f")

    def to_data(self) -> dict[str, Any]:
        return {
            "interval": self.interval,
            "threshold": self.threshold_text,
            "filter": self.filter,
            "group_by": list(self.group_by),
            "min_cost": format(self.min_cost, "f"),
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> CostRule:
        threshold, percent = parse_threshold(str(data["threshold"]))
        return cls(
            interval=str(data["interval"]),
            threshold=threshold,
            percent=percent,
            filter=data.get("filter"),
            group_by=tuple(data.get("group_by") or ()),
            min_cost=parse_usd(str(data.get("min_cost", DEFAULT_MIN_COST)), "minimum cost",
                               "min_cost", allow_zero=True),
        )  # fmt: skip


def interval_start(interval: str, day: date) -> date:
    if interval == "day":
        return day
    if interval == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def interval_end(interval: str, start: date) -> date:
    if interval == "day":
        return start
    if interval == "week":
        return start + timedelta(days=6)
    return months_before(start, -1) - timedelta(days=1)


def previous_start(interval: str, start: date) -> date:
    if interval == "day":
        return start - timedelta(days=1)
    if interval == "week":
        return start - timedelta(days=7)
    return months_before(start, 1)


def query_range(rule: CostRule, today: date) -> tuple[date, date]:
    """The days one query must cover: the interval in progress, the one just ended, and the
    one before that (what the ended one is compared with)."""
    current = interval_start(rule.interval, today)
    ended = previous_start(rule.interval, current)
    return previous_start(rule.interval, ended), today


def evaluate(
    name: str,
    rule: CostRule,
    totals: Mapping[date, Mapping[Key, Decimal]],
    *,
    today: date,
    workspace_id: int,
    channels: tuple[str, ...] = (),
) -> list[AlertEvent]:
    """The events of the interval in progress and the one just ended. ``totals``: each
    interval's start → each group's cost in it (groups as tuples in ``group_by`` order)."""
    current = interval_start(rule.interval, today)
    events = []
    for start in (previous_start(rule.interval, current), current):
        now = totals.get(start, {})
        before = totals.get(previous_start(rule.interval, start), {})
        for key in sorted(now):
            event = _judge(name, rule, key, start, now[key], before.get(key), workspace_id)
            if event is not None:
                events.append(_with_channels(event, channels))
    return events


def _judge(
    name: str, rule: CostRule, key: Key, start: date, cost: Decimal, previous: Decimal | None,
    workspace_id: int,
) -> AlertEvent | None:  # fmt: skip
    if cost < rule.min_cost:
        return None
    new = not previous
    change = cost - (previous or 0)
    if new or not rule.percent:
        fires = change >= (rule.min_cost if new and rule.percent else rule.threshold)
    else:
        assert previous is not None
        fires = change * 100 / previous >= rule.threshold
    if not fires:
        return None
    group = dict(zip(rule.group_by, key, strict=True))
    end = interval_end(rule.interval, start)
    pct = None if new else (change * 100 / previous).quantize(CENT)  # type: ignore[operator]
    return AlertEvent(
        id=event_id("cost_alert", workspace_id, name, group, start, rule.threshold_text),
        kind="cost_alert",
        workspace_id=workspace_id,
        rule=name,
        group=group,
        period_start=start,
        period_end=end,
        amount=cost,
        threshold=rule.threshold,
        message=_message(name, rule, group, start, cost, previous, pct),
        report_path=report_path(group, rule.filter, start, end),
        detail={
            "previous": None if previous is None else format(previous, "f"),
            "change": format(change, "f"),
            "change_pct": None if pct is None else format(pct, "f"),
            "threshold_unit": "percent" if rule.percent else "usd",
            "new_group": new,
        },
    )


def _message(
    name: str, rule: CostRule, group: dict[str, str], start: date, cost: Decimal,
    previous: Decimal | None, pct: Decimal | None,
) -> str:  # fmt: skip
    who = ", ".join(f"{k}={v}" for k, v in group.items()) or "all costs"
    period = f"the {rule.interval} of {start}"
    if not previous:
        against = f"new this {rule.interval} (nothing the {rule.interval} before)"
    else:
        against = f"up {pct}% from ${previous.quantize(CENT)} the {rule.interval} before"
    return (
        f"Cost alert {name!r}: {who} cost ${cost.quantize(CENT)} in {period}, {against}; "
        f"threshold +{'' if rule.percent else '$'}{rule.threshold_text}"
    )


def report_path(group: Mapping[str, str], filter: str | None, start: date, end: date) -> str:
    """The cost report page over the period, filtered to the group (and the rule's scope)."""
    from urllib.parse import urlencode

    terms = [f"({filter})"] if filter else []
    for dim, value in group.items():
        quoted = value.replace("'", "''")
        field = f"tags.name = '{dim[4:]}' AND tags.value" if dim.startswith("tag:") else (
            f"costs.{dim}"
        )  # fmt: skip
        terms.append(f"{field} = '{quoted}'")
    query = {"start_date": start.isoformat(), "end_date": end.isoformat(), "date_bin": "day"}
    if group:
        query["groupings"] = ",".join(group)
    if terms:
        query["filter"] = " AND ".join(terms)
    return "/reports?" + urlencode(query)


def _with_channels(event: AlertEvent, channels: tuple[str, ...]) -> AlertEvent:
    from dataclasses import replace

    return replace(event, channels=channels)
