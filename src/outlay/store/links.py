"""One-time links: invitations and password resets. Only the SHA-256 of a link's secret is kept;
using one marks it used in the same statement that checks it was not, so it works once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from outlay.store.meta import MetaStore
from outlay.store.schema import OneTimeLinkRow

INVITE, RESET = "invite", "reset"


@dataclass(frozen=True)
class OneTimeLink:
    id: int
    kind: str
    email: str
    role: str
    workspace_ids: tuple[int, ...]
    created_by: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None

    def usable(self, now: datetime) -> bool:
        return self.used_at is None and self.revoked_at is None and now < self.expires_at


def _link(row: OneTimeLinkRow) -> OneTimeLink:
    return OneTimeLink(
        row.id, row.kind, row.email, row.role, tuple(json.loads(row.workspace_ids)),
        row.created_by, row.created_at, row.expires_at, row.used_at, row.revoked_at,
    )  # fmt: skip


class LinkStore:
    def __init__(self, meta: MetaStore) -> None:
        self._meta = meta

    def add(
        self, kind: str, secret_hash: str, email: str, *, created_by: str, now: datetime,
        expires_at: datetime, role: str = "", workspace_ids: tuple[int, ...] = (),
    ) -> OneTimeLink:  # fmt: skip
        with self._meta.session() as s:
            row = OneTimeLinkRow(
                kind=kind, secret_hash=secret_hash, email=email, role=role,
                workspace_ids=json.dumps(list(workspace_ids)), created_by=created_by,
                created_at=now, expires_at=expires_at,
            )  # fmt: skip
            s.add(row)
            s.flush()
            return _link(row)

    def by_secret(self, kind: str, secret_hash: str) -> OneTimeLink | None:
        with self._meta.session() as s:
            row = s.scalar(
                select(OneTimeLinkRow).where(
                    OneTimeLinkRow.kind == kind, OneTimeLinkRow.secret_hash == secret_hash
                )
            )
            return _link(row) if row is not None else None

    def pending(self, kind: str, now: datetime) -> list[OneTimeLink]:
        """Links of ``kind`` not used, revoked or expired, oldest first."""
        with self._meta.session() as s:
            rows = s.scalars(
                select(OneTimeLinkRow)
                .where(
                    OneTimeLinkRow.kind == kind,
                    OneTimeLinkRow.used_at.is_(None),
                    OneTimeLinkRow.revoked_at.is_(None),
                    OneTimeLinkRow.expires_at > now,
                )
                .order_by(OneTimeLinkRow.id)
            )
            return [_link(r) for r in rows]

    def use(self, link_id: int, *, now: datetime) -> bool:
        """Mark the link used; False if it was used, revoked or expired meanwhile."""
        return self._close(link_id, now, used_at=now)

    def revoke(self, link_id: int, *, now: datetime) -> bool:
        return self._close(link_id, now, revoked_at=now)

    def _close(self, link_id: int, now: datetime, **values: datetime) -> bool:
        with self._meta.session() as s:
            done = s.execute(
                update(OneTimeLinkRow)
                .where(
                    OneTimeLinkRow.id == link_id,
                    OneTimeLinkRow.used_at.is_(None),
                    OneTimeLinkRow.revoked_at.is_(None),
                    OneTimeLinkRow.expires_at > now,
                )
                .values(**values)
            )
            return bool(done.rowcount)  # type: ignore[attr-defined]
