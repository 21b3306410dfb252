"""Detected anomalies (table ``anomalies``): one row per run of anomalous days of a group."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import select, update

from outlay.alerts.anomaly_life import ACTIVE, ARCHIVED, IGNORED, Anomaly
from outlay.errors import NotFoundError
from outlay.store.meta import MetaStore
from outlay.store.schema import AnomalyRow


def _anomaly(row: AnomalyRow) -> Anomaly:
    body = json.loads(row.drivers)
    return Anomaly(
        id=row.id, workspace_id=row.workspace_id, rule=row.rule, group=json.loads(row.group),
        first_day=row.first_day, last_day=row.last_day, days=body["days"],
        drivers=body["rows"], status=row.status, reason=row.reason,
        notified_amount=None if row.notified_amount is None else Decimal(row.notified_amount),
        notified_level=row.notified_level,
    )  # fmt: skip


def _fill(row: AnomalyRow, a: Anomaly) -> None:
    row.workspace_id, row.rule = a.workspace_id, a.rule
    row.group = json.dumps(a.group, sort_keys=True)
    row.first_day, row.last_day = a.first_day, a.last_day
    row.actual, row.expected = format(a.actual, "f"), format(a.expected, "f")
    row.drivers = json.dumps({"days": a.days, "rows": a.drivers}, sort_keys=True)
    row.status, row.reason = a.status, a.reason
    row.notified_amount = None if a.notified_amount is None else format(a.notified_amount, "f")
    row.notified_level = a.notified_level


class AnomalyStore:
    def __init__(self, meta: MetaStore) -> None:
        self._meta = meta

    def save(self, anomalies: Sequence[Anomaly]) -> list[Anomaly]:
        """Insert the new ones, update the others; all in one transaction. Returns them with
        their ids."""
        out = []
        with self._meta.session() as s:
            for a in anomalies:
                row = AnomalyRow() if a.id is None else s.get(AnomalyRow, a.id)
                if row is None:  # removed meanwhile (its workspace went): nothing to keep
                    continue
                _fill(row, a)
                if a.id is None:
                    s.add(row)
                s.flush()
                out.append(_anomaly(row))
        return out

    def recent(self, workspace_id: int, rule: str, since: date) -> list[Anomaly]:
        """The rule's anomalies whose last day is on or after ``since`` (any status)."""
        with self._meta.session() as s:
            rows = s.scalars(
                select(AnomalyRow).where(
                    AnomalyRow.workspace_id == workspace_id,
                    AnomalyRow.rule == rule,
                    AnomalyRow.last_day >= since,
                )
            )
            return [_anomaly(r) for r in rows]

    def list(self, workspace_id: int, status: str | None = None) -> list[Anomaly]:
        """Newest first."""
        with self._meta.session() as s:
            query = select(AnomalyRow).where(AnomalyRow.workspace_id == workspace_id)
            if status is not None:
                query = query.where(AnomalyRow.status == status)
            rows = s.scalars(query.order_by(AnomalyRow.last_day.desc(), AnomalyRow.id.desc()))
            return [_anomaly(r) for r in rows]

    def get(self, workspace_id: int, anomaly_id: int) -> Anomaly:
        with self._meta.session() as s:
            # An id no database integer holds names no anomaly (and must not reach the driver).
            row = s.get(AnomalyRow, anomaly_id) if 0 < anomaly_id < 2**63 else None
            if row is None or row.workspace_id != workspace_id:
                raise NotFoundError(
                    f"no anomaly {anomaly_id} in this workspace; see `anomalies list`"
                )
            return _anomaly(row)

    def ignore(self, workspace_id: int, anomaly_id: int, reason: str) -> Anomaly:
        self.get(workspace_id, anomaly_id)
        with self._meta.session() as s:
            row = s.get(AnomalyRow, anomaly_id)
            assert row is not None
            row.status, row.reason = IGNORED, reason
            s.flush()
            return _anomaly(row)

    def archive(self, workspace_id: int, before: date) -> int:
        """Archive the active anomalies whose last day is before ``before``; how many."""
        with self._meta.session() as s:
            result = s.execute(
                update(AnomalyRow)
                .where(
                    AnomalyRow.workspace_id == workspace_id,
                    AnomalyRow.status == ACTIVE,
                    AnomalyRow.last_day < before,
                )
                .values(status=ARCHIVED)
            )
            return int(getattr(result, "rowcount", 0) or 0)
