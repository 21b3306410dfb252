"""``outlay``: the root command, global options and the one place errors become output."""

from __future__ import annotations

import csv
import gc
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from outlay.cli.errors import cli_message, edge_message
from outlay.cli.render import console
from outlay.cli.state import CliState
from outlay.config import Settings
from outlay.errors import OutlayError


class _OutlayGroup(TyperGroup):
    """Every ``OutlayError`` ends as one line on stderr and exit code 1 (traceback: --debug);
    so do file and CSV errors that reach this edge (a full disk, a folder that vanished)."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (OutlayError, OSError, csv.Error) as exc:
            if isinstance(ctx.obj, CliState) and ctx.obj.debug:
                raise
            line = cli_message(exc) if isinstance(exc, OutlayError) else edge_message(exc)
            console(stderr=True).print(f"error: {line}", markup=False, soft_wrap=True)
            raise typer.Exit(1) from exc


app = typer.Typer(
    cls=_OutlayGroup,
    help="Self-hosted cost reports for Cursor: connect teams, import usage, answer cost questions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help and usage errors: Rich panels cost more than the rest of `--help` together.
    rich_markup_mode=None,
)


@app.callback()
def root(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Folder for outlay's data (default: OUTLAY_DATA_DIR, else the user data dir).",
        ),
    ] = None,
    workspace: Annotated[
        str | None,
        typer.Option(
            "--workspace", help="Workspace for reports, tags and saved reports (default: Default)."
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    ctx.obj = CliState(Settings.from_env(data_dir=data_dir), debug, workspace)


def _register() -> None:
    # Every command module imports only typer and light modules at the top, and what its
    # command needs inside it: ``outlay --help`` and a report load no web framework.
    from outlay.cli.accounts import app as accounts_app
    from outlay.cli.admin import invite, tokens, users, workspaces
    from outlay.cli.alerts import app as alerts_app
    from outlay.cli.anomalies import app as anomalies_app
    from outlay.cli.audit import audit
    from outlay.cli.budgets import app as budgets_app
    from outlay.cli.channels import app as channels_app
    from outlay.cli.channels import deliver, events
    from outlay.cli.costs import costs
    from outlay.cli.db import app as db_app
    from outlay.cli.demo import demo
    from outlay.cli.digests import digest, digests
    from outlay.cli.export import app as export_app
    from outlay.cli.fake_cursor import app as fake_cursor_app
    from outlay.cli.reports import app as reports_app
    from outlay.cli.serve import serve
    from outlay.cli.sso import app as sso_app
    from outlay.cli.sync import sync
    from outlay.cli.tags import app as tags_app
    from outlay.cli.trust import completeness, reconcile
    from outlay.cli.worker import worker

    app.add_typer(budgets_app, name="budgets")
    reports_app.command("digest")(digest)
    reports_app.command("digests")(digests)

    app.add_typer(accounts_app, name="accounts")
    app.add_typer(tags_app, name="tags")
    app.add_typer(reports_app, name="reports")
    app.add_typer(users, name="users")
    app.add_typer(workspaces, name="workspaces")
    app.add_typer(tokens, name="tokens")
    app.add_typer(fake_cursor_app, name="fake-cursor")
    app.add_typer(export_app, name="export")
    app.add_typer(sso_app, name="sso")
    app.add_typer(channels_app, name="channels")
    # The events the rules fired and their delivery live with the channels that send them.
    alerts_app.command("events")(events)
    alerts_app.command("deliver")(deliver)
    app.add_typer(alerts_app, name="alerts")
    app.add_typer(anomalies_app, name="anomalies")
    app.command("sync")(sync)
    app.command("costs")(costs)
    app.command("demo")(demo)
    app.command("serve")(serve)
    app.command("reconcile")(reconcile)
    app.command("completeness")(completeness)
    app.add_typer(db_app, name="db")
    app.command("worker")(worker)
    app.command("invite")(invite)
    app.command("audit")(audit)


_register()


def main() -> None:
    # A command is a short process that loads many modules and frees little: the collector
    # stays off while they load, until ``modules_loaded`` (when the service opens, or before
    # a long-running server without it) freezes them and turns it back on.
    gc.disable()
    app()
