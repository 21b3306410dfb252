"""What a sync records besides cost rows, so outlay can prove its numbers later.

- A snapshot of ``/teams/spend`` per sync: it only ever shows the current billing cycle, so the
  snapshots are what keeps past cycles provable.
- Per UTC day of every window read: the day's totals, when it was last read, whether the re-read
  changed the part of the day an earlier read had covered (a revision, and by how much; new
  events of a day still in progress are not one), and who ``/teams/daily-usage-data`` shows as
  active that day, with those of them outlay holds no event of.

Neither read may fail a sync: costs matter more than their proof. A failed read is logged and
leaves the previous records.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, datetime, timedelta

from outlay.errors import ProviderError
from outlay.ingest.windows import DAY_MS, Window, day_start_ms, utc_day
from outlay.providers.cursor.client import CursorClient, EventWindow
from outlay.providers.cursor.models import DailyUsageRow
from outlay.store.fact_totals import WindowTotals, window_totals
from outlay.store.facts_api import Facts, ms_to_ts
from outlay.store.meta import Account
from outlay.store.trust import DayRead, DayTotals, SpendMember, SpendSnapshot, TrustStore

log = logging.getLogger(__name__)


def snapshot_spend(account: Account, client: CursorClient, trust: TrustStore, now_ms: int) -> None:
    """Keep this sync's view of ``/teams/spend``, compared later with events up to ``now_ms``."""
    try:
        cycle_start, rows = client.spend()
    except ProviderError as exc:
        log.warning(
            "%s: spend not read, reconciliation keeps older snapshots: %s", account.name, exc
        )
        return
    if cycle_start is None:
        log.warning(
            "%s: /teams/spend gave no subscriptionCycleStart; snapshot skipped", account.name
        )
        return
    members = tuple(
        SpendMember(
            row.email or row.userId or "",
            row.userId,
            row.spendCents,
            row.overallSpendCents,
            row.includedSpendCents,
            row.hardLimitOverrideDollars,
            row.monthlyLimitDollars,
            row.effectivePerUserLimitDollars,
        )
        for row in rows
    )
    trust.add_spend_snapshot(
        SpendSnapshot(account.id, now_ms, cycle_start, ms_to_ts(now_ms), members)
    )


def _requests(row: DailyUsageRow) -> int:
    # These three count raw usage events (contract §5.1); tab completions and lines do not.
    return (row.subscriptionIncludedReqs or 0) + (row.usageBasedReqs or 0) + (row.apiKeyReqs or 0)


def read_activity(
    account: Account, client: CursorClient, window: Window
) -> dict[date, frozenset[str]] | None:
    """Lower-cased emails with usage requests per day of the window; None if the read failed."""
    try:
        rows = client.daily_usage(EventWindow(window.start_ms, window.end_ms))
    except ProviderError as exc:
        log.warning("%s: daily usage not read for %s..%s: %s", account.name, window.first_day,
                    window.last_day, exc)  # fmt: skip
        return None
    active: dict[date, set[str]] = {}
    for row in rows:
        day = date.fromisoformat(row.day) if row.day else utc_day(row.date or 0)
        if window.first_day <= day <= window.last_day and row.email and _requests(row) > 0:
            active.setdefault(day, set()).add(row.email.lower())
    return {day: frozenset(active.get(day, ())) for day in _days(window)}


def _days(window: Window) -> list[date]:
    return [window.first_day + timedelta(days=n) for n in range(window.days)]


class DayRecorder:
    """Records the reads of one window: ``before()`` ahead of its replace, ``after()`` past it."""

    def __init__(
        self, account: Account, facts: Facts, trust: TrustStore, window: Window, now_ms: int
    ) -> None:
        self.account = account
        self.facts = facts
        self.trust = trust
        self.window = window
        self.now = ms_to_ts(now_ms)
        self.prior: dict[date, DayRead] = {}
        self.cutoff = window.start_ms - 1
        self.old: WindowTotals | None = None

    def before(self) -> None:
        w = self.window
        self.prior = self.trust.day_reads(self.account.id, w.first_day, w.last_day)
        if self.prior:
            # Only the newest day an earlier sync read can have been read in part.
            self.cutoff = max(r.read_through_ms for r in self.prior.values())
            self.old = self._totals()

    def after(self, activity: dict[date, frozenset[str]] | None) -> None:
        new = self._totals()
        reads = [self._read(day, new, activity) for day in _days(self.window)]
        self.trust.put_day_reads(self.account.id, reads)

    def _totals(self) -> WindowTotals:
        w = self.window
        return window_totals(self.facts, self.account.name, w.start_ms, w.end_ms, self.cutoff)

    def _read(
        self, day: date, new: WindowTotals, activity: dict[date, frozenset[str]] | None
    ) -> DayRead:
        whole = new.whole.get(day, DayTotals())
        through = min(day_start_ms(day) + DAY_MS - 1, self.window.end_ms)
        prior = self.prior.get(day)
        read = DayRead(day, self.now, through, whole.events, whole.cost)
        if prior is not None:
            read = _with_revision(read, prior, self.old, new, day, self.now)
        if activity is None:  # daily usage unread this time: keep what the last read showed
            if prior is None:
                return read
            active = prior.active
        else:
            active = tuple(sorted(activity[day]))
        if active is None:
            return read
        missing = tuple(e for e in active if e not in new.emails.get(day, frozenset()))
        usage_at = self.now if activity is not None else (prior.usage_read_at if prior else None)
        return replace(read, active=active, missing=missing, usage_read_at=usage_at)


def _with_revision(
    read: DayRead, prior: DayRead, old: WindowTotals | None, new: WindowTotals, day: date,
    now: datetime,
) -> DayRead:  # fmt: skip
    """The read, carrying the prior's revision, or a new one if the covered part changed."""
    before = old.through.get(day, DayTotals()) if old is not None else DayTotals()
    after = new.through.get(day, DayTotals())
    if before == after:
        return replace(
            read, revisions=prior.revisions, revised_at=prior.revised_at,
            revised_cost=prior.revised_cost, revised_events=prior.revised_events,
        )  # fmt: skip
    return replace(
        read, revisions=prior.revisions + 1, revised_at=now,
        revised_cost=after.cost - before.cost, revised_events=after.events - before.events,
    )  # fmt: skip
