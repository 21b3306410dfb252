"""How an ``OutlayError`` reads on the command line: its message plus the flag or command that
helps. The service's messages name no flag (the web and the API show them too); the CLI knows
its own flags, so it adds them here, from the error's class and ``field``."""

from __future__ import annotations

from outlay.errors import (
    AccountNotFound,
    ConflictError,
    OutlayError,
    UserNotFound,
    WorkspaceNotFound,
)

#: The flag that sets each input an error may name in ``field``.
FLAGS = {
    "account_name": "--name",
    "base_url": "--base-url",
    "since": "--since",
    "role": "--role",
    "password": "--password-env/--password-stdin",
    "api_key": "--api-key-env/--api-key-stdin",
}
#: Where to look when a thing is not found.
HINTS: tuple[tuple[type[OutlayError], str], ...] = (
    (AccountNotFound, "see `outlay accounts list`"),
    (WorkspaceNotFound, "see `outlay workspaces list`"),
    (UserNotFound, "add one with `outlay users add`"),
)


def cli_message(exc: OutlayError) -> str:
    text = str(exc)
    flag = FLAGS.get(exc.field or "")
    if flag and isinstance(exc, ConflictError):
        return f"{text}; pick another {flag}"
    if flag:
        return f"{text} ({flag})"
    for kind, hint in HINTS:
        if isinstance(exc, kind):
            return f"{text}; {hint}"
    return text
