"""Reports, saved reports and virtual tags of a workspace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache

from outlay.access import LOCAL_OWNER, Action, Principal
from outlay.errors import InputError
from outlay.report.check import report_name
from outlay.report.run import ReportResult, run_report
from outlay.report.spec import ReportSpec
from outlay.report.tag_csv import MatchReport, match_report, parse_tag_csv, spellings_of
from outlay.report.tags import TagSet, VirtualTag, parse_tags_yaml
from outlay.service.audit import audited
from outlay.service.core import Core, path_safe, requires
from outlay.store.access import Workspace
from outlay.store.meta import SavedReport

TAGS_DOCUMENT = "virtual_tags"
#: A tag CSV is checked against the emails that carried cost over these last days.
CSV_MATCH_DAYS = 90


@dataclass(frozen=True)
class TagCsvPreview:
    """A tag CSV read and compared with the workspace's cost data; nothing saved yet."""

    tag: VirtualTag
    report: MatchReport
    #: The CSV's first row was a header (and was skipped); emails listed in it.
    header: bool
    emails: int
    #: Whether saving it replaces a tag of the same key.
    replaces: bool


class Reports(Core):
    @requires(Action.READ)
    def report(
        self, spec: ReportSpec, tags: TagSet | None = None, *,
        principal: Principal = LOCAL_OWNER, workspace: str | None = None,
    ) -> ReportResult:  # fmt: skip
        """Run a report over one workspace's accounts, with its tags (or unsaved ``tags``)."""
        space = self.workspace(workspace, principal)
        accounts = self._account_names(space)
        return run_report(
            self.facts,
            spec,
            self._tags_in(space) if tags is None else tags,
            today=self.today(),
            cycle_day=self.settings.billing_cycle_day,
            accounts=accounts,
        )

    @audited("report.save")
    @requires(Action.EDIT)
    def save_report(
        self, name: str, spec: ReportSpec, *, principal: Principal = LOCAL_OWNER,
        workspace: str | None = None,
    ) -> SavedReport:  # fmt: skip
        # The spec validated itself; tags are data, so one that no rule defines is no error.
        space = self.workspace(workspace, principal)
        name = path_safe(report_name(name), "a report name", "name")
        return self.meta.save_report(space.id, name, spec.to_data(), now=self.clock.now())

    @audited("report.rename")
    @requires(Action.EDIT)
    def rename_report(
        self, name: str, new_name: str, principal: Principal = LOCAL_OWNER,
        workspace: str | None = None,
    ) -> SavedReport:  # fmt: skip
        """Rename in one step: the report is never missing, and never there twice."""
        space = self.workspace(workspace, principal)
        new_name = path_safe(report_name(new_name), "a report name", "name")
        if new_name != name:
            self.meta.rename_report(space.id, name, new_name, now=self.clock.now())
        return self.meta.report(space.id, new_name)

    @requires(Action.READ)
    def saved_reports(
        self, principal: Principal = LOCAL_OWNER, workspace: str | None = None
    ) -> list[SavedReport]:
        return self.meta.reports(self.workspace(workspace, principal).id)

    @requires(Action.READ)
    def saved_spec(
        self, name: str, principal: Principal = LOCAL_OWNER, workspace: str | None = None
    ) -> ReportSpec:
        space = self.workspace(workspace, principal)
        return ReportSpec.from_data(self.meta.report(space.id, name).spec)

    @audited("report.delete")
    @requires(Action.EDIT)
    def delete_report(
        self, name: str, principal: Principal = LOCAL_OWNER, workspace: str | None = None
    ) -> None:
        self.meta.delete_report(self.workspace(workspace, principal).id, name)

    # -- virtual tags --------------------------------------------------------------------------

    @requires(Action.READ)
    def tags(self, workspace: str | None = None, principal: Principal = LOCAL_OWNER) -> TagSet:
        return self._tags_in(self.workspace(workspace, principal))

    def _tags_in(self, space: Workspace) -> TagSet:
        body = self.meta.document(f"{TAGS_DOCUMENT}:{space.id}")
        return _stored_tags(body) if body else TagSet(())

    @audited("tag.replace")
    @requires(Action.EDIT)
    def replace_tags(
        self, tags: TagSet, workspace: str | None = None, principal: Principal = LOCAL_OWNER
    ) -> None:
        """Make ``tags`` the whole set of the workspace's definitions, in one step."""
        space = self.workspace(workspace, principal)
        self.meta.put_document(f"{TAGS_DOCUMENT}:{space.id}", tags.to_yaml(), now=self.clock.now())

    @audited("tag.import", target="source")
    @requires(Action.EDIT)
    def import_tags(
        self, text: str, source: str, workspace: str | None = None,
        principal: Principal = LOCAL_OWNER,
    ) -> TagSet:  # fmt: skip
        """Replace every tag with the document's. A document with no tag (empty, blank, only
        comments or ``[]``) is refused: it would delete every tag, which ``delete_all_tags``
        does on purpose."""
        tags = parse_tags_yaml(text, source)
        if not tags.tags:
            raise InputError(
                f"{source}: the tags document has no tags; an import never deletes every tag, "
                "delete them explicitly",
                field="tags_document",
            )
        self.replace_tags(tags, workspace, principal)
        return tags

    @audited("tag.delete_all")
    @requires(Action.EDIT)
    def delete_all_tags(
        self, workspace: str | None = None, principal: Principal = LOCAL_OWNER
    ) -> tuple[str, ...]:
        """Delete every tag of the workspace; the keys that were deleted."""
        keys = self.tags(workspace, principal).keys
        self.replace_tags(TagSet(()), workspace, principal)
        return keys

    @requires(Action.EDIT)
    def preview_tag_csv(
        self, key: str, text: str, source: str, workspace: str | None = None,
        principal: Principal = LOCAL_OWNER,
    ) -> TagCsvPreview:  # fmt: skip
        """The tag a CSV of ``email,value`` rows makes and what it would match, unsaved:
        emails are compared with the cost data case-insensitively, and each rule lists every
        spelling the data has of its emails."""
        space = self.workspace(workspace, principal)
        csv_tag = parse_tag_csv(key, text, source)
        since = self.today() - timedelta(days=CSV_MATCH_DAYS - 1)
        costs = self.facts.resource_costs(
            self._account_names(space), datetime.combine(since, time())
        )
        tag = csv_tag.tag(spellings_of(costs))
        report = match_report(csv_tag, costs, since)
        replaces = key in self._tags_in(space)
        return TagCsvPreview(tag, report, csv_tag.header, csv_tag.emails, replaces)

    @audited("tag.import_csv")
    @requires(Action.EDIT)
    def import_tag_csv(
        self, key: str, text: str, source: str, workspace: str | None = None,
        principal: Principal = LOCAL_OWNER,
    ) -> TagCsvPreview:  # fmt: skip
        """Save the tag ``preview_tag_csv`` shows (read again: the data may have grown)."""
        preview = self.preview_tag_csv(key, text, source, workspace, principal)
        tags = self.tags(workspace, principal).replacing(preview.tag)
        self.replace_tags(tags, workspace, principal)
        return preview

    def _account_names(self, space: Workspace) -> tuple[str, ...]:
        return tuple(sorted(a.name for a in self._accounts_in(frozenset({space.id}))))

    @audited("tag.delete")
    @requires(Action.EDIT)
    def delete_tag(
        self, key: str, workspace: str | None = None, principal: Principal = LOCAL_OWNER
    ) -> None:
        self.replace_tags(self.tags(workspace, principal).without(key), workspace, principal)


@lru_cache(maxsize=64)
def _stored_tags(body: str) -> TagSet:
    # Every report reads its workspace's tags; parsing and validating 200 rules takes ~24 ms,
    # so the same stored text is parsed once. A TagSet is immutable: sharing it is safe.
    return parse_tags_yaml(body, "stored tags")
