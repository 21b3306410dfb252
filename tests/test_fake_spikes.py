"""The fake's spike knob: only the spiked member's events on that model that day change."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal

import pytest

from outlay.testing.cursor_fake import Spike, TeamSpec
from outlay.testing.cursor_fake.clock import DAY_MS, day_start_ms
from outlay.testing.cursor_fake.team import FakeTeam
from tests.fakes import NOW_MS

SPEC = TeamSpec(users=6, days=20)
DAY = date(2026, 11, 18)


def digest(events: list[dict[str, object]]) -> str:
    return hashlib.sha256(json.dumps(events, sort_keys=True, default=str).encode()).hexdigest()


def test_a_spike_multiplies_only_its_events_and_leaves_the_rest_byte_identical() -> None:
    plain = FakeTeam(SPEC, lambda: NOW_MS)
    email, model = plain.busiest(DAY)
    spiked = FakeTeam(
        TeamSpec(users=6, days=20, spikes=(Spike(email, model, DAY, 10),)), lambda: NOW_MS
    )
    start = day_start_ms(DAY.toordinal())
    before = plain.events(0, start - 1)
    assert digest(spiked.events(0, start - 1)) == digest(before)  # other days: the same bytes
    after = spiked.events(start + DAY_MS, NOW_MS)
    assert digest(after) == digest(plain.events(start + DAY_MS, NOW_MS))
    old, new = (t.events(start, start + DAY_MS - 1) for t in (plain, spiked))
    assert len(old) == len(new)
    changed = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
    assert changed and all(
        b["userEmail"] == email and b["model"] == model for _, b in changed
    )  # fmt: skip
    cents = [(Decimal(str(a["tokenUsage"]["totalCents"])), Decimal(str(b["tokenUsage"]["totalCents"])))
             for a, b in changed if a.get("tokenUsage")]  # fmt: skip
    assert sum(b for _, b in cents) > 8 * sum(a for a, _ in cents)


@pytest.mark.parametrize(
    ("spike", "message"),
    [
        (Spike("nobody@example.com", "gpt-5", DAY, 3), "no member"),
        (Spike("{email}", "no-such-model", DAY, 3), "unknown model"),
        (Spike("{email}", "{model}", DAY, 0), "factor"),
    ],
)
def test_a_bad_spike_is_refused(spike: Spike, message: str) -> None:
    email, model = FakeTeam(SPEC, lambda: NOW_MS).busiest(DAY)
    spike = Spike(spike.email.format(email=email), spike.model.format(model=model), spike.day,
                  spike.factor)  # fmt: skip
    with pytest.raises(ValueError, match=message):
        FakeTeam(TeamSpec(users=6, days=20, spikes=(spike,)), lambda: NOW_MS)
