"""What a report spec needs from a workspace's tag set: the one place that judges it.

A spec validates itself on construction (dates, bins, measures, dimensions, filter syntax).
Tags are data, not schema: a tag key that no rule defines is not an error, as in Vantage. Its
conditions match nothing, its negations match everything and grouping by it makes one
untagged group. ``check`` returns that as a notice, to help with typos, never refuses it.
"""

from __future__ import annotations

from outlay.errors import InputError
from outlay.report.dimensions import PROVIDER_TAGS, TAG_PREFIX
from outlay.report.spec import ReportSpec
from outlay.report.tags import TagSet
from outlay.report.vql import fields_used


def tag_keys_read(spec: ReportSpec) -> list[str]:
    """Virtual tag keys the spec groups or filters by (Cursor's own tags are columns)."""
    names = set(spec.group_by) | (fields_used(spec.expr) if spec.expr is not None else set())
    keys = (n[len(TAG_PREFIX) :] for n in names if n.startswith(TAG_PREFIX))
    return sorted(k for k in keys if k not in PROVIDER_TAGS)


def check(spec: ReportSpec, tags: TagSet) -> list[str]:
    """Notices about ``spec`` against ``tags``: one per tag key no cost row carries."""
    known = ", ".join([*tags.keys, *PROVIDER_TAGS])
    return [
        f"no cost row carries tag {key!r}; known tags: {known}"
        for key in tag_keys_read(spec)
        if key not in tags
    ]


def report_name(text: str) -> str:
    """A saved report's name as stored: trimmed, 1 to 200 characters."""
    name = text.strip()
    if not name or len(name) > 200:
        raise InputError("a report name must be 1 to 200 characters")
    return name
