"""The synthetic team behind the fake Cursor API: determinism, realism and exact money."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from outlay.testing.cursor_fake.catalog import LIST_PRICES
from outlay.testing.cursor_fake.clock import DAY_MS, day_of_ms, day_start_ms
from outlay.testing.cursor_fake.team import FakeTeam, TeamSpec

NOW = int(datetime(2026, 11, 20, 15, 30, tzinfo=UTC).timestamp() * 1000)
SPEC = TeamSpec(users=30, days=30, events_per_user_day=15)
EVERYTHING = (0, 2**62)
MICRO = Decimal("0.000001")


@pytest.fixture(scope="module")
def team() -> FakeTeam:
    return FakeTeam(SPEC, lambda: NOW)


@pytest.fixture(scope="module")
def events(team: FakeTeam) -> list[dict[str, object]]:
    return team.events(*EVERYTHING)


def cents(value: object) -> Decimal:
    assert isinstance(value, int | Decimal), f"cents must be JSON numbers, got {value!r}"
    return Decimal(value)


def test_same_seed_same_events_and_another_seed_others(events: list[dict[str, object]]) -> None:
    assert FakeTeam(SPEC, lambda: NOW).events(*EVERYTHING) == events
    other = FakeTeam(TeamSpec(**{**SPEC.__dict__, "seed": 8}), lambda: NOW).events(*EVERYTHING)
    assert other != events
    assert {e["timestamp"] for e in other}.isdisjoint({e["timestamp"] for e in events[:100]})


def test_a_restarted_fake_serves_the_same_history() -> None:
    spec = TeamSpec(users=10, days=90)  # members are removed at most 60 days before "now"
    early = FakeTeam(spec, lambda: NOW)
    later = FakeTeam(spec, lambda: NOW + 5 * DAY_MS)
    day = day_start_ms(later.start_day + 2)
    assert early.events(day, day + DAY_MS - 1) == later.events(day, day + DAY_MS - 1) != []


def test_the_volume_matches_the_spec(team: FakeTeam, events: list[dict[str, object]]) -> None:
    expected = SPEC.users * SPEC.days * SPEC.events_per_user_day
    assert 0.85 * expected < len(events) < 1.2 * expected
    assert min(int(str(e["timestamp"])) for e in events) >= team.start_ms


def test_timestamps_are_unique_ms_strings_newest_first(events: list[dict[str, object]]) -> None:
    stamps = [e["timestamp"] for e in events]
    assert all(isinstance(s, str) and s.isdigit() for s in stamps)
    numbers = [int(str(s)) for s in stamps]
    assert len(set(numbers)) == len(numbers)
    assert numbers == sorted(numbers, reverse=True)
    assert numbers[0] <= NOW


def test_charged_cents_follow_the_contract_arithmetic_on_every_event(
    events: list[dict[str, object]],
) -> None:
    for event in events:
        charged = cents(event["chargedCents"])
        assert charged == charged.quantize(MICRO) and charged >= 0
        assert event["isChargeable"] is (event["kind"] == "Usage-based")
        assert "requestsCosts" in event
        usage = event.get("tokenUsage")
        if event["isTokenBasedCall"]:
            assert isinstance(usage, dict)
            discount = Decimal(usage.get("discountPercentOff", 0))
            fee = cents(event.get("cursorTokenFee", 0))
            expected = cents(usage["totalCents"]) * (1 - discount / 100) + fee
            assert charged == expected.quantize(MICRO)
            if "cursorTokenFee" in event:
                assert not LIST_PRICES[str(event["model"])].first_party
                tokens = sum(
                    usage[k]
                    for k in ("inputTokens", "outputTokens", "cacheWriteTokens", "cacheReadTokens")
                )
                assert fee == Decimal(tokens) * Decimal("0.000025")  # $0.25 per 1M tokens
        elif event["kind"] in ("Errored, Not Charged", "Aborted, Not Charged"):
            assert charged == 0
        else:
            assert charged == Decimal(str(event["requestsCosts"])) * 4


def test_list_cost_is_tokens_times_the_models_list_price(events: list[dict[str, object]]) -> None:
    checked = 0
    for event in events:
        usage = event.get("tokenUsage")
        if not isinstance(usage, dict) or cents(usage["totalCents"]) == 0:
            continue
        price = LIST_PRICES[str(event["model"])]
        usd = (
            usage["inputTokens"] * price.input
            + usage["outputTokens"] * price.output
            + usage["cacheWriteTokens"] * price.cache_write
            + usage["cacheReadTokens"] * price.cache_read
        ) / 1_000_000
        assert cents(usage["totalCents"]) == (usd * 100).quantize(MICRO)
        checked += 1
    assert checked > 1000


def test_cents_are_plain_json_numbers_without_float_noise(team: FakeTeam) -> None:
    day = team.day(team.start_day + 3)
    text = b"".join(day.blobs).decode()
    assert not re.search(r'"(chargedCents|totalCents|cursorTokenFee)":"', text)
    numbers = re.findall(r'"(?:chargedCents|totalCents|cursorTokenFee)":([^,}]+)', text)
    assert numbers
    for number in numbers:
        assert re.fullmatch(r"\d+(\.\d{0,5}[1-9])?", number), number


def test_the_event_mix_is_realistic(events: list[dict[str, object]]) -> None:
    kinds = Counter(e["kind"] for e in events)
    assert kinds["Usage-based"] > 0.2 * len(events) and kinds["Included in Business"] > 0.1 * len(
        events
    )
    assert kinds["Errored, Not Charged"] > 0
    assert set(kinds) - {"Usage-based", "Included in Business", "Errored, Not Charged"}
    models = Counter(e["model"] for e in events)
    for model in ("claude-4.5-sonnet", "claude-4.5-opus-high-thinking", "gpt-5.1-codex",
                  "composer-1", "gemini-3-pro", "claude-4.5-haiku", "auto"):  # fmt: skip
        assert models[model] > 0, model
    assert 0.05 < sum(e["maxMode"] is True for e in events) / len(events) < 0.12

    service = [e for e in events if str(e.get("serviceAccountId", "")).startswith("sa_")]
    assert service and all(e["isHeadless"] and e.get("serviceAccountName") for e in service)
    agents = [e for e in events if "cloudAgentId" in e]
    assert agents and all(
        e["isHeadless"] and str(e["cloudAgentId"]).startswith("bc-") for e in agents
    )
    assert any("automationId" in e for e in agents)
    assert all("cloudAgentId" in e for e in events if "automationId" in e)
    assert any(e.get("serviceAccountId") == "null" and not e["isHeadless"] for e in events)
    assert any("conversationId" not in e for e in events)
    legacy = [e for e in events if e["isTokenBasedCall"] is False]
    assert legacy and any("tokenUsage" not in e for e in legacy)
    assert any("discountPercentOff" in e.get("tokenUsage", {}) for e in events)


def test_activity_is_skewed_and_follows_the_working_week(
    events: list[dict[str, object]],
) -> None:
    per_user = sorted(Counter(e["userEmail"] for e in events).values(), reverse=True)
    assert per_user[0] > 4 * per_user[len(per_user) // 2]
    weekday = Counter(
        datetime.fromtimestamp(int(str(e["timestamp"])) / 1000, tz=UTC).weekday() for e in events
    )
    assert min(weekday[d] for d in range(5)) > 2 * max(weekday[5], weekday[6])


def test_members_look_like_the_contract(team: FakeTeam) -> None:
    members = team.members()
    assert len(members) == SPEC.users
    for member in members:
        assert set(member) == {"id", "name", "email", "role", "isRemoved"}
        assert re.fullmatch(r"user_[A-Za-z0-9]{26}", str(member["id"]))
        assert re.fullmatch(r"[a-z]+\.[a-z]+\d*@acme\.example", str(member["email"]))
        assert member["role"] in {"owner", "member", "free-owner"}
    assert len({m["email"] for m in members}) == len(members)
    assert {m["role"] for m in members} == {"owner", "member", "free-owner"}
    assert any(m["isRemoved"] for m in members)


def test_removed_members_stop_using_cursor(team: FakeTeam) -> None:
    removed = [ident for ident in team.identities if ident.removed_after_day is not None]
    assert removed
    for ident in removed:
        after = day_start_ms(ident.removed_after_day + 1)
        assert all(e["userEmail"] != ident.email for e in team.events(after, NOW))


def test_later_events_appear_as_the_clock_moves() -> None:
    clock = [NOW]
    team = FakeTeam(SPEC, lambda: clock[0])
    before = team.events(NOW - DAY_MS, NOW + DAY_MS)
    clock[0] += 6 * 3_600_000
    after = team.events(NOW - DAY_MS, NOW + DAY_MS)
    assert len(after) > len(before)
    assert after[len(after) - len(before) :] == before
    assert all(int(str(e["timestamp"])) <= clock[0] for e in after)


def test_window_bounds_are_inclusive(team: FakeTeam, events: list[dict[str, object]]) -> None:
    stamp = int(str(events[10]["timestamp"]))
    assert team.events(stamp, stamp) == [events[10]]
    assert team.events(stamp + 1, stamp + 1) == []


def test_revise_changes_only_events_at_or_after_since() -> None:
    team = FakeTeam(SPEC, lambda: NOW, cache_days=2)  # revisions must survive eviction
    since = NOW - 2 * DAY_MS
    before = team.events(*EVERYTHING)
    changed = team.revise(since, Decimal("1.1"))
    after = team.events(*EVERYTHING)
    assert [e["timestamp"] for e in after] == [e["timestamp"] for e in before]
    moved = [
        (old, new)
        for old, new in zip(before, after, strict=True)
        if old["chargedCents"] != new["chargedCents"]
    ]
    assert changed == len(moved) > 0
    assert all(int(str(new["timestamp"])) >= since for _, new in moved)
    for old, new in moved:
        ratio = cents(new["chargedCents"]) / cents(old["chargedCents"])
        assert abs(ratio - Decimal("1.1")) < Decimal("0.001")
    unchanged = [e for e in before if int(str(e["timestamp"])) < since]
    assert unchanged == [e for e in after if int(str(e["timestamp"])) < since]

    total = team.total_charged_cents(since, NOW)
    team.revise(since, "2")  # revisions stack
    assert abs(team.total_charged_cents(since, NOW) - 2 * total) < Decimal("0.01")


def test_revise_leaves_events_after_now_alone() -> None:
    clock = [NOW]
    team = FakeTeam(SPEC, lambda: clock[0])
    team.revise(NOW - DAY_MS, 3)
    clock[0] += 3_600_000
    fresh = team.events(NOW + 1, clock[0])
    reference = FakeTeam(SPEC, lambda: clock[0]).events(NOW + 1, clock[0])
    assert fresh == reference != []


def test_truth_helpers_agree_with_the_events(
    team: FakeTeam, events: list[dict[str, object]]
) -> None:
    total = sum((cents(e["chargedCents"]) for e in events), Decimal(0))
    assert team.total_charged_cents(*EVERYTHING) == total
    for key in ("model", "userEmail", "kind"):
        expected: Counter[str] = Counter()
        for e in events:
            expected[str(e[key])] += cents(e["chargedCents"])
        assert team.charged_cents_by(key, *EVERYTHING) == dict(expected)
    by_day = team.charged_cents_by("day", *EVERYTHING)
    assert sum(by_day.values()) == total
    assert by_day and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in by_day)
    with pytest.raises(ValueError, match="key must be one of"):
        team.charged_cents_by("team", *EVERYTHING)


def test_days_are_generated_lazily_and_cached(team: FakeTeam) -> None:
    day = day_of_ms(NOW) - 1
    assert team.day(day) is team.day(day)
    assert len(team.day(team.start_day - 1)) == 0


def test_bad_specs_are_refused() -> None:
    with pytest.raises(ValueError, match="users"):
        FakeTeam(TeamSpec(users=0))
    with pytest.raises(ValueError, match="plan"):
        FakeTeam(TeamSpec(plan="free"))
    with pytest.raises(ValueError, match="factor"):
        FakeTeam(SPEC, lambda: NOW).revise(NOW, "-1")


def test_events_parse_like_a_client_would(team: FakeTeam) -> None:
    blob = team.day(team.start_day + 1).blobs[0]
    assert team.events(*EVERYTHING)[-1] == json.loads(
        team.day(team.start_day).blobs[-1], parse_float=Decimal
    )
    assert json.loads(blob)["timestamp"].isdigit()
