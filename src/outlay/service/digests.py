"""Report digests: saved reports delivered to channels every day, week or month."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from outlay.access import LOCAL_OWNER, Action, Principal
from outlay.alerts.digest import check_every, digest_event, digest_id, due_day
from outlay.alerts.event import AlertEvent
from outlay.errors import InputError, ReportNotFound
from outlay.report.run import run_report
from outlay.report.spec import MONEY_MEASURES, ReportSpec
from outlay.service.audit import audited
from outlay.service.budgets import Budgets
from outlay.service.core import requires
from outlay.store.access import Workspace
from outlay.store.budgets import Digest


class Digests(Budgets):
    @audited("digest.set")
    @requires(Action.EDIT)
    def set_digest(
        self, report: str, every: str, channels: tuple[str, ...], *,
        principal: Principal = LOCAL_OWNER, workspace: str | None = None,
    ) -> Digest:  # fmt: skip
        """Deliver saved report ``report`` every ``every`` (day, week, month) to ``channels``."""
        space = self.workspace(workspace, principal)
        spec = ReportSpec.from_data(self.meta.report(space.id, report).spec)
        check_every(every)
        if spec.measure not in MONEY_MEASURES:
            raise InputError(
                f"report {report!r} sums {spec.measure}; a digest reports money (cost, "
                "billed_cost or list_cost)",
                field="measure",
            )
        self._check_channels(
            space, channels, required="name at least one channel to send the digest to"
        )
        digest = Digest(space.id, report, every, tuple(channels), self.clock.now())
        self.budget_store.put_digest(digest)
        return digest

    @audited("digest.remove")
    @requires(Action.EDIT)
    def remove_digest(
        self, report: str, *, principal: Principal = LOCAL_OWNER, workspace: str | None = None
    ) -> None:
        space = self.workspace(workspace, principal)
        if not self.budget_store.remove_digest(space.id, report):
            raise ReportNotFound(f"report {report!r} has no digest; nothing to turn off")

    @requires(Action.READ)
    def digests(
        self, *, principal: Principal = LOCAL_OWNER, workspace: str | None = None
    ) -> list[Digest]:
        return self.budget_store.digests(self.workspace(workspace, principal).id)

    @requires(Action.ADMIN)
    def evaluate_digests(
        self, now: datetime | None = None, *, principal: Principal = LOCAL_OWNER
    ) -> list[AlertEvent]:
        """Fire every digest due as of ``now`` (default: the clock) and not sent for its
        period yet; return the new events."""
        today = self._today_at(now)
        events = []
        for space in self.workspaces(principal):
            for digest in self.budget_store.digests(space.id):
                event = self._digest_event(space, digest, today)
                if event is not None:
                    events.append(event)
        return self._fire(events)

    def _digest_event(self, space: Workspace, digest: Digest, today: date) -> AlertEvent | None:
        due = due_day(digest.every, today)
        if digest.created_at.date() > due:
            return None  # set up after this period's day: the first one goes out next time
        if self.budget_store.recorded([digest_id(space.id, digest.report, digest.every, due)]):
            return None  # sent for this period already
        try:
            saved = self.meta.report(space.id, digest.report)
        except ReportNotFound:
            return None  # the report was deleted; its digest stays off until it is saved again
        spec = ReportSpec.from_data(saved.spec)
        spec = replace(spec, compare=spec.compare or "previous")
        result = run_report(
            self.facts, spec, self._tags_in(space), today=today,
            cycle_day=self.settings.billing_cycle_day, accounts=self._account_names(space),
        )  # fmt: skip
        return digest_event(space.id, digest.report, digest.every, digest.channels, due, result)
