"""Budgets of a workspace: define them, see their figures, evaluate their alerts; and each
member's spend beside their Cursor limit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

from outlay.access import LOCAL_OWNER, Action, Principal
from outlay.alerts.budget import Budget, BudgetStatus, budget_events, budget_period, evaluate
from outlay.alerts.event import AlertEvent
from outlay.alerts.limits import MemberLimit, limit_events, on_demand_usd
from outlay.errors import BudgetNotFound
from outlay.report.forecast import HISTORY_DAYS
from outlay.report.run import run_report
from outlay.report.spec import ReportSpec
from outlay.service.audit import audited, note
from outlay.service.core import requires
from outlay.service.guardrails import Guardrails
from outlay.service.reports import Reports
from outlay.store.access import Workspace
from outlay.store.budgets import BudgetStore
from outlay.store.trust import TrustStore


@dataclass(frozen=True)
class LimitStatus:
    """A Cursor-limit budget: every member with a limit, their spend against it."""

    budget: Budget
    members: tuple[MemberLimit, ...]

    def to_data(self) -> dict[str, Any]:
        limited = [m for m in self.members if m.limit is not None]
        top = max(limited, key=lambda m: m.spend / (m.limit or 1), default=None)
        cycle = top or (self.members[0] if self.members else None)
        return {
            "name": self.budget.name,
            "amount": None,
            "cursor_limit": True,
            "period": None if cycle is None else {
                "start": cycle.cycle_start.isoformat(), "end": cycle.cycle_end.isoformat(),
            },
            "actual": str(sum((m.spend for m in limited), Decimal(0))),
            "mtd_budget": None,
            "forecast": None,
            "percent_actual": None if top is None else str(top.percent),
            "percent_forecast": None,
            "crosses_on": None,
            "alert_at": [str(t) for t in self.budget.alert_at],
            "channels": list(self.budget.channels),
            "groups": [
                {"group": {"resource": m.email}, "amount": str(m.limit), "actual": str(m.spend),
                 "percent_actual": str(m.percent), "account": m.account}
                for m in sorted(limited, key=lambda m: -(m.percent or 0))
            ],
        }  # fmt: skip


class Budgets(Reports, Guardrails):
    @cached_property
    def budget_store(self) -> BudgetStore:
        return BudgetStore(self.meta)

    # -- definitions -------------------------------------------------------------------------

    @audited("budget.add")
    @requires(Action.EDIT)
    def add_budget(
        self, budget: Budget, *, principal: Principal = LOCAL_OWNER, workspace: str | None = None
    ) -> Budget:
        space = self.workspace(workspace, principal)
        self._check_channels(space, budget.channels)
        self.budget_store.add(space.id, budget.name, budget.to_data(), now=self.clock.now())
        note(target=budget.name, after=budget.to_data())
        return budget

    @audited("budget.edit")
    @requires(Action.EDIT)
    def edit_budget(
        self, name: str, budget: Budget, *, principal: Principal = LOCAL_OWNER,
        workspace: str | None = None,
    ) -> Budget:  # fmt: skip
        """Replace budget ``name`` with ``budget`` (its name may differ: a rename)."""
        space = self.workspace(workspace, principal)
        self._check_channels(space, budget.channels)
        if not self.budget_store.replace(space.id, name, budget.to_data(), now=self.clock.now()):
            raise self._not_found(space, name)
        return budget

    @audited("budget.remove")
    @requires(Action.EDIT)
    def remove_budget(
        self, name: str, *, principal: Principal = LOCAL_OWNER, workspace: str | None = None
    ) -> None:
        space = self.workspace(workspace, principal)
        if not self.budget_store.remove(space.id, name):
            raise self._not_found(space, name)

    @requires(Action.READ)
    def budgets(
        self, *, principal: Principal = LOCAL_OWNER, workspace: str | None = None
    ) -> list[Budget]:
        return self._budgets_of(self.workspace(workspace, principal))

    @requires(Action.READ)
    def budget(
        self, name: str, *, principal: Principal = LOCAL_OWNER, workspace: str | None = None
    ) -> Budget:
        space = self.workspace(workspace, principal)
        for budget in self._budgets_of(space):
            if budget.name == name:
                return budget
        raise self._not_found(space, name)

    def _budgets_of(self, space: Workspace) -> list[Budget]:
        return [Budget.from_data(b.body) for b in self.budget_store.budgets(space.id)]

    def _not_found(self, space: Workspace, name: str) -> BudgetNotFound:
        known = ", ".join(b.name for b in self._budgets_of(space)) or "none yet"
        return BudgetNotFound(f"no budget named {name!r} (budgets: {known})")

    # -- figures -----------------------------------------------------------------------------

    @requires(Action.READ)
    def budget_statuses(
        self, *, principal: Principal = LOCAL_OWNER, workspace: str | None = None
    ) -> list[BudgetStatus | LimitStatus]:
        """Every budget of the workspace with its figures for the current period."""
        space = self.workspace(workspace, principal)
        return [self._status(space, b, self.today()) for b in self._budgets_of(space)]

    def _status(self, space: Workspace, budget: Budget, today: date) -> BudgetStatus | LimitStatus:
        if budget.cursor_limit:
            return LimitStatus(budget, tuple(self._member_limits(space)))
        period = budget_period(today, self.settings.billing_cycle_day)
        return evaluate(budget, today, period, self._daily_costs(space, budget, today, period))

    def _daily_costs(
        self, space: Workspace, budget: Budget, today: date, period: tuple[date, date]
    ) -> dict[tuple[str, ...], dict[date, Decimal]]:
        """One report over the period so far and the forecast's history, by day (and group)."""
        first = min(period[0], today - timedelta(days=HISTORY_DAYS))
        spec = ReportSpec(
            start=first, end=today, date_bin="day", filter=budget.filter or None,
            group_by=(budget.per,) if budget.per else (),
        )  # fmt: skip
        result = run_report(
            self.facts, spec, self._tags_in(space), today=today,
            cycle_day=self.settings.billing_cycle_day, accounts=self._account_names(space),
        )  # fmt: skip
        daily: dict[tuple[str, ...], dict[date, Decimal]] = {}
        for row in result.rows:
            key = (str(row[budget.per] or ""),) if budget.per else ()
            days = daily.setdefault(key, {})
            day = date.fromisoformat(row["date"])
            days[day] = days.get(day, Decimal(0)) + Decimal(row["cost"])
        return daily

    # -- Cursor's own limits -----------------------------------------------------------------

    @requires(Action.READ)
    def member_limits(
        self, *, principal: Principal = LOCAL_OWNER, workspace: str | None = None
    ) -> list[MemberLimit]:
        """Each member of the workspace's accounts: their spend this billing cycle beside their
        Cursor limit, from the newest ``/teams/spend`` read (highest share of limit first)."""
        return self._member_limits(self.workspace(workspace, principal))

    def _member_limits(self, space: Workspace) -> list[MemberLimit]:
        trust = TrustStore(self.meta)
        found: list[MemberLimit] = []
        for account in self._accounts_in(frozenset({space.id})):
            snapshots = trust.latest_spend_snapshots(account.id)
            if not snapshots:
                continue
            newest = snapshots[0]
            start = datetime.fromtimestamp(newest.cycle_start_ms / 1000, UTC).date()
            for m in newest.members:
                spend = on_demand_usd(m.spend_cents, m.overall_spend_cents, m.included_spend_cents)
                overall = None if m.overall_spend_cents is None else m.overall_spend_cents / 100
                found.append(MemberLimit(
                    account.name, m.email, start, spend, overall, m.hard_limit_override_dollars,
                    m.monthly_limit_dollars, m.effective_limit_dollars,
                ))  # fmt: skip
        return sorted(found, key=lambda m: (-(m.percent or Decimal(-1)), m.account, m.email))

    # -- evaluation --------------------------------------------------------------------------

    @requires(Action.ADMIN)
    def evaluate_budgets(
        self, now: datetime | None = None, *, principal: Principal = LOCAL_OWNER
    ) -> list[AlertEvent]:
        """Evaluate every budget of every workspace the principal sees as of ``now`` (default:
        the clock), record what fired and return the events not recorded before."""
        today = self._today_at(now)
        events: list[AlertEvent] = []
        for space in self.workspaces(principal):
            for budget in self._budgets_of(space):
                status = self._status(space, budget, today)
                if isinstance(status, LimitStatus):
                    events += limit_events(
                        budget.name, budget.alert_at, budget.channels, list(status.members),
                        space.id,
                    )  # fmt: skip
                else:
                    events += budget_events(status, space.id)
        return self._fire(events)
