"""One sync per account at a time, across processes: an advisory lock file per account.

The kernel drops the lock when the process dies, so a crashed sync never blocks the next one.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from outlay.errors import SyncBusyError


@contextmanager
def account_lock(folder: Path, account_id: int, name: str) -> Iterator[None]:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(folder / f"account-{account_id}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SyncBusyError(
                f"account {name!r} is being synced by another process; wait for it to finish"
            ) from None
        yield
    finally:
        os.close(fd)
