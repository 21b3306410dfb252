"""What the root command hands to every subcommand."""

from __future__ import annotations

import gc
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
            modules_loaded()
        return self._outlay


def modules_loaded() -> None:
    """The modules a command needs are loaded: if ``main`` paused the garbage collector for
    that, freeze what is loaded out of later collections (module objects are never garbage;
    walking them again on every collection and at exit costs a command about 0.2 s of CPU)
    and turn the collector back on for the command's own work."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def state_of(ctx: typer.Context) -> CliState:
    state = ctx.find_root().obj
    assert isinstance(state, CliState)
    return state


def outlay_of(ctx: typer.Context) -> Outlay:
    return state_of(ctx).outlay


def workspace_of(ctx: typer.Context) -> str | None:
    return state_of(ctx).workspace
