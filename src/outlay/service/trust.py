"""Trust in the numbers: reconciliation with Cursor's ``/teams/spend`` and completeness per day.

Both read what syncs recorded (spend snapshots, day reads) and the fact store, never the
provider: a viewer sees them without the account's key, and past cycles stay provable.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from outlay.access import LOCAL_OWNER, Action, Principal
from outlay.errors import InputError
from outlay.reconcile.completeness import (
    MISSING,
    DayStatus,
    complete_through,
    day_statuses,
    lag_start,
)
from outlay.reconcile.spend import ON_DEMAND_KIND, Reconciliation, reconcile
from outlay.report.spec import FIRST_DAY, LAST_DAY
from outlay.service.core import Core, requires
from outlay.store.fact_totals import member_costs, window_totals
from outlay.store.meta import Account
from outlay.store.trust import SpendSnapshot, TrustStore

CYCLES = ("current", "previous")
#: The completeness listing's default span, and its longest, in days.
DEFAULT_DAYS = 30
MAX_DAYS = 400


class Trust(Core):
    @property
    def trust(self) -> TrustStore:
        return TrustStore(self.meta)

    def _visible(self, name: str | None, principal: Principal) -> list[Account]:
        accounts = self._accounts_in(principal.workspace_ids)
        return accounts if name is None else [self._named(name, accounts)]

    @requires(Action.READ)
    def reconcile(
        self, account: str | None = None, cycle: str = "current",
        principal: Principal = LOCAL_OWNER,
    ) -> tuple[list[Reconciliation], list[dict[str, str]]]:  # fmt: skip
        """Each visible account's cycle beside its last ``/teams/spend`` snapshot of it, and the
        accounts that cannot be reconciled yet (no snapshot of that cycle), with the reason."""
        if cycle not in CYCLES:
            raise InputError(f"unknown cycle {cycle!r}; use current or previous", field="cycle")
        done, unavailable = [], []
        for found in self._visible(account, principal):
            snapshots = self.trust.latest_spend_snapshots(found.id)
            index = CYCLES.index(cycle)
            if len(snapshots) <= index:
                reason = (
                    "no /teams/spend snapshot yet; the next sync takes one"
                    if not snapshots
                    else "no snapshot of the previous cycle: outlay was not syncing then"
                )
                unavailable.append({"account": found.name, "reason": reason})
                continue
            done.append(self._reconcile(found, snapshots, index))
        return done, unavailable

    def _reconcile(
        self, account: Account, snapshots: list[SpendSnapshot], index: int
    ) -> Reconciliation:
        snapshot = snapshots[index]
        costs = member_costs(
            self.facts, account.name, snapshot.cycle_start_ms, snapshot.as_of_ms, ON_DEMAND_KIND
        )
        end = None
        if index > 0:  # a past cycle ends where the next one Cursor reported starts
            next_start = snapshots[index - 1].cycle_start_ms / 1000
            end = datetime.fromtimestamp(next_start, UTC).replace(tzinfo=None)
        return reconcile(account.name, snapshot, costs, end=end)

    @requires(Action.READ)
    def completeness(
        self, account: str | None = None, start: date | None = None, end: date | None = None,
        principal: Principal = LOCAL_OWNER,
    ) -> list[DayStatus]:  # fmt: skip
        """Per visible account and UTC day of [start, end] it has imported: what outlay holds,
        what daily usage showed, when it was last read, and its status."""
        for day, label in ((start, "start"), (end, "end")):
            if day is not None and not FIRST_DAY <= day <= LAST_DAY:
                raise InputError(
                    f"{label} {day} is out of range; use a day from {FIRST_DAY} to {LAST_DAY}",
                    field=label,
                )
        today = self.today()
        end = min(end or today, today)
        start = start or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise InputError(f"--start {start} is after --end {end}; swap them", field="start")
        if (end - start).days >= MAX_DAYS:
            raise InputError(
                f"{(end - start).days + 1} days asked; at most {MAX_DAYS} at once", field="start"
            )
        days: list[DayStatus] = []
        for found in self._visible(account, principal):
            if found.oldest_day is None or found.synced_through is None:
                continue
            first, last = max(start, found.oldest_day), min(end, found.synced_through)
            if first > last:
                continue
            reads = self.trust.day_reads(found.id, first, last)
            totals = {}
            if len(reads) <= (last - first).days:  # days imported before reads were recorded
                end_ms = _ms(last + timedelta(days=1)) - 1
                totals = window_totals(self.facts, found.name, _ms(first), end_ms, 0).whole
            days.extend(
                day_statuses(
                    found.name,
                    first,
                    last,
                    reads,
                    totals,
                    today=today,
                    lag_days=self.settings.lag_days,
                )
            )
        return days

    @requires(Action.READ)
    def complete_through(self, principal: Principal = LOCAL_OWNER) -> dict[str, date | None]:
        """Per visible account, the day its data is complete through (Integrations)."""
        today, lag = self.today(), self.settings.lag_days
        return {
            a.name: complete_through(
                a.oldest_day,
                a.synced_through,
                self.trust.day_reads(a.id, a.oldest_day),
                today=today,
                lag_days=lag,
            )
            for a in self._visible(None, principal)
        }

    @requires(Action.READ)
    def completeness_notes(
        self, start: date, end: date, workspace: str | None = None,
        principal: Principal = LOCAL_OWNER,
    ) -> list[str]:  # fmt: skip
        """One line per account of the workspace whose days in [start, end] are incomplete."""
        space = self.workspace(workspace, principal)
        pending_from = lag_start(self.today(), self.settings.lag_days)
        notes = []
        for found in self._accounts_in(frozenset({space.id})):
            if found.oldest_day is None:
                continue
            reads = self.trust.day_reads(found.id, max(start, found.oldest_day), end)
            missing = [d for d, r in reads.items() if r.missing and d < pending_from]
            parts = []
            if missing:
                parts.append(f"{len(missing)} day(s) {MISSING} ({_days(missing)})")
            if end >= pending_from and start <= self.today():
                parts.append(f"days from {max(start, pending_from)} pending (Cursor may revise)")
            if parts:
                notes.append(f"{found.name}: {'; '.join(parts)}; see the completeness report")
        return notes


def _days(days: list[date]) -> str:
    shown = ", ".join(d.isoformat() for d in sorted(days)[:5])
    return shown + (", …" if len(days) > 5 else "")


def _ms(day: date) -> int:
    return (day - date(1970, 1, 1)).days * 86_400_000
