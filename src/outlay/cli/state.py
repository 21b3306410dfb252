"""What the root command hands to every subcommand."""

from __future__ import annotations

from dataclasses import dataclass

import typer

from outlay.service import Outlay


@dataclass
class CliState:
    outlay: Outlay
    debug: bool = False


def outlay_of(ctx: typer.Context) -> Outlay:
    state = ctx.find_root().obj
    assert isinstance(state, CliState)
    return state.outlay
