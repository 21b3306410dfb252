"""Guardrail events are recorded once by their stable id, with one pending delivery per channel."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from outlay.alerts.event import AlertEvent, event_id
from outlay.service import Outlay
from tests.fakes import fake_settings


def _event(
    rule: str = "platform", threshold: str = "80", channels: tuple[str, ...] = ("ops",)
) -> AlertEvent:
    start = date(2026, 11, 1)
    group = {"resource": "ada@example.com"}
    return AlertEvent(
        id=event_id("budget", 1, rule, group, start, Decimal(threshold)),
        kind="budget",
        workspace_id=1,
        rule=rule,
        group=group,
        period_start=start,
        period_end=date(2026, 11, 30),
        amount=Decimal("3210.1234567891"),
        message="Platform spent $3,210.12 of its $4,000 budget",
        channels=channels,
        threshold=Decimal(threshold),
    )


def test_an_event_is_recorded_once_however_often_it_fires(tmp_path: Path) -> None:
    outlay = Outlay(fake_settings(tmp_path))
    outlay.workspace(None)  # the Default workspace exists
    first = _event(channels=("ops", "mail", "ops"))
    assert outlay._fire([first, first]) == [first]
    assert outlay._fire([first]) == []
    # A new process on the same data finds it too.
    assert Outlay(fake_settings(tmp_path))._fire([first]) == []
    events = outlay.alert_store.events(1)
    assert [e for e, _ in events] == [first]
    deliveries = outlay.alert_store.deliveries([first.id])[first.id]
    assert [(d.channel, d.status, d.attempts) for d in deliveries] == [
        ("mail", "pending", 0),
        ("ops", "pending", 0),
    ]


def test_another_threshold_is_another_event(tmp_path: Path) -> None:
    outlay = Outlay(fake_settings(tmp_path))
    outlay.workspace(None)
    assert len(outlay._fire([_event(threshold="80"), _event(threshold="100")])) == 2


@given(
    rule=st.text(min_size=1, max_size=20),
    group=st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=3),
    threshold=st.decimals(allow_nan=False, allow_infinity=False, places=2),
)
def test_event_ids_depend_on_what_fired_only(
    rule: str, group: dict[str, str], threshold: Decimal
) -> None:
    start = date(2026, 11, 1)
    same = event_id("cost_alert", 3, rule, dict(reversed(list(group.items()))), start, threshold)
    assert event_id("cost_alert", 3, rule, group, start, threshold) == same
    assert event_id("cost_alert", 4, rule, group, start, threshold) != same
    assert event_id("anomaly", 3, rule, group, start, threshold) != same


def test_an_event_survives_its_json_form() -> None:
    event = _event()
    assert AlertEvent.from_data(1, event.to_data()) == event
