"""Rows of one window on their way in, kept in a Parquet file until the window is complete.

A 30-day window of a large team holds millions of cost rows; staging them on disk keeps the
importer's memory to about one page whatever the window size, and lets the store move the whole
window in with one streaming INSERT. Each file is named after its account, so the next sync of
that account (holding the account lock) removes what a killed sync left behind.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from tempfile import mkstemp
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from outlay.costrows import SCHEMA
from outlay.errors import StoreError
from outlay.store.files import disk_errors

#: Staged files older than this belong to a process that died mid-window: safe to remove.
STALE_AFTER_S = 86_400.0

#: Opens a staged file for writing; the store's default writes the file itself (0600).
Opener = Callable[[Path], BinaryIO]


def open_private(path: Path) -> BinaryIO:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(fd, "wb")


class StagedWindow:
    def __init__(self, folder: Path, account: str = "", *, opener: Opener = open_private) -> None:
        with disk_errors(folder):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            _remove_stale(folder)
            fd, name = mkstemp(prefix=_prefix(account), suffix=".parquet", dir=folder)
            os.close(fd)
        self.path = Path(name)
        self.rows = 0
        self.events = 0
        self._opener = opener
        self._file: BinaryIO | None = None
        self._writer: pq.ParquetWriter | None = None

    def add(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        with disk_errors(self.path):
            if self._writer is None:
                self._file = self._opener(self.path)
                self._writer = pq.ParquetWriter(self._file, SCHEMA, compression="snappy")
            self._writer.write_table(table.cast(SCHEMA))
        self.rows += table.num_rows
        self.events += int(pc.sum(table["event_count"]).as_py() or 0)

    def restart(self) -> None:
        """Forget everything added so far (the window is being read again from its start)."""
        self.finish()
        with disk_errors(self.path):
            self.path.write_bytes(b"")
        self.rows = self.events = 0

    def finish(self) -> None:
        """Complete the file; calling it again does nothing."""
        writer, handle = self._writer, self._file
        self._writer = self._file = None
        with disk_errors(self.path):
            try:
                if writer is not None:
                    writer.close()
            finally:
                if handle is not None:
                    handle.close()

    def discard(self) -> None:
        """Remove the file; the window is being given up, so a failure to finish it is moot."""
        try:
            self.finish()
        except StoreError:
            pass  # an error while writing was raised already; the file goes regardless
        finally:
            self.path.unlink(missing_ok=True)


def clear_account(folder: Path, account: str) -> int:
    """Remove every staged file of ``account``: call only while holding its sync lock."""
    removed = 0
    for leftover in folder.glob(_prefix(account) + "*.parquet"):
        leftover.unlink(missing_ok=True)
        removed += 1
    return removed


def _prefix(account: str) -> str:
    # A hash: account names may hold characters a file name cannot.
    return f"window-{hashlib.sha256(account.encode()).hexdigest()[:16]}-"


def _remove_stale(folder: Path) -> None:
    cutoff = time.time() - STALE_AFTER_S
    for leftover in folder.glob("window-*.parquet"):
        try:
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()
        except FileNotFoundError:
            continue
