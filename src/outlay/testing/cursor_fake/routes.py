"""Which (method, path) is which: the four served reads, and the writes a read-only tool must
never call (§3), which the fake refuses and records."""

from __future__ import annotations

import re
from typing import Literal

from outlay.testing.cursor_fake.faults import RouteGroup

Route = Literal["members", "events", "daily", "spend"]

READ_ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/teams/members"): "members",
    ("POST", "/teams/filtered-usage-events"): "events",
    ("POST", "/teams/daily-usage-data"): "daily",
    ("POST", "/teams/spend"): "spend",
}

# Per-minute limits of the route groups (§2.6, 2026 values).
RATE_LIMITS: dict[RouteGroup, int] = {"events": 60, "other": 20}

_WRITES = "POST|PUT|PATCH|DELETE"
_MUTATING: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (methods, re.compile(path))
    for methods, path in (
        ("POST", r"/teams/user-spend-limit"),
        ("POST", r"/teams/remove-member"),
        ("POST", r"/settings/repo-blocklists/repos/upsert"),
        ("DELETE", r"/settings/repo-blocklists/repos/[^/]+"),
        ("POST", r"/teams/groups"),
        ("PATCH|DELETE", r"/teams/groups/[^/]+"),
        ("POST|DELETE", r"/teams/groups/[^/]+/members"),
        ("PUT", r"/teams/model-access/configuration"),
        ("PUT", r"/teams/model-access/providers/[^/]+(/models/[^/]+)?"),
        (_WRITES, r"/grok-bot/.+"),
        ("POST", r"/organizations/team-memberships/sync"),
        (_WRITES, r"/organizations/groups(/.*)?"),
        # Cost-incurring Cloud Agents and Bugbot calls.
        ("POST", r"/v[01]/agents"),
        ("POST", r"/v0/agents/[^/]+/(followup|stop)"),
        ("POST", r"/v1/agents/[^/]+/(runs|archive|unarchive)"),
        ("POST", r"/v1/agents/[^/]+/runs/[^/]+/cancel"),
        ("DELETE", r"/v[01]/agents/[^/]+"),
        ("POST", r"/v1/sub-tokens"),
        ("POST", r"/bugbot/review"),
    )
)


def classify(method: str, path: str) -> tuple[Route | None, RouteGroup]:
    """The served read route (if any) and the route group used for limits, faults and the log."""
    route = READ_ROUTES.get((method, path))
    if route is not None:
        return route, "events" if route == "events" else "other"
    for methods, pattern in _MUTATING:
        if method in methods.split("|") and pattern.fullmatch(path):
            return None, "mutating"
    return None, "unknown"
