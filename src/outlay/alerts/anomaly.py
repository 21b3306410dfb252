"""Anomaly detection on UTC-day cost per group. Pure: the service passes the daily totals in.

Each run judges the last ``RECENT_DAYS`` days (today, in progress, included) of every group
whose cost on one of them reaches the watch's minimum. The expectation comes from the
``HISTORY_DAYS`` before them, never from the days judged:

- **Own history** (a group seen for at least ``MIN_HISTORY_DAYS`` days): the expected value is
  the median of the same weekday's costs (zeros count: a weekend off is normal). The band is
  robust: the typical cost of an *active* day of that weekday (the median of its non-zero
  days; the median of every non-zero day when the weekday has fewer than two) times
  ``exp(k·s)``, where ``s`` is the MAD-based spread of the log costs of active days around
  their weekday's typical cost. Medians make one past spike move nothing.
- **Peers** (a group with less history, like a new user): its costs are compared with the
  daily costs of the established groups that share every group-by value but the first (the
  other users of the same model): the expected value is their median active day, the band
  their 99th percentile times a margin. A new joiner who spends $300 on day one, where the
  team's heaviest days are $60, is caught.

- **Short history** (seen for less than that, with at least ``MIN_SHORT_ACTIVE`` active
  days, counting the judged days before the day): its own band, widened by ``SHORT_EXTRA``.
  A group with fewer active days is judged by its peers alone.

Money stays ``Decimal``. The spread is a unitless statistic of log costs, computed in floating
point (``Decimal.ln`` costs 200 µs a value); the band it gives is rounded back to cents.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from outlay.alerts.cost_alert import check_filter, check_group_by
from outlay.alerts.text import parse_usd
from outlay.errors import InputError

Key = tuple[str, ...]
DEFAULT_GROUP_BY = ("resource", "service")
DEFAULT_MIN_COST = Decimal(10)
#: Days judged by each run (today included), and the history before them.
RECENT_DAYS = 7
HISTORY_DAYS = 56
MIN_HISTORY_DAYS = 28
#: Established peers needed before a new group is judged by them.
MIN_PEERS = 3
#: Band width in robust standard deviations of the log cost, per sensitivity.
SENSITIVITY: dict[str, float] = {"low": 5.5, "medium": 4.5, "high": 3.5}
#: A group with fewer than ``MIN_HISTORY_DAYS`` days but at least this many active ones is
#: judged by its own short history too, with a band this much wider (in the same units).
MIN_SHORT_ACTIVE = 4
SHORT_EXTRA = 1.5
#: How far above the peers' 99th percentile a new group's day must be, per sensitivity.
PEER_MARGIN: dict[str, Decimal] = {"low": Decimal(2), "medium": Decimal("1.5"), "high": Decimal(1)}
#: The spread is never taken below this (a perfectly regular history is no licence to fire at
#: +10%), nor the band below the typical day plus this share of it.
SPREAD_FLOOR = 0.18
_MAD_TO_SIGMA = 1.4826
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Watch:
    filter: str | None = None
    group_by: tuple[str, ...] = DEFAULT_GROUP_BY
    min_cost: Decimal = DEFAULT_MIN_COST
    sensitivity: str = "medium"

    def __post_init__(self) -> None:
        if self.sensitivity not in SENSITIVITY:
            raise InputError(
                f"unknown sensitivity {self.sensitivity!r}; use one of {', '.join(SENSITIVITY)}",
                field="sensitivity",
            )
        if not self.group_by:
            raise InputError(
                "an anomaly watch needs a group-by, e.g. resource,service", field="group_by"
            )
        object.__setattr__(self, "filter", check_filter(self.filter))
        check_group_by(self.group_by)

    def to_data(self) -> dict[str, Any]:
        return {
            "filter": self.filter,
            "group_by": list(self.group_by),
            "min_cost": format(self.min_cost, "f"),
            "sensitivity": self.sensitivity,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Watch:
        return cls(
            filter=data.get("filter"),
            group_by=tuple(data.get("group_by") or DEFAULT_GROUP_BY),
            min_cost=parse_usd(str(data.get("min_cost", DEFAULT_MIN_COST)), "minimum cost",
                               "min_cost", allow_zero=True),
            sensitivity=str(data.get("sensitivity", "medium")),
        )  # fmt: skip


@dataclass(frozen=True)
class Flag:
    """One anomalous day of one group: its cost, the expected cost and the band's top."""

    key: Key
    day: date
    actual: Decimal
    expected: Decimal
    upper: Decimal
    #: "history" (the group's own) or "peers".
    basis: str


def query_start(today: date) -> date:
    """The first day the daily totals must cover for ``detect``."""
    return today - timedelta(days=RECENT_DAYS - 1 + HISTORY_DAYS)


def recent_days(today: date) -> list[date]:
    return [today - timedelta(days=back) for back in range(RECENT_DAYS - 1, -1, -1)]


def detect(daily: Mapping[Key, Mapping[date, Decimal]], watch: Watch, today: date) -> list[Flag]:
    """Every anomalous (group, day) among the recent days, by group then day."""
    recent = recent_days(today)
    history = (recent[0] - timedelta(days=HISTORY_DAYS), recent[0] - timedelta(days=1))
    k = SENSITIVITY[watch.sensitivity]
    own: dict[Key, _Baseline | None] = {}
    peers: dict[Key, _PeerBand | None] = {}
    flags = []
    for key in sorted(daily):
        days = daily[key]
        candidates = [d for d in recent if days.get(d, Decimal(0)) >= watch.min_cost]
        if not candidates:
            continue
        mine = _own(own, key, days, history)
        band = None
        if mine is None or mine.short:
            band = _peers(peers, own, daily, key, history, PEER_MARGIN[watch.sensitivity])
        for day in candidates:
            if mine is None or mine.short:
                # Little history: every day before this one counts, the judged week's too.
                mine = baseline(days, history[0], day - timedelta(days=1))
            judged = _judge(mine, band, day, k)
            if judged is not None and days[day] > judged[1]:
                expected, upper, basis = judged
                flags.append(Flag(key, day, days[day], _money(expected), _money(upper), basis))
    return flags


def _judge(
    mine: _Baseline | None, peers: _PeerBand | None, day: date, k: float
) -> tuple[Decimal, Decimal, str] | None:
    """(expected, upper, basis) of a day, or None when nothing can judge it."""
    if mine is not None and not mine.short:
        return (*mine.band(day, k), "history")
    if mine is not None:
        return (*mine.band(day, k), "short history")
    if peers is not None:
        return peers.expected, peers.upper, "peers"
    return None


@dataclass(frozen=True)
class _Baseline:
    #: Per weekday: the median cost (zeros included) and the typical active day.
    expected: tuple[Decimal, ...]
    typical: tuple[Decimal, ...]
    spread: float
    #: Fewer than ``MIN_HISTORY_DAYS`` days of history: the band is wider.
    short: bool = False

    def band(self, day: date, k: float) -> tuple[Decimal, Decimal]:
        weekday = day.weekday()
        width = math.exp((k + (SHORT_EXTRA if self.short else 0.0)) * self.spread)
        return self.expected[weekday], self.typical[weekday] * Decimal(f"{width:.6f}")


@dataclass(frozen=True)
class _PeerBand:
    expected: Decimal
    upper: Decimal


def _own(
    cache: dict[Key, _Baseline | None], key: Key, days: Mapping[date, Decimal],
    history: tuple[date, date],
) -> _Baseline | None:  # fmt: skip
    if key not in cache:
        cache[key] = baseline(days, *history)
    return cache[key]


def baseline(days: Mapping[date, Decimal], first: date, last: date) -> _Baseline | None:
    """The group's own expectation from ``first``..``last``, or None with too little history
    (fewer than ``MIN_SHORT_ACTIVE`` active days); ``short`` when it spans fewer than
    ``MIN_HISTORY_DAYS`` days since the group's first cost."""
    seen = [d for d, v in days.items() if v > 0 and d <= last]
    if not seen:
        return None
    start = max(first, min(seen))
    span = [start + timedelta(days=i) for i in range((last - start).days + 1)]
    zero = Decimal(0)
    by_weekday: list[list[Decimal]] = [[] for _ in range(7)]
    for day in span:
        by_weekday[day.weekday()].append(days.get(day, zero))
    active_all = [v for vs in by_weekday for v in vs if v > 0]
    if len(active_all) < MIN_SHORT_ACTIVE:
        return None
    overall = median(active_all)
    typical = []
    for values in by_weekday:
        active = [v for v in values if v > 0]
        typical.append(median(active) if len(active) >= 2 else overall)
    logs = [
        math.log(v / typical[day.weekday()])
        for day in span
        if (v := days.get(day, zero)) > 0
    ]  # fmt: skip
    centre = statistics.median(logs)
    spread = max(_MAD_TO_SIGMA * statistics.median([abs(x - centre) for x in logs]), SPREAD_FLOOR)
    expected = tuple(median(values) if values else zero for values in by_weekday)
    return _Baseline(expected, tuple(typical), spread, len(span) < MIN_HISTORY_DAYS)


def _peers(
    cache: dict[Key, _PeerBand | None], own: dict[Key, _Baseline | None],
    daily: Mapping[Key, Mapping[date, Decimal]], key: Key, history: tuple[date, date],
    margin: Decimal,
) -> _PeerBand | None:  # fmt: skip
    """The band of a group with little history, from its established peers."""
    kin = key[1:]
    if kin not in cache:
        pool: list[Decimal] = []
        count = 0
        for other, days in daily.items():
            if other[1:] != kin or other == key:
                continue
            established = _own(own, other, days, history)
            if established is None or established.short:
                continue
            count += 1
            pool.extend(v for d, v in days.items() if v > 0 and history[0] <= d <= history[1])
        cache[kin] = (
            _PeerBand(median(pool), quantile(pool, Decimal("0.99")) * margin)
            if count >= MIN_PEERS and pool
            else None
        )
    return cache[kin]


def median(values: Iterable[Decimal]) -> Decimal:
    ordered = sorted(values)
    if not ordered:
        raise ValueError("median of nothing")
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def quantile(values: list[Decimal], q: Decimal) -> Decimal:
    """The ``q`` quantile by linear interpolation between the closest ranks."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _money(value: Decimal) -> Decimal:
    return value.quantize(_CENT)


def by_group(rows: Iterable[tuple[Any, ...]]) -> dict[Key, dict[date, Decimal]]:
    """Daily totals as ``detect`` takes them, from a daily report query's (day, *group values,
    cost) rows."""
    out: dict[Key, dict[date, Decimal]] = defaultdict(dict)
    for row in rows:
        key, day, cost = tuple(row[1:-1]), row[0], row[-1]
        out[key][day] = out[key].get(day, Decimal(0)) + cost
    return dict(out)
