"""The report options, defined once: the CLI flags, the API's query parameters and the web
page's URL are all built from ``OPTIONS``, and all parse through ``spec_from_text``.

Adding an option is one ``ReportOption`` here (and its ``ReportSpec`` field).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from outlay.errors import InputError
from outlay.report.intervals import INTERVALS
from outlay.report.spec import CHART_TOP, CHARTS, DATE_BINS, MEASURES, SORTS, ReportSpec

_TRUE = ("true", "1", "on", "yes")
_FALSE = ("false", "0", "off", "no")


def parse_day(text: str, label: str) -> date:
    """A YYYY-MM-DD day, or a one-line error naming ``label``."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"{label} {text!r} is not a date; use YYYY-MM-DD, e.g. 2026-01-31"
        ) from None


def _whole(text: str, label: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InputError(f"{label} {text!r} is not a whole number") from None


def _names(text: str, label: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(g.strip() for g in text.split(",") if g.strip()))


def _flag(text: str, label: str) -> bool:
    if text.lower() in _TRUE + _FALSE:
        return text.lower() in _TRUE
    raise InputError(f"{label} {text!r} is not true or false")


def _text(text: str, label: str) -> str:
    return text


@dataclass(frozen=True)
class ReportOption:
    #: The ``ReportSpec`` field it sets.
    field: str
    #: The query parameter of the API and the web page.
    param: str
    #: The command-line flag.
    flag: str
    help: str
    #: Text -> spec value; an empty text leaves the spec's default.
    parse: Callable[[str, str], Any] = _text
    metavar: str | None = None
    #: The allowed values, when it is a choice (shown in help, checked by the spec).
    choices: tuple[str, ...] = ()
    #: The default as text; "" is unset.
    default: str = ""
    #: A switch: present or not on the command line, true/false in a URL.
    switch: bool = False
    #: Written in the web page's URL even at its default (the page's controls show it).
    in_url: bool = False


OPTIONS: tuple[ReportOption, ...] = (
    ReportOption("interval", "interval", "--interval", f"Instead of dates: {', '.join(INTERVALS)}.",
                 metavar="NAME"),
    ReportOption("start", "start_date", "--start", "First UTC day.", parse_day, "YYYY-MM-DD"),
    ReportOption("end", "end_date", "--end", "Last UTC day (inclusive).", parse_day, "YYYY-MM-DD"),
    ReportOption("date_bin", "date_bin", "--date-bin", "Bin rows by time.", choices=DATE_BINS,
                 default="day", in_url=True),
    ReportOption("group_by", "groupings", "--group-by", "e.g. service,resource,tag:team", _names,
                 "DIM[,DIM…]", in_url=True),
    ReportOption("filter", "filter", "--filter", "e.g. costs.service LIKE 'claude%' AND …",
                 metavar="VQL"),
    ReportOption("measure", "measure", "--measure", "What to sum.", choices=MEASURES,
                 default="cost", in_url=True),
    ReportOption("top", "top", "--top", "Keep N groups, fold the rest in Other.", _whole, "N"),
    ReportOption("top_per_parent", "top_per_parent", "--top-per-parent",
                 "With two group-by levels: keep the N largest second-level groups per "
                 "first-level group (the rest fold into Other); --top then counts parents.",
                 _whole, "N"),
    ReportOption("compare", "compare", "--compare",
                 "Add the change against the period before (whole months by months), or a range.",
                 metavar="previous|START..END"),
    ReportOption("forecast", "forecast", "--forecast",
                 "Forecast this month's total, with a band.", _flag, default="false", switch=True),
    ReportOption("chart", "chart", "--chart", "Chart type on the web page.", choices=CHARTS,
                 default="bar", in_url=True),
    ReportOption("sort", "sort", "--sort",
                 "Order groups by value, by name, or by the largest change (movers; needs "
                 "--compare).", choices=SORTS, default="value"),
    ReportOption("chart_top", "chart_top", "--chart-top",
                 "Groups the web page's chart draws; the rest are one Other series.", _whole,
                 "N", default=str(CHART_TOP)),
)  # fmt: skip
BY_FIELD = {o.field: o for o in OPTIONS}


def spec_from_text(
    values: Mapping[str, str | None], label: Callable[[ReportOption], str] = lambda o: o.param
) -> ReportSpec:
    """A spec from options as typed, keyed by spec field; blank or missing ones are unset.

    ``label`` names an option in errors: its query parameter (default) or its flag.
    """
    unknown = set(values) - set(BY_FIELD)
    if unknown:
        raise ValueError(f"not report options: {sorted(unknown)}")
    parsed: dict[str, Any] = {}
    for option in OPTIONS:
        text = (values.get(option.field) or "").strip()
        if text:
            parsed[option.field] = option.parse(text, label(option))
    return ReportSpec(**parsed)


def spec_to_text(spec: ReportSpec) -> dict[str, str]:
    """The options that give ``spec`` back through ``spec_from_text``, as text."""
    out: dict[str, str] = {}
    for option in OPTIONS:
        value = getattr(spec, option.field)
        if value is None:
            out[option.field] = ""
        elif isinstance(value, bool):
            out[option.field] = "true" if value else "false"
        elif isinstance(value, tuple):
            out[option.field] = ",".join(value)
        elif isinstance(value, date):
            out[option.field] = value.isoformat()
        else:
            out[option.field] = str(value)
    return out
