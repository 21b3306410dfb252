"""A deterministic synthetic Cursor team: members and usage events as a pure function of the seed.

Days are generated lazily, one UTC day at a time, from ``random.Random`` seeded by (seed, day),
and cached (LRU). A day is generated whole, including events later than "now"; those stay hidden
until the clock passes them, so a long-running fake keeps producing usage as time goes by while
every event is still fixed by (seed, timestamp). Data starts at ``start_day`` (the UTC date at
construction minus ``spec.days``). The one input besides the seed is that date: removed members
leave a few days to weeks before it.

``revise`` is the late-cost-adjustment knob: revisions are kept as (since, until, factor) and
applied while a day is generated, so they persist, stack, and survive cache eviction.
"""

from __future__ import annotations

import json
import random
import threading
from bisect import bisect_left, bisect_right
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from operator import neg
from typing import Any

from outlay.testing.cursor_fake import catalog
from outlay.testing.cursor_fake.clock import (
    DAY_MS,
    BillingCycle,
    day_of_ms,
    day_start_ms,
    day_text,
    wall_clock_ms,
)
from outlay.testing.cursor_fake.columns import Day
from outlay.testing.cursor_fake.generate import World, generate_day
from outlay.testing.cursor_fake.membership import MemberChange, apply_changes
from outlay.testing.cursor_fake.money import micro_to_decimal
from outlay.testing.cursor_fake.people import Identity, build_people
from outlay.testing.cursor_fake.pricing import Revision, model_infos

PLANS = ("enterprise", "teams")
TRUTH_KEYS = ("model", "userEmail", "kind", "day")


@dataclass(frozen=True)
class TeamSpec:
    """``users`` members with ``days`` of history before today and about ``events_per_user_day``
    events per member per day (a weekly average). ``plan`` ("enterprise" or "teams") is recorded
    only: the four read routes answer the same on both, as integrations report.

    Disagreement knobs (for reconciliation and completeness tests; all default to a consistent
    team): ``spend_skew`` adds cents to a member's ``/teams/spend`` (``overallSpendCents`` and
    ``spendCents``) beyond what their events sum to; ``spend_hidden`` leaves members out of
    ``/teams/spend`` although they have events; ``dropped_days`` are UTC days whose usage events
    the events route never returns, while daily usage and spend still count them.

    ``spikes`` plant cost spikes for anomaly detection: each ``Spike`` multiplies the tokens
    (so the cost) of one member's events on one model on one UTC day by ``factor``. Only those
    events change: every other event is byte-identical to the same team without spikes."""

    seed: int = 7
    users: int = 25
    days: int = 90
    events_per_user_day: float = 12.0
    plan: str = "enterprise"
    spend_skew: Mapping[str, Decimal | str | int] = field(default_factory=dict)
    spend_hidden: tuple[str, ...] = ()
    dropped_days: tuple[date, ...] = ()
    spikes: tuple[Spike, ...] = ()


@dataclass(frozen=True)
class Spike:
    """``email``'s events on ``model`` on UTC ``day`` cost ``factor`` times as much."""

    email: str
    model: str
    day: date
    factor: int


@dataclass(frozen=True, slots=True)
class Slice:
    """Events ``day.blobs[lo:hi]`` (newest first) of one day, inside a requested window."""

    day: Day
    lo: int
    hi: int

    def __len__(self) -> int:
        return self.hi - self.lo


class FakeTeam:
    def __init__(
        self,
        spec: TeamSpec | None = None,
        now_ms: Callable[[], int] = wall_clock_ms,
        *,
        cache_days: int = 400,
    ) -> None:
        spec = spec or TeamSpec()
        _check_spec(spec)
        self.spec = spec
        self.now_ms = now_ms
        self.start_day = day_of_ms(now_ms()) - spec.days
        self.start_ms = day_start_ms(self.start_day)
        cycle_rng = random.Random(f"outlay-fake:{spec.seed}:cycle")
        cycle = BillingCycle(cycle_rng.randint(1, 28), cycle_rng.randrange(86_400))
        identities, automations = build_people(
            spec.seed, spec.users, self.start_day + spec.days, spec.days
        )
        self.world = World(
            seed=spec.seed,
            users=spec.users,
            events_per_user_day=spec.events_per_user_day,
            identities=identities,
            automations=automations,
            models=model_infos(),
            cycle=cycle,
        )
        self.world = replace(self.world, spikes=_spikes(spec.spikes, self.world))
        self._cache_days = max(1, cache_days)
        self._cache: OrderedDict[int, Day] = OrderedDict()
        self._revisions: list[Revision] = []
        self._member_changes: list[MemberChange] = []
        self._lock = threading.RLock()
        #: Ordinals of the days the events route drops (``TeamSpec.dropped_days``).
        self.dropped = frozenset(d.toordinal() for d in spec.dropped_days)
        #: Extra micro-cents per lower-cased email in /teams/spend (``TeamSpec.spend_skew``).
        self.spend_skew_micro = {
            email.lower(): int(_cents(cents).scaleb(6)) for email, cents in spec.spend_skew.items()
        }
        self.spend_hidden = frozenset(email.lower() for email in spec.spend_hidden)

    # --- who -------------------------------------------------------------------------------

    @property
    def identities(self) -> tuple[Identity, ...]:
        """Members first (in /teams/members order), then service accounts."""
        return self.world.identities

    @property
    def cycle(self) -> BillingCycle:
        return self.world.cycle

    def members(self) -> list[dict[str, Any]]:
        """``teamMembers`` as /teams/members returns them (removed members included)."""
        listed = [
            {
                "id": ident.user_id,
                "name": ident.name,
                "email": ident.email,
                "role": ident.role,
                "isRemoved": ident.is_removed,
            }
            for ident in self.world.identities
            if ident.is_human
        ]
        today = date.fromordinal(day_of_ms(self.now_ms()))
        return apply_changes(listed, self._member_changes, today)

    def add_member(self, email: str, on: date, name: str | None = None) -> None:
        """Knob: ``email`` joins the team on UTC day ``on`` (listed from then on)."""
        self._member_changes.append(MemberChange(on, email, True, name))

    def remove_member(self, email: str, on: date) -> None:
        """Knob: ``email`` leaves the team on UTC day ``on`` (listed as removed from then on)."""
        self._member_changes.append(MemberChange(on, email, False))

    # --- events ----------------------------------------------------------------------------

    def day(self, day: int) -> Day:
        """The generated (revised) events of UTC day ``day`` (an ordinal), cached."""
        with self._lock:
            cached = self._cache.get(day)
            if cached is not None:
                self._cache.move_to_end(day)
                return cached
            if day < self.start_day:
                return Day(day)
            generated = generate_day(self.world, day, self._revisions)
            self._cache[day] = generated
            while len(self._cache) > self._cache_days:
                self._cache.popitem(last=False)
            return generated

    def slices(self, start_ms: int, end_ms: int) -> list[Slice]:
        """Visible events with start_ms ≤ timestamp ≤ end_ms, newest first, as per-day slices."""
        end_ms = min(end_ms, self.now_ms())
        start_ms = max(start_ms, self.start_ms)
        out: list[Slice] = []
        if end_ms < start_ms:
            return out
        for d in range(day_of_ms(end_ms), day_of_ms(start_ms) - 1, -1):
            day = self.day(d)
            lo = bisect_left(day.ts, -end_ms, key=neg)
            hi = bisect_right(day.ts, -start_ms, key=neg)
            if hi > lo:
                out.append(Slice(day, lo, hi))
        return out

    def events(self, start_ms: int, end_ms: int) -> list[dict[str, Any]]:
        """The events the API returns for this inclusive window, newest first, parsed as a
        client would (``parse_float=Decimal``: cents are Decimal, or int when whole)."""
        return [
            json.loads(blob, parse_float=Decimal)
            for part in self.slices(start_ms, end_ms)
            for blob in part.day.blobs[part.lo : part.hi]
        ]

    # --- late cost adjustments -------------------------------------------------------------

    def revise(self, since_ms: int, factor: Decimal | str | int) -> int:
        """Scale the cost of every visible event with timestamp ≥ since_ms by ``factor``.

        ``totalCents`` and ``cursorTokenFee`` are scaled and re-rounded to 6 decimals, and
        ``chargedCents`` is recomputed from them, so the charged identity keeps holding
        (request-based events scale ``chargedCents`` directly). Revisions stack. Returns how
        many events' ``chargedCents`` changed.
        """
        factor = _factor(factor)
        with self._lock:
            until = self.now_ms()
            if since_ms > until:
                return 0
            days = range(max(day_of_ms(since_ms), self.start_day), day_of_ms(until) + 1)
            before = {d: self.day(d).charged for d in days}
            self._revisions.append(Revision(since_ms, until, factor))
            changed = 0
            for d in days:
                self._cache.pop(d, None)
                after = self.day(d).charged
                changed += sum(1 for old, new in zip(before[d], after, strict=True) if old != new)
            return changed

    # --- truth helpers for tests -----------------------------------------------------------

    def charged_cents_by(self, key: str, start_ms: int, end_ms: int) -> dict[str, Decimal]:
        """Σ chargedCents of the visible events in the window, grouped by ``key``: one of
        ``model``, ``userEmail``, ``kind`` or ``day`` (UTC ``YYYY-MM-DD``)."""
        if key not in TRUTH_KEYS:
            raise ValueError(f"key must be one of {', '.join(TRUTH_KEYS)}, not {key!r}")
        names: list[str]
        sums: defaultdict[str, int] = defaultdict(int)
        for part in self.slices(start_ms, end_ms):
            day, lo, hi = part.day, part.lo, part.hi
            if key == "day":
                sums[day_text(day.day)] += sum(day.charged[lo:hi])
                continue
            if key == "model":
                column, names = day.model, [m.name for m in self.world.models]
            elif key == "kind":
                column, names = day.kind, list(catalog.KINDS)
            else:
                column, names = day.identity, [i.email for i in self.world.identities]
            for index, cents in zip(column[lo:hi], day.charged[lo:hi], strict=True):
                sums[names[index]] += cents
        return {name: micro_to_decimal(micro) for name, micro in sums.items()}

    def busiest(self, day: date) -> tuple[str, str]:
        """The (email, model) with the most visible events on UTC ``day`` (of equal counts, the
        greatest pair): where a planted ``Spike`` stands out most."""
        start = day_start_ms(day.toordinal())
        pairs = Counter(
            (str(e["userEmail"]), str(e["model"]))
            for e in self.events(start, start + DAY_MS - 1)
            if e.get("userEmail")
        )
        return max(pairs, key=lambda k: (pairs[k], k))

    def total_charged_cents(self, start_ms: int, end_ms: int) -> Decimal:
        micro = sum(sum(p.day.charged[p.lo : p.hi]) for p in self.slices(start_ms, end_ms))
        return micro_to_decimal(micro)


def _check_spec(spec: TeamSpec) -> None:
    if spec.users < 1:
        raise ValueError(f"users must be at least 1, not {spec.users}")
    if spec.days < 0:
        raise ValueError(f"days must not be negative, not {spec.days}")
    if spec.events_per_user_day < 0:
        raise ValueError(
            f"events_per_user_day must not be negative, not {spec.events_per_user_day}"
        )
    if spec.plan not in PLANS:
        raise ValueError(f"plan must be one of {', '.join(PLANS)}, not {spec.plan!r}")


def _spikes(spikes: tuple[Spike, ...], world: World) -> dict[tuple[int, int, int], int]:
    """``TeamSpec.spikes`` by (identity index, model index, day ordinal)."""
    people = {ident.email.lower(): ident.index for ident in world.identities}
    models = {info.name: index for index, info in enumerate(world.models)}
    out = {}
    for spike in spikes:
        if spike.email.lower() not in people:
            raise ValueError(f"spike: no member {spike.email!r} in the team")
        if spike.model not in models:
            raise ValueError(f"spike: unknown model {spike.model!r}; use one of {sorted(models)}")
        if isinstance(spike.factor, bool) or not isinstance(spike.factor, int) or spike.factor < 1:
            raise ValueError(f"spike factor must be a whole number ≥ 1, not {spike.factor!r}")
        out[(people[spike.email.lower()], models[spike.model], spike.day.toordinal())] = (
            spike.factor
        )
    return out


def _cents(value: Decimal | str | int) -> Decimal:
    try:
        cents = Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValueError(f"spend_skew cents must be decimal numbers, not {value!r}") from exc
    if not cents.is_finite() or cents != cents.quantize(Decimal("0.000001")):
        raise ValueError(f"spend_skew cents must be finite with at most 6 decimals, not {value!r}")
    return cents


def _factor(value: Decimal | str | int) -> Decimal:
    try:
        factor = Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValueError(f"factor must be a decimal number, not {value!r}") from exc
    if not factor.is_finite() or factor < 0:
        raise ValueError(f"factor must be a finite number ≥ 0, not {value!r}")
    return factor
