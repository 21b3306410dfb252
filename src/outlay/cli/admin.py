"""``outlay users``, ``workspaces``, ``tokens`` and ``invite``: who may use the web app and the
API (``outlay audit``: ``cli/audit.py``)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from outlay.access import ROLES
from outlay.cli.render import TableOrJson, TableOrJsonOption, console, print_rows
from outlay.cli.state import outlay_of
from outlay.config import secret_from_env
from outlay.errors import InputError

if TYPE_CHECKING:
    from outlay.service.lifecycle import IssuedLink

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
        int,
        typer.Option(
            "--expires-in", "--days", metavar="DAYS", min=1, max=3650, help="Days until it expires."
        ),
    ] = 365,
    scope: Annotated[
        str, typer.Option("--scope", help="read (GET requests only) or write (everything).")
    ] = "write",
) -> None:
    """Create an API token and print it once (only its hash is kept)."""
    secret = outlay_of(ctx).create_token(user, name, days, scope=scope)
    console(stderr=True).print("Store this token now: it cannot be shown again.")
    typer.echo(secret)


@tokens.command("list")
def list_tokens(ctx: typer.Context, fmt: TableOrJsonOption = TableOrJson.table) -> None:
    """Every user's API tokens, with scope, expiry and last use."""
    from outlay.people import token_data

    rows = [token_data(t, email) for t, email in outlay_of(ctx).all_tokens()]
    columns = ["id", "user", "name", "scope", "expires", "last used", "status"]
    print_rows(rows, fmt, columns, _token_cells)


def _token_cells(r: dict[str, Any]) -> list[str]:
    status = f"revoked {_minute(r['revoked_at'])}" if r["revoked_at"] else "active"
    return [str(r["id"]), r["user"], r["name"] or "—", r["scope"], _minute(r["expires_at"]),
            _minute(r["last_used_at"]), status]  # fmt: skip


def _minute(iso: str | None) -> str:
    return iso[:16].replace("T", " ") if iso else "never"


@tokens.command("revoke")
def revoke_token(
    ctx: typer.Context, token_id: Annotated[int, typer.Argument(help="From outlay tokens list.")]
) -> None:
    """Revoke an API token: it stops working at once."""
    from outlay.access import LOCAL_OWNER

    outlay_of(ctx).revoke_token(LOCAL_OWNER, token_id)
    console().print(f"Revoked token {token_id}.")


# -- a user's lifecycle ------------------------------------------------------------------------

Email = Annotated[str, typer.Argument(help="The user's email.")]
ServerUrl = Annotated[
    str | None,
    typer.Option("--server-url", metavar="URL",
                 help="The server's address, to print a whole link (e.g. https://outlay.example.com)."),
]  # fmt: skip


@users.command("list")
def list_users(ctx: typer.Context, fmt: TableOrJsonOption = TableOrJson.table) -> None:
    """Users with their role, workspaces and whether they are disabled."""
    from outlay.people import user_data

    rows = [user_data(user, spaces) for user, spaces in outlay_of(ctx).users()]
    print_rows(rows, fmt, ["email", "role", "workspaces", "status"], _user_cells)


def _user_cells(r: dict[str, Any]) -> list[str]:
    spaces = r["workspaces"] if isinstance(r["workspaces"], str) else ", ".join(r["workspaces"])
    return [r["email"], r["role"], spaces or "—", "disabled" if r["disabled"] else "active"]


@users.command("set-role")
def set_role(
    ctx: typer.Context, email: Email,
    role: Annotated[str, typer.Option("--role", help=f"One of {', '.join(ROLES)}.")],
) -> None:  # fmt: skip
    """Give a user another role (effective on their next request)."""
    user = outlay_of(ctx).set_role(email, role)
    console().print(f"{user.email} is now a {user.role}.")


@users.command("set-workspaces")
def set_workspaces(
    ctx: typer.Context, email: Email,
    workspace: Annotated[list[str], typer.Option("--workspace", help="A workspace (repeat).")],
) -> None:  # fmt: skip
    """Make a user a member of exactly these workspaces."""
    names = outlay_of(ctx).set_workspaces(email, workspace)
    console().print(f"{email} is now in: {', '.join(names)}.", markup=False)


@users.command("disable")
def disable(ctx: typer.Context, email: Email) -> None:
    """Disable a user: their sessions and API tokens stop working on the next request."""
    outlay_of(ctx).disable_user(email)
    console().print(f"Disabled {email}.")


@users.command("enable")
def enable(ctx: typer.Context, email: Email) -> None:
    """Enable a disabled user again (their unexpired API tokens work again)."""
    outlay_of(ctx).enable_user(email)
    console().print(f"Enabled {email}.")


@users.command("remove")
def remove(ctx: typer.Context, email: Email) -> None:
    """Delete a user with their sessions and API tokens (the audit log keeps their email)."""
    outlay_of(ctx).remove_user(email)
    console().print(f"Removed {email}.")


@users.command("reset-password")
def reset_password(ctx: typer.Context, email: Email, server_url: ServerUrl = None) -> None:
    """Print a one-time link with which the user sets a new password (expires in a day)."""
    issued = outlay_of(ctx).create_reset_link(email, server_url)
    _print_link(issued)


def invite(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="Who to invite.")],
    workspace: Annotated[str, typer.Option("--workspace", help="The workspace they join.")],
    role: Annotated[str, typer.Option("--role", help=f"One of {', '.join(ROLES)}.")] = "viewer",
    server_url: ServerUrl = None,
) -> None:
    """Invite someone: they choose their password through a one-time link (7 days)."""
    issued = outlay_of(ctx).invite(email, workspace, role, server_url)
    if issued.delivered:
        console().print(f"Invitation e-mailed to {issued.record.email}.")
        return
    _print_link(issued)


def _print_link(issued: IssuedLink) -> None:
    """The link on stdout (for scripts), what to do with it on stderr."""
    console(stderr=True).print(
        f"Send this link to {issued.record.email}: it works once, until "
        f"{issued.record.expires_at:%Y-%m-%d %H:%M} UTC, and is not shown again."
    )
    typer.echo(issued.link)
