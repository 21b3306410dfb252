"""What the root command hands to every subcommand."""

from __future__ import annotations

from dataclasses import dataclass

import typer

from outlay.service import Outlay


@dataclass
class CliState:
    outlay: Outlay
    debug: bool = False
    #: The workspace whose accounts, tags and saved reports commands use (None: Default).
    workspace: str | None = None


def state_of(ctx: typer.Context) -> CliState:
    state = ctx.find_root().obj
    assert isinstance(state, CliState)
    return state


def outlay_of(ctx: typer.Context) -> Outlay:
    return state_of(ctx).outlay


def workspace_of(ctx: typer.Context) -> str | None:
    return state_of(ctx).workspace
