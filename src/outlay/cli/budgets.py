"""``outlay budgets``: monthly budgets with alert thresholds, and Cursor's own member limits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from outlay.cli.render import (
    FilterOption,
    NotifyOption,
    TableOrJson,
    TableOrJsonOption,
    comma_names,
    console,
    print_json,
    table,
)
from outlay.cli.state import outlay_of, workspace_of

if TYPE_CHECKING:
    from outlay.alerts.budget import Budget

app = typer.Typer(help="Budgets: monthly amounts with alerts on actual and forecast cost.",
                  no_args_is_help=True)  # fmt: skip
Name = Annotated[str, typer.Argument(help="The budget's name.")]
Amount = Annotated[
    str | None, typer.Option("--amount", metavar="USD", help="Monthly amount in USD, e.g. 4000.")
]
Per = Annotated[
    str | None,
    typer.Option("--per", metavar="DIM",
                 help="One budget of the amount per value: resource (each user), tag:team, …"),
]  # fmt: skip
AlertAt = Annotated[
    str | None,
    typer.Option("--alert-at", metavar="PCT[,PCT…]", help="Thresholds in percent (80,100)."),
]
ForecastAlert = Annotated[
    bool | None,
    typer.Option("--forecast-alert/--no-forecast-alert",
                 help="Also alert when the forecast will cross a threshold."),
]  # fmt: skip
Month = Annotated[
    list[str] | None,
    typer.Option("--month", metavar="YYYY-MM=USD",
                 help="A different amount for the period starting that month (repeatable)."),
]  # fmt: skip
CursorLimit = Annotated[
    bool,
    typer.Option("--cursor-limit",
                 help="Watch members at --alert-at percent of their own Cursor limit instead."),
]  # fmt: skip


def _budget(name: str, options: dict[str, Any], base: Budget | None = None) -> Budget:
    """A budget from the options given, the others from ``base`` (or the defaults)."""
    from dataclasses import replace

    from outlay.alerts.budget import Budget, parse_amount, parse_months, parse_percents

    values: dict[str, Any] = {"name": name}
    if options["amount"] is not None:
        values["amount"] = parse_amount(options["amount"])
    if options["filter"] is not None:
        values["filter"] = options["filter"].strip() or None
    if options["per"] is not None:
        values["per"] = options["per"].strip() or None
    if options["alert_at"] is not None:
        values["alert_at"] = parse_percents(options["alert_at"])
    if options["forecast_alert"] is not None:
        values["forecast_alert"] = options["forecast_alert"]
    if options["notify"] is not None:
        values["channels"] = comma_names(options["notify"])
    if options["month"]:
        values["months"] = parse_months(options["month"])
    if options.get("cursor_limit"):
        values["cursor_limit"] = True
    if base is not None:
        return replace(base, **values)
    values.setdefault("amount", None)
    return Budget(**values)


@app.command("add")
def add(
    ctx: typer.Context, name: Name, amount: Amount = None, filter: FilterOption = None,
    per: Per = None, alert_at: AlertAt = None, forecast_alert: ForecastAlert = None,
    notify: NotifyOption = None, month: Month = None, cursor_limit: CursorLimit = False,
) -> None:  # fmt: skip
    """Add a budget: a monthly amount (calendar month, or the billing cycle when
    OUTLAY_BILLING_CYCLE_DAY is set) for a scope, alerting at thresholds of it."""
    options = {
        "amount": amount, "filter": filter, "per": per, "alert_at": alert_at, "month": month,
        "forecast_alert": forecast_alert, "notify": notify, "cursor_limit": cursor_limit,
    }  # fmt: skip
    budget = _budget(name, options)
    outlay_of(ctx).add_budget(budget, workspace=workspace_of(ctx))
    console().print(f"Added budget {budget.name!r}. See it: outlay budgets list")


@app.command("edit")
def edit(
    ctx: typer.Context, name: Name, amount: Amount = None, filter: FilterOption = None,
    per: Per = None, alert_at: AlertAt = None, forecast_alert: ForecastAlert = None,
    notify: NotifyOption = None, month: Month = None,
    rename: Annotated[str | None, typer.Option("--rename", help="A new name.")] = None,
) -> None:  # fmt: skip
    """Change a budget: the options given replace its values (an empty --filter or --per
    clears them), the rest stay."""
    outlay, space = outlay_of(ctx), workspace_of(ctx)
    current = outlay.budget(name, workspace=space)
    options = {
        "amount": amount, "filter": filter, "per": per, "alert_at": alert_at, "month": month,
        "forecast_alert": forecast_alert, "notify": notify,
    }  # fmt: skip
    budget = _budget(rename or name, options, current)
    outlay.edit_budget(name, budget, workspace=space)
    console().print(f"Saved budget {budget.name!r}.")


@app.command("list")
def list_budgets(ctx: typer.Context, fmt: TableOrJsonOption = TableOrJson.table) -> None:
    """Each budget's period, actual, MTD budget, forecast, percents and crossing day."""
    outlay, space = outlay_of(ctx), workspace_of(ctx)
    rows = [s.to_data() for s in outlay.budget_statuses(workspace=space)]
    if fmt == TableOrJson.json:
        print_json(rows)
        return
    if not rows:
        console().print("No budgets. Add one: outlay budgets add NAME --amount USD")
    else:
        console().print(_grid(rows))
    limits = outlay.member_limits(workspace=space)
    if limits:
        console().print(_limits_grid([m.to_data() for m in limits]))


def _grid(rows: list[dict[str, Any]]) -> Any:
    from outlay.display import dollars

    def money(value: str | None) -> str:
        return "—" if value is None else dollars(value)

    def pct(value: str | None) -> str:
        return "—" if value is None else f"{value}%"

    columns = ["budget", "period", "amount", "actual", "MTD budget", "forecast", "% actual",
               "% forecast", "crosses on"]  # fmt: skip
    grid = table("Budgets", columns, right=columns[2:8])
    for row in rows:
        period = row["period"] or {}
        grid.add_row(
            row["name"], f"{period.get('start', '')} … {period.get('end', '')}",
            "Cursor limits" if row.get("cursor_limit") else money(row["amount"]),
            money(row["actual"]), money(row["mtd_budget"]), money(row["forecast"]),
            pct(row["percent_actual"]), pct(row["percent_forecast"]), row["crosses_on"] or "—",
        )  # fmt: skip
        for group in row.get("groups", [])[:20] if not row.get("cursor_limit") else []:
            grid.add_row(
                f"  {next(iter(group['group'].values())) or '(none)'}", "", money(group["amount"]),
                money(group["actual"]), money(group["mtd_budget"]), money(group["forecast"]),
                pct(group["percent_actual"]), pct(group["percent_forecast"]),
                group["crosses_on"] or "—",
            )  # fmt: skip
    return grid


def _limits_grid(rows: list[dict[str, Any]]) -> Any:
    from outlay.display import dollars

    columns = ["member", "account", "on-demand spend", "Cursor limit", "% of limit", "cycle"]
    grid = table("Cursor member limits", columns, right=columns[2:5])
    for row in rows:
        grid.add_row(
            row["email"], row["account"], dollars(row["spend"]),
            dollars(row["limit"]) if row["limit"] else "no limit",
            f"{row['percent']}%" if row["percent"] else "—",
            f"{row['cycle']['start']} … {row['cycle']['end']}",
        )  # fmt: skip
    return grid


@app.command("limits")
def limits(ctx: typer.Context, fmt: TableOrJsonOption = TableOrJson.table) -> None:
    """Each member's spend this billing cycle beside their Cursor limit (from the last sync)."""
    rows = [m.to_data() for m in outlay_of(ctx).member_limits(workspace=workspace_of(ctx))]
    if fmt == TableOrJson.json:
        print_json(rows)
    elif rows:
        console().print(_limits_grid(rows))
    else:
        console().print("No /teams/spend read yet; the next sync takes one.")


@app.command("remove")
def remove(
    ctx: typer.Context, name: Name,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:  # fmt: skip
    """Remove a budget (its past alert events stay)."""
    if not yes:
        typer.confirm(f"Remove budget {name!r}?", abort=True)
    outlay_of(ctx).remove_budget(name, workspace=workspace_of(ctx))
    console().print(f"Removed budget {name!r}.")
