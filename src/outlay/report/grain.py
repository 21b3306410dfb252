"""Which table a report reads: the daily rollup whenever nothing in the report is finer than a
day, else the cost rows.

Finer than a day, today: hour bins, and a split tag. A split cuts each cost row's share at
1e-10 USD, and the cuts of a sum are not the sum of the cuts, so the shares of summed rows
would differ from the cost rows' in the last digit. Everything else a report reads is a day
or coarser: filters name dimensions (no time of day), tag values' date bounds are whole days,
and every measure is a sum.
"""

from __future__ import annotations

from collections.abc import Sequence

from outlay.report.tags import VirtualTag


def uses_rollup(date_bin: str, chain: Sequence[VirtualTag]) -> bool:
    """Whether a report with this bin, reading these tags, can read the daily rollup."""
    return date_bin != "hour" and not any(tag.has_split for tag in chain)


def source_table(
    date_bin: str, chain: Sequence[VirtualTag], *, rows: str, rollup: str | None
) -> str:
    """``rollup`` when the store keeps one and the report allows it, else ``rows``."""
    return rollup if rollup is not None and uses_rollup(date_bin, chain) else rows
