"""``POST /teams/daily-usage-data`` (§5.1): one row per (user, UTC day), counted from the events.

``usageBasedReqs`` and ``subscriptionIncludedReqs`` count that day's visible events of kind
``Usage-based`` and ``Included in Business``; ``agentRequests + chatRequests`` is the day's event
count. A row covers the whole UTC day (up to now), even when the window starts or ends inside it.
The editor metrics (lines, tabs, applies) are synthetic, drawn per (seed, day, user).
"""

from __future__ import annotations

import json
import random
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from operator import neg
from typing import Any

from outlay.testing.cursor_fake import catalog
from outlay.testing.cursor_fake.clock import day_of_ms, day_start_ms, day_text
from outlay.testing.cursor_fake.columns import Day
from outlay.testing.cursor_fake.people import Identity
from outlay.testing.cursor_fake.responses import (
    ApiError,
    FakeResponse,
    raw_json_response,
)
from outlay.testing.cursor_fake.team import FakeTeam
from outlay.testing.cursor_fake.validate import check_page, check_window, integer, num_pages

_USAGE = catalog.KIND_INDEX[catalog.USAGE_KIND]
_INCLUDED = catalog.KIND_INDEX[catalog.INCLUDED_KIND]
_NULL_STRINGS = ("mostUsedModel", "applyMostUsedExtension", "tabMostUsedExtension", "clientVersion")


@dataclass(frozen=True, slots=True)
class Activity:
    events: int
    usage_based: int
    included: int
    top_model: int  # index into the team's models


def daily_usage_data(team: FakeTeam, body: dict[str, Any]) -> FakeResponse:
    start = integer(body, "startDate", digit_strings=True)
    end = integer(body, "endDate", digit_strings=True)
    if start is None or end is None:
        raise ApiError(400, "startDate and endDate are required")
    check_window(start, end)
    page, size = integer(body, "page"), integer(body, "pageSize")
    paginated = page is not None and size is not None
    now = team.now_ms()
    first_day = max(day_of_ms(start), team.start_day)
    days = range(first_day, min(day_of_ms(end), day_of_ms(now)) + 1)
    activity = {d: day_activity(team, d, now) for d in days}
    payload: dict[str, Any] = {"data": [], "period": {"startDate": start, "endDate": end}}
    if not paginated:
        # Only active users (those with activity in the range), one row per active day.
        for d in days:
            people = sorted((team.identities[i] for i in activity[d]), key=_by_email)
            payload["data"].extend(_row(team, p, d, activity[d].get(p.index)) for p in people)
    else:
        assert page is not None and size is not None
        page, size = check_page(page, size)
        members = sorted(
            (i for i in team.identities if _member_during(i, day_of_ms(start))), key=_by_email
        )
        pages = num_pages(len(members), size)
        for person in members[(page - 1) * size : page * size]:
            payload["data"].extend(
                _row(team, person, d, activity[d].get(person.index)) for d in days
            )
        payload["pagination"] = {
            "page": page,
            "pageSize": size,
            "totalUsers": len(members),
            "totalPages": pages,
            "hasNextPage": page < pages,
            "hasPreviousPage": page > 1,
        }
    return raw_json_response(json.dumps(payload, separators=(",", ":")).encode())


def day_activity(team: FakeTeam, d: int, now: int) -> dict[int, Activity]:
    """Per identity index, the visible events of day ``d`` (cached on the generated day)."""
    day = team.day(d)
    visible_from = bisect_left(day.ts, -now, key=neg)
    key = ("activity", visible_from)
    cached = day.memo.get(key)
    if cached is None:
        cached = _count(day, visible_from)
        day.memo[key] = cached
    assert isinstance(cached, dict)
    return cached


def _count(day: Day, lo: int) -> dict[int, Activity]:
    events: Counter[int] = Counter()
    usage: Counter[int] = Counter()
    included: Counter[int] = Counter()
    models: dict[int, Counter[int]] = {}
    for ident, kind, model in zip(day.identity[lo:], day.kind[lo:], day.model[lo:], strict=True):
        events[ident] += 1
        if kind == _USAGE:
            usage[ident] += 1
        elif kind == _INCLUDED:
            included[ident] += 1
        models.setdefault(ident, Counter())[model] += 1
    return {
        ident: Activity(count, usage[ident], included[ident], models[ident].most_common(1)[0][0])
        for ident, count in events.items()
    }


def _member_during(ident: Identity, first_day: int) -> bool:
    return ident.removed_after_day is None or ident.removed_after_day >= first_day


def _by_email(ident: Identity) -> str:
    return ident.email


def _row(team: FakeTeam, ident: Identity, d: int, act: Activity | None) -> dict[str, Any]:
    row: dict[str, Any] = {"userId": ident.user_id, "day": day_text(d), "date": day_start_ms(d)}
    if act is None:
        row["isActive"] = False
        row.update(dict.fromkeys(_COUNTERS, 0))
        row.update(dict.fromkeys(_NULL_STRINGS))
        row["email"] = ident.email
        return row
    rng = random.Random(f"outlay-fake:{team.spec.seed}:{d}:{ident.index}:activity")
    u = [rng.random() for _ in range(6)]
    human = ident.is_human
    chat = round(act.events * 0.15 * u[0]) if human else 0
    tabs_shown = int(act.events * (3 + 20 * u[1])) if human else 0
    tabs_accepted = int(tabs_shown * (0.15 + 0.35 * u[2]))
    applies = int(act.events * (0.5 + u[3]))
    accepts = int(applies * (0.6 + 0.35 * u[4]))
    accepted_added = int(accepts * (5 + 40 * u[5]))
    accepted_deleted = accepted_added * 2 // 5
    row.update(
        {
            "isActive": True,
            "totalLinesAdded": accepted_added + tabs_accepted * 2 + int(300 * u[0] * human),
            "totalLinesDeleted": accepted_deleted + int(120 * u[1] * human),
            "acceptedLinesAdded": accepted_added,
            "acceptedLinesDeleted": accepted_deleted,
            "totalApplies": applies,
            "totalAccepts": accepts,
            "totalRejects": applies - accepts,
            "totalTabsShown": tabs_shown,
            "totalTabsAccepted": tabs_accepted,
            "composerRequests": 0,
            "chatRequests": chat,
            "agentRequests": act.events - chat,
            "cmdkUsages": int(6 * u[2]) if human else 0,
            "subscriptionIncludedReqs": act.included,
            "apiKeyReqs": 0,
            "usageBasedReqs": act.usage_based,
            "bugbotUsages": 1 if u[3] > 0.97 else 0,
            "mostUsedModel": team.world.models[act.top_model].name,
            "applyMostUsedExtension": ident.language,
            "tabMostUsedExtension": ident.language if u[4] > 0.05 else "Untitled-1",
            "clientVersion": f"{ident.client_major}.{(d // 14) % 8}.{(d + ident.index) % 40}",
            "email": ident.email,
        }
    )
    return row


_COUNTERS = (
    "totalLinesAdded",
    "totalLinesDeleted",
    "acceptedLinesAdded",
    "acceptedLinesDeleted",
    "totalApplies",
    "totalAccepts",
    "totalRejects",
    "totalTabsShown",
    "totalTabsAccepted",
    "composerRequests",
    "chatRequests",
    "agentRequests",
    "cmdkUsages",
    "subscriptionIncludedReqs",
    "apiKeyReqs",
    "usageBasedReqs",
    "bugbotUsages",
)
