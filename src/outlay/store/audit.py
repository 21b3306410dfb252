"""The audit log: one row per change, appended and never updated or deleted.

The class has ``append`` and reads only; there is deliberately no path that rewrites history.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from outlay.store.meta import MetaStore
from outlay.store.schema import AuditRow

#: Before/after values larger than this (as JSON) are left out: the log records what changed,
#: not whole documents.
MAX_DETAIL = 2000


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor_id: int | None
    actor: str
    action: str
    target: str
    workspace: str
    address: str
    before: Any
    after: Any

    def to_data(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z"),
            "actor_id": self.actor_id,
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "workspace": self.workspace,
            "address": self.address,
            "before": self.before,
            "after": self.after,
        }


@dataclass(frozen=True)
class AuditQuery:
    since: datetime | None = None
    until: datetime | None = None
    actor: str | None = None
    action: str | None = None
    #: Entries older than this id (the next page of a newest-first listing).
    before_id: int | None = None
    limit: int = 100


def _detail(value: Any) -> str | None:
    if value is None:
        return None
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= MAX_DETAIL else json.dumps({"omitted": f"{len(text)} chars"})


def _entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        row.id, row.at, row.actor_id, row.actor, row.action, row.target, row.workspace,
        row.address, json.loads(row.before) if row.before else None,
        json.loads(row.after) if row.after else None,
    )  # fmt: skip


class AuditStore:
    def __init__(self, meta: MetaStore) -> None:
        self._meta = meta

    def append(
        self, *, at: datetime, actor_id: int | None, actor: str, action: str, target: str = "",
        workspace: str = "", address: str = "", before: Any = None, after: Any = None,
    ) -> None:  # fmt: skip
        row = AuditRow(
            at=at, actor_id=actor_id, actor=actor[:320], action=action[:60], target=target[:400],
            workspace=workspace[:100], address=address[:100], before=_detail(before),
            after=_detail(after),
        )  # fmt: skip
        with self._meta.session() as s:
            s.add(row)

    def entries(self, query: AuditQuery) -> list[AuditEntry]:
        """Newest first."""
        statement = select(AuditRow).order_by(AuditRow.id.desc()).limit(query.limit)
        if query.since is not None:
            statement = statement.where(AuditRow.at >= query.since)
        if query.until is not None:
            statement = statement.where(AuditRow.at < query.until)
        if query.actor:
            statement = statement.where(AuditRow.actor == query.actor.lower())
        if query.action:
            # "account" matches every account.* action; "account.add" only itself.
            family = AuditRow.action.startswith(query.action + ".", autoescape=True)
            statement = statement.where((AuditRow.action == query.action) | family)
        if query.before_id is not None:
            statement = statement.where(AuditRow.id < query.before_id)
        with self._meta.session() as s:
            return [_entry(r) for r in s.scalars(statement)]
