"""``POST /teams/filtered-usage-events`` (§5.3): pages of pre-serialised events.

Without filters a page is a slice of the cached days' JSON bytes, joined: no parsing, no dumps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from outlay.testing.cursor_fake import catalog
from outlay.testing.cursor_fake.clock import DAY_MS
from outlay.testing.cursor_fake.columns import AUTOMATION, CLOUD_AGENT, Day
from outlay.testing.cursor_fake.responses import ApiError, FakeResponse, raw_json_response
from outlay.testing.cursor_fake.team import FakeTeam
from outlay.testing.cursor_fake.validate import (
    check_window,
    integer,
    num_pages,
    page_params,
    string,
)

DEFAULT_PAGE_SIZE = 100
DEFAULT_WINDOW_MS = 30 * DAY_MS

Predicate = Callable[[Day, int], bool]


def filtered_usage_events(
    team: FakeTeam, body: dict[str, Any], *, string_dates_500: bool
) -> FakeResponse:
    string_status = 500 if string_dates_500 else 400
    start = integer(body, "startDate", string_status=string_status)
    end = integer(body, "endDate", string_status=string_status)
    if end is None:
        end = team.now_ms() if start is None else start + DEFAULT_WINDOW_MS
    if start is None:
        start = end - DEFAULT_WINDOW_MS
    check_window(start, end)
    page, size = page_params(body, DEFAULT_PAGE_SIZE)
    predicate = _predicate(team, body)

    blobs: list[bytes] = []
    offset, total = (page - 1) * size, 0
    for part in team.slices(start, end):
        if part.day.day in team.dropped:
            continue  # a day lost upstream: daily usage and spend still count it
        positions = _matching(part.day, part.lo, part.hi, predicate)
        count = len(positions) if positions is not None else part.hi - part.lo
        first, last = max(offset - total, 0), min(offset + size - total, count)
        if first < last:
            if positions is None:
                blobs.extend(part.day.blobs[part.lo + first : part.lo + last])
            else:
                blobs.extend(part.day.blobs[p] for p in positions[first:last])
        total += count

    pages = num_pages(total, size)
    head = (
        f'{{"totalUsageEventsCount":{total},"pagination":{{"numPages":{pages}'
        f',"currentPage":{page},"pageSize":{size},"hasNextPage":{_b(page < pages)}'
        f',"hasPreviousPage":{_b(page > 1)}}},"usageEvents":['
    )
    tail = f'],"period":{{"startDate":{start},"endDate":{end}}}}}'
    return raw_json_response(b"".join((head.encode(), b",".join(blobs), tail.encode())))


def _b(flag: bool) -> str:
    return "true" if flag else "false"


def _matching(day: Day, lo: int, hi: int, predicate: Predicate | None) -> list[int] | None:
    if predicate is None:
        return None
    return [p for p in range(lo, hi) if predicate(day, p)]


def _predicate(team: FakeTeam, body: dict[str, Any]) -> Predicate | None:
    """AND of the request's filters, or None when there are none (the fast path)."""
    checks = list(_checks(team, body))
    if not checks:
        return None
    return lambda day, p: all(check(day, p) for check in checks)


def _checks(team: FakeTeam, body: dict[str, Any]) -> Iterator[Predicate]:
    email = string(body, "email")
    if email is not None:
        wanted = {i.index for i in team.identities if i.email.lower() == email.lower()}
        yield lambda day, p: day.identity[p] in wanted
    user_id = body.get("userId")
    if user_id is not None:
        if isinstance(user_id, bool) or not isinstance(user_id, int | str):
            raise ApiError(400, "userId must be a number or a string")
        # Numeric ids (the stale documented type) match nobody: members have user_… ids.
        ids = {i.index for i in team.identities if i.user_id == str(user_id)}
        yield lambda day, p: day.identity[p] in ids
    service_account = string(body, "serviceAccountId")
    if service_account is not None:
        yield lambda day, p: _tag(day, p, 0) == service_account
    cloud_agent = string(body, "cloudAgentId")
    if cloud_agent == "*":
        yield lambda day, p: bool(day.flags[p] & (CLOUD_AGENT | AUTOMATION))
    elif cloud_agent is not None:
        yield lambda day, p: _tag(day, p, 1) == cloud_agent
    automation = string(body, "automationId")
    if automation == "*":
        yield lambda day, p: bool(day.flags[p] & AUTOMATION)
    elif automation is not None:
        yield lambda day, p: _tag(day, p, 2) == automation
    hosting = body.get("hostingType")
    if hosting is not None:
        if hosting not in catalog.VALID_HOSTING_TYPES:
            allowed = ", ".join(sorted(catalog.VALID_HOSTING_TYPES))
            raise ApiError(400, f"hostingType must be one of {allowed}")
        yield lambda day, p: _hosted(_tag(day, p, 3), hosting)


def _tag(day: Day, position: int, field: int) -> str | None:
    tags = day.tags.get(position)
    if tags is None:
        return None
    return (tags.service_account_id, tags.cloud_agent_id, tags.automation_id, tags.hosting_type)[
        field
    ]


def _hosted(actual: str | None, wanted: str) -> bool:
    if actual is None:
        return False
    return actual.startswith("SELF_HOSTED") if wanted == "SELF_HOSTED" else actual == wanted
