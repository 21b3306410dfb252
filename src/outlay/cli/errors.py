"""How an ``OutlayError`` reads on the command line: its message plus the flag or command that
helps. The service's messages name no flag (the web and the API show them too); the CLI knows
its own flags, so it adds them here, from the error's class and ``field``."""

from __future__ import annotations

import csv
import os

from outlay.errors import (
    AccountNotFound,
    ChannelNotFound,
    ConflictError,
    OutlayError,
    TokenNotFound,
    UserNotFound,
    WorkspaceNotFound,
)
from outlay.report.options import OPTIONS

#: The flag that sets each input an error may name in ``field``.
FLAGS = {
    "account_name": "--name",
    "base_url": "--base-url",
    "since": "--since",
    "role": "--role",
    "password": "--password-env/--password-stdin",
    "api_key": "--api-key-env/--api-key-stdin",
    # The report options: each has its flag in the one option table.
    **{option.field: option.flag for option in OPTIONS},
    "period": "--start/--end or --interval",
    "output": "--output",
    # Channels.
    "url": "--url/--url-env",
    "to": "--to",
    "secret": "--secret-env",
    # Alerts and anomalies.
    "threshold": "--threshold",
    "notify": "--notify",
    "min_cost": "--min-cost",
    "sensitivity": "--sensitivity",
    "reason": "--reason",
    # Users and tokens.
    "scope": "--scope",
    "days": "--expires-in",
    "workspaces": "--workspace",
}
#: The command that does what an input cannot, by the error's ``field``.
COMMANDS = {"tags_document": "to delete every tag use `outlay tags delete --all`"}
#: Where to look when a thing is not found.
HINTS: tuple[tuple[type[OutlayError], str], ...] = (
    (AccountNotFound, "see `outlay accounts list`"),
    (WorkspaceNotFound, "see `outlay workspaces list`"),
    (UserNotFound, "add one with `outlay users add`"),
    (ChannelNotFound, "see `outlay channels list`"),
    (TokenNotFound, "see `outlay tokens list`"),
)


def edge_message(exc: OSError | csv.Error) -> str:
    """A file or CSV error no command turned into an ``OutlayError``, as one line."""
    if isinstance(exc, csv.Error):
        return f"not valid CSV: {exc}"
    reason = os.strerror(exc.errno) if exc.errno else str(exc)
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}{reason}; check the path and its permissions"


def cli_message(exc: OutlayError) -> str:
    text = str(exc)
    flag = FLAGS.get(exc.field or "")
    if flag and isinstance(exc, ConflictError):
        return f"{text}; pick another {flag}"
    if flag:
        return f"{text} ({flag})"
    if command := COMMANDS.get(exc.field or ""):
        return f"{text}; {command}"
    for kind, hint in HINTS:
        if isinstance(exc, kind):
            return f"{text}; {hint}"
    return text
