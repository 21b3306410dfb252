"""Hourly sync of every account, and "Sync now", in one background thread of the server.

One thread means one sync at a time in this process (the account lock also keeps out a CLI
sync). Stopping waits for the sync in flight: a window is replaced in one transaction, so even
an interrupted process never leaves half a window, but a clean stop does not even interrupt.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

from outlay.errors import OutlayError
from outlay.service import Outlay

log = logging.getLogger(__name__)

#: Cursor aggregates usage hourly; polling more often gains nothing.
INTERVAL_S = 3600.0
_ALL = ""


class Scheduler:
    def __init__(self, outlay: Outlay, *, interval_s: float = INTERVAL_S) -> None:
        self._outlay = outlay
        self._interval = interval_s
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._pending: set[str] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="outlay-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    def sync_now(self, account: str) -> None:
        """Queue one account's sync (once, however often it is asked for before it runs)."""
        with self._lock:
            if account in self._pending:
                return
            self._pending.add(account)
        self._queue.put(account)

    def pending(self) -> set[str]:
        with self._lock:
            return set(self._pending)

    def _run(self) -> None:
        next_all = time.monotonic()
        while True:
            wait = max(0.0, next_all - time.monotonic())
            try:
                job = self._queue.get(timeout=wait)
            except queue.Empty:
                job = _ALL
            if job is None:
                return
            if job == _ALL:
                next_all = time.monotonic() + self._interval
                for name in self._account_names():
                    self._sync(name)
            else:
                self._sync(job)
                with self._lock:
                    self._pending.discard(job)

    def _account_names(self) -> list[str]:
        try:
            return [account.name for account in self._outlay.accounts()]
        except Exception:  # the thread must outlive any failure
            log.exception("cannot list the accounts to sync")
            return []

    def _sync(self, name: str) -> None:
        """Never raises: the account shows the error (the sync records it); the next round
        tries again."""
        try:
            result = self._outlay.sync(name)
            log.info("synced %s: %d events in %d windows", name, result.events, result.windows)
        except OutlayError as exc:
            log.warning("sync of %s failed: %s", name, exc)
        except Exception:  # a bug or an OS failure must not end the thread
            log.exception("sync of %s failed unexpectedly", name)
