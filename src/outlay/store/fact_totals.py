"""The fact-store totals reconciliation and completeness compare: per UTC day, per member.

Every query is bounded to one account and one time range (a sync window or a billing cycle),
so they stay cheap beside the window replace they surround.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from outlay.store.facts_api import TABLE, Facts
from outlay.store.facts_api import ms_to_ts as _ms_to_ts
from outlay.store.trust import DayTotals


@dataclass(frozen=True)
class WindowTotals:
    """A window's totals per day: whole, up to a moment (what an earlier read covered), and
    the lower-cased emails with events."""

    whole: dict[date, DayTotals]
    through: dict[date, DayTotals]
    emails: dict[date, frozenset[str]]


def window_totals(
    facts: Facts, account: str, start_ms: int, end_ms: int, through_ms: int
) -> WindowTotals:
    cut = _ms_to_ts(through_ms)
    result = facts.query(
        f"SELECT CAST(ts AS DATE) AS day, lower(resource) AS email, "
        f"sum(event_count), sum(cost), "
        f"sum(event_count) FILTER (WHERE ts <= ?), sum(cost) FILTER (WHERE ts <= ?) "
        f"FROM {TABLE} WHERE account = ? AND ts BETWEEN ? AND ? GROUP BY ALL",
        [cut, cut, account, _ms_to_ts(start_ms), _ms_to_ts(end_ms)],
    )
    whole: defaultdict[date, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    through: defaultdict[date, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    emails: defaultdict[date, set[str]] = defaultdict(set)
    for day, email, events, cost, events_before, cost_before in result.rows:
        whole[day][0] += events or 0
        whole[day][1] += cost or 0
        through[day][0] += events_before or 0
        through[day][1] += cost_before or 0
        if events:
            emails[day].add(email)
    return WindowTotals(
        {d: DayTotals(int(e), c) for d, (e, c) in whole.items()},
        {d: DayTotals(int(e), c) for d, (e, c) in through.items()},
        {d: frozenset(found) for d, found in emails.items()},
    )


def member_costs(
    facts: Facts, account: str, start_ms: int, end_ms: int, on_demand_kind: str
) -> dict[str, tuple[Decimal, Decimal]]:
    """(on-demand, included) cost in USD per lower-cased email, over [start_ms, end_ms]."""
    result = facts.query(
        f"SELECT lower(resource), "
        f"coalesce(sum(cost) FILTER (WHERE subcategory = ?), 0), "
        f"coalesce(sum(cost) FILTER (WHERE subcategory IS DISTINCT FROM ?), 0) "
        f"FROM {TABLE} WHERE account = ? AND ts BETWEEN ? AND ? GROUP BY 1",
        [on_demand_kind, on_demand_kind, account, _ms_to_ts(start_ms), _ms_to_ts(end_ms)],
    )
    return {email: (Decimal(on), Decimal(off)) for email, on, off in result.rows}
