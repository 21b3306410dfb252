"""What the root command hands to every subcommand."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import typer

from outlay.config import Settings

if TYPE_CHECKING:
    from outlay.service import Outlay


@dataclass
class CliState:
    settings: Settings
    debug: bool = False
    #: The workspace whose accounts, tags and saved reports commands use (None: Default).
    workspace: str | None = None
    _outlay: Outlay | None = field(default=None, repr=False)

    @property
    def outlay(self) -> Outlay:
        """The service, opened on first use: ``--help`` and commands that need no store never
        load it (it pulls in the stores, HTTP and the providers)."""
        if self._outlay is None:
            from outlay.service import Outlay

            self._outlay = Outlay(self.settings)
        return self._outlay


def state_of(ctx: typer.Context) -> CliState:
    state = ctx.find_root().obj
    assert isinstance(state, CliState)
    return state


def outlay_of(ctx: typer.Context) -> Outlay:
    return state_of(ctx).outlay


def workspace_of(ctx: typer.Context) -> str | None:
    return state_of(ctx).workspace
