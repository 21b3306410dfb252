"""Hourly sync of every account, and the "Sync now" requests, in one background thread of
``outlay serve`` or ``outlay worker``.

Exactly one scheduler is active at a time: the one holding the scheduler lock (a PostgreSQL
advisory lock with PostgreSQL metadata, a file lock in the data dir with SQLite). The others
try again every ``LOCK_RETRY_S`` and take over when the active one stops or dies.

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
from typing import Protocol

from outlay.access import SCHEDULER
from outlay.errors import OutlayError
from outlay.ingest.lock import FileLock
from outlay.service import Outlay

log = logging.getLogger(__name__)

#: Cursor aggregates usage hourly; polling more often gains nothing.
INTERVAL_S = 3600.0
#: A waiting scheduler asks for the lock this often; the active one checks it still holds it
#: as often. A dead active scheduler is replaced within this (plus the server noticing).
LOCK_RETRY_S = 5.0
#: How often the active scheduler sends due alert deliveries between syncs: retries back off
#: from one minute, so a sync-paced drain (hourly) would stretch them.
DELIVERY_TICK_S = 60.0
#: Key of the PostgreSQL advisory lock of the active scheduler ("outlay" + 1).
SCHEDULER_LOCK_KEY = 0x6F75746C61790002


class SchedulerLock(Protocol):
    def try_acquire(self) -> bool: ...
    def held(self) -> bool: ...
    def release(self) -> None: ...


def scheduler_lock(outlay: Outlay) -> SchedulerLock:
    """The lock every scheduler on this metadata database competes for."""
    if outlay.meta.dialect == "postgresql":
        from outlay.store.advisory import AdvisoryLock

        return AdvisoryLock(outlay.meta.engine, SCHEDULER_LOCK_KEY)
    return FileLock(outlay.settings.ensure_data_dir() / "locks" / "scheduler.lock")


class Scheduler:
    def __init__(
        self, outlay: Outlay, *, interval_s: float = INTERVAL_S, lock: SchedulerLock | None = None
    ) -> None:
        self._outlay = outlay
        self._interval = interval_s
        self._lock = lock
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        #: Set while this scheduler is the active one.
        self.active = threading.Event()

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
        lock = self._lock or scheduler_lock(self._outlay)
        said_waiting = False
        while not self._stopping.is_set():
            if self._try(lock):
                try:
                    self._active(lock)
                finally:
                    self.active.clear()
                    lock.release()
                said_waiting = False
            elif not said_waiting:
                log.info("another scheduler is active; this one waits to take over")
                said_waiting = True
            self._stopping.wait(LOCK_RETRY_S)

    @staticmethod
    def _try(lock: SchedulerLock) -> bool:
        try:
            return lock.try_acquire()
        except Exception:  # the thread must outlive any failure; the next round tries again
            log.exception("cannot take the scheduler lock")
            return False

    def _active(self, lock: SchedulerLock) -> None:
        """Run syncs while this scheduler holds the lock and is not stopping."""
        requests = self._outlay.sync_queue
        try:
            # Only one scheduler is active: a request marked running was left by a dead one.
            requests.requeue_started()
        except OutlayError as exc:
            log.warning("cannot requeue the syncs a stopped scheduler left: %s", exc)
            return
        log.info("this scheduler is active")
        self.active.set()
        next_all = next_delivery = time.monotonic()
        while not self._stopping.is_set() and lock.held():
            if time.monotonic() >= next_delivery:
                next_delivery = time.monotonic() + DELIVERY_TICK_S
                self._deliver()
            wait = min(LOCK_RETRY_S, max(0.0, next_all - time.monotonic()))
            job = self._next(wait)
            if self._stopping.is_set():
                return
            if job is not None:
                self._sync(job)
                self._done(job)
            elif time.monotonic() >= next_all:
                next_all = time.monotonic() + self._interval
                for name in self._account_names():
                    self._sync(name)

    def _deliver(self) -> None:
        try:
            sent = self._outlay.deliver_due()
        except Exception:  # the thread must outlive any failure
            log.exception("cannot send the due alert deliveries")
            return
        if sent.results:
            log.info("alert deliveries: %d delivered, %d to retry, %d failed", sent.delivered,
                     sent.retrying, sent.failed)  # fmt: skip

    def _next(self, wait: float) -> str | None:
        try:
            return self._outlay.sync_queue.next(timeout=wait)
        except OutlayError as exc:  # the database away for a moment: try again next round
            log.warning("cannot read the sync requests: %s", exc)
            self._stopping.wait(wait)
            return None

    def _done(self, job: str) -> None:
        try:
            self._outlay.sync_queue.done(job)
        except OutlayError as exc:
            log.warning("cannot mark the sync of %s done: %s", job, exc)

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
            return
        except Exception:  # a bug or an OS failure must not end the thread
            log.exception("sync of %s failed unexpectedly", name)
            return
        self._guard()

    def _guard(self) -> None:
        """Alert within the hour Cursor reports the usage: evaluate right after each sync."""
        try:
            run = self._outlay.run_guardrails()
        except Exception:  # the thread must outlive any failure; the next sync tries again
            log.exception("cannot run the guardrails")
            return
        log.info("guardrails fired %d event(s), delivered %d", len(run.fired),
                 run.deliveries.delivered)  # fmt: skip
