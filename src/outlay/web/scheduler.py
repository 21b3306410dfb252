"""Hourly sync of every account, and the "Sync now" requests, in one background thread.

The service decides what is queued (``Outlay.request_sync``: who may, which account, whether it
is already waiting); this thread only takes the names out of the service's queue and runs them.
One thread means one sync at a time in this process (the account lock also keeps out a CLI
sync). Stopping waits for the sync in flight: a window is replaced in one transaction, so even
an interrupted process never leaves half a window, but a clean stop does not even interrupt.
"""

from __future__ import annotations

import logging
import threading
import time

from outlay.access import SCHEDULER
from outlay.errors import OutlayError
from outlay.service import Outlay

log = logging.getLogger(__name__)

#: Cursor aggregates usage hourly; polling more often gains nothing.
INTERVAL_S = 3600.0


class Scheduler:
    def __init__(self, outlay: Outlay, *, interval_s: float = INTERVAL_S) -> None:
        self._outlay = outlay
        self._interval = interval_s
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="outlay-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        if self._thread is not None:
            self._stopping.set()
            self._outlay.sync_queue.wake()
            self._thread.join(timeout)
            self._thread = None

    def pending(self) -> set[str]:
        """Accounts whose "Sync now" is queued or running."""
        return self._outlay.sync_queue.pending()

    def _run(self) -> None:
        requests = self._outlay.sync_queue
        next_all = time.monotonic()
        while not self._stopping.is_set():
            job = requests.next(timeout=max(0.0, next_all - time.monotonic()))
            if self._stopping.is_set():
                return
            if job is not None:
                self._sync(job)
                requests.done(job)
            elif time.monotonic() >= next_all:
                next_all = time.monotonic() + self._interval
                for name in self._account_names():
                    self._sync(name)

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
            result = self._outlay.sync(name, principal=SCHEDULER)  # not audited: no one asked
            log.info("synced %s: %d events in %d windows", name, result.events, result.windows)
        except OutlayError as exc:
            log.warning("sync of %s failed: %s", name, exc)
        except Exception:  # a bug or an OS failure must not end the thread
            log.exception("sync of %s failed unexpectedly", name)
