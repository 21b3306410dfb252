"""``outlay sso``: check the single sign-on configuration, show and import the group mapping."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from outlay.cli.render import console, print_json
from outlay.cli.state import outlay_of

app = typer.Typer(
    help="Single sign-on (OIDC): check it, manage the group mapping.", no_args_is_help=True
)
mapping = typer.Typer(
    help="Group -> workspaces + role rules applied at each sign-in.", no_args_is_help=True
)
app.add_typer(mapping, name="mapping")


@app.command("check")
def check(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Fetch the provider's discovery document and keys; print what is configured."""
    from outlay.access import LOCAL_OWNER

    found = outlay_of(ctx).sso_check(LOCAL_OWNER)
    if as_json:
        print_json(found)
        return
    for name, value in found.items():
        console().print(f"{name.replace('_', ' ')}: {value}", markup=False)
    console().print("OK: the identity provider answers and publishes its signing keys.")


@mapping.command("show")
def show(ctx: typer.Context) -> None:
    """Print the mapping rules (YAML) and where they come from."""
    from outlay.access import LOCAL_OWNER

    text, source, _ = outlay_of(ctx).sso_mapping(LOCAL_OWNER)
    console(stderr=True).print(f"# rules from {source}", markup=False)
    typer.echo(text, nl=False)


@mapping.command("import")
def import_mapping(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A YAML file of rules (see the README).")],
) -> None:
    """Replace the rules kept in the database with the file's (checked first)."""
    from outlay.access import LOCAL_OWNER

    count = outlay_of(ctx).set_sso_mapping(file.read_text(encoding="utf-8"), LOCAL_OWNER)
    console().print(f"Imported {count} rules; they apply at each user's next sign-in.")
