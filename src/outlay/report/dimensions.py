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


def dimension_sql(name: str) -> str:
    """SQL expression of a dimension (``service``, ``tag:cursor:max_mode``, …)."""
    if name in BASE_DIMENSIONS:
        return name
    if name.startswith(TAG_PREFIX):
        return tag_sql(name[len(TAG_PREFIX) :])
    raise InputError(
        f"unknown dimension {name!r}; use one of {', '.join(BASE_DIMENSIONS)} or tag:<key>"
    )


def tag_sql(key: str) -> str:
    try:
        return PROVIDER_TAGS[key]
    except KeyError:
        raise InputError(f"unknown tag {key!r}; known tags: {', '.join(PROVIDER_TAGS)}") from None
