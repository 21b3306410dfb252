"""The fake's disagreement knobs, at the API: each makes exactly its one route disagree."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from outlay.testing.cursor_fake.api import DEFAULT_KEY, FakeCursorAPI
from outlay.testing.cursor_fake.clock import DAY_MS, day_start_ms
from outlay.testing.cursor_fake.team import FakeTeam, TeamSpec

NOW = int(datetime(2026, 11, 20, 15, 30, tzinfo=UTC).timestamp() * 1000)
DROPPED = date(2026, 11, 12)
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{DEFAULT_KEY}:".encode()).decode()}


def post(team: FakeTeam, path: str, body: dict[str, Any]) -> Any:
    response = FakeCursorAPI(team, rate_limit=False).handle(
        "POST", path, AUTH, json.dumps(body).encode()
    )
    assert response.status == 200, response.body
    return json.loads(response.body, parse_float=Decimal)


def spend_rows(team: FakeTeam) -> dict[str, Any]:
    body = post(team, "/teams/spend", {"pageSize": 1000})
    return {r["email"]: r for r in body["teamMemberSpend"]}


def test_spend_skew_and_hidden_members_change_only_spend() -> None:
    plain = FakeTeam(TeamSpec(users=8, days=40), lambda: NOW)
    first, second = (m["email"] for m in plain.members()[:2])
    knobs = TeamSpec(users=8, days=40, spend_skew={first: "12.5"}, spend_hidden=(second,))
    skewed = FakeTeam(knobs, lambda: NOW)
    before, after = spend_rows(plain), spend_rows(skewed)
    assert second not in after and set(after) == set(before) - {second}
    for key in ("overallSpendCents", "spendCents"):
        assert after[first][key] == before[first][key] + Decimal("12.5")
    assert after[first]["includedSpendCents"] == before[first]["includedSpendCents"]
    assert skewed.events(0, NOW) == plain.events(0, NOW)


def test_a_dropped_day_loses_its_events_but_daily_usage_still_shows_it() -> None:
    team = FakeTeam(TeamSpec(users=8, days=40, dropped_days=(DROPPED,)), lambda: NOW)
    start = day_start_ms(DROPPED.toordinal())
    window = {"startDate": start, "endDate": start + DAY_MS - 1}
    events = post(team, "/teams/filtered-usage-events", {**window, "pageSize": 1000})
    assert events["usageEvents"] == [] and events["totalUsageEventsCount"] == 0
    daily = post(team, "/teams/daily-usage-data", window)["data"]
    assert sum(r["usageBasedReqs"] + r["subscriptionIncludedReqs"] for r in daily) > 0
    around = {"startDate": start - DAY_MS, "endDate": start - 1, "pageSize": 1000}
    assert post(team, "/teams/filtered-usage-events", around)["usageEvents"] != []


@pytest.mark.parametrize("cents", ["lots", "0.0000001", "NaN"])
def test_a_bad_skew_is_refused(cents: str) -> None:
    with pytest.raises(ValueError, match="spend_skew cents must be"):
        FakeTeam(TeamSpec(users=2, days=1, spend_skew={"a@x.io": cents}), lambda: NOW)
