"""Sign-in throttling: growing delays, not locks, and a bound on the memory sign-ins may use.

A failed sign-in adds a strike to three keys: the (email, address) pair, the address, and the
email. Past a few free strikes a key waits a delay that doubles with each further failure;
an attempt during the delay is refused before its password is hashed. The delays are chosen
so that a stranger cannot keep a user out:

- the pair's and the address's delays grow long (minutes): they slow whoever fails, where
  they fail from;
- the email's delay is capped short (seconds), and it applies only to addresses that have
  themselves failed on that email: the right password from another address is never refused
  because of someone else's failures.

Before any hash, an address may start only so many sign-ins a minute, and at most
``HASH_SLOTS`` passwords are checked at once (argon2 takes 64 MiB each); a sign-in that finds
no slot within ``SLOT_WAIT_S`` is told to try again. Strikes and starts live in the metadata
database (``store/shared_state.py``), so every web replica throttles alike; a key is forgotten
after ``FORGET`` without failures. The hash slots are per process: they bound this process's
memory. Time comes from the injected clock.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from outlay.errors import ThrottledError
from outlay.store.shared_state import Strikes, StrikeStore


@dataclass(frozen=True)
class Backoff:
    free: int  # failures before any delay
    cap: timedelta  # the longest delay

    def delay(self, failures: int) -> timedelta:
        over = failures - self.free
        if over <= 0:
            return timedelta(0)
        return min(timedelta(seconds=2 ** min(over - 1, 20)), self.cap)


PAIR = Backoff(free=4, cap=timedelta(minutes=15))
ADDRESS = Backoff(free=10, cap=timedelta(minutes=15))
EMAIL = Backoff(free=10, cap=timedelta(seconds=10))
#: A key's strikes are forgotten after this long without a failure.
FORGET = timedelta(minutes=30)
#: Sign-ins an address may start per minute, whatever their outcome.
ATTEMPTS_PER_MINUTE = 20
HASH_SLOTS = 2
SLOT_WAIT_S = 5.0
_MINUTE = timedelta(minutes=1)


class LoginThrottle:
    def __init__(
        self, store: StrikeStore, *, hash_slots: int = HASH_SLOTS, slot_wait_s: float = SLOT_WAIT_S
    ) -> None:
        self._store = store
        self._slots = threading.BoundedSemaphore(hash_slots)
        self._slot_wait_s = slot_wait_s

    def admit(self, email: str, address: str, now: datetime) -> None:
        """Refuse (``ThrottledError``) a sign-in that must wait; otherwise count it as started."""
        starts = self._store.starts(address, since=now - _MINUTE)
        if len(starts) >= ATTEMPTS_PER_MINUTE:
            wait = starts[0] + _MINUTE - now
            raise ThrottledError(
                f"too many sign-in attempts from this address; try again in {_secs(wait)} s"
            )
        waits = self._waits(email, address, now)
        wait = max(waits.values())
        if wait > timedelta(0):
            who = "from this address" if wait == waits["address"] else f"for {email}"
            raise ThrottledError(f"too many failed sign-ins {who}; try again in {_secs(wait)} s")
        self._store.start(address, now)

    def failed(self, email: str, address: str, now: datetime) -> None:
        self._store.fail(
            [("pair", email, address, PAIR.delay), ("address", "", address, ADDRESS.delay),
             ("email", email, "", EMAIL.delay)],
            now,
            FORGET,
        )  # fmt: skip

    def succeeded(self, email: str, address: str) -> None:
        """The right password ends the email's delays; the address's strikes stay until forgotten,
        so that signing in to one's own account does not reset a spray of guesses."""
        self._store.clear("pair", email, address)
        self._store.clear("email", email, "")

    @contextmanager
    def hash_slot(self) -> Iterator[None]:
        """One of the few concurrent password checks, or a refusal after a short wait."""
        if not self._slots.acquire(timeout=self._slot_wait_s):
            raise ThrottledError(
                "the server is busy checking other sign-ins; try again in a moment"
            )
        try:
            yield
        finally:
            self._slots.release()

    def _waits(self, email: str, address: str, now: datetime) -> dict[str, timedelta]:
        pair = self._store.strikes("pair", email, address)
        waits = {
            "pair": _left(pair, now),
            "address": _left(self._store.strikes("address", "", address), now),
        }
        # The email's own delay binds only those who failed on it from this address.
        if _fresh(pair, now):
            waits["email"] = _left(self._store.strikes("email", email, ""), now)
        return waits


def _fresh(found: Strikes | None, now: datetime) -> bool:
    return found is not None and now - found.last <= FORGET


def _left(found: Strikes | None, now: datetime) -> timedelta:
    if found is None or not _fresh(found, now):
        return timedelta(0)
    return max(found.until - now, timedelta(0))


def _secs(wait: timedelta) -> int:
    return max(1, math.ceil(wait.total_seconds()))
