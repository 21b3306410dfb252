"""``outlay demo``: a fake Cursor team, imported end to end, summarised, in about a minute."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from outlay.access import new_secret
from outlay.cli.costs import report_table
from outlay.cli.render import console
from outlay.cli.state import outlay_of
from outlay.cli.sync import run_with_progress
from outlay.display import dollars
from outlay.errors import ConfigError, OutlayError
from outlay.report.spec import ReportSpec

if TYPE_CHECKING:
    from outlay.ingest.sync import SyncResult
    from outlay.report.run import ReportResult
    from outlay.service import Outlay

MARKER = ".outlay-demo"
DEMO_LOGIN = "demo@outlay.example"
ACCOUNT = "demo-team"


def demo(
    ctx: typer.Context,
    folder: Annotated[
        Path, typer.Option("--dir", help="Data folder for the demo (recreated on every run).")
    ] = Path("outlay-demo"),
    users: Annotated[int, typer.Option("--users", min=1, max=2000)] = 40,
    days: Annotated[int, typer.Option("--days", min=1, max=400)] = 90,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="End by serving the web app on the data.")
    ] = True,
    port: Annotated[int, typer.Option("--port", help="Port of the web app.")] = 8000,
) -> None:
    """Serve a fake Cursor team locally, import it, print what it cost, then serve the app."""
    # The test double loads only when the demo runs, never with the rest of the CLI.
    import uvicorn

    # An HTTP server and HMAC: loaded by the demo only, not by every command's start-up.
    from outlay.cli.demo_guardrails import Receiver, show_guardrails, with_spike
    from outlay.service import Outlay
    from outlay.testing.cursor_fake import RunningFake, TeamSpec
    from outlay.web.app import create_app

    _reset(folder)
    out = console()
    # The fake keeps running while the app is served, so hourly syncs and Sync now work too.
    spec = with_spike(TeamSpec(users=users, days=days), datetime.now(UTC).date())
    receiver = Receiver()
    with RunningFake(spec, rate_limit=False) as fake:
        settings = outlay_of(ctx).settings
        # Every store in the demo folder: a configured database or facts URL is someone's real
        # install. The demo's own loopback fake is the one extra base URL its server may call.
        outlay = Outlay(replace(
            settings, data_dir=folder.resolve(), database_url=None, facts_store_url=None,
            allowed_base_urls=(*settings.allowed_base_urls, fake.url),
        ))  # fmt: skip
        out.print(f"Fake Cursor Admin API serving a {users}-user team on {fake.url}")
        outlay.add_account("cursor", ACCOUNT, fake.key, base_url=fake.url, paced=False)
        ((_, outcome),) = run_with_progress(outlay, [ACCOUNT], None)
        if isinstance(outcome, OutlayError):
            raise outcome
        _summary(outlay, outcome, days, folder)
        show_guardrails(outlay, receiver)
        if serve:
            password = new_secret()[:16]
            outlay.add_user(DEMO_LOGIN, "owner", password)
            out.print(
                f"\nThe web app is at http://127.0.0.1:{port}/  sign in as {DEMO_LOGIN} "
                f"with password {password}  (Ctrl-C stops it)",
                markup=False,
                soft_wrap=True,
            )
            uvicorn.run(create_app(outlay.settings, outlay=outlay), host="127.0.0.1", port=port,
                        log_level="warning")  # fmt: skip


def _summary(outlay: Outlay, outcome: SyncResult, days: int, folder: Path) -> None:
    out = console()
    out.print(
        f"Imported {outcome.events:,} events as {outcome.rows:,} cost rows "
        f"in {outcome.windows} windows; account status {outcome.status}.\n"
    )
    today = outlay.today()
    start = today - timedelta(days=days)

    def by(dimension: str) -> ReportResult:
        spec = ReportSpec(start=start, end=today, group_by=(dimension,), date_bin="cumulative")
        return outlay.report(spec)

    out.print(report_table(by("service"), "Cost by model"))
    out.print(report_table(by("resource"), "Top 10 users", limit=10))
    out.print(report_table(by("token_type"), "Cost by token type"))
    print_reconciliation(outlay)
    cli = f"outlay --data-dir {folder}"
    out.print(
        "\nExplore further (in the repo: .venv/bin/outlay):\n"
        f"  {cli} accounts list\n"
        f"  {cli} costs --start {start} --end {today} --group-by service --date-bin week\n"
        f"  {cli} costs --start {start} --end {today} --group-by resource,token_type "
        "--date-bin cumulative --filter \"costs.subcategory = 'Usage-based'\"\n"
        f"  {cli} costs --start {today - timedelta(days=6)} --end {today} "
        "--group-by tag:cursor:max_mode --format json\n"
        f"  {cli} costs --interval this_month --group-by resource --top 5 --date-bin cumulative "
        "--compare previous --forecast\n"
        f"  {cli} tags import-csv team people.csv   # email,value rows; then --group-by tag:team\n"
        f"  {cli} reconcile --format json   # outlay vs Cursor's /teams/spend, per member\n"
        f"  {cli} completeness --start {today - timedelta(days=13)}   # per day status",
        markup=False,
        soft_wrap=True,
    )


def print_reconciliation(outlay: Outlay) -> None:
    """One line per account: the current cycle beside Cursor's /teams/spend, and how far the
    data is complete."""
    from outlay.report.export import exact

    out = console()
    reconciled, unavailable = outlay.reconcile()
    through = outlay.complete_through()
    out.print("\nReconciliation with Cursor's /teams/spend, current billing cycle:")
    for r in reconciled:
        out.print(
            f"  {r.account}: {r.status} — outlay {dollars(r.outlay)}, Cursor {dollars(r.cursor)}, "
            f"difference {exact(r.difference)} USD over {len(r.members)} members "
            f"(cycle from {r.cycle_start:%Y-%m-%d}); data complete through "
            f"{through.get(r.account) or '—'}",
            markup=False,
            soft_wrap=True,
        )
    for u in unavailable:
        out.print(f"  {u['account']}: not reconciled, {u['reason']}", markup=False)


def _reset(folder: Path) -> None:
    if folder.exists() and any(folder.iterdir()) and not (folder / MARKER).exists():
        raise ConfigError(
            f"{folder} exists and is not an outlay demo folder; pass --dir with a new folder"
        )
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, mode=0o700)  # the data dir of the demo: owner-only, like any
    (folder / MARKER).write_text("Recreated by `outlay demo` on every run.\n")
