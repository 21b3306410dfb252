"""Accounts waiting for a "Sync now": each at most once, from the moment it is asked for until
its sync ends, in the order asked. The service decides what goes in; the active scheduler (in
``outlay serve`` or ``outlay worker``) takes the names out and runs them.

The requests live in the metadata database, so a web replica can queue what a worker runs. A
scheduler in the same process is rung at once; one in another process looks every ``POLL_S``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime

from outlay.store.shared_state import SyncRequestStore

#: How often a waiting scheduler looks for requests made by other processes.
POLL_S = 2.0


class SyncQueue:
    def __init__(self, store: SyncRequestStore, now: Callable[[], datetime]) -> None:
        self._store = store
        self._now = now
        self._bell = threading.Event()
        self._woken = False

    def add(self, account: str) -> bool:
        """Queue the account; False if it is already queued or running."""
        added = self._store.add(account, self._now())
        self._bell.set()
        return added

    def pending(self) -> set[str]:
        """The accounts queued or running."""
        return self._store.pending()

    def next(self, timeout: float) -> str | None:
        """The next account to sync (now marked running), or None after ``timeout`` seconds or
        a ``wake``."""
        deadline = time.monotonic() + timeout
        while True:
            self._bell.clear()
            job = self._store.claim(self._now())
            if job is not None:
                return job
            left = deadline - time.monotonic()
            if self._woken or left <= 0:
                self._woken = False
                return None
            self._bell.wait(min(POLL_S, left))

    def done(self, account: str) -> None:
        """The account's sync ended: a new request queues it again."""
        self._store.done(account)

    def requeue_started(self) -> int:
        """Requests a dead scheduler left marked running go back to waiting (call only from the
        one active scheduler, as it starts)."""
        return self._store.requeue_started()

    def wake(self) -> None:
        """Make a waiting ``next`` return now (the scheduler stopping)."""
        self._woken = True
        self._bell.set()
