"""Output helpers shared by commands: exact decimals in JSON, Rich tables and consoles; and the
options several commands share."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


class TableOrJson(StrEnum):
    """``--format`` of the commands that print a table or JSON."""

    table = "table"
    json = "json"


TableOrJsonOption = Annotated[TableOrJson, typer.Option("--format", help="table or json.")]
FilterOption = Annotated[
    str | None,
    typer.Option("--filter", metavar="VQL", help="Scope, e.g. costs.service LIKE 'claude%'."),
]
NotifyOption = Annotated[
    str | None,
    typer.Option("--notify", metavar="CH[,CH...]", help="Channels to notify (`channels list`)."),
]


def comma_names(text: str | None) -> tuple[str, ...]:
    """The names of a comma-separated option (``--notify a,b``), each once, in order."""
    return tuple(dict.fromkeys(n.strip() for n in (text or "").split(",") if n.strip()))


def json_ready(value: Any) -> Any:
    if isinstance(value, Decimal):
        from outlay.report.export import exact  # loads Arrow: only when there is a decimal

        return exact(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def dump_json(data: Any) -> str:
    return json.dumps(data, default=json_ready, indent=2, ensure_ascii=False)


def print_json(data: Any) -> None:
    """JSON straight to stdout: a terminal renderer would wrap long lines inside strings."""
    sys.stdout.write(dump_json(data) + "\n")


def table(title: str | None, columns: Sequence[str], right: Sequence[str] = ()) -> Table:
    from rich.table import Table

    grid = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        grid.add_column(column, justify="right" if column in right else "left")
    return grid


def console(stderr: bool = False) -> Console:
    from rich.console import Console  # JSON and CSV output never needs it

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def print_rows(
    rows: Sequence[dict[str, Any]],
    fmt: TableOrJson,
    columns: Sequence[str],
    cells: Callable[[dict[str, Any]], Sequence[str]],
    *,
    right: Sequence[str] = (),
    empty: str | None = None,
) -> None:
    """A list command's output: ``rows`` as JSON, or a table of ``cells(row)`` per row
    (``empty`` instead, when given and there are no rows)."""
    if fmt is TableOrJson.json:
        print_json(rows)
        return
    if not rows and empty is not None:
        console().print(empty)
        return
    grid = table(None, columns, right)
    for row in rows:
        grid.add_row(*cells(row))
    console().print(grid)
