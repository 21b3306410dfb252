"""Cost alert rules and anomaly watches of each workspace (table ``alert_rules``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from outlay.errors import ConflictError, NotFoundError
from outlay.store.meta import MetaStore
from outlay.store.schema import AlertRuleRow

KINDS = ("cost", "anomaly")


@dataclass(frozen=True)
class AlertRule:
    workspace_id: int
    name: str
    kind: str
    #: The kind's settings as plain data (``CostRule.to_data`` / ``Watch.to_data``).
    spec: dict[str, Any]
    channels: tuple[str, ...]
    #: None for the built-in default anomaly watch, which is not stored.
    created_at: datetime | None

    def public(self) -> dict[str, Any]:
        """The rule as the CLI, the API and the page show it."""
        return {
            "name": self.name,
            "kind": self.kind,
            **self.spec,
            "channels": list(self.channels),
            "builtin": self.created_at is None,
        }


def _rule(row: AlertRuleRow) -> AlertRule:
    return AlertRule(
        row.workspace_id, row.name, row.kind, json.loads(row.spec),
        tuple(json.loads(row.channels)), row.created_at,
    )  # fmt: skip


class AlertRuleStore:
    def __init__(self, meta: MetaStore) -> None:
        self._meta = meta

    def add(self, rule: AlertRule, *, now: datetime) -> AlertRule:
        with self._meta.session() as s:
            if s.get(AlertRuleRow, (rule.workspace_id, rule.name)) is not None:
                raise ConflictError(
                    f"an alert rule named {rule.name!r} exists; remove it first or pick "
                    "another name",
                    field="name",
                )
            row = AlertRuleRow(
                workspace_id=rule.workspace_id, name=rule.name, kind=rule.kind,
                spec=json.dumps(rule.spec, sort_keys=True), channels=json.dumps(rule.channels),
                created_at=now,
            )  # fmt: skip
            s.add(row)
            s.flush()
            return _rule(row)

    def rules(self, workspace_id: int) -> list[AlertRule]:
        with self._meta.session() as s:
            rows = s.scalars(
                select(AlertRuleRow)
                .where(AlertRuleRow.workspace_id == workspace_id)
                .order_by(AlertRuleRow.name)
            )
            return [_rule(r) for r in rows]

    def remove(self, workspace_id: int, name: str) -> None:
        with self._meta.session() as s:
            row = s.get(AlertRuleRow, (workspace_id, name))
            if row is None:
                known = ", ".join(r.name for r in self.rules(workspace_id)) or "none yet"
                raise NotFoundError(f"no alert rule named {name!r} (rules: {known})")
            s.delete(row)
