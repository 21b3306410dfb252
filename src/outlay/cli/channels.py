"""``outlay channels``: where alerts go; and ``outlay alerts events|deliver``: what fired and
whether it arrived."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from outlay.cli.render import TableOrJson, TableOrJsonOption, console, print_rows
from outlay.cli.state import outlay_of, workspace_of
from outlay.config import secret_from_env
from outlay.errors import InputError

app = typer.Typer(help="Notification channels: e-mail, Slack, Teams, webhooks.",
                  no_args_is_help=True)  # fmt: skip
add_app = typer.Typer(help="Add a channel to the workspace.", no_args_is_help=True)
app.add_typer(add_app, name="add")
#: The ``alerts`` commands of this module; the ``alerts`` group holds the rule commands too.

Name = Annotated[str, typer.Argument(help="The channel's name, e.g. ops-slack.")]
UrlEnv = Annotated[
    str, typer.Option("--url-env", metavar="VAR", help="Read the webhook URL from env VAR.")
]


def _added(row: dict[str, Any]) -> None:
    console().print(
        f"Added {row['kind']} channel {row['name']!r} ({row['target']}). "
        f"Try it: outlay channels test {row['name']}",
        markup=False,
    )


def _add(ctx: typer.Context, kind: str, name: str, target: str, secret: str | None = None) -> None:
    row = outlay_of(ctx).add_channel(kind, name, target, secret=secret, workspace=workspace_of(ctx))
    _added(row)


@add_app.command("webhook")
def add_webhook(
    ctx: typer.Context,
    name: Name,
    url: Annotated[str, typer.Option("--url", help="https URL (http only to this machine).")],
    secret_env: Annotated[
        str | None,
        typer.Option("--secret-env", metavar="VAR",
                     help="Sign each body with the HMAC secret in env VAR."),
    ] = None,
) -> None:  # fmt: skip
    """A JSON POST per event (see the webhook contract in the README)."""
    _add(ctx, "webhook", name, url, secret_from_env(secret_env) if secret_env else None)


@add_app.command("slack")
def add_slack(ctx: typer.Context, name: Name, url_env: UrlEnv) -> None:
    """A Slack incoming webhook (the URL is a credential: pass it in an env variable)."""
    _add(ctx, "slack", name, secret_from_env(url_env))


@add_app.command("teams")
def add_teams(ctx: typer.Context, name: Name, url_env: UrlEnv) -> None:
    """A Microsoft Teams incoming webhook or Workflows URL."""
    _add(ctx, "teams", name, secret_from_env(url_env))


@add_app.command("email")
def add_email(
    ctx: typer.Context,
    name: Name,
    to: Annotated[str, typer.Option("--to", metavar="ADDR[,ADDR...]", help="Recipients.")],
) -> None:
    """E-mail through the server's OUTLAY_SMTP_URL, from OUTLAY_SMTP_FROM."""
    _add(ctx, "email", name, to)


@app.command("list")
def list_channels(ctx: typer.Context, fmt: TableOrJsonOption = TableOrJson.table) -> None:
    """The workspace's channels: target masked, last delivery, last error."""
    print_rows(
        outlay_of(ctx).channels(workspace=workspace_of(ctx)), fmt,
        ["name", "kind", "target", "last delivery", "error"],
        lambda r: [r["name"], r["kind"], r["target"], r["last_delivery_at"] or "never",
                   r["last_error"] or ""],
        empty="No channels yet. Add one: outlay channels add webhook NAME --url URL",
    )  # fmt: skip


@app.command("test")
def test_channel(ctx: typer.Context, name: Name) -> None:
    """Send a test message now."""
    outlay_of(ctx).test_channel(name, workspace=workspace_of(ctx))
    console().print(f"Sent a test message to channel {name!r}.", markup=False)


@app.command("remove")
def remove(
    ctx: typer.Context,
    name: Name,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm the removal.")] = False,
) -> None:
    """Remove a channel; deliveries still queued for it fail."""
    if not yes:
        raise InputError(f"removing channel {name!r} needs --yes")
    outlay_of(ctx).remove_channel(name, workspace=workspace_of(ctx))
    console().print(f"Removed channel {name!r}.", markup=False)


def events(
    ctx: typer.Context,
    fmt: TableOrJsonOption = TableOrJson.table,
    since: Annotated[
        str | None, typer.Option("--since", metavar="YYYY-MM-DD", help="Fired on or after.")
    ] = None,
) -> None:
    """Fired events, newest first, with the status of each delivery."""
    from outlay.report.options import parse_day

    day = parse_day(since, "since") if since else None
    rows = outlay_of(ctx).alert_events(day, workspace=workspace_of(ctx))
    columns = ["fired", "kind", "rule", "message", "deliveries"]
    print_rows(rows, fmt, columns, _event_cells, empty="No events yet.")


def _event_cells(r: dict[str, Any]) -> list[str]:
    sent = ", ".join(f"{d['channel']}: {d['status']}" for d in r["deliveries"]) or "—"
    return [r["created_at"], r["kind"], r["rule"], r["message"], sent]


def deliver(ctx: typer.Context) -> None:
    """Send the deliveries that are due now (retries included), in every workspace."""
    report = outlay_of(ctx).deliver_due()
    for r in report.results:
        line = f"{r.channel}: {r.status}" + (f" ({r.error})" if r.error else "")
        console().print(f"event {r.event_id[:12]} → {line}", markup=False)
    console().print(
        f"{report.delivered} delivered, {report.retrying} to retry, {report.failed} failed."
    )
