"""Files in the data dir: owner-only modes, and write errors that name the file and free space.

The data dir holds password hashes, e-mail addresses, sealed API keys and every cost.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from outlay.errors import StoreError

log = logging.getLogger(__name__)

FILE_MODE = 0o600


def make_private(*paths: Path) -> None:
    """Give each existing file mode 0600 (files the databases create follow the umask)."""
    for path in paths:
        try:
            if path.stat().st_mode & 0o777 != FILE_MODE:
                os.chmod(path, FILE_MODE)
        except FileNotFoundError:
            continue
        except PermissionError as exc:
            # Another user's file in the data dir: keep going, but say it stays readable.
            log.warning("cannot make %s private: %s", path, exc.strerror)


@contextmanager
def disk_errors(path: Path) -> Iterator[None]:
    """Turn an operating-system error while writing ``path`` into a StoreError naming it."""
    try:
        yield
    except OSError as exc:
        raise storage_error(path, exc.strerror or str(exc)) from exc


def storage_error(path: Path, reason: str) -> StoreError:
    return StoreError(
        f"cannot write {path}: {reason} ({free_space(path)} free on its disk); free some "
        "space or set OUTLAY_DATA_DIR to a folder on a larger disk"
    )


def free_space(path: Path) -> str:
    folder = path
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        free = float(shutil.disk_usage(folder).free)
    except OSError:
        return "unknown space"
    units = ("bytes", "KB", "MB", "GB", "TB")
    step = 0
    while free >= 1024 and step < len(units) - 1:
        free /= 1024
        step += 1
    return f"{free:.0f} bytes" if step == 0 else f"{free:.1f} {units[step]}"
