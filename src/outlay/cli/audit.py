"""``outlay audit``: the audit log, newest first."""

from __future__ import annotations

from typing import Annotated

import typer

from outlay.cli.render import TableOrJson, TableOrJsonOption, print_rows
from outlay.cli.state import outlay_of


def audit(
    ctx: typer.Context,
    fmt: TableOrJsonOption = TableOrJson.table,
    since: Annotated[
        str | None, typer.Option("--since", metavar="YYYY-MM-DD", help="From this UTC day on.")
    ] = None,
    actor: Annotated[
        str | None, typer.Option("--actor", help="An email, or local (this command line).")
    ] = None,
    action: Annotated[
        str | None, typer.Option("--action", help="e.g. user (every user.*) or user.disable.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="At most.")] = 100,
) -> None:
    """Who changed what, when and from where (newest first)."""
    from datetime import datetime, time

    from outlay.report.options import parse_day
    from outlay.store.audit import AuditQuery

    start = datetime.combine(parse_day(since, "--since"), time()) if since else None
    query = AuditQuery(since=start, actor=actor, action=action, limit=limit)
    rows = [e.to_data() for e in outlay_of(ctx).audit(query)]
    print_rows(
        rows, fmt, ["at", "actor", "action", "target", "workspace", "address"],
        lambda r: [r["at"][:19].replace("T", " "), r["actor"], r["action"], r["target"],
                   r["workspace"], r["address"]],
    )  # fmt: skip
