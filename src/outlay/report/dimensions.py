"""The dimensions a report can group and filter by, and the SQL expression of each.

Cursor's own tags (``cursor:*``) are columns of the cost row shown as tags; virtual tags join
them later. Dimension names are the canonical ones of the CLI, the API and VQL.
"""

from __future__ import annotations

from outlay.errors import InputError

BASE_DIMENSIONS: tuple[str, ...] = (
    "provider",
    "account",
    "service",
    "category",
    "token_type",
    "subcategory",
    "resource",
    "charge_type",
)

PROVIDER_TAGS: dict[str, str] = {
    "cursor:max_mode": "CASE WHEN max_mode THEN 'true' ELSE 'false' END",
    "cursor:headless": "CASE WHEN headless THEN 'true' ELSE 'false' END",
    "cursor:user": "resource",
    "cursor:service_account": "service_account",
    "cursor:cloud_agent": "cloud_agent",
    "cursor:automation": "automation",
}

TAG_PREFIX = "tag:"


def check_dimension(name: str) -> None:
    """Refuse a group-by name that is neither a dimension nor ``tag:<key>`` (keys are checked
    against the tag set when the query is compiled)."""
    if name in BASE_DIMENSIONS or (name.startswith(TAG_PREFIX) and len(name) > len(TAG_PREFIX)):
        return
    if name == TAG_PREFIX:
        raise InputError("group-by tag: needs a key, e.g. tag:team")
    raise InputError(
        f"unknown dimension {name!r}; use one of {', '.join(BASE_DIMENSIONS)} or tag:<key>"
    )
