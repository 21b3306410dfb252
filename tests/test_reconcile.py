"""Reconciliation with /teams/spend, end to end: the fake's disagreement knobs are each reported,
and a consistent team reconciles to ok with zero difference."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from outlay.errors import InputError
from outlay.reconcile.spend import MISMATCH, OK, cycle_end, reconcile
from outlay.service import Outlay
from outlay.store.trust import SpendMember, SpendSnapshot
from outlay.testing.cursor_fake.api import DEFAULT_KEY
from outlay.testing.cursor_fake.team import TeamSpec
from tests.fakes import BASE_URL, FakeCursor, fake_cursor, make_outlay

pytestmark = pytest.mark.storage

SPEC = TeamSpec(users=8, days=40)


def synced(tmp_path: Path, fake: FakeCursor) -> Outlay:
    outlay = make_outlay(tmp_path, fake)
    outlay.add_account("cursor", "acme", DEFAULT_KEY, base_url=BASE_URL)
    outlay.sync("acme")
    return outlay


def cycle_truth(fake: FakeCursor) -> dict[str, Decimal]:
    """Σ chargedCents per member since the fake's cycle start, in USD."""
    now = fake.clock.now_ms()
    start = fake.team.cycle.start_ms(now)
    return {k: v / 100 for k, v in fake.team.charged_cents_by("userEmail", start, now).items()}


def one(outlay: Outlay, cycle: str = "current") -> Any:
    done, unavailable = outlay.reconcile("acme", cycle)
    assert unavailable == [] and len(done) == 1
    return done[0].to_data()


def by_email(data: Any) -> dict[str, Any]:
    return {m["email"]: m for m in data["members"]}


def test_a_consistent_team_reconciles_to_ok_with_zero_difference(tmp_path: Path) -> None:
    fake = fake_cursor(SPEC)
    data = one(synced(tmp_path, fake))
    truth = cycle_truth(fake)
    assert data["status"] == OK
    assert data["total"]["difference"] == "0"
    assert (
        Decimal(data["total"]["cursor"]) == Decimal(data["total"]["outlay"]) == sum(truth.values())
    )
    assert all(m["difference"] == "0" and m["status"] == OK for m in data["members"])
    assert {m["email"] for m in data["members"] if m["in_events"]} == set(truth)
    members = by_email(data)
    for email, usd in truth.items():
        line = members[email]
        assert Decimal(line["outlay"]) == usd
        on_demand, included = Decimal(line["outlay_on_demand"]), Decimal(line["outlay_included"])
        assert on_demand + included == usd
        assert Decimal(line["cursor_fields"]["spendCents"]) == on_demand
        assert line["basis"] == "overallSpendCents vs outlay total"
    start = datetime.fromtimestamp(fake.team.cycle.start_ms(fake.clock.now_ms()) / 1000, UTC)
    assert data["cycle"]["start"] == start.isoformat().replace("+00:00", "Z")


def test_a_skewed_member_is_a_mismatch_by_exactly_the_skew(tmp_path: Path) -> None:
    probe = fake_cursor(SPEC)
    busiest = max(cycle_truth(probe).items(), key=lambda kv: kv[1])[0]
    fake = fake_cursor(TeamSpec(users=8, days=40, spend_skew={busiest: "123.456789"}))
    data = one(synced(tmp_path, fake))
    assert data["status"] == MISMATCH
    line = data["members"][0]  # sorted by the size of the difference
    assert line["email"] == busiest and line["status"] == MISMATCH
    assert Decimal(line["difference"]) == Decimal("-1.23456789")
    assert all(m["status"] == OK for m in data["members"][1:])
    assert Decimal(data["total"]["difference"]) == Decimal("-1.23456789")


def test_members_on_one_side_only_are_listed_never_dropped(tmp_path: Path) -> None:
    # This team has a member (removed before the cycle) without usage this cycle.
    shape = {"users": 12, "days": 40, "seed": 9}
    probe = fake_cursor(TeamSpec(**shape))
    truth = cycle_truth(probe)
    idle = [m["email"] for m in probe.team.members() if m["email"] not in truth]
    hidden = max(truth.items(), key=lambda kv: kv[1])[0]
    assert idle, "the fake team should have a member without usage this cycle"
    skew = {idle[0]: 50}
    fake = fake_cursor(TeamSpec(**shape, spend_skew=skew, spend_hidden=(hidden,)))
    data = one(synced(tmp_path, fake))
    members = by_email(data)
    spend_only = members[idle[0]]
    assert (spend_only["in_spend"], spend_only["in_events"]) == (True, False)
    assert spend_only["outlay"] == "0" and spend_only["cursor"] == "0.5"
    assert spend_only["status"] == MISMATCH
    events_only = members[hidden]
    assert (events_only["in_spend"], events_only["in_events"]) == (False, True)
    assert Decimal(events_only["outlay"]) == truth[hidden] and events_only["cursor"] == "0"
    assert events_only["status"] == MISMATCH and events_only["basis"] == "absent from /teams/spend"
    # Idle members without a skew are listed too, and agree.
    for email in idle[1:]:
        assert members[email]["status"] == OK and members[email]["outlay"] == "0"
    assert data["status"] == MISMATCH


def test_past_cycles_stay_provable_from_snapshots(tmp_path: Path) -> None:
    fake = fake_cursor(SPEC)
    outlay = synced(tmp_path, fake)
    first = one(outlay)
    done, unavailable = outlay.reconcile("acme", "previous")
    assert done == [] and unavailable[0]["account"] == "acme"
    end = datetime.fromisoformat(first["cycle"]["end"].replace("Z", "+00:00"))
    fake.clock.ms = int(end.timestamp() * 1000) + 3 * 86_400_000
    outlay.sync("acme")
    previous, current = one(outlay, "previous"), one(outlay, "current")
    assert previous["cycle"] == first["cycle"] and previous["status"] == OK
    assert previous["total"] == first["total"]  # the snapshot of that cycle, not a new read
    assert current["cycle"]["start"] == first["cycle"]["end"] and current["status"] == OK


def test_the_ambiguous_spend_cents_follows_the_contract_rule() -> None:
    def snapshot(**cents: str) -> SpendSnapshot:
        fields = {k: Decimal(v) for k, v in cents.items()}
        member = SpendMember("a@x.io", "user_1", **fields)  # type: ignore[arg-type]
        return SpendSnapshot(1, 2_000, 1_000, datetime(2026, 1, 1), (member,))

    costs = {"a@x.io": (Decimal("3"), Decimal("2"))}  # on demand, included: USD 5 in all
    newer = reconcile("t", snapshot(spend_cents="300", included_spend_cents="200"), costs)
    assert newer.members[0].basis.startswith("spendCents + includedSpendCents")
    assert newer.status == OK
    older = reconcile("t", snapshot(spend_cents="500", included_spend_cents="200"), costs)
    assert older.members[0].basis.startswith("spendCents read as the total") and older.status == OK
    alone = reconcile("t", snapshot(spend_cents="300"), costs)
    assert alone.members[0].basis.startswith("spendCents read as on-demand")
    assert alone.status == OK
    neither = reconcile("t", snapshot(spend_cents="900", included_spend_cents="1"), costs)
    assert neither.status == MISMATCH and neither.members[0].basis.startswith("spendCents +")
    rounded = reconcile("t", snapshot(overall_spend_cents="500.9"), costs)
    assert rounded.status == OK and rounded.to_data()["members"][0]["difference"] == "-0.009"


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime(2026, 1, 31, 12), datetime(2026, 2, 28, 12)),
        (datetime(2026, 12, 27, 3, 4, 5), datetime(2027, 1, 27, 3, 4, 5)),
    ],
)
def test_a_cycle_ends_one_calendar_month_later(start: datetime, end: datetime) -> None:
    assert cycle_end(start) == end


def test_reconcile_refuses_an_unknown_cycle(tmp_path: Path) -> None:
    outlay = synced(tmp_path, fake_cursor(SPEC))
    with pytest.raises(InputError, match="unknown cycle 'last'; use current or previous"):
        outlay.reconcile("acme", "last")


def test_the_demo_prints_one_reconciliation_line_per_account(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from outlay.cli.demo import print_reconciliation

    fake = fake_cursor(SPEC)
    outlay = synced(tmp_path, fake)
    outlay.add_account("cursor", "fresh", DEFAULT_KEY, base_url=BASE_URL)
    print_reconciliation(outlay)
    lines = capsys.readouterr().out.splitlines()
    total = f"${sum(cycle_truth(fake).values()):,.2f}"
    assert lines[-2].startswith(f"  acme: ok — outlay {total}, Cursor {total}, difference 0 USD")
    assert lines[-2].endswith("data complete through 2026-11-16")
    assert (
        lines[-1]
        == "  fresh: not reconciled, no /teams/spend snapshot yet; the next sync takes one"
    )


def test_removing_an_account_removes_its_snapshots_and_day_reads(tmp_path: Path) -> None:
    fake = fake_cursor(SPEC)
    outlay = synced(tmp_path, fake)
    account_id = outlay.meta.account("acme").id
    assert outlay.trust.latest_spend_snapshots(account_id) and outlay.trust.day_reads(account_id)
    outlay.remove_account("acme")
    assert outlay.trust.latest_spend_snapshots(account_id) == []
    assert outlay.trust.day_reads(account_id) == {}
    outlay.add_account("cursor", "acme", DEFAULT_KEY, base_url=BASE_URL)
    done, unavailable = outlay.reconcile("acme")
    assert done == [] and unavailable[0]["reason"].startswith("no /teams/spend snapshot yet")


def test_old_reads_are_pruned_but_each_cycle_keeps_its_last(tmp_path: Path) -> None:
    fake = fake_cursor(SPEC)  # its cycle starts on the 7th; "now" is 2026-11-20
    outlay = synced(tmp_path, fake)
    account_id = outlay.meta.account("acme").id
    fake.clock.advance(timedelta(days=2))
    outlay.sync("acme")
    last_of_november_cycle = one(outlay)["as_of"]
    assert outlay.trust.spend_read_count(account_id) == 2
    fake.clock.advance(timedelta(days=18))  # 2026-12-10, in the cycle from 2026-12-07
    outlay.sync("acme")
    # The first read is over a week old and not its cycle's last: gone; the second stays.
    assert outlay.trust.spend_read_count(account_id) == 2
    previous = one(outlay, "previous")
    assert previous["as_of"] == last_of_november_cycle and previous["status"] == OK
