"""Reconcile one account's billing cycle: outlay's cost per member beside ``/teams/spend``.

Which Cursor number a member is compared with (contract §5.2 and §13):

- ``overallSpendCents`` when present: the total, included and on-demand.
- Otherwise ``spendCents`` is ambiguous: on-demand only (the 2026 docs) or the total (older
  readings, with ``includedSpendCents`` the included part of it). With ``includedSpendCents``
  present, the total is ``spendCents + includedSpendCents`` under the newer reading and
  ``spendCents`` under the older one; alone, ``spendCents`` is the on-demand part under the
  newer reading and the total under the older one. The newer reading is used unless only the
  older one agrees with outlay; ``basis`` names the reading each member was compared under.

Tolerance: a member is ``ok`` when outlay and Cursor differ by at most one cent (USD 0.01).
Cursor sent whole cents until 2026-06-04; rounding ``spendCents`` and ``includedSpendCents``
each to a cent moves a member's sum by at most half a cent twice. Since then it sends six
decimals and a consistent member differs by nothing. An account is ``ok`` when every member is
and its total differs by at most one cent per member compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from outlay.report.export import exact
from outlay.store.trust import SpendMember, SpendSnapshot

TOLERANCE_USD = Decimal("0.01")
#: The ``kind`` Cursor's Admin API gives on-demand events (contract §12.1); every other kind
#: (``Included in Business``, errored, free credit, unknown ones) counts as included usage.
ON_DEMAND_KIND = "Usage-based"
OK, MISMATCH = "ok", "mismatch"
NEWER, OLDER = "newer", "older"


@dataclass(frozen=True)
class MemberLine:
    email: str
    outlay_on_demand: Decimal
    outlay_included: Decimal
    cursor: Decimal
    difference: Decimal  # outlay's compared amount - Cursor's, USD
    status: str
    basis: str  # which Cursor field(s) were compared, with which of outlay's amounts
    in_spend: bool
    in_events: bool
    cursor_fields: dict[str, Decimal | None]

    @property
    def outlay(self) -> Decimal:
        return self.outlay_on_demand + self.outlay_included

    def to_data(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "outlay": exact(self.outlay),
            "outlay_included": exact(self.outlay_included),
            "outlay_on_demand": exact(self.outlay_on_demand),
            "cursor": exact(self.cursor),
            "difference": exact(self.difference),
            "status": self.status,
            "basis": self.basis,
            "in_spend": self.in_spend,
            "in_events": self.in_events,
            "cursor_fields": {
                k: (None if v is None else exact(v)) for k, v in self.cursor_fields.items()
            },
        }


@dataclass(frozen=True)
class Reconciliation:
    account: str
    cycle_start: datetime
    cycle_end: datetime
    as_of: datetime
    members: tuple[MemberLine, ...]

    @property
    def outlay(self) -> Decimal:
        return sum((m.outlay for m in self.members), Decimal(0))

    @property
    def cursor(self) -> Decimal:
        return sum((m.cursor for m in self.members), Decimal(0))

    @property
    def difference(self) -> Decimal:
        return sum((m.difference for m in self.members), Decimal(0))

    @property
    def status(self) -> str:
        allowed = TOLERANCE_USD * max(1, len(self.members))
        fine = all(m.status == OK for m in self.members) and abs(self.difference) <= allowed
        return OK if fine else MISMATCH

    def to_data(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "cycle": {"start": _iso(self.cycle_start), "end": _iso(self.cycle_end)},
            "as_of": _iso(self.as_of),
            "status": self.status,
            "tolerance_per_member": exact(TOLERANCE_USD),
            "total": {
                "outlay": exact(self.outlay),
                "cursor": exact(self.cursor),
                "difference": exact(self.difference),
            },
            "members": [m.to_data() for m in self.members],
        }


def document(reconciled: list[Reconciliation], unavailable: list[dict[str, str]]) -> dict[str, Any]:
    """The ``reconcile`` JSON of the CLI and the API; accounts without a snapshot of the cycle
    are named under ``unavailable`` with the reason, never left out silently."""
    data: dict[str, Any] = {"accounts": [r.to_data() for r in reconciled]}
    if unavailable:
        data["unavailable"] = unavailable
    return data


def _iso(moment: datetime) -> str:
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def _moment(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC).replace(tzinfo=None)


def cycle_end(start: datetime) -> datetime:
    """One calendar month after ``start`` (a 31st ends on the last day of a shorter month)."""
    year, month = (start.year, start.month + 1) if start.month < 12 else (start.year + 1, 1)
    for day in (start.day, 30, 29, 28):
        try:
            return start.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("every month has a 28th")


def reconcile(
    account: str,
    snapshot: SpendSnapshot,
    outlay_costs: dict[str, tuple[Decimal, Decimal]],
    *,
    end: datetime | None = None,
) -> Reconciliation:
    """Compare ``outlay_costs`` ((on-demand, included) USD per lower-cased email, events of
    the cycle up to the snapshot) with the snapshot. Members on one side only are listed too:
    in spend without events, and with events but absent from spend (compared with zero)."""
    spend = {m.email.lower(): m for m in snapshot.members}
    lines = [
        _line(email, spend.get(email), outlay_costs.get(email))
        for email in sorted(spend.keys() | outlay_costs.keys())
    ]
    lines.sort(key=lambda m: (-abs(m.difference), m.email))
    start = _moment(snapshot.cycle_start_ms)
    return Reconciliation(
        account, start, end or cycle_end(start), _moment(snapshot.as_of_ms), tuple(lines)
    )


def _line(
    email: str, member: SpendMember | None, costs: tuple[Decimal, Decimal] | None
) -> MemberLine:
    on_demand, included = costs if costs is not None else (Decimal(0), Decimal(0))
    total = on_demand + included
    if member is None:
        return _make(email, on_demand, included, total, Decimal(0), "absent from /teams/spend",
                     False, True, {})  # fmt: skip
    fields = {
        "overallSpendCents": member.overall_spend_cents,
        "spendCents": member.spend_cents,
        "includedSpendCents": member.included_spend_cents,
    }
    ours, theirs, basis = _compared(member, on_demand, total)
    return _make(email, on_demand, included, ours, theirs, basis, True, costs is not None,
                 {k: None if v is None else _usd(v) for k, v in fields.items()})  # fmt: skip


def _compared(
    member: SpendMember, on_demand: Decimal, total: Decimal
) -> tuple[Decimal, Decimal, str]:
    """(outlay's amount, Cursor's amount, basis) under the contract's rule for the fields sent."""
    overall, spend, included = (
        member.overall_spend_cents, member.spend_cents, member.included_spend_cents
    )  # fmt: skip
    if overall is not None:
        return total, _usd(overall), "overallSpendCents vs outlay total"
    if spend is None:
        return total, Decimal(0), "no spend field sent; compared with zero"
    if included is not None:
        readings = [
            (total, _usd(spend + included), "spendCents + includedSpendCents vs outlay total"),
            (total, _usd(spend), "spendCents read as the total (older docs) vs outlay total"),
        ]
    else:
        readings = [
            (on_demand, _usd(spend), "spendCents read as on-demand vs outlay on-demand"),
            (total, _usd(spend), "spendCents read as the total (older docs) vs outlay total"),
        ]
    newer, older = readings
    agrees = abs(older[0] - older[1]) <= TOLERANCE_USD < abs(newer[0] - newer[1])
    return older if agrees else newer


def _make(
    email: str, on_demand: Decimal, included: Decimal, ours: Decimal, theirs: Decimal,
    basis: str, in_spend: bool, in_events: bool, fields: dict[str, Decimal | None],
) -> MemberLine:  # fmt: skip
    difference = ours - theirs
    status = OK if abs(difference) <= TOLERANCE_USD else MISMATCH
    return MemberLine(
        email, on_demand, included, theirs, difference, status, basis, in_spend, in_events, fields
    )


def _usd(cents: Decimal) -> Decimal:
    return cents.scaleb(-2)
