"""Exports of a report scope to other tools: FOCUS 1.2 (CSV or Parquet)."""

from __future__ import annotations

from pathlib import Path

from outlay.access import LOCAL_OWNER, Action, Principal
from outlay.errors import InputError
from outlay.report.focus import GRAINS, FocusScope, compile_focus_query
from outlay.report.spec import ReportSpec
from outlay.service.core import requires
from outlay.service.reports import Reports

FORMATS = ("csv", "parquet")


class Exports(Reports):
    @requires(Action.READ)
    def export_focus(
        self, spec: ReportSpec, path: Path, *, fmt: str = "csv",
        principal: Principal = LOCAL_OWNER, workspace: str | None = None,
    ) -> int:  # fmt: skip
        """Write the spec's scope (period, filter, workspace) as FOCUS rows to ``path``; the
        number of rows. The spec's date bin is the charge period: ``day`` or ``hour``."""
        if fmt not in FORMATS:
            raise InputError(f"unknown export format {fmt!r}; use csv or parquet", field="format")
        if spec.date_bin not in GRAINS:
            raise InputError(
                f"a FOCUS charge period is a day or an hour, not {spec.date_bin!r}; "
                "use --date-bin day or hour",
                field="date_bin",
            )
        space = self.workspace(workspace, principal)
        accounts = self._account_names(space)
        start, end = spec.period(self.today(), self.settings.billing_cycle_day)
        scope = FocusScope(
            start, end, spec.date_bin, spec.expr, accounts, self.settings.billing_cycle_day
        )
        compiled = compile_focus_query(scope, self._tags_in(space))
        return self.facts.export(compiled.sql, compiled.params, path, fmt)
