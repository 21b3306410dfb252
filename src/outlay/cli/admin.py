"""``outlay users``, ``workspaces`` and ``tokens``: who may use the web app and the API."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from outlay.access import ROLES
from outlay.cli.render import console
from outlay.cli.state import outlay_of
from outlay.config import secret_from_env
from outlay.errors import InputError

users = typer.Typer(help="People who sign in to the web app.", no_args_is_help=True)
workspaces = typer.Typer(help="Workspaces scope what each user sees.", no_args_is_help=True)
tokens = typer.Typer(help="API tokens for the REST API.", no_args_is_help=True)


@users.command("add")
def add_user(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The user's email, their sign-in name.")],
    role: Annotated[str, typer.Option("--role", help=f"One of {', '.join(ROLES)}.")],
    workspace: Annotated[
        list[str] | None,
        typer.Option("--workspace", help="A workspace to join (repeat; default: Default)."),
    ] = None,
    password_env: Annotated[
        str | None,
        typer.Option("--password-env", metavar="VAR", help="Read the password from VAR."),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Add a user with a role and workspaces."""
    if (password_env is None) == (not password_stdin):
        raise InputError("pass exactly one of --password-env VAR or --password-stdin")
    password = secret_from_env(password_env) if password_env else sys.stdin.readline().strip()
    user = outlay_of(ctx).add_user(email, role, password, workspace)
    console().print(f"Added {user.role} {user.email}.")


@workspaces.command("add")
def add_workspace(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="The workspace's name.")]
) -> None:
    """Add a workspace."""
    outlay_of(ctx).add_workspace(name)
    console().print(
        f"Added workspace {name!r}. Attach accounts: outlay workspaces attach ACCOUNT {name!r}"
    )


@workspaces.command("attach")
def attach(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="The account's name.")],
    workspace: Annotated[str, typer.Argument(help="The workspace's name.")],
) -> None:
    """Make an account's costs visible in a workspace."""
    outlay_of(ctx).attach(account, workspace)
    console().print(f"Account {account!r} is now in workspace {workspace!r}.")


@workspaces.command("list")
def list_workspaces(ctx: typer.Context) -> None:
    """Workspaces and their accounts."""
    for name, accounts in outlay_of(ctx).workspace_accounts():
        listed = ", ".join(sorted(accounts)) or "no accounts"
        console().print(f"{name}: {listed}", markup=False)


@tokens.command("create")
def create_token(
    ctx: typer.Context,
    user: Annotated[
        str, typer.Option("--user", metavar="EMAIL", help="The token acts as this user.")
    ],
    name: Annotated[str, typer.Option("--name", help="What the token is for.")] = "",
    days: Annotated[
        int, typer.Option("--days", min=1, max=3650, help="Days until it expires.")
    ] = 365,
) -> None:
    """Create an API token and print it once (only its hash is kept)."""
    secret = outlay_of(ctx).create_token(user, name, days)
    console(stderr=True).print("Store this token now: it cannot be shown again.")
    typer.echo(secret)
