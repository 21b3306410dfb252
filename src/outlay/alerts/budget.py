"""Budgets: what one is, its period, its figures for the period so far, and what fires. Pure.

A budget has a monthly amount in USD (or one per month), a scope (a VQL filter) and, with
``per``, one budget of that amount per group (every user, every team). Its period is the
calendar month, or the billing cycle when a cycle day is set. The figures follow Vantage's
definitions where they exist: the MTD budget is the elapsed share of the amount; the forecast
is the report engine's (``report.forecast``), extended to the period's end; and the budget
"crosses" on the first day its actual, then its projected cost, reaches the amount.

Each threshold is a percent of the amount. Crossing several at once fires one event naming the
highest; a threshold on the forecast fires only when the actual has not crossed it already.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from outlay.alerts.event import AlertEvent, event_id
from outlay.alerts.text import parse_usd, report_path, usd
from outlay.errors import FilterError, InputError
from outlay.report.dimensions import check_dimension
from outlay.report.forecast import Projection, project_period
from outlay.report.intervals import months_before, resolve_interval
from outlay.report.vql import parse_vql

DEFAULT_ALERT_AT = (Decimal(80), Decimal(100))
MAX_PERCENT = Decimal(1000)
_CENT = Decimal("0.01")
_TENTH = Decimal("0.1")


def parse_amount(text: str, label: str = "amount") -> Decimal:
    """A positive USD amount such as ``4000`` or ``4000.50``."""
    return parse_usd(text, label, "amount")


def parse_percents(text: str) -> tuple[Decimal, ...]:
    """Thresholds such as ``80,100`` (a trailing % is fine): sorted, each named once."""
    found: set[Decimal] = set()
    for part in (p.strip().removesuffix("%") for p in text.split(",")):
        try:
            value = Decimal(part)
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite() or not 0 < value <= MAX_PERCENT:
            raise InputError(
                f"alert threshold {part!r} is not a percent of the budget; use numbers from 1 to "
                f"{MAX_PERCENT}, e.g. 80,100",
                field="alert_at",
            )
        found.add(Decimal(int(value)) if value == value.to_integral_value() else value.normalize())
    if not found:
        raise InputError("give at least one alert threshold, e.g. 80,100", field="alert_at")
    return tuple(sorted(found))


def budget_period(today: date, cycle_day: int = 1) -> tuple[date, date]:
    """The calendar month of ``today``, or with a cycle day its billing cycle (as the
    ``billing_cycle_to_date`` interval starts it), both ends inclusive."""
    start = resolve_interval("billing_cycle_to_date", today, cycle_day)[0]
    return start, months_before(start, -1) - timedelta(days=1)


@dataclass(frozen=True)
class Budget:
    name: str
    #: Monthly amount in USD; None only for a budget watching Cursor's own member limits.
    amount: Decimal | None
    filter: str | None = None
    #: A report dimension: every value of it gets its own budget of ``amount``.
    per: str | None = None
    alert_at: tuple[Decimal, ...] = DEFAULT_ALERT_AT
    forecast_alert: bool = False
    channels: tuple[str, ...] = ()
    #: Amounts that differ by period, keyed by the period's first month ("YYYY-MM").
    months: tuple[tuple[str, Decimal], ...] = ()
    #: Watch members against their Cursor limit (``/teams/spend``) instead of costs.
    cursor_limit: bool = False

    def __post_init__(self) -> None:
        name = self.name.strip()
        if not name or len(name) > 200 or "/" in name:
            raise InputError(
                f"budget name {self.name!r} must be 1 to 200 characters without '/'",
                field="name",
            )
        if self.cursor_limit:
            if self.amount is not None or self.filter or self.per or self.months:
                raise InputError(
                    "a Cursor-limit budget compares each member with their own Cursor limit; "
                    "give no amount, filter, per-group or monthly amounts",
                    field="cursor_limit",
                )
        elif self.amount is None:
            raise InputError("give the budget's monthly amount in USD, e.g. 4000", field="amount")
        if self.filter is not None and self.filter.strip():
            try:
                parse_vql(self.filter)
            except FilterError as exc:
                exc.field = "filter"
                raise
        if self.per is not None:
            try:
                check_dimension(self.per)
            except InputError as exc:
                raise InputError(str(exc), field="per") from None
        if not self.alert_at:
            raise InputError("give at least one alert threshold, e.g. 80,100", field="alert_at")
        for month, _ in self.months:
            _month(month)

    def amount_for(self, period_start: date) -> Decimal:
        assert self.amount is not None
        return dict(self.months).get(period_start.strftime("%Y-%m"), self.amount)

    def to_data(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "amount": None if self.amount is None else str(self.amount),
            "filter": self.filter or None,
            "per": self.per,
            "alert_at": [str(t) for t in self.alert_at],
            "forecast_alert": self.forecast_alert,
            "channels": list(self.channels),
            "months": {m: str(a) for m, a in self.months},
            "cursor_limit": self.cursor_limit,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Budget:
        amount = data.get("amount")
        return cls(
            name=data["name"],
            amount=None if amount is None else Decimal(amount),
            filter=data.get("filter"),
            per=data.get("per"),
            alert_at=tuple(Decimal(t) for t in data.get("alert_at", DEFAULT_ALERT_AT)),
            forecast_alert=bool(data.get("forecast_alert")),
            channels=tuple(data.get("channels", ())),
            months=tuple((m, Decimal(a)) for m, a in sorted(data.get("months", {}).items())),
            cursor_limit=bool(data.get("cursor_limit")),
        )


def parse_months(items: Sequence[str]) -> tuple[tuple[str, Decimal], ...]:
    """``YYYY-MM=USD`` items, e.g. ``2026-12=5000``."""
    found: dict[str, Decimal] = {}
    for item in items:
        month, sep, amount = item.partition("=")
        if not sep:
            raise InputError(
                f"monthly amount {item!r} must be YYYY-MM=USD, e.g. 2026-12=5000", field="months"
            )
        found[_month(month.strip())] = parse_amount(amount, f"the amount of {month.strip()}")
    return tuple(sorted(found.items()))


def _month(text: str) -> str:
    try:
        date.fromisoformat(f"{text}-01")
    except ValueError:
        raise InputError(f"month {text!r} is not YYYY-MM, e.g. 2026-12", field="months") from None
    return text


@dataclass(frozen=True)
class Figures:
    """One budget (or one group's budget) over its period so far."""

    group: dict[str, str]
    amount: Decimal
    actual: Decimal
    mtd_budget: Decimal
    forecast: Decimal
    crosses_on: date | None
    #: The forecast with its expected days, and the actual days it came from.
    projected: Projection = field(compare=False, repr=False)
    daily: Mapping[date, Decimal] = field(default_factory=dict, compare=False, repr=False)
    start: date = field(default=date.min, compare=False, repr=False)
    today: date = field(default=date.min, compare=False, repr=False)

    def reach_day(self, share: Decimal = Decimal(100)) -> date | None:
        """The day the period's cost reaches ``share`` percent of the amount (None: not in
        the period, by the forecast)."""
        level = self.amount * share / 100
        return reach_day(self.daily, self.projected, self.start, self.today, level)

    @property
    def percent_actual(self) -> Decimal:
        return (self.actual * 100 / self.amount).quantize(_TENTH)

    @property
    def percent_forecast(self) -> Decimal:
        return (self.forecast * 100 / self.amount).quantize(_TENTH)

    def reaches(self, share: Decimal, *, forecast: bool = False) -> bool:
        """Whether the actual (or the forecast) reaches ``share`` percent of the amount."""
        return (self.forecast if forecast else self.actual) * 100 >= share * self.amount

    def to_data(self) -> dict[str, Any]:
        return {
            "group": dict(self.group),
            "amount": str(self.amount),
            "actual": str(self.actual),
            "mtd_budget": str(self.mtd_budget),
            "forecast": str(self.forecast),
            "percent_actual": str(self.percent_actual),
            "percent_forecast": str(self.percent_forecast),
            "crosses_on": None if self.crosses_on is None else self.crosses_on.isoformat(),
        }


def figures(
    amount: Decimal, daily: Mapping[date, Decimal], today: date, period: tuple[date, date],
    group: dict[str, str] | None = None,
) -> Figures:  # fmt: skip
    """``daily``: cost per UTC day, covering the period so far and the 28 days before today."""
    start, end = period
    projected = project_period(daily, today, start, end)
    elapsed = (today - start).days + 1
    mtd = (amount * elapsed / ((end - start).days + 1)).quantize(_CENT)
    return Figures(
        group or {}, amount, projected.forecast.actual_to_date, mtd, projected.forecast.forecast,
        reach_day(daily, projected, start, today, amount), projected, daily, start, today,
    )  # fmt: skip


def reach_day(
    daily: Mapping[date, Decimal], projected: Projection, start: date, today: date, level: Decimal
) -> date | None:
    """The first day of the period the cumulative cost reaches ``level``: from the actual days
    before today, then from the forecast's expected days; None if not within the period."""
    total = Decimal(0)
    for day in sorted(d for d in daily if start <= d < today):
        total += daily[day]
        if total >= level:
            return day
    for day, expected in projected.days:
        total += expected
        if total >= level:
            return day
    return None


@dataclass(frozen=True)
class BudgetStatus:
    """A budget's figures for its current period; with ``per``, one per group as well."""

    budget: Budget
    start: date
    end: date
    whole: Figures
    groups: tuple[Figures, ...] = ()

    @property
    def watched(self) -> tuple[Figures, ...]:
        """What thresholds apply to: each group's budget, or the whole one."""
        return self.groups if self.budget.per else (self.whole,)

    def to_data(self) -> dict[str, Any]:
        """The ``budgets list`` row. With ``per`` the actual and forecast are the scope's
        totals, and the percents and crossing day those of the group most at risk."""
        top = max(self.watched, key=lambda f: (f.forecast / f.amount, f.actual), default=None)
        data = {
            "name": self.budget.name,
            "amount": str(self.whole.amount),
            "period": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            **{k: v for k, v in self.whole.to_data().items() if k not in ("group", "amount")},
            "per": self.budget.per,
            "filter": self.budget.filter,
            "alert_at": [str(t) for t in self.budget.alert_at],
            "forecast_alert": self.budget.forecast_alert,
            "channels": list(self.budget.channels),
        }
        if self.budget.per:
            risk = top.to_data() if top else {}
            data.update(
                percent_actual=risk.get("percent_actual"),
                percent_forecast=risk.get("percent_forecast"),
                crosses_on=risk.get("crosses_on"),
                mtd_budget=risk.get("mtd_budget"),
                groups=[g.to_data() for g in self.groups],
            )
        return data


def evaluate(
    budget: Budget, today: date, period: tuple[date, date],
    daily: Mapping[tuple[str, ...], Mapping[date, Decimal]],
) -> BudgetStatus:  # fmt: skip
    """``daily``: cost per day per group value (key ``()`` without ``per``)."""
    amount = budget.amount_for(period[0])
    whole_daily: dict[date, Decimal] = {}
    for days in daily.values():
        for day, cost in days.items():
            whole_daily[day] = whole_daily.get(day, Decimal(0)) + cost
    groups: tuple[Figures, ...] = ()
    if budget.per:
        per = budget.per
        found = [figures(amount, days, today, period, {per: key[0]}) for key, days in daily.items()]
        groups = tuple(sorted(found, key=lambda f: (-f.actual, f.group[per])))
    return BudgetStatus(budget, *period, figures(amount, whole_daily, today, period), groups)


def budget_events(status: BudgetStatus, workspace_id: int) -> list[AlertEvent]:
    """The events the status calls for: per budget (or group) the highest threshold its
    actual crossed, and with forecast alerts the highest its forecast crosses beyond that."""
    events = []
    for fig in status.watched:
        crossed = [t for t in status.budget.alert_at if fig.reaches(t)]
        if crossed:
            events.append(_event(status, fig, max(crossed), workspace_id, forecast=False))
        if status.budget.forecast_alert:
            ahead = [
                t for t in status.budget.alert_at
                if t not in crossed and fig.reaches(t, forecast=True)
            ]  # fmt: skip
            if ahead:
                events.append(_event(status, fig, max(ahead), workspace_id, forecast=True))
    return events


def _event(
    status: BudgetStatus, fig: Figures, threshold: Decimal, workspace_id: int, *, forecast: bool
) -> AlertEvent:
    budget = status.budget
    key = f"forecast:{threshold}" if forecast else str(threshold)
    on = fig.reach_day(threshold) if forecast else None
    return AlertEvent(
        id=event_id("budget", workspace_id, budget.name, fig.group, status.start, key),
        kind="budget",
        workspace_id=workspace_id,
        rule=budget.name,
        group=dict(fig.group),
        period_start=status.start,
        period_end=status.end,
        amount=fig.forecast if forecast else fig.actual,
        message=_message(status, fig, threshold, on, forecast=forecast),
        channels=budget.channels,
        threshold=threshold,
        forecast=forecast,
        report_path=report_path(budget.filter, budget.per, fig.group, status.start, status.end),
    )


def _who(budget: Budget, group: dict[str, str]) -> str:
    if not group:
        return budget.name
    value = next(iter(group.values())) or "(none)"
    return f"{value} in {budget.name}"


def _day(day: date) -> str:
    return f"{day:%b} {day.day}"


def _message(
    status: BudgetStatus, fig: Figures, threshold: Decimal, on: date | None, *, forecast: bool
) -> str:
    who, budget = _who(status.budget, fig.group), usd(fig.amount)
    same_month = (status.start.year, status.start.month) == (status.end.year, status.end.month)
    period = f"{_day(status.start)}–{status.end.day if same_month else _day(status.end)}"
    if forecast:
        target = "exceed" if threshold == 100 else f"reach {threshold}% of"
        when = f"around {_day(on)}" if on else f"by {_day(status.end)}"
        return (
            f"{who} will {target} its {budget} budget {when}: forecast {usd(fig.forecast)} for "
            f"{period}, {usd(fig.actual)} spent so far"
        )
    return (
        f"{who} has spent {usd(fig.actual)} of its {budget} budget for {period} "
        f"({fig.percent_actual}%, alert at {threshold}%); forecast {usd(fig.forecast)}"
    )
