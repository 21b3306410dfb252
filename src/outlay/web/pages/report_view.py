"""The cost report page's state: the report options of its URL, as typed (``report.options``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from outlay.errors import InputError
from outlay.report.dimensions import TAG_PREFIX
from outlay.report.options import BY_FIELD, OPTIONS, ReportOption, spec_from_text, spec_to_text
from outlay.report.run import OTHER, GroupTotal
from outlay.report.spec import CHARTS, ReportSpec
from outlay.web.pages.common import DEFAULT_GROUPS

_DATES = ("start", "end")


def _canonical(option: ReportOption, text: str) -> str:
    """The text a control shows: the default when blank, and "true" or "" for a switch."""
    if option.switch:
        return "true" if text and option.parse(text, option.param) else ""
    return text or option.default


def _checked(text: str) -> bool:
    """A switch as a form sends it; anything that is not a yes is a no, as with a checkbox."""
    try:
        return bool(text.strip()) and bool(BY_FIELD["forecast"].parse(text.strip(), "forecast"))
    except InputError:
        return False


@dataclass(frozen=True)
class ReportView:
    """Everything a report page shows: each report option's text (see ``OPTIONS``) by spec
    field, readable as an attribute (``view.measure``), and the saved report it came from."""

    workspace: str
    text: Mapping[str, str] = field(default_factory=dict)
    #: The saved report this view was opened from (a label; the options are the spec).
    report: str = ""

    def __getattr__(self, name: str) -> str:
        if name in BY_FIELD:
            return self.text.get(name, "")
        raise AttributeError(name)

    @property
    def groupings(self) -> tuple[str, ...]:
        return tuple(g for g in self.text.get("group_by", "").split(",") if g)

    @classmethod
    def of(cls, workspace: str, report: str = "", **options: Any) -> ReportView:
        """A view from option values by spec field; ``group_by`` may be a tuple."""
        if isinstance(options.get("group_by"), tuple):
            options["group_by"] = ",".join(options["group_by"])
        text = {o.field: _canonical(o, str(options.get(o.field) or "").strip()) for o in OPTIONS}
        if text["interval"]:
            text.update(start="", end="")
        elif not text["start"] and not text["end"]:
            text["interval"] = "this_month"
        # Options that only mean something with another one go when it goes (a level removed,
        # the comparison turned off), so the page never turns into an error.
        if text["group_by"].count(",") < 1:
            text["top_per_parent"] = ""
        if text["sort"] == "movers" and not text["compare"]:
            text["sort"] = BY_FIELD["sort"].default
        return cls(workspace, text, report)

    @classmethod
    def from_query(cls, query: Mapping[str, str], workspace: str) -> ReportView:
        options = {o.field: query.get(o.param, "") for o in OPTIONS}
        if options["interval"].strip() == "custom":
            options["interval"] = ""
        if options["compare"].strip() == "custom":  # the page's own range fields
            first, last = (query.get(k, "").strip() for k in ("compare_start", "compare_end"))
            options["compare"] = f"{first}..{last}" if first or last else ""
        if "groupings" not in query:
            options["group_by"] = ",".join(DEFAULT_GROUPS)
        else:  # one level per dimension, in the order first given
            groups = (g.strip() for g in options["group_by"].split(","))
            options["group_by"] = ",".join(dict.fromkeys(g for g in groups if g))
        if options["chart"].strip() not in CHARTS:
            options["chart"] = ""
        options["forecast"] = "true" if _checked(options["forecast"]) else ""
        return cls.of(workspace, query.get("report", ""), **options)

    @classmethod
    def from_spec(cls, spec: ReportSpec, workspace: str, report: str = "") -> ReportView:
        return cls.of(workspace, report, **spec_to_text(spec))

    def with_(self, **changes: Any) -> ReportView:
        report = changes.pop("report", self.report)
        return ReportView.of(self.workspace, report, **{**self.text, **changes})

    def params(self) -> list[tuple[str, str]]:
        out = [("workspace", self.workspace)]
        if self.report:
            out.append(("report", self.report))
        for option in OPTIONS:
            value = self.text.get(option.field, "")
            if option.field in _DATES:
                written = not self.text.get("interval")
            else:
                written = option.in_url or (bool(value) and value != option.default)
            if written:
                out.append((option.param, value))
        return out

    def query(self) -> str:
        return urlencode(self.params())

    def url(self, path: str = "/reports", **changes: Any) -> str:
        return f"{path}?{self.with_(**changes).query()}"

    def period_params(self) -> str:
        """Only the date range: what the filter builder's value lists are read over."""
        keep = ("workspace", *(BY_FIELD[f].param for f in ("interval", *_DATES)))
        return urlencode([(k, v) for k, v in self.params() if k in keep])

    def spec(self) -> ReportSpec:
        return spec_from_text(self.text)

    @property
    def compare_range(self) -> tuple[str, str]:
        """The custom comparison's first and last day as typed, or blanks."""
        first, dots, last = self.text.get("compare", "").partition("..")
        return (first, last) if dots else ("", "")


def value_label(dimension: str, value: Any) -> str:
    if value is None:
        return "(untagged)" if dimension.startswith(TAG_PREFIX) else "(none)"
    return str(value)


def series_label(keys: Sequence[str], group: GroupTotal) -> str:
    """A group's name in the chart: its values joined by " - " (Vantage's style)."""
    if not keys:
        return "Total"
    if group.other:  # the groups "top" folded
        return " - ".join([OTHER, *(str(group.key.get(k)) for k in keys if k == "unit")])
    return " - ".join(value_label(k, group.key.get(k)) for k in keys)
