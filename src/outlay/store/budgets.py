"""Budgets and report digests of each workspace, in the metadata database.

It shares the database (and its transactions) with ``MetaStore``, like ``AlertStore``.
A budget is kept as its definition's JSON, so a new optional field needs no new column.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from outlay.errors import ConflictError
from outlay.store.meta import MetaStore
from outlay.store.schema import AlertEventRow, BudgetRow, DigestRow


@dataclass(frozen=True)
class StoredBudget:
    workspace_id: int
    name: str
    body: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Digest:
    workspace_id: int
    report: str
    every: str
    channels: tuple[str, ...]
    created_at: datetime


class BudgetStore:
    def __init__(self, meta: MetaStore) -> None:
        self._meta = meta

    def add(self, workspace_id: int, name: str, body: dict[str, Any], *, now: datetime) -> None:
        with self._meta.session() as s:
            if s.get(BudgetRow, (workspace_id, name)) is not None:
                raise ConflictError(
                    f"a budget named {name!r} exists; edit it, remove it first or pick another "
                    "name",
                    field="name",
                )
            s.add(BudgetRow(workspace_id=workspace_id, name=name, body=json.dumps(body),
                            created_at=now, updated_at=now))  # fmt: skip

    def replace(self, workspace_id: int, name: str, body: dict[str, Any], *, now: datetime) -> bool:
        """Overwrite budget ``name`` with ``body`` (which may rename it); False if missing."""
        with self._meta.session() as s:
            row = s.get(BudgetRow, (workspace_id, name))
            if row is None:
                return False
            new_name = body["name"]
            if new_name != name and s.get(BudgetRow, (workspace_id, new_name)) is not None:
                raise ConflictError(
                    f"a budget named {new_name!r} exists; pick another name", field="name"
                )
            created = row.created_at
            s.delete(row)
            s.flush()
            s.add(BudgetRow(workspace_id=workspace_id, name=new_name, body=json.dumps(body),
                            created_at=created, updated_at=now))  # fmt: skip
            return True

    def budgets(self, workspace_id: int) -> list[StoredBudget]:
        with self._meta.session() as s:
            rows = s.scalars(
                select(BudgetRow)
                .where(BudgetRow.workspace_id == workspace_id)
                .order_by(BudgetRow.name)
            )
            return [
                StoredBudget(r.workspace_id, r.name, json.loads(r.body), r.created_at,
                             r.updated_at)
                for r in rows
            ]  # fmt: skip

    def remove(self, workspace_id: int, name: str) -> bool:
        return self._meta.delete(BudgetRow, (workspace_id, name))

    # -- report digests ----------------------------------------------------------------------

    def put_digest(self, digest: Digest) -> None:
        """Set a report's digest; a changed schedule keeps the original ``created_at``."""
        with self._meta.session() as s:
            row = s.get(DigestRow, (digest.workspace_id, digest.report))
            if row is None:
                row = DigestRow(workspace_id=digest.workspace_id, report=digest.report,
                                created_at=digest.created_at)  # fmt: skip
                s.add(row)
            row.every = digest.every
            row.channels = json.dumps(list(digest.channels))

    def digests(self, workspace_id: int) -> list[Digest]:
        with self._meta.session() as s:
            rows = s.scalars(
                select(DigestRow)
                .where(DigestRow.workspace_id == workspace_id)
                .order_by(DigestRow.report)
            )
            return [
                Digest(r.workspace_id, r.report, r.every, tuple(json.loads(r.channels)),
                       r.created_at)
                for r in rows
            ]  # fmt: skip

    def remove_digest(self, workspace_id: int, report: str) -> bool:
        return self._meta.delete(DigestRow, (workspace_id, report))

    def recorded(self, event_ids: Sequence[str]) -> set[str]:
        """Which of these events are recorded already: a digest sent for its period is not
        worth running its report again."""
        with self._meta.session() as s:
            found = s.scalars(select(AlertEventRow.id).where(AlertEventRow.id.in_(event_ids)))
            return set(found)
