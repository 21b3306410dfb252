"""``outlay tags``: virtual tag definitions — import, export, list, preview, delete."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from outlay.cli.costs import report_table
from outlay.cli.render import console, table
from outlay.cli.state import outlay_of, workspace_of
from outlay.errors import InputError
from outlay.report.intervals import INTERVALS
from outlay.report.spec import ReportSpec
from outlay.report.tag_csv import CASE_NOTE
from outlay.report.tag_text import filter_summary, tag_summary
from outlay.report.tags import parse_tags_yaml

if TYPE_CHECKING:
    from outlay.service.reports import TagCsvPreview

app = typer.Typer(help="Virtual tags: values given to costs by VQL rules.", no_args_is_help=True)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}; check the path") from None


@app.command("import")
def import_tags(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(help="YAML file of tags.")]
) -> None:
    """Replace all tag definitions with the file's, after validating all of it."""
    tags = outlay_of(ctx).import_tags(_read(file), str(file), workspace_of(ctx))
    console().print(f"Imported {len(tags.tags)} tag(s): {', '.join(tags.keys) or 'none'}.")


@app.command("export")
def export_tags(ctx: typer.Context) -> None:
    """Print the tag definitions as YAML (the import format)."""
    console().print(
        outlay_of(ctx).tags(workspace_of(ctx)).to_yaml(), end="", markup=False, soft_wrap=True
    )


@app.command("list")
def list_tags(ctx: typer.Context) -> None:
    """Tag keys with their values in the order they are tried; long filters are summarised
    (``outlay tags export`` prints them in full)."""
    tags = outlay_of(ctx).tags(workspace_of(ctx))
    if not tags.tags:
        console().print("No virtual tags yet. Import some: outlay tags import tags.yaml")
        return
    grid = table(None, ["key", "#", "value", "filter", "dates"])
    for tag in tags.tags:
        for position, value in enumerate(tag.values, start=1):
            names = value.name or ", ".join(f"{n} {w / 10**4:g}%" for n, w in value.split)
            dates = (
                ""
                if value.start is None and value.end is None
                else (f"{value.start or '…'} to {value.end or '…'}")
            )
            key = f"{tag.key}\n({tag_summary(tag)})" if position == 1 else ""
            grid.add_row(key, str(position), names, filter_summary(value), dates)
        grid.add_section()
    console().print(grid)


@app.command("import-csv")
def import_csv(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The tag key, e.g. team.")],
    file: Annotated[Path, typer.Argument(help="CSV of email,value rows; a header row is fine.")],
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Save without asking (scripts, CI).")
    ] = False,
) -> None:
    """Make tag KEY map user emails to values from a CSV (an HR or IdP export).

    Emails are compared case-insensitively. Before saving, it lists the CSV's emails no cost
    row carries and the emails carrying cost in the last 90 days that no row names, and asks.
    """
    outlay, workspace, text = outlay_of(ctx), workspace_of(ctx), _read(file)
    preview = outlay.preview_tag_csv(key, text, str(file), workspace)
    out = console()
    for line in csv_report_lines(preview, str(file)):
        out.print(line, markup=False, soft_wrap=True)
    if not yes:
        if not sys.stdin.isatty():
            raise InputError(
                "tags import-csv saves only after you confirm: run it in a terminal, "
                "or pass --yes to save without asking"
            )
        if not typer.confirm(f"Save tag {key!r}?", default=False):
            out.print("Nothing saved.")
            raise typer.Exit(1)
    tag = outlay.import_tag_csv(key, text, str(file), workspace).tag
    out.print(f"Tag {tag.key!r} now has {len(tag.values)} value(s) from {file}.", markup=False)


def csv_report_lines(preview: TagCsvPreview, source: str) -> list[str]:
    """What the import would do, every email that matches nothing listed."""
    tag, report = preview.tag, preview.report
    header = "; header row skipped" if preview.header else ""
    lines = [
        f"{source}: {preview.emails} email(s) in {len(tag.values)} value(s){header}; {CASE_NOTE}.",
        f"{report.matched} of {preview.emails} email(s) appear in the cost data.",
    ]
    if report.unmatched:
        lines.append(f"{len(report.unmatched)} email(s) of the CSV match no cost row:")
        lines += [f"  {email}" for email in report.unmatched]
    if report.uncovered:
        lines.append(
            f"{len(report.uncovered)} email(s) carried cost since {report.since} but are in no "
            f"row; their ${report.uncovered_cost:,.2f} would be Untagged:"
        )
        lines += [f"  {email}  ${cost:,.2f}" for email, cost in report.uncovered]
    else:
        lines.append(f"Every email that carried cost since {report.since} is in the CSV.")
    for email, spelled in report.recased:
        lines.append(f"{email} is spelled {spelled} in the cost data; the rule lists both.")
    verb = "replaces the tag" if preview.replaces else "creates a new tag"
    lines.append(f"Saving {verb} {tag.key!r}.")
    return lines


@app.command("preview")
def preview(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="YAML file of tags to try.")],
    interval: Annotated[
        str, typer.Option("--interval", help=f"One of {', '.join(INTERVALS)}.")
    ] = "last_30_days",
) -> None:
    """Cost per value and untagged under the file's definitions; nothing is saved."""
    outlay = outlay_of(ctx)
    tags = parse_tags_yaml(_read(file), str(file))
    out = console()
    for tag in tags.tags:
        spec = ReportSpec(interval=interval, date_bin="cumulative", group_by=(f"tag:{tag.key}",))
        result = outlay.report(spec, tags, workspace=workspace_of(ctx))
        out.print(report_table(result, f"tag:{tag.key} ({interval})"))


@app.command("delete")
def delete(
    ctx: typer.Context,
    key: Annotated[str | None, typer.Argument(help="The tag key.")] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Delete every tag of the workspace.")
    ] = False,
) -> None:
    """Delete one tag (refused while another tag's filter uses it), or every tag with --all."""
    if every == (key is not None):
        raise InputError("give one tag key to delete, or --all to delete every tag")
    outlay = outlay_of(ctx)
    if key is not None:
        outlay.delete_tag(key, workspace_of(ctx))
        console().print(f"Deleted tag {key!r}.")
        return
    keys = outlay.delete_all_tags(workspace_of(ctx))
    console().print(f"Deleted {len(keys)} tag(s): {', '.join(keys) or 'none'}.")
