"""``outlay accounts``: connect, list and remove provider accounts."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from outlay.cli.render import TableOrJson, TableOrJsonOption, console, print_rows
from outlay.cli.state import outlay_of
from outlay.config import secret_from_env
from outlay.errors import InputError

app = typer.Typer(help="Connect, list and remove provider accounts.", no_args_is_help=True)


class Provider(StrEnum):
    cursor = "cursor"


@app.command("add")
def add(
    ctx: typer.Context,
    provider: Annotated[Provider, typer.Argument(help="The provider: cursor.")],
    name: Annotated[str, typer.Option("--name", help="Your name for this team, e.g. acme.")],
    api_key_env: Annotated[
        str | None,
        typer.Option("--api-key-env", metavar="VAR", help="Read the Admin API key from env VAR."),
    ] = None,
    api_key_stdin: Annotated[
        bool, typer.Option("--api-key-stdin", help="Read the Admin API key from standard input.")
    ] = False,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="API base URL other than Cursor's (a proxy, tests); it must be listed in "
            "OUTLAY_ALLOWED_BASE_URLS.",
        ),
    ] = None,
    no_pacing: Annotated[
        bool,
        typer.Option(
            "--no-pacing", help="Do not pace requests (only for servers without rate limits)."
        ),
    ] = False,
) -> None:
    """Connect a Cursor team; the key is checked with GET /teams/members before it is saved."""
    if (api_key_env is None) == (not api_key_stdin):
        raise InputError("pass exactly one of --api-key-env VAR or --api-key-stdin")
    key = secret_from_env(api_key_env) if api_key_env else sys.stdin.readline()
    account = outlay_of(ctx).add_account(
        provider.value, name, key, base_url=base_url, paced=not no_pacing
    )
    console().print(
        f"Connected {account.provider} account {account.name!r} (key {account.masked_key}). "
        f"Import its history with: outlay sync --account {account.name}"
    )


@app.command("list")
def list_accounts(
    ctx: typer.Context,
    fmt: TableOrJsonOption = TableOrJson.table,
) -> None:
    """Connected accounts with their sync status."""
    print_rows(
        [a.public() for a in outlay_of(ctx).accounts()], fmt,
        ["name", "provider", "status", "last synced", "since", "events", "error"],
        lambda a: [a["name"], a["provider"], a["status"], a["last_synced_at"] or "never",
                   a["oldest_day"] or "—", f"{a['events_imported']:,}", a["error"] or ""],
        right=["events"],
        empty="No accounts yet. Connect one: "
              "outlay accounts add cursor --name NAME --api-key-env VAR",
    )  # fmt: skip


@app.command("remove")
def remove(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The account to remove.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove an account and delete all of its cost data."""
    outlay = outlay_of(ctx)
    account = outlay.account(name)
    if not yes:
        typer.confirm(f"Remove account {account.name!r} and delete all its cost data?", abort=True)
    rows = outlay.remove_account(account.name)
    console().print(f"Removed account {account.name!r} and its {rows:,} cost rows.")


@app.command("set")
def set_account(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The account to change.")],
    seat_price: Annotated[
        str | None,
        typer.Option(
            "--seat-price", metavar="USD", help="Seat price per member per month; turns seats on."
        ),
    ] = None,
    seat_preset: Annotated[
        str | None,
        typer.Option(
            "--seat-preset",
            metavar="PLAN",
            help="Cursor's public list price of a plan: teams-standard ($40) or teams-premium "
            "($120).",
        ),
    ] = None,
    no_seats: Annotated[
        bool, typer.Option("--no-seats", help="Turn seat costs off (removes the seat rows).")
    ] = False,
) -> None:
    """Change an account's settings: its seat price (seat costs are off until one is set)."""
    if sum((seat_price is not None, seat_preset is not None, no_seats)) != 1:
        raise InputError("pass exactly one of --seat-price USD, --seat-preset PLAN or --no-seats")
    summary = outlay_of(ctx).set_seat_price(name, seat_price, preset=seat_preset)
    out = console()
    if summary.price is None:
        out.print(f"Seat costs are off for {summary.account!r}.", markup=False)
        return
    seats = "no member list yet (the next sync takes one)"
    if summary.seats is not None:
        seats = f"{summary.seats} seat(s) now, ${summary.monthly:,.2f} a month"
    out.print(
        f"Seats of {summary.account!r} cost ${summary.price} per member per month, spread "
        f"over the days of each month: {seats}.",
        markup=False,
    )
