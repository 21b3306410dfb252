"""Tags as people read and type them: short summaries for lists, and email lists as filters.

A tag imported from an HR export holds hundreds of emails in ``IN`` lists; a list of tags shows
each value's filter as a digest (field, how many items, the first few), and the editor shows
and takes such a filter as plain emails, one per line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from outlay.report.tags import TagValue, VirtualTag
from outlay.report.vql import Compare, InList
from outlay.report.vql_sql import fold_sets

#: How many items of a long list a summary names.
SUMMARY_ITEMS = 3
SUMMARY_WIDTH = 90
_EMAIL = re.compile(r"[^@\s'\"(),;<>]+@[^@\s'\"(),;<>]+")
_SEPARATORS = re.compile(r"[\s,;]+")


def resource_in(emails: Iterable[str]) -> str:
    """``costs.resource IN ('a@x', 'b@x')``: the filter of a list of emails."""
    quoted = ", ".join("'" + e.replace("'", "''") + "'" for e in emails)
    return f"costs.resource IN ({quoted})"


def email_list(value: TagValue) -> list[str] | None:
    """The emails of a value whose filter is exactly ``resource_in`` of them, else None."""
    expr = value.filter
    if isinstance(expr, InList) and not expr.negated and expr.field == "resource":
        emails = list(expr.values)
    elif isinstance(expr, Compare) and expr.op == "=" and expr.field == "resource":
        emails = [expr.value] if expr.value is not None else []
    else:
        return None
    return emails if emails and value.filter_text == resource_in(emails) else None


def filter_of_input(text: str) -> str:
    """What the editor's filter box means: VQL as typed, or a pasted list of emails (one per
    line, or separated by commas or semicolons, quotes and <> allowed) as an ``IN`` list."""
    items = [i.strip("'\"<>") for i in _SEPARATORS.split(text.strip()) if i.strip("'\"<>")]
    if items and all(_EMAIL.fullmatch(item) for item in items):
        return resource_in(dict.fromkeys(items))
    return text.strip()


def filter_summary(value: TagValue) -> str:
    """One short line for a value's filter: a long list as its field, size and first items."""
    expr = fold_sets(value.filter)
    if isinstance(expr, InList) and len(expr.values) > SUMMARY_ITEMS:
        field = f"tag {expr.field[4:]}" if expr.field.startswith("tag:") else f"costs.{expr.field}"
        first = ", ".join(expr.values[:SUMMARY_ITEMS])
        return (
            f"{field} {'NOT IN' if expr.negated else 'IN'} {len(expr.values):,} values: {first}, …"
        )
    text = " ".join(value.filter_text.split())
    return text if len(text) <= SUMMARY_WIDTH else text[: SUMMARY_WIDTH - 1] + "…"


def tag_summary(tag: VirtualTag) -> str:
    """``12 values · 304 emails · 1 split``: the size of a tag at a glance."""
    parts = [f"{len(tag.values)} value{'s' if len(tag.values) != 1 else ''}"]
    emails = sum(len(found) for v in tag.values if (found := email_list(v)))
    if emails:
        parts.append(f"{emails:,} email{'s' if emails != 1 else ''}")
    splits = sum(1 for v in tag.values if v.split)
    if splits:
        parts.append(f"{splits} split{'s' if splits != 1 else ''}")
    dated = sum(1 for v in tag.values if v.start or v.end)
    if dated:
        parts.append(f"{dated} dated")
    return " · ".join(parts)
