"""Sync one account: re-read the trailing lag window, then continue the newest-first backfill.

The account's checkpoint is one contiguous covered range of days, ``[oldest_day,
synced_through]``: every day in it was read in a completed window. A sync first reads from the
newest covered day minus the lag up to now (closing any gap a long pause left), then extends the
range back towards the horizon. The account is ``stable`` only when the range reaches both ends.

Every window is fetched to its last page before anything is written, then replaces the
account's rows of exactly that window in one transaction; checkpoints move only after the
replace, so a crash or an API failure at any point leaves the previous rows and a resumable
checkpoint. Re-reading a window is idempotent: nothing is ever de-duplicated by content.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from outlay.errors import InputError, OutlayError
from outlay.ingest.reads import DayRecorder, read_activity, snapshot_spend
from outlay.ingest.seats import record_members, refresh_seats
from outlay.ingest.windows import Window, plan_windows, utc_day
from outlay.providers.cursor.client import CursorClient, EventWindow
from outlay.providers.cursor.models import EventsPage
from outlay.providers.cursor.normalize import normalize_events
from outlay.providers.cursor.prices import PriceTable
from outlay.store.facts_api import Facts
from outlay.store.meta import ERROR, IMPORTING, STABLE, Account, MetaStore
from outlay.store.staging import StagedWindow
from outlay.store.trust import TrustStore

log = logging.getLogger(__name__)

#: The backfill stops after this many consecutive 30-day windows without a single event.
EMPTY_WINDOWS_TO_STOP = 2


class SyncListener(Protocol):
    def planned(self, account: str, windows: int) -> None: ...
    def window_done(self, account: str, window: Window, events: int, rows: int) -> None: ...


class _Silent:
    def planned(self, account: str, windows: int) -> None:
        pass

    def window_done(self, account: str, window: Window, events: int, rows: int) -> None:
        pass


@dataclass(frozen=True)
class SyncOptions:
    lag_days: int = 3
    horizon_days: int = 400
    since: date | None = None


@dataclass(frozen=True)
class SyncResult:
    account: str
    windows: int
    events: int
    rows: int
    status: str


@dataclass
class _Tally:
    windows: int = 0
    events: int = 0
    rows: int = 0


def sync_account(
    account: Account,
    *,
    client: CursorClient,
    facts: Facts,
    meta: MetaStore,
    prices: PriceTable,
    options: SyncOptions,
    now_ms: int,
    listener: SyncListener | None = None,
) -> SyncResult:
    """Bring one account up to ``now_ms``; call it holding the account's lock (``account_lock``).

    On any failure the account shows ``error`` with the failure's message, and it raises.
    """
    listener = listener or _Silent()
    today = utc_day(now_ms)
    if options.since is not None and options.since > today:
        raise InputError(
            f"the sync start {options.since} is in the future; use a date up to {today}",
            field="since",
        )
    tally = _Tally()
    # The caller holds the account lock: anything staged for this account is a killed sync's.
    facts.clear_staging(account.name)
    try:
        members = client.members()
        record_members(meta, account, today, members)
        names = {m.email: m.name for m in members if m.name}
        trust = TrustStore(meta)
        # Read before the events: Cursor's spend then covers no event newer than those read.
        snapshot_spend(account, client, trust, now_ms)
        fetch = _Fetcher(
            account, client, facts, prices, names, listener, tally,
            lambda window: DayRecorder(account, facts, trust, window, now_ms),
        )  # fmt: skip
        account = _refresh(account, meta, fetch, options, today, now_ms)
        if not account.backfill_done:
            account = _backfill(account, meta, fetch, options, today, now_ms)
        refresh_seats(account, facts=facts, meta=meta, today=today)
    except Exception as exc:  # whatever failed shows on the account, then propagates
        _mark_failed(meta, account, exc)
        raise
    complete = account.backfill_done and account.synced_through == today
    account = meta.update(
        account,
        status=STABLE if complete else IMPORTING,
        error=None,
        last_synced_at=datetime.fromtimestamp(now_ms / 1000, UTC).replace(tzinfo=None),
    )
    return SyncResult(account.name, tally.windows, tally.events, tally.rows, account.status)


def _mark_failed(meta: MetaStore, account: Account, exc: Exception) -> None:
    """Show the failure on the account; a failure to do so never hides the original error."""
    message = str(exc) if isinstance(exc, OutlayError) else f"{type(exc).__name__}: {exc}"
    try:
        meta.update(account, status=ERROR, error=message)
    except Exception:  # the caller gets the original error; this one is logged
        log.exception("%s: cannot record the sync failure (%s)", account.name, message)


def _refresh(
    account: Account, meta: MetaStore, fetch: _Fetcher, options: SyncOptions, today: date,
    now_ms: int,
) -> Account:  # fmt: skip
    """Read from the newest covered day minus the lag (or ``--since``, if older) up to now."""
    first = _refresh_from(account, options, today)
    if first is None:
        return account
    windows = plan_windows(first, today, now_ms=now_ms)
    fetch.listener.planned(account.name, len(windows))
    for window in windows:
        fetch(window)
    # Only now is [first, today] read whole; it meets or overlaps the covered range.
    oldest = min(account.oldest_day or first, first)
    return meta.update(account, oldest_day=oldest, synced_through=today)


def _refresh_from(account: Account, options: SyncOptions, today: date) -> date | None:
    """The first day to re-read, or None when nothing is covered yet and no --since is given."""
    # An account interrupted before the newest covered day was kept: re-read all it has.
    newest = account.synced_through or account.oldest_day
    starts = [options.since] if options.since is not None else []
    if newest is not None:
        starts.append(min(newest, today) - timedelta(days=options.lag_days))
    return min(starts) if starts else None


def _backfill(
    account: Account, meta: MetaStore, fetch: _Fetcher, options: SyncOptions, today: date,
    now_ms: int,
) -> Account:  # fmt: skip
    """Newest first from the day before the oldest imported one, back to the horizon."""
    horizon = today - timedelta(days=options.horizon_days)
    start = account.oldest_day - timedelta(days=1) if account.oldest_day else today
    windows = plan_windows(horizon, start, now_ms=now_ms)
    fetch.listener.planned(account.name, len(windows))
    empty = 0
    for window in windows:
        events = fetch(window)
        empty = empty + 1 if events == 0 else 0
        account = meta.update(
            account,
            oldest_day=window.first_day,
            # The first window of a first import starts the covered range at its newest day.
            synced_through=account.synced_through or window.last_day,
            windows_done=account.windows_done + 1,
            events_imported=account.events_imported + events,
        )
        if empty >= EMPTY_WINDOWS_TO_STOP:
            break
    return meta.update(account, backfill_done=True)


class _Fetcher:
    """Fetches one window completely, then replaces it in the store."""

    def __init__(
        self,
        account: Account,
        client: CursorClient,
        facts: Facts,
        prices: PriceTable,
        names: dict[str, str],
        listener: SyncListener,
        tally: _Tally,
        recorder: Callable[[Window], DayRecorder],
    ) -> None:
        self.account = account
        self.client = client
        self.facts = facts
        self.prices = prices
        self.names = names
        self.listener = listener
        self.tally = tally
        #: Records each window's day reads around its replace.
        self.recorder = recorder

    def __call__(self, window: Window) -> int:
        recorder = self.recorder(window)
        with self.facts.stage(self.account.name) as staged:
            sink = _WindowSink(self, window, staged)
            self.client.read_event_window(EventWindow(window.start_ms, window.end_ms), sink)
            activity = read_activity(self.account, self.client, window)
            recorder.before()
            rows = self.facts.replace_window(
                self.account.name, window.start_ms, window.end_ms, staged
            )
            events = staged.events
        recorder.after(activity)
        self.tally.windows += 1
        self.tally.events += events
        self.tally.rows += rows
        self.listener.window_done(self.account.name, window, events, rows)
        return events


class _WindowSink:
    """Normalizes each page of a window and stages its rows."""

    def __init__(self, fetch: _Fetcher, window: Window, staged: StagedWindow) -> None:
        self._fetch = fetch
        self._window = window
        self._staged = staged

    def restart(self) -> None:
        self._staged.restart()

    def add(self, page: EventsPage) -> None:
        start, end = self._window.start_ms, self._window.end_ms
        inside = [e for e in page.usageEvents if start <= e["timestamp"] <= end]
        fetch = self._fetch
        if len(inside) != len(page.usageEvents):
            # Rows outside the window would be doubled by the neighbour window's replace.
            log.warning(
                "%s: dropped %d events outside the requested window",
                fetch.account.name,
                len(page.usageEvents) - len(inside),
            )
        table = normalize_events(
            inside, account=fetch.account.name, member_names=fetch.names, prices=fetch.prices
        )
        self._staged.add(table)
