"""``POST /teams/spend`` (§5.2): current-cycle spend per identity, summed from the events.

Σ ``overallSpendCents`` equals Σ event ``chargedCents`` since ``subscriptionCycleStart`` (up to
now); ``spendCents`` is the on-demand part (``isChargeable`` events); ``includedSpendCents`` the
rest. Service accounts get rows too (their usage is the team's money), so totals reconcile,
unless the team's disagreement knobs (``TeamSpec.spend_skew``, ``spend_hidden``) say otherwise.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from outlay.testing.cursor_fake import catalog
from outlay.testing.cursor_fake.money import micro_to_decimal
from outlay.testing.cursor_fake.people import Identity
from outlay.testing.cursor_fake.responses import ApiError, FakeResponse, json_response
from outlay.testing.cursor_fake.team import FakeTeam
from outlay.testing.cursor_fake.validate import num_pages, page_params, string

DEFAULT_PAGE_SIZE = 100
TEAM_DEFAULT_LIMIT_DOLLARS = 500  # the team-wide per-user limit when nobody overrides it
_USAGE = catalog.KIND_INDEX[catalog.USAGE_KIND]
_SORTS = ("amount", "date", "user")


def team_spend(team: FakeTeam, body: dict[str, Any]) -> FakeResponse:
    search = string(body, "searchTerm")
    sort_by = string(body, "sortBy") or "date"
    direction = string(body, "sortDirection") or "desc"
    if sort_by not in _SORTS:
        raise ApiError(400, f"sortBy must be one of {', '.join(_SORTS)}")
    if direction not in ("asc", "desc"):
        raise ApiError(400, "sortDirection must be asc or desc")
    page, size = page_params(body, DEFAULT_PAGE_SIZE)

    now = team.now_ms()
    cycle_start = team.cycle.start_ms(now)
    overall, on_demand, premium = _cycle_sums(team, cycle_start, now)
    people = [p for p in team.identities if p.email.lower() not in team.spend_hidden]
    for person in people:
        skew = team.spend_skew_micro.get(person.email.lower(), 0)
        overall[person.index] += skew
        on_demand[person.index] += skew
    if search:
        needle = search.lower()
        people = [p for p in people if needle in p.name.lower() or needle in p.email.lower()]
    if sort_by == "amount":
        people.sort(key=lambda p: (on_demand[p.index], p.index))
    elif sort_by == "user":
        people.sort(key=lambda p: (p.name.lower(), p.email))
    if direction == "desc":
        people.reverse()  # "date" is seat order, newest seat first by default

    rows = [
        _row(p, overall[p.index], on_demand[p.index], premium[p.index])
        for p in people[(page - 1) * size : page * size]
    ]
    return json_response(
        {
            "teamMemberSpend": rows,
            "subscriptionCycleStart": cycle_start,
            "totalMembers": len(people),
            "totalPages": num_pages(len(people), size),
        }
    )


def _cycle_sums(
    team: FakeTeam, cycle_start: int, now: int
) -> tuple[defaultdict[int, int], defaultdict[int, int], defaultdict[int, int]]:
    """Micro-cents charged overall and on demand, and on-demand event counts, per identity."""
    overall: defaultdict[int, int] = defaultdict(int)
    on_demand: defaultdict[int, int] = defaultdict(int)
    premium: defaultdict[int, int] = defaultdict(int)
    for part in team.slices(cycle_start, now):
        day, lo, hi = part.day, part.lo, part.hi
        for ident, kind, cents in zip(
            day.identity[lo:hi], day.kind[lo:hi], day.charged[lo:hi], strict=True
        ):
            overall[ident] += cents
            if kind == _USAGE:
                on_demand[ident] += cents
                premium[ident] += 1
    return overall, on_demand, premium


def _row(person: Identity, overall: int, on_demand: int, premium: int) -> dict[str, Any]:
    override = person.hard_limit_override_dollars
    monthly = person.monthly_limit_dollars
    effective = override or (monthly if monthly is not None else TEAM_DEFAULT_LIMIT_DOLLARS)
    picture = None
    if person.has_picture:
        picture = f"https://avatars.acme.example/{person.user_id}.png"
    return {
        "userId": person.user_id,
        "spendCents": micro_to_decimal(on_demand),
        "overallSpendCents": micro_to_decimal(overall),
        "fastPremiumRequests": premium,
        "name": person.name,
        "email": person.email,
        "role": person.role,
        "hardLimitOverrideDollars": override,
        "monthlyLimitDollars": monthly,
        "effectivePerUserLimitDollars": effective,
        "includedSpendCents": micro_to_decimal(overall - on_demand),
        "profilePictureUrl": picture,
    }
