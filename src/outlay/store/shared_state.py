"""State that every web replica and worker must see alike, in the metadata database: sign-in
strikes and starts (``service/throttle.py``), "Sync now" requests (``service/sync_queue.py``).

Read-then-write steps lock the rows they change (``FOR UPDATE`` on PostgreSQL; SQLite has one
writer at a time anyway), so two replicas counting a failure at once both count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from outlay.store.meta import MetaStore
from outlay.store.schema import LoginStartRow, LoginStrikeRow, SyncRequestRow

#: Longest parts of a throttle key kept: a longer email is no real one, and is cut to this.
EMAIL_CHARS, ADDRESS_CHARS = 320, 100
#: A key's delay after its n-th failure.
Delay = Callable[[int], timedelta]


@dataclass(frozen=True)
class Strikes:
    failures: int
    last: datetime
    until: datetime


def _key(kind: str, email: str, address: str) -> dict[str, str]:
    return {"kind": kind, "email": email[:EMAIL_CHARS], "address": address[:ADDRESS_CHARS]}


class StrikeStore:
    """Failed sign-ins per key (kind, email, address), and the sign-ins each address started."""

    def __init__(self, meta: MetaStore) -> None:
        self._meta = meta

    def strikes(self, kind: str, email: str, address: str) -> Strikes | None:
        with self._meta.session() as s:
            row = s.get(LoginStrikeRow, tuple(_key(kind, email, address).values()))
            return Strikes(row.failures, row.last, row.until) if row is not None else None

    def fail(
        self, keys: list[tuple[str, str, str, Delay]], now: datetime, forget: timedelta
    ) -> None:
        """Count one failure for each (kind, email, address, delay) key and start its delay;
        strikes last counted more than ``forget`` ago are dropped first (they start from zero)."""
        with self._meta.session() as s:
            s.execute(delete(LoginStrikeRow).where(LoginStrikeRow.last < now - forget))
            for kind, email, address, delay in keys:
                row = self._locked(s, _key(kind, email, address), now)
                row.failures += 1
                row.last = now
                row.until = now + delay(row.failures)

    def _locked(self, s: Session, key: dict[str, str], now: datetime) -> LoginStrikeRow:
        """The key's row, locked until the transaction ends; a new one at zero failures."""
        query = select(LoginStrikeRow).filter_by(**key).with_for_update()
        found = s.execute(query).scalar_one_or_none()
        if found is not None:
            return found
        try:
            with s.begin_nested():
                row = LoginStrikeRow(**key, failures=0, last=now, until=now)
                s.add(row)
            return row
        except IntegrityError:  # another replica added it meanwhile: count on its row
            return s.execute(query).scalar_one()

    def clear(self, kind: str, email: str, address: str) -> None:
        with self._meta.session() as s:
            s.execute(delete(LoginStrikeRow).filter_by(**_key(kind, email, address)))

    def starts(self, address: str, since: datetime) -> list[datetime]:
        """When the address started its sign-ins after ``since``, oldest first; older starts of
        every address are dropped."""
        with self._meta.session() as s:
            s.execute(delete(LoginStartRow).where(LoginStartRow.at <= since))
            query = select(LoginStartRow.at).where(
                LoginStartRow.address == address[:ADDRESS_CHARS], LoginStartRow.at > since
            )
            return list(s.scalars(query.order_by(LoginStartRow.at)))

    def start(self, address: str, now: datetime) -> None:
        with self._meta.session() as s:
            s.add(LoginStartRow(address=address[:ADDRESS_CHARS], at=now))


class SyncRequestStore:
    """Accounts whose "Sync now" is waiting or running, each at most once."""

    def __init__(self, meta: MetaStore) -> None:
        self._meta = meta

    def add(self, account: str, now: datetime) -> bool:
        try:
            with self._meta.session() as s:
                s.add(SyncRequestRow(account=account, requested_at=now))
        except IntegrityError:
            return False
        return True

    def pending(self) -> set[str]:
        with self._meta.session() as s:
            return set(s.scalars(select(SyncRequestRow.account)))

    def claim(self, now: datetime) -> str | None:
        """The longest-waiting request not yet started, marked started; None if there is none."""
        with self._meta.session() as s:
            for name in s.scalars(
                select(SyncRequestRow.account)
                .where(SyncRequestRow.started_at.is_(None))
                .order_by(SyncRequestRow.id)
            ):
                # Only one claimer changes the row: the one whose UPDATE still finds it waiting.
                done = s.execute(
                    update(SyncRequestRow)
                    .where(SyncRequestRow.account == name, SyncRequestRow.started_at.is_(None))
                    .values(started_at=now)
                )
                if done.rowcount:  # type: ignore[attr-defined]
                    return str(name)
            return None

    def done(self, account: str) -> None:
        with self._meta.session() as s:
            s.execute(delete(SyncRequestRow).where(SyncRequestRow.account == account))

    def requeue_started(self) -> int:
        """Put back the requests marked running: called by a scheduler that just became the
        only active one, so any started request belonged to one that died mid-sync."""
        with self._meta.session() as s:
            done = s.execute(
                update(SyncRequestRow)
                .where(SyncRequestRow.started_at.is_not(None))
                .values(started_at=None)
            )
            return int(done.rowcount)  # type: ignore[attr-defined]
