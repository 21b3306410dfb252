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
    lock = FileLock(folder / f"account-{account_id}.lock")
    if not lock.try_acquire():
        raise SyncBusyError(
            f"account {name!r} is being synced by another process; wait for it to finish"
        )
    try:
        yield
    finally:
        lock.release()


class FileLock:
    """An exclusive lock on a file, taken without waiting (``try_acquire``) and held until
    ``release`` or the process's death: with SQLite, the one active scheduler per data dir."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        self._path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
