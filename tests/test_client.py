"""The Cursor client against the fake Cursor API, through a real httpx client."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from outlay.errors import (
    AuthError,
    PayloadError,
    RateLimitedError,
    RouteRefusedError,
    UnavailableError,
)
from outlay.ingest.windows import DAY_MS
from outlay.providers.cursor.client import EventWindow
from outlay.providers.cursor.models import EventsPage
from outlay.providers.cursor.policy import RateLimits, RetryPolicy
from outlay.testing.cursor_fake.api import Fault
from outlay.testing.cursor_fake.team import TeamSpec
from tests.fakes import NOW_MS, fake_cursor

LAST_30_DAYS = EventWindow(NOW_MS - 30 * DAY_MS + 1, NOW_MS)


def stamps(events: list[dict[str, object]]) -> Counter[int]:
    return Counter(int(str(e["timestamp"])) for e in events)


def test_pages_through_a_window_to_exactly_the_fakes_events() -> None:
    fake = fake_cursor()
    pages = list(fake.client().iter_event_pages(LAST_30_DAYS))
    expected = fake.team.events(LAST_30_DAYS.start_ms, LAST_30_DAYS.end_ms)
    assert len(pages) == -(-len(expected) // 1000) > 1
    got = Counter(e["timestamp"] for page in pages for e in page.usageEvents)
    assert got == stamps(expected)
    requests = [r for r in fake.api.log if r.route_group == "events"]
    assert len(requests) == len(pages)


def test_members_keep_removed_ones_and_text_ids() -> None:
    fake = fake_cursor()
    members = fake.client().members()
    assert len(members) == len(fake.team.members())
    assert members and all(m.id and m.id.startswith("user_") for m in members)


def test_spend_reconciles_with_the_events_of_the_cycle() -> None:
    fake = fake_cursor()
    cycle_start, rows = fake.client().spend()
    assert cycle_start is not None
    overall = sum((r.overallSpendCents or Decimal(0) for r in rows), Decimal(0))
    assert overall == fake.team.total_charged_cents(cycle_start, NOW_MS)


def test_daily_usage_pages_through_every_member_day_with_the_fakes_counts() -> None:
    fake = fake_cursor()
    first_day_ms = (NOW_MS // DAY_MS - 9) * DAY_MS
    rows = fake.client().daily_usage(EventWindow(first_day_ms, NOW_MS), page_size=3)
    members = {m["email"] for m in fake.team.members() if not m["isRemoved"]}
    pages = [r for r in fake.api.log if r.path == "/teams/daily-usage-data"]
    assert len(pages) >= 3  # more members than one page of three holds
    days = {r.day for r in rows}
    assert len(days) == 10
    assert len({(r.email, r.day) for r in rows}) == len(rows)
    assert members and members <= {r.email for r in rows}
    usage_based = Counter(
        (
            str(e["userEmail"]),
            datetime.fromtimestamp(int(str(e["timestamp"])) / 1000, UTC).date().isoformat(),
        )
        for e in fake.team.events(first_day_ms, NOW_MS)
        if e["kind"] == "Usage-based"
    )
    assert usage_based
    assert {(r.email, r.day): r.usageBasedReqs for r in rows if r.usageBasedReqs} == usage_based


def test_pacing_keeps_every_route_group_under_the_fakes_minute_buckets() -> None:
    fake = fake_cursor()
    client = fake.client()
    for _ in range(45):
        client.members()
    assert len(fake.api.log) >= 45 and all(r.status == 200 for r in fake.api.log)
    assert sum(fake.clock.slept) >= 2 * 60  # 45 calls at 20/min need two waits


def test_without_pacing_the_fake_rate_limits_and_the_client_waits_it_out() -> None:
    fake = fake_cursor()
    client = fake.client(limits=None, retry=RetryPolicy(rate_limit_delay_s=60))
    for _ in range(25):
        client.members()
    statuses = Counter(r.status for r in fake.api.log)
    assert statuses[429] >= 1 and statuses[200] == 25
    assert any(s >= 60 for s in fake.clock.slept)


def test_429_with_retry_after_waits_exactly_that_long() -> None:
    fake = fake_cursor()
    fake.api.inject(Fault.status(429, retry_after=7))
    fake.client().members()
    assert fake.clock.slept == [7.0]


def test_429_without_retry_after_backs_off_about_a_minute() -> None:
    fake = fake_cursor()
    fake.api.inject(Fault.status(429))
    fake.client().members()
    assert len(fake.clock.slept) == 1 and 60 <= fake.clock.slept[0] <= 66


def test_5xx_is_retried_with_growing_backoff_then_fails_clearly() -> None:
    fake = fake_cursor()
    fake.api.inject(*[Fault.status(503)] * 6)
    with pytest.raises(
        UnavailableError, match=r"failed with 503 after 6 tries .*next sync retries"
    ):
        fake.client(retry=RetryPolicy(max_attempts=6, base_delay_s=1, max_delay_s=30)).members()
    assert len(fake.clock.slept) == 5
    assert fake.clock.slept[-1] > fake.clock.slept[0]


def test_a_transient_5xx_then_success_returns_the_data() -> None:
    fake = fake_cursor()
    fake.api.inject(Fault.status(500), Fault.status(502))
    assert fake.client().members()


def test_rate_limit_that_never_lifts_is_a_clear_error() -> None:
    fake = fake_cursor()
    fake.api.inject(*[Fault.status(429, retry_after=1)] * 3)
    with pytest.raises(RateLimitedError, match="kept rate-limiting after 3 tries"):
        fake.client(retry=RetryPolicy(max_attempts=3)).members()


def test_dropped_connections_are_retried() -> None:
    fake = fake_cursor()
    fake.api.inject(Fault.disconnect())
    assert fake.client().members()
    assert len(fake.clock.slept) == 1


def test_garbage_body_is_a_payload_error_naming_the_route() -> None:
    fake = fake_cursor()
    fake.api.inject(Fault.garbage())
    with pytest.raises(PayloadError, match=r"GET /teams/members .* malformed response, not JSON"):
        fake.client().members()


def test_wrong_shape_is_a_payload_error_naming_the_field() -> None:
    fake = fake_cursor()
    fake.api.inject(Fault.malformed())
    with pytest.raises(PayloadError, match=r"filtered-usage-events .* field usageEvents"):
        list(fake.client().iter_event_pages(LAST_30_DAYS))


def test_allowlist_refuses_mutating_routes_before_sending_anything() -> None:
    fake = fake_cursor()
    client = fake.client()
    for route in [("POST", "/teams/remove-member"), ("POST", "/teams/user-spend-limit"),
                  ("GET", "/teams/filtered-usage-events"), ("POST", "/v1/agents")]:  # fmt: skip
        with pytest.raises(RouteRefusedError, match="not a read-only Cursor route"):
            client._send(route, {"email": "a@b.c"})
    assert fake.api.log == []


def test_a_refused_key_is_an_auth_error_that_shows_only_the_masked_key() -> None:
    fake = fake_cursor()
    key = "crsr_" + "s3cr3t" * 10 + "9f3a"
    with pytest.raises(AuthError) as caught:
        fake.client(key=key).members()
    message = str(caught.value)
    assert "crsr_…9f3a" in message and "s3cr3t" not in message
    assert "401" in message and "admin:*" in message


def test_windows_longer_than_30_days_are_refused_locally() -> None:
    fake = fake_cursor()
    with pytest.raises(ValueError, match="longer than 30 days"):
        list(fake.client().iter_event_pages(EventWindow(0, 30 * DAY_MS)))
    assert fake.api.log == []


def test_a_window_that_shifts_while_paging_is_read_again_whole() -> None:
    fake = fake_cursor(TeamSpec(users=30, days=5, events_per_user_day=40))
    window = EventWindow(NOW_MS - 2 * DAY_MS, NOW_MS + DAY_MS)

    class Collect:
        """Keeps the pages of the latest walk; new events appear after the very first page."""

        def __init__(self) -> None:
            self.pages: list[EventsPage] = []
            self.walks = 0

        def restart(self) -> None:
            self.pages, self.walks = [], self.walks + 1

        def add(self, page: EventsPage) -> None:
            if self.walks == 1 and not self.pages:
                fake.clock.ms += 3_600_000
            self.pages.append(page)

    sink = Collect()
    fake.client().read_event_window(window, sink)
    assert sink.walks == 2
    got = Counter(e["timestamp"] for page in sink.pages for e in page.usageEvents)
    assert got == stamps(fake.team.events(window.start_ms, window.end_ms))
    assert len(got) > len(stamps(fake.team.events(window.start_ms, NOW_MS)))


def test_first_page_400_retries_with_the_smaller_page_size() -> None:
    fake = fake_cursor()

    def old_server(request: httpx.Request) -> httpx.Response | None:
        if b'"pageSize": 1000' in request.content:
            return httpx.Response(
                400, json={"error": "Bad Request", "message": "pageSize too large"}
            )
        return None

    client = fake.client(http=fake.http(old_server), limits=RateLimits())
    pages = list(client.iter_event_pages(LAST_30_DAYS))
    assert {p.pagination.pageSize for p in pages if p.pagination} == {100}
    assert sum(len(p.usageEvents) for p in pages) == len(
        fake.team.events(LAST_30_DAYS.start_ms, LAST_30_DAYS.end_ms)
    )
