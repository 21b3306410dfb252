from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter

from outlay.costrows import SCHEMA, cents_to_units, units_to_usd
from outlay.providers.cursor.models import EventsPage, UsageEvent
from outlay.providers.cursor.normalize import apportion, normalize_events
from outlay.providers.cursor.prices import PriceTable

EVENT = TypeAdapter(UsageEvent)
FIXTURE = Path(__file__).parent / "fixtures" / "cursor_events_contract.json"


def contract_events() -> list[UsageEvent]:
    return EventsPage.model_validate_json(FIXTURE.read_bytes()).usageEvents


def rows_of(events: list[UsageEvent]) -> list[dict[str, object]]:
    table = normalize_events(
        events, account="acme", member_names={"developer@company.com": "Alex"}, prices=PriceTable()
    )
    assert table.schema == SCHEMA
    return list(table.to_pylist())


def test_each_event_rows_sum_to_its_charged_cents_exactly() -> None:
    events = contract_events()
    by_ts: dict[object, Decimal] = defaultdict(Decimal)
    counted: dict[object, int] = defaultdict(int)
    for row in rows_of(events):
        by_ts[row["ts"]] += row["cost"]
        counted[row["ts"]] += row["event_count"]
    assert len(by_ts) == len(events)
    for event in events:
        ts = datetime(1970, 1, 1) + timedelta(milliseconds=event["timestamp"])
        assert by_ts[ts] == event["chargedCents"] / 100
        assert counted[ts] == 1


def test_token_event_splits_by_token_type_with_fee_row() -> None:
    rows = list(rows_of(contract_events()[:1]))
    kinds = {r["token_type"]: r for r in rows}
    assert set(kinds) == {"input", "output", "cache_write", "cache_read", "cursor_token_fee"}
    assert kinds["cursor_token_fee"]["cost"] == Decimal("0.0118")
    assert kinds["cache_read"]["usage_amount"] == Decimal(11964)
    assert all(r["category"] == "Tokens" and r["usage_unit"] == "tokens" for r in rows)
    assert all(r["resource_name"] == "Alex" and r["max_mode"] is True for r in rows)
    # Sonnet list prices 3 / 15 / 3.75 / 0.30 per M tokens weigh the split.
    assert kinds["cache_write"]["cost"] > kinds["output"]["cost"] > kinds["cache_read"]["cost"]


def test_discounted_event_keeps_list_cost_before_discount() -> None:
    rows = rows_of(contract_events()[1:2])
    assert sum(r["cost"] for r in rows) == Decimal("0.3733")
    assert sum(r["list_cost"] for r in rows) == Decimal("0.40167") + Decimal("0.0118")


def test_request_based_events_become_one_requests_row() -> None:
    included, legacy = rows_of([contract_events()[2]]), rows_of([contract_events()[4]])
    for rows in (included, legacy):
        assert len(rows) == 1
        assert rows[0]["category"] == "Requests" and rows[0]["token_type"] is None
        assert rows[0]["usage_unit"] == "requests"
    assert included[0]["usage_amount"] == Decimal("1.4")
    assert included[0]["billed_cost"] == 0 and included[0]["cost"] == Decimal("0.08")
    assert legacy[0]["service_account"] is None  # the "null" string quirk means no account


def test_service_account_cloud_agent_and_automation_tags() -> None:
    rows = rows_of([contract_events()[3]])
    assert {r["service_account"] for r in rows} == {"Nightly CI Agent"}
    assert {r["cloud_agent"] for r in rows} == {"bc-1f0c"}
    assert {r["automation"] for r in rows} == {"6c1e2a34-automation"}
    assert all(r["headless"] for r in rows)
    assert {r["resource"] for r in rows} == {"agent-runner@company.com"}


def test_unknown_models_and_kinds_pass_through_with_default_ratio() -> None:
    rows = rows_of([contract_events()[5]])
    assert {r["service"] for r in rows} == {"some-future-model-x"}
    assert {r["subcategory"] for r in rows} == {"Free Credit Something"}
    assert sum(r["cost"] for r in rows) == Decimal("0.00000123")
    assert {r["billed_cost"] for r in rows} == {0}  # not chargeable: kind is not Usage-based


def test_event_without_token_usage_keeps_its_cost_on_one_row() -> None:
    event = EVENT.validate_python(
        {"timestamp": 1, "model": "gpt-5", "kind": "Usage-based", "isTokenBasedCall": True,
         "chargedCents": 12.5}
    )  # fmt: skip
    (row,) = rows_of([event])
    assert row["token_type"] is None and row["cost"] == Decimal("0.125")


@given(
    total=st.integers(-(10**15), 10**15),
    weights=st.lists(st.integers(0, 10**12), min_size=1, max_size=6).filter(any),
)
def test_apportion_sums_exactly_and_stays_within_one_unit(total: int, weights: list[int]) -> None:
    parts = apportion(total, weights)
    assert sum(parts) == total
    whole = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part * whole - total * weight) < whole  # within one unit of the exact share


@given(st.decimals(min_value=-(10**6), max_value=10**6, places=8, allow_nan=False))
def test_cents_round_trip_through_money_units(cents: Decimal) -> None:
    assert units_to_usd(cents_to_units(cents)) == cents / 100
