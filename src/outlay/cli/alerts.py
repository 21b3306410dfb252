"""``outlay alerts``: cost alert rules and anomaly watches — add, list, remove, run."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from outlay.cli.render import (
    FilterOption,
    NotifyOption,
    TableOrJson,
    TableOrJsonOption,
    comma_names,
    console,
    print_json,
    print_rows,
)
from outlay.cli.state import outlay_of, workspace_of

app = typer.Typer(
    help="Cost alerts and anomaly watches, and evaluating them.", no_args_is_help=True
)
add_app = typer.Typer(help="Add a cost alert or an anomaly watch.", no_args_is_help=True)
app.add_typer(add_app, name="add")

NameArg = Annotated[str, typer.Argument(help="The rule's name, unique in the workspace.")]
GroupByOpt = Annotated[
    str | None,
    typer.Option("--group-by", metavar="DIMS", help="Evaluate per group, e.g. resource,service."),
]


@add_app.command("cost")
def add_cost(
    ctx: typer.Context,
    name: NameArg,
    interval: Annotated[
        str, typer.Option("--interval", metavar="day|week|month", help="Weeks start Monday (UTC).")
    ],
    threshold: Annotated[
        str,
        typer.Option(
            "--threshold",
            metavar="USD|PCT%",
            help="Increase against the previous interval: 500 (USD) or 25%.",
        ),
    ],
    notify: NotifyOption,
    filter: FilterOption = None,
    group_by: GroupByOpt = None,
    min_cost: Annotated[
        str | None,
        typer.Option("--min-cost", metavar="USD", help="Nothing fires below this (default 10)."),
    ] = None,
) -> None:
    """Alert when a group's cost grows past a threshold against the previous interval; a group
    new in the interval fires as a USD alert."""
    rule = outlay_of(ctx).add_cost_alert(
        name, interval=interval, threshold=threshold, notify=comma_names(notify), filter=filter,
        group_by=comma_names(group_by), min_cost=min_cost, workspace=workspace_of(ctx),
    )  # fmt: skip
    console().print(f"Added cost alert {rule.name!r}.")


@add_app.command("anomaly")
def add_anomaly(
    ctx: typer.Context,
    name: NameArg,
    notify: NotifyOption,
    filter: FilterOption = None,
    group_by: GroupByOpt = None,
    min_cost: Annotated[
        str | None,
        typer.Option("--min-cost", metavar="USD", help="Days below this never fire (default 10)."),
    ] = None,
    sensitivity: Annotated[
        str, typer.Option("--sensitivity", metavar="low|medium|high", help="Band width.")
    ] = "medium",
) -> None:
    """Watch for anomalous daily cost per group (default resource,service); the name
    ``default`` replaces the built-in watch."""
    rule = outlay_of(ctx).add_anomaly_watch(
        name, notify=comma_names(notify), filter=filter, group_by=comma_names(group_by),
        min_cost=min_cost, sensitivity=sensitivity, workspace=workspace_of(ctx),
    )  # fmt: skip
    console().print(f"Added anomaly watch {rule.name!r}.")


@app.command("list")
def list_rules(ctx: typer.Context, fmt: TableOrJsonOption = TableOrJson.table) -> None:
    """The workspace's rules, the built-in anomaly watch included."""
    rules = [r.public() for r in outlay_of(ctx).alert_rule_list(workspace=workspace_of(ctx))]
    print_rows(rules, fmt, ["name", "kind", "settings", "channels"], _rule_cells)


def _rule_cells(r: dict[str, Any]) -> list[str]:
    settings = ", ".join(
        f"{k}={','.join(v) if isinstance(v, list) else v}"
        for k, v in r.items()
        if k not in ("name", "kind", "channels", "builtin") and v not in (None, [])
    )
    return [r["name"], r["kind"], settings, ", ".join(r["channels"]) or "-"]


@app.command("remove")
def remove(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The rule to remove.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove a rule (removing ``default`` restores the built-in anomaly watch)."""
    if not yes:
        typer.confirm(f"Remove alert rule {name!r}?", abort=True)
    outlay_of(ctx).remove_alert_rule(name, workspace=workspace_of(ctx))
    console().print(f"Removed alert rule {name!r}.")


@app.command("run")
def run(ctx: typer.Context, fmt: TableOrJsonOption = TableOrJson.table) -> None:
    """Evaluate every budget, rule and digest now, send what is due, and print what fired
    (each event only once, ever) and what was delivered."""
    result = outlay_of(ctx).run_guardrails()
    sent = result.deliveries
    if fmt is TableOrJson.json:
        print_json({
            "fired": [e.to_data() for e in result.fired],
            "deliveries": [r.to_data() for r in sent.results],
        })  # fmt: skip
        return
    out = console()
    if not result.fired:
        out.print("Nothing new fired.")
    for event in result.fired:
        out.print(f"{event.kind}: {event.message}", markup=False, soft_wrap=True)
    if sent.results:
        out.print(
            f"Deliveries: {sent.delivered} delivered, {sent.retrying} to retry, "
            f"{sent.failed} failed."
        )
