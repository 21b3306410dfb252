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
no slot within ``SLOT_WAIT_S`` is told to try again. State lives in memory, bounded in size,
and forgets a key after ``FORGET`` without failures. Time comes from the injected clock.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from outlay.errors import ThrottledError


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
#: Keys kept at most (the oldest go first): a flood of addresses cannot grow memory unbounded.
MAX_KEYS = 50_000
_MINUTE = timedelta(minutes=1)
K = TypeVar("K")
V = TypeVar("V")


@dataclass
class _Strikes:
    failures: int
    last: datetime
    until: datetime


class LoginThrottle:
    def __init__(self, *, hash_slots: int = HASH_SLOTS, slot_wait_s: float = SLOT_WAIT_S) -> None:
        self._lock = threading.Lock()
        self._strikes: OrderedDict[tuple[str, ...], _Strikes] = OrderedDict()
        self._starts: OrderedDict[str, deque[datetime]] = OrderedDict()
        self._slots = threading.BoundedSemaphore(hash_slots)
        self._slot_wait_s = slot_wait_s

    def admit(self, email: str, address: str, now: datetime) -> None:
        """Refuse (``ThrottledError``) a sign-in that must wait; otherwise count it as started."""
        with self._lock:
            starts = self._starts.pop(address, None) or deque()
            while starts and starts[0] <= now - _MINUTE:
                starts.popleft()
            self._starts[address] = starts
            if len(starts) >= ATTEMPTS_PER_MINUTE:
                wait = starts[0] + _MINUTE - now
                raise ThrottledError(
                    f"too many sign-in attempts from this address; try again in {_secs(wait)} s"
                )
            waits = {key[0]: self._wait(key, now) for key in self._keys(email, address, now)}
            wait = max(waits.values())
            if wait > timedelta(0):
                who = "from this address" if wait == waits["address"] else f"for {email}"
                raise ThrottledError(
                    f"too many failed sign-ins {who}; try again in {_secs(wait)} s"
                )
            starts.append(now)
            _trim(self._starts)

    def failed(self, email: str, address: str, now: datetime) -> None:
        with self._lock:
            for key, backoff in (
                (("pair", email, address), PAIR),
                (("address", address), ADDRESS),
                (("email", email), EMAIL),
            ):
                found = self._strikes.pop(key, None)
                if found is None or now - found.last > FORGET:
                    found = _Strikes(0, now, now)
                found.failures += 1
                found.last = now
                found.until = now + backoff.delay(found.failures)
                self._strikes[key] = found
            _trim(self._strikes)

    def succeeded(self, email: str, address: str) -> None:
        """The right password ends the email's delays; the address's strikes stay until forgotten,
        so that signing in to one's own account does not reset a spray of guesses."""
        with self._lock:
            self._strikes.pop(("pair", email, address), None)
            self._strikes.pop(("email", email), None)

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

    def _keys(self, email: str, address: str, now: datetime) -> list[tuple[str, ...]]:
        pair = ("pair", email, address)
        keys = [pair, ("address", address)]
        # The email's own delay binds only those who failed on it from this address.
        found = self._strikes.get(pair)
        if found is not None and now - found.last <= FORGET:
            keys.append(("email", email))
        return keys

    def _wait(self, key: tuple[str, ...], now: datetime) -> timedelta:
        found = self._strikes.get(key)
        if found is None or now - found.last > FORGET:
            return timedelta(0)
        return max(found.until - now, timedelta(0))


def _secs(wait: timedelta) -> int:
    return max(1, math.ceil(wait.total_seconds()))


def _trim(table: OrderedDict[K, V]) -> None:
    while len(table) > MAX_KEYS:
        table.popitem(last=False)
