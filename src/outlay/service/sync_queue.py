"""Accounts waiting for a "Sync now": each at most once, from the moment it is asked for until
its sync ends, in the order asked. The service decides what goes in; the server's scheduler
takes the names out and runs them.
"""

from __future__ import annotations

import queue
import threading

_WAKE = ""


class SyncQueue:
    def __init__(self) -> None:
        self._queue: queue.Queue[str] = queue.Queue()
        self._pending: set[str] = set()
        self._lock = threading.Lock()

    def add(self, account: str) -> bool:
        """Queue the account; False if it is already queued or running."""
        with self._lock:
            if account in self._pending:
                return False
            self._pending.add(account)
        self._queue.put(account)
        return True

    def pending(self) -> set[str]:
        """The accounts queued or running."""
        with self._lock:
            return set(self._pending)

    def next(self, timeout: float) -> str | None:
        """The next account to sync, or None after ``timeout`` seconds or a ``wake``."""
        try:
            return self._queue.get(timeout=timeout) or None
        except queue.Empty:
            return None

    def done(self, account: str) -> None:
        """The account's sync ended: a new request queues it again."""
        with self._lock:
            self._pending.discard(account)

    def wake(self) -> None:
        """Make a waiting ``next`` return now (the scheduler stopping)."""
        self._queue.put(_WAKE)
