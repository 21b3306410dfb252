"""The fake Cursor Admin API against the contract: routes, shapes, errors, limits and faults."""

from __future__ import annotations

import base64
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from outlay.testing.cursor_fake.api import DEFAULT_KEY, FakeCursorAPI, FakeResponse
from outlay.testing.cursor_fake.clock import DAY_MS, day_start_ms
from outlay.testing.cursor_fake.faults import FakeDisconnect, Fault
from outlay.testing.cursor_fake.team import FakeTeam, TeamSpec

NOW = int(datetime(2026, 11, 20, 15, 30, tzinfo=UTC).timestamp() * 1000)
SPEC = TeamSpec(users=12, days=40, events_per_user_day=10)
LAST_30_DAYS = {"startDate": NOW - 30 * DAY_MS + 1, "endDate": NOW}
BAD_REQUEST = "Bad Request"

DAILY_ROW_KEYS = [
    "userId", "day", "date", "isActive", "totalLinesAdded", "totalLinesDeleted",
    "acceptedLinesAdded", "acceptedLinesDeleted", "totalApplies", "totalAccepts", "totalRejects",
    "totalTabsShown", "totalTabsAccepted", "composerRequests", "chatRequests", "agentRequests",
    "cmdkUsages", "subscriptionIncludedReqs", "apiKeyReqs", "usageBasedReqs", "bugbotUsages",
    "mostUsedModel", "applyMostUsedExtension", "tabMostUsedExtension", "clientVersion", "email",
]  # fmt: skip
SPEND_ROW_KEYS = {
    "userId", "spendCents", "overallSpendCents", "fastPremiumRequests", "name", "email", "role",
    "hardLimitOverrideDollars", "monthlyLimitDollars", "effectivePerUserLimitDollars",
    "includedSpendCents", "profilePictureUrl",
}  # fmt: skip


@dataclass
class Fake:
    team: FakeTeam
    api: FakeCursorAPI
    clock: list[float] = field(default_factory=lambda: [1000.0])

    def call(
        self, method: str, path: str, body: Any = None, *, key: str | None = DEFAULT_KEY
    ) -> FakeResponse:
        headers = {}
        if key is not None:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
        raw = (
            body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
        )
        return self.api.handle(method, path, headers, raw)

    def json(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        response = self.call(method, path, body, **kw)
        assert response.status == 200, response.body
        return json.loads(response.body, parse_float=Decimal)

    def events(self, **body: Any) -> Any:
        return self.json("POST", "/teams/filtered-usage-events", {**LAST_30_DAYS, **body})


def make_fake(spec: TeamSpec = SPEC, **options: Any) -> Fake:
    clock = [1000.0]
    team = FakeTeam(spec, lambda: NOW)
    api = FakeCursorAPI(team, clock=lambda: clock[0], **options)
    return Fake(team, api, clock)


@pytest.fixture
def fake() -> Fake:
    return make_fake()


def error(response: FakeResponse) -> tuple[int, dict[str, Any]]:
    return response.status, json.loads(response.body)


# --- shapes ----------------------------------------------------------------------------------


def test_members_shape(fake: Fake) -> None:
    body = fake.json("GET", "/teams/members")
    assert list(body) == ["teamMembers"]
    assert body["teamMembers"] == fake.team.members()


def test_events_shape_pagination_and_period_echo(fake: Fake) -> None:
    body = fake.events()
    assert list(body) == ["totalUsageEventsCount", "pagination", "usageEvents", "period"]
    total = body["totalUsageEventsCount"]
    assert total == len(fake.team.events(LAST_30_DAYS["startDate"], LAST_30_DAYS["endDate"]))
    assert body["pagination"] == {
        "numPages": -(-total // 100), "currentPage": 1, "pageSize": 100,
        "hasNextPage": True, "hasPreviousPage": False,
    }  # fmt: skip
    assert len(body["usageEvents"]) == 100
    assert body["period"] == LAST_30_DAYS
    assert isinstance(body["usageEvents"][0]["timestamp"], str)


def test_events_body_is_compact_json_of_the_pre_serialised_events(fake: Fake) -> None:
    response = fake.call("POST", "/teams/filtered-usage-events", {**LAST_30_DAYS, "pageSize": 3})
    assert response.headers["content-type"].startswith("application/json")
    first = fake.team.slices(LAST_30_DAYS["startDate"], LAST_30_DAYS["endDate"])[0]
    assert b",".join(first.day.blobs[first.lo : first.lo + 3]) in response.body


def test_daily_usage_without_paging_has_active_users_only(fake: Fake) -> None:
    body = fake.json("POST", "/teams/daily-usage-data", LAST_30_DAYS)
    assert list(body) == ["data", "period"]
    assert body["period"] == LAST_30_DAYS
    rows = body["data"]
    assert rows and all(list(r) == DAILY_ROW_KEYS for r in rows)
    assert all(r["isActive"] and r["mostUsedModel"] for r in rows)
    assert all(
        r["date"] == day_start_ms(datetime.fromisoformat(r["day"]).toordinal()) for r in rows
    )
    assert len({(r["email"], r["day"]) for r in rows}) == len(rows)


def test_daily_usage_with_paging_lists_every_member_and_day(fake: Fake) -> None:
    window = {"startDate": NOW - 9 * DAY_MS, "endDate": NOW}
    body = fake.json("POST", "/teams/daily-usage-data", {**window, "page": 2, "pageSize": 5})
    assert list(body) == ["data", "period", "pagination"]
    members = body["pagination"]["totalUsers"]
    assert body["pagination"] == {
        "page": 2, "pageSize": 5, "totalUsers": members, "totalPages": -(-members // 5),
        "hasNextPage": members > 10, "hasPreviousPage": True,
    }  # fmt: skip
    assert len(body["data"]) == 5 * 10  # five users, ten days each
    idle = [r for r in body["data"] if not r["isActive"]]
    assert idle and all(r["agentRequests"] == 0 and r["mostUsedModel"] is None for r in idle)
    assert all(list(r) == DAILY_ROW_KEYS for r in body["data"])


def test_spend_shape(fake: Fake) -> None:
    body = fake.json("POST", "/teams/spend", {})
    assert list(body) == ["teamMemberSpend", "subscriptionCycleStart", "totalMembers", "totalPages"]
    rows = body["teamMemberSpend"]
    assert rows and all(set(r) == SPEND_ROW_KEYS for r in rows)
    assert body["totalMembers"] == len(fake.team.identities) and body["totalPages"] == 1
    assert all(r["userId"].startswith("user_") for r in rows)
    assert all(isinstance(r["overallSpendCents"], Decimal | int) for r in rows)
    assert body["subscriptionCycleStart"] <= NOW


def test_spend_pages_searches_and_sorts(fake: Fake) -> None:
    everyone = fake.json("POST", "/teams/spend", {"pageSize": 1000})["teamMemberSpend"]
    page = fake.json("POST", "/teams/spend", {"page": 2, "pageSize": 4})
    assert page["totalPages"] == -(-len(everyone) // 4)
    assert page["teamMemberSpend"] == everyone[4:8]
    name = everyone[0]["name"].split()[0]
    found = fake.json("POST", "/teams/spend", {"searchTerm": name.upper()})["teamMemberSpend"]
    assert found and all(name in r["name"] for r in found)
    by_amount = fake.json("POST", "/teams/spend", {"sortBy": "amount", "sortDirection": "asc"})
    amounts = [r["spendCents"] for r in by_amount["teamMemberSpend"]]
    assert amounts == sorted(amounts)


# --- consistency (§15.2) ---------------------------------------------------------------------


def test_spend_reconciles_with_the_events_of_the_cycle(fake: Fake) -> None:
    body = fake.json("POST", "/teams/spend", {"pageSize": 1000})
    start = body["subscriptionCycleStart"]
    rows = body["teamMemberSpend"]
    events = fake.team.events(start, NOW)
    assert events, "the cycle should hold usage"
    overall = sum(r["overallSpendCents"] for r in rows)
    assert (
        overall
        == sum(e["chargedCents"] for e in events)
        == fake.team.total_charged_cents(start, NOW)
    )
    assert sum(r["spendCents"] for r in rows) == sum(
        e["chargedCents"] for e in events if e["isChargeable"]
    )
    by_email = fake.team.charged_cents_by("userEmail", start, NOW)
    for row in rows:
        assert row["overallSpendCents"] == by_email.get(row["email"], 0)
        assert row["includedSpendCents"] == row["overallSpendCents"] - row["spendCents"]


def test_daily_counts_are_counts_of_events_by_kind(fake: Fake) -> None:
    start = day_start_ms(fake.team.start_day + 20)
    window = {"startDate": start, "endDate": start + 10 * DAY_MS - 1}
    rows = fake.json("POST", "/teams/daily-usage-data", window)["data"]
    events = fake.team.events(window["startDate"], window["endDate"])
    kinds = Counter(e["kind"] for e in events)
    assert sum(r["usageBasedReqs"] for r in rows) == kinds["Usage-based"]
    assert sum(r["subscriptionIncludedReqs"] for r in rows) == kinds["Included in Business"]
    per_user_day = Counter(
        (
            e["userEmail"],
            datetime.fromtimestamp(int(e["timestamp"]) / 1000, tz=UTC).date().isoformat(),
        )
        for e in events
    )
    assert {(r["email"], r["day"]): r["agentRequests"] + r["chatRequests"] for r in rows} == dict(
        per_user_day
    )


# --- pagination ------------------------------------------------------------------------------


def test_walking_the_pages_yields_the_window_exactly_once() -> None:
    fake = make_fake(rate_limit=False)
    expected = fake.team.events(LAST_30_DAYS["startDate"], LAST_30_DAYS["endDate"])
    got: list[dict[str, Any]] = []
    page = 1
    while True:
        body = fake.events(page=page, pageSize=37)
        got.extend(body["usageEvents"])
        assert body["pagination"]["hasPreviousPage"] is (page > 1)
        if not body["pagination"]["hasNextPage"]:
            assert page == body["pagination"]["numPages"]
            break
        page += 1
    assert got == expected
    assert len({e["timestamp"] for e in got}) == len(got)
    beyond = fake.events(page=page + 1, pageSize=37)
    assert beyond["usageEvents"] == [] and beyond["pagination"]["hasNextPage"] is False


def test_bounds_are_inclusive(fake: Fake) -> None:
    stamp = int(fake.events(pageSize=1)["usageEvents"][0]["timestamp"])
    exact = fake.events(startDate=stamp, endDate=stamp)
    assert [e["timestamp"] for e in exact["usageEvents"]] == [str(stamp)]
    assert fake.events(startDate=stamp + 1, endDate=stamp + 1)["totalUsageEventsCount"] == 0


def test_filters_combine_with_and(fake: Fake) -> None:
    everything = fake.team.events(LAST_30_DAYS["startDate"], LAST_30_DAYS["endDate"])
    email = everything[0]["userEmail"]
    mine = fake.events(email=email, pageSize=1000)["usageEvents"]
    assert mine == [e for e in everything if e["userEmail"] == email]
    agents = fake.events(cloudAgentId="*", pageSize=1000)["usageEvents"]
    assert agents == [e for e in everything if "cloudAgentId" in e]
    automations = fake.events(automationId="*", pageSize=1000)["usageEvents"]
    assert automations == [e for e in everything if "automationId" in e]
    one_agent = agents[0]["cloudAgentId"]
    run = fake.events(cloudAgentId=one_agent, pageSize=1000)["usageEvents"]
    assert run and all(e["cloudAgentId"] == one_agent for e in run)
    service = next(e for e in everything if str(e.get("serviceAccountId")).startswith("sa_"))
    jobs = fake.events(serviceAccountId=service["serviceAccountId"], pageSize=1000)
    assert service in jobs["usageEvents"] and all(e["isHeadless"] for e in jobs["usageEvents"])
    cloud = fake.events(hostingType="CLOUD", pageSize=1000)["usageEvents"]
    assert cloud and all("cloudAgentId" in e for e in cloud)
    both = fake.events(hostingType="CLOUD", email=email, pageSize=1000)["usageEvents"]
    assert both == [e for e in cloud if e["userEmail"] == email]
    user_id = fake.team.members()[0]["id"]
    by_id = fake.events(userId=user_id, pageSize=1000)
    assert by_id["usageEvents"] == [
        e for e in everything if e["userEmail"] == fake.team.members()[0]["email"]
    ]


# --- auth and errors -------------------------------------------------------------------------

UNAUTHORIZED = {"error": "Unauthorized", "message": "Invalid API key"}


@pytest.mark.parametrize("key", [None, "crsr_" + "0" * 64, ""])
def test_missing_or_unknown_key_is_401(fake: Fake, key: str | None) -> None:
    assert error(fake.call("GET", "/teams/members", key=key)) == (401, UNAUTHORIZED)
    assert fake.api.log[-1].status == 401


def test_bearer_and_mangled_auth_are_401(fake: Fake) -> None:
    for value in (f"Bearer {DEFAULT_KEY}", "Basic !!!not-base64", "Digest x"):
        response = fake.api.handle("GET", "/teams/members", {"authorization": value}, b"")
        assert error(response) == (401, UNAUTHORIZED)


def test_key_scopes(fake: Fake) -> None:
    fake = make_fake(keys={"k_read": "read:*", "k_models": "models:read"})
    assert fake.call("POST", "/teams/spend", {}, key="k_read").status == 200
    assert fake.call("POST", "/teams/spend", {}, key="k_models").status == 401
    assert fake.call("POST", "/teams/spend", {}, key=DEFAULT_KEY).status == 401


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/teams/filtered-usage-events", {"startDate": 0, "endDate": 31 * DAY_MS}),
        ("/teams/daily-usage-data", {"startDate": NOW - 31 * DAY_MS, "endDate": NOW}),
        ("/teams/filtered-usage-events", {**LAST_30_DAYS, "pageSize": 1001}),
        ("/teams/filtered-usage-events", {**LAST_30_DAYS, "pageSize": 0}),
        ("/teams/filtered-usage-events", {**LAST_30_DAYS, "page": 0}),
        ("/teams/filtered-usage-events", {**LAST_30_DAYS, "hostingType": "ON_PREM"}),
        ("/teams/filtered-usage-events", {"startDate": str(NOW - DAY_MS), "endDate": str(NOW)}),
        ("/teams/filtered-usage-events", {"startDate": NOW, "endDate": NOW - 1}),
        ("/teams/filtered-usage-events", b"{not json"),
        ("/teams/filtered-usage-events", b"[1, 2]"),
        ("/teams/daily-usage-data", {"startDate": NOW - DAY_MS}),
        ("/teams/daily-usage-data", {**LAST_30_DAYS, "page": 1, "pageSize": 1001}),
        ("/teams/spend", {"pageSize": 1001}),
        ("/teams/spend", {"sortBy": "size"}),
    ],
)
def test_bad_requests_get_the_generic_400(fake: Fake, path: str, body: Any) -> None:
    status, payload = error(fake.call("POST", path, body))
    assert status == 400
    assert set(payload) == {"error", "message"} and payload["error"] == BAD_REQUEST


def test_a_window_of_exactly_30_days_is_fine(fake: Fake) -> None:
    exactly = {"startDate": NOW - 30 * DAY_MS, "endDate": NOW}
    assert fake.call("POST", "/teams/filtered-usage-events", exactly).status == 200
    assert fake.call("POST", "/teams/daily-usage-data", exactly).status == 200


def test_string_dates_can_be_made_to_500_like_the_real_api() -> None:
    fake = make_fake(string_dates_500=True)
    body = {"startDate": str(NOW - DAY_MS), "endDate": str(NOW)}
    assert error(fake.call("POST", "/teams/filtered-usage-events", body)) == (
        500,
        {"error": "Internal Server Error", "message": "An unexpected error occurred"},
    )
    assert fake.call("POST", "/teams/daily-usage-data", body).status == 200  # tolerated there


def test_unknown_paths_and_methods_are_404(fake: Fake) -> None:
    for method, path in [("GET", "/teams/nope"), ("GET", "/teams/filtered-usage-events"),
                         ("GET", "/teams/audit-logs"), ("POST", "/teams/members/")]:  # fmt: skip
        assert error(fake.call(method, path)) == (
            404,
            {"error": "Not Found", "message": "Resource not found"},
        )
    assert {r.route_group for r in fake.api.log} == {"unknown"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/teams/user-spend-limit"),
        ("POST", "/teams/remove-member"),
        ("POST", "/teams/groups"),
        ("PATCH", "/teams/groups/group_abc"),
        ("DELETE", "/teams/groups/group_abc/members"),
        ("POST", "/settings/repo-blocklists/repos/upsert"),
        ("DELETE", "/settings/repo-blocklists/repos/repo_123"),
        ("PUT", "/teams/model-access/providers/anthropic/models/claude-opus-4-6"),
        ("PUT", "/grok-bot/access"),
        ("POST", "/v1/agents"),
        ("POST", "/bugbot/review"),
    ],
)
def test_writes_are_refused_and_recorded(fake: Fake, method: str, path: str) -> None:
    status, body = error(fake.call(method, path, {"userEmail": "a@acme.example"}))
    assert status == 403 and body["error"] == "Forbidden" and "read-only fake" in body["message"]
    assert [(r.method, r.path, r.status, r.route_group) for r in fake.api.refused()] == [
        (method, path, 403, "mutating")
    ]


# --- rate limits -----------------------------------------------------------------------------

TOO_MANY = {"error": "Too Many Requests", "message": "Rate limit exceeded. Please try again later."}


def test_events_allow_60_a_minute_then_429_until_the_next_minute(fake: Fake) -> None:
    fake.clock[0] = 60_000.0  # the start of a minute
    for _ in range(60):
        assert fake.call("POST", "/teams/filtered-usage-events", {"pageSize": 1}).status == 200
    limited = fake.call("POST", "/teams/filtered-usage-events", {"pageSize": 1})
    assert error(limited) == (429, TOO_MANY)
    assert "retry-after" not in limited.headers
    assert fake.call("GET", "/teams/members").status == 200  # other routes have their own bucket
    fake.clock[0] += 59.9
    assert fake.call("POST", "/teams/filtered-usage-events", {"pageSize": 1}).status == 429
    fake.clock[0] += 0.1
    assert fake.call("POST", "/teams/filtered-usage-events", {"pageSize": 1}).status == 200


def test_other_routes_share_20_a_minute(fake: Fake) -> None:
    for n in range(20):
        path = "/teams/members" if n % 2 else "/teams/spend"
        assert fake.call("GET" if n % 2 else "POST", path, None).status == 200
    assert fake.call("POST", "/teams/daily-usage-data", LAST_30_DAYS).status == 429
    assert fake.call("POST", "/teams/filtered-usage-events", {"pageSize": 1}).status == 200


def test_retry_after_only_when_configured() -> None:
    fake = make_fake(retry_after=42)
    for _ in range(21):
        response = fake.call("GET", "/teams/members")
    assert response.status == 429 and response.headers["retry-after"] == "42"


def test_rate_limits_can_be_switched_off() -> None:
    fake = make_fake(rate_limit=False)
    assert all(fake.call("GET", "/teams/members").status == 200 for _ in range(50))


# --- faults and observability ----------------------------------------------------------------


def test_faults_are_consumed_in_order_and_can_target_a_group(fake: Fake) -> None:
    fake.api.inject(Fault.status(500, group="events"), Fault.status(503, retry_after=5))
    members = fake.call("GET", "/teams/members")
    assert members.status == 503 and members.headers["retry-after"] == "5"
    assert error(members)[1]["error"] == "Service Unavailable"
    assert fake.call("GET", "/teams/members").status == 200
    assert fake.call("POST", "/teams/filtered-usage-events", {}).status == 500
    assert fake.call("POST", "/teams/filtered-usage-events", {}).status == 200
    assert fake.api.pending_faults == ()


def test_fault_bodies(fake: Fake) -> None:
    fake.api.inject(Fault.status(500, body=b"oops"), Fault.garbage(), Fault.malformed())
    assert fake.call("GET", "/teams/members").body == b"oops"
    garbage = fake.call("GET", "/teams/members")
    assert garbage.status == 200
    with pytest.raises(ValueError):
        json.loads(garbage.body)
    malformed = fake.call("POST", "/teams/filtered-usage-events", {}, key=None)  # before auth
    assert malformed.status == 200
    assert not isinstance(json.loads(malformed.body)["usageEvents"], list)


def test_a_disconnect_fault_fails_the_request_and_is_logged(fake: Fake) -> None:
    fake.api.inject(Fault.disconnect(timeout=True))
    with pytest.raises(FakeDisconnect) as caught:
        fake.call("GET", "/teams/members")
    assert caught.value.timeout
    assert fake.api.log[-1].status == 0


def test_the_log_records_every_request(fake: Fake) -> None:
    fake.clock[0] = 123.5
    fake.call("GET", "/teams/members")
    fake.call("POST", "/teams/filtered-usage-events", {"pageSize": 1})
    fake.call("POST", "/teams/remove-member", {"email": "x@acme.example"})
    assert [(r.method, r.path, r.status, r.at, r.route_group) for r in fake.api.log] == [
        ("GET", "/teams/members", 200, 123.5, "other"),
        ("POST", "/teams/filtered-usage-events", 200, 123.5, "events"),
        ("POST", "/teams/remove-member", 403, 123.5, "mutating"),
    ]
    served = json.loads(fake.call("GET", "/_fake/log").body)
    assert served[0] == {
        "method": "GET", "path": "/teams/members", "status": 200, "at": 123.5,
        "routeGroup": "other",
    }  # fmt: skip
    assert len(fake.api.log) == 3  # control routes are not logged


def test_the_revise_control_route_adjusts_late_costs(fake: Fake) -> None:
    since = NOW - DAY_MS
    before = fake.team.total_charged_cents(since, NOW)
    response = fake.call("POST", "/_fake/revise", {"sinceMs": since, "factor": "1.5"})
    assert response.status == 200 and json.loads(response.body)["changed"] > 0
    assert abs(fake.team.total_charged_cents(since, NOW) - before * Decimal("1.5")) < 1
    assert fake.call("POST", "/_fake/revise", {"sinceMs": since}).status == 400
    assert fake.call("POST", "/_fake/revise", {"sinceMs": since, "factor": "x"}).status == 400
    assert fake.call("GET", "/_fake/nothing").status == 404
