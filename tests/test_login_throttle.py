"""Sign-in throttling: a stranger cannot keep a user out, guessing slows down, and sign-ins
cannot spend the server's memory before they are checked."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from outlay.errors import ThrottledError, UnauthenticatedError
from outlay.service import Outlay
from outlay.service.throttle import ATTEMPTS_PER_MINUTE, EMAIL, PAIR, LoginThrottle
from outlay.store.shared_state import StrikeStore
from outlay.testing.cursor_fake.team import TeamSpec
from outlay.web.app import create_app
from tests.fakes import Clock, fake_cursor, make_outlay

PASSWORD = "correct horse battery"
VICTIM = "viewer@x.test"
HOME = "192.0.2.7"


def people(tmp_path: Path) -> Outlay:
    fake = fake_cursor(TeamSpec(users=2, days=3))
    outlay = make_outlay(tmp_path, fake)
    outlay.add_user(VICTIM, "viewer", PASSWORD)
    return outlay


def clock(outlay: Outlay) -> Clock:
    assert isinstance(outlay.clock, Clock)
    return outlay.clock


def fail(outlay: Outlay, email: str, client: str) -> None:
    with pytest.raises(UnauthenticatedError, match="wrong email or password"):
        outlay.login(email, "wrong-password", client)


def refused_for(outlay: Outlay, email: str, password: str, client: str) -> int:
    """The seconds a throttled attempt is told to wait."""
    with pytest.raises(ThrottledError, match="try again in") as caught:
        outlay.login(email, password, client)
    found = re.search(r"try again in (\d+) s", str(caught.value))
    assert found is not None, str(caught.value)
    return int(found.group(1))


def strangers_fail(outlay: Outlay, first: int) -> None:
    for stranger in range(first, first + 15):  # many addresses, each until it is delayed
        for _ in range(PAIR.free + 1):
            with pytest.raises(UnauthenticatedError):  # wrong, or told to wait
                outlay.login(VICTIM, "wrong-password", f"203.0.113.{stranger}")


def test_a_strangers_failures_never_keep_the_right_password_out(tmp_path: Path) -> None:
    outlay = people(tmp_path)
    strangers_fail(outlay, 0)
    outlay.login(VICTIM, PASSWORD, HOME)  # at once, from the user's own address
    strangers_fail(outlay, 100)
    # After a typo of their own, the strangers' failures delay them by seconds, not minutes.
    fail(outlay, VICTIM, HOME)
    wait = refused_for(outlay, VICTIM, PASSWORD, HOME)
    assert 1 <= wait <= EMAIL.cap.total_seconds()
    clock(outlay).advance(EMAIL.cap)
    outlay.login(VICTIM, PASSWORD, HOME)


def test_delays_grow_and_an_attempt_during_one_is_not_checked(tmp_path: Path) -> None:
    outlay = people(tmp_path)
    for _ in range(PAIR.free):
        fail(outlay, VICTIM, HOME)  # typos are free
    waits = []
    for _ in range(4):
        fail(outlay, VICTIM, HOME)
        # Refused before the password is looked at: even the right one waits.
        waits.append(refused_for(outlay, VICTIM, PASSWORD, HOME))
        clock(outlay).advance(timedelta(seconds=waits[-1]))
    assert waits == [1, 2, 4, 8]
    outlay.login(VICTIM, PASSWORD, HOME)
    assert PAIR.delay(100) == PAIR.cap == timedelta(minutes=15)


def test_unknown_and_known_emails_are_throttled_alike(tmp_path: Path) -> None:
    outlay = people(tmp_path)
    for email in (VICTIM, "nobody@x.test"):
        for _ in range(PAIR.free + 1):
            fail(outlay, email, HOME)
        assert refused_for(outlay, email, "wrong-password", HOME) == 1


def test_an_address_spraying_many_emails_is_slowed(tmp_path: Path) -> None:
    outlay = people(tmp_path)
    for n in range(11):
        fail(outlay, f"guess{n}@x.test", "203.0.113.9")
    with pytest.raises(ThrottledError, match="from this address"):
        outlay.login(VICTIM, PASSWORD, "203.0.113.9")
    outlay.login(VICTIM, PASSWORD, HOME)


def test_an_address_may_start_only_so_many_sign_ins_a_minute(tmp_path: Path) -> None:
    outlay = people(tmp_path)
    for _ in range(ATTEMPTS_PER_MINUTE):
        outlay.login(VICTIM, PASSWORD, HOME)
    with pytest.raises(ThrottledError, match="too many sign-in attempts from this address"):
        outlay.login(f"random{ATTEMPTS_PER_MINUTE}@x.test", "anything at all", HOME)
    outlay.login(VICTIM, PASSWORD, "198.51.100.1")  # other addresses go on
    clock(outlay).advance(timedelta(minutes=1))
    outlay.login(VICTIM, PASSWORD, HOME)


def test_password_checks_wait_for_a_free_slot_then_give_up(tmp_path: Path) -> None:
    outlay = people(tmp_path)
    throttle = LoginThrottle(StrikeStore(outlay.meta), hash_slots=1, slot_wait_s=0.05)
    outlay.login_throttle = throttle
    busy = pytest.raises(ThrottledError, match="busy checking other sign-ins")
    with throttle.hash_slot(), busy:  # another sign-in is being checked
        outlay.login(VICTIM, PASSWORD, HOME)
    outlay.login(VICTIM, PASSWORD, HOME)


def test_the_sign_in_page_throttles_by_the_clients_address(tmp_path: Path) -> None:
    outlay = people(tmp_path)
    client = TestClient(create_app(outlay.settings, outlay=outlay, scheduler=False))

    def post(password: str) -> tuple[int, str]:
        page = client.get("/login").text
        token = re.search(r'name="csrf" value="([^"]+)"', page)
        assert token is not None
        data = {"email": VICTIM, "password": password, "csrf": token.group(1)}
        answer = client.post("/login", data=data, follow_redirects=False)
        return answer.status_code, answer.text

    for _ in range(PAIR.free + 1):
        assert "wrong email or password" in post("wrong-password")[1]
    status, text = post(PASSWORD)
    assert status == 429 and "try again in 1 s" in text
    outlay.login(VICTIM, PASSWORD, "198.51.100.1")  # the page's address, not everyone's
    clock(outlay).advance(timedelta(seconds=1))
    assert post(PASSWORD)[0] == 303
