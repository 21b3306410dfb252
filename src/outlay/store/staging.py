"""Rows of one window on their way in, kept in a Parquet file until the window is complete.

A 30-day window of a large team holds millions of cost rows; staging them on disk keeps the
importer's memory to about one page whatever the window size, and lets the store move the whole
window in with one streaming INSERT.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from tempfile import mkstemp

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from outlay.costrows import SCHEMA

#: Staged files older than this belong to a process that died mid-window: safe to remove.
STALE_AFTER_S = 86_400.0


class StagedWindow:
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        _remove_stale(folder)
        fd, name = mkstemp(prefix="window-", suffix=".parquet", dir=folder)
        os.close(fd)
        self.path = Path(name)
        self.rows = 0
        self.events = 0
        self._writer: pq.ParquetWriter | None = None

    def add(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, SCHEMA, compression="snappy")
        self._writer.write_table(table.cast(SCHEMA))
        self.rows += table.num_rows
        self.events += int(pc.sum(table["event_count"]).as_py() or 0)

    def restart(self) -> None:
        """Forget everything added so far (the window is being read again from its start)."""
        self.finish()
        self.path.write_bytes(b"")
        self._writer = None
        self.rows = self.events = 0

    def finish(self) -> None:
        if self._writer is not None:
            self._writer.close()

    def discard(self) -> None:
        self.finish()
        self.path.unlink(missing_ok=True)


def _remove_stale(folder: Path) -> None:
    cutoff = time.time() - STALE_AFTER_S
    for leftover in folder.glob("window-*.parquet"):
        try:
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()
        except FileNotFoundError:
            continue
