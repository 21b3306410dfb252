"""A PostgreSQL server for the tests: ``OUTLAY_TEST_POSTGRES_URL`` if set, else a throwaway
cluster (initdb into a temp dir, pg_ctl on a free loopback port) stopped and deleted at the end.

Each test gets fresh databases cloned from a template already at the head migration: cloning
copies files, far quicker than running the migrations again.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from outlay.store import migrations

TEMPLATE = "outlay_template"
#: Durability is pointless for a test cluster; these make it several times faster.
FAST = ("-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        "-c max_connections=300 -c shared_buffers=32MB")  # fmt: skip


def _bindir() -> Path:
    try:
        found = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, check=True
        )
        candidate = Path(found.stdout.strip())
        if (candidate / "initdb").exists():
            return candidate
    except (OSError, subprocess.CalledProcessError):
        pass
    return Path("/usr/lib/postgresql/15/bin")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """A new cluster's URL (user ``outlay``, database ``postgres``) while the block runs."""
    bindir = _bindir()
    folder = Path(tempfile.mkdtemp(prefix="outlay-pg-"))
    # initdb refuses to run as root: run the server as the postgres user, owning the folder.
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", _free_port()
    try:
        subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "outlay",
                        "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"],
                       check=True, capture_output=True)  # fmt: skip
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 {FAST}"
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-o", options,
                        "-l", str(folder / "log"), "-w", "start"],
                       check=True, capture_output=True)  # fmt: skip
        try:
            yield f"postgresql+psycopg://outlay@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m",
                            "immediate", "-w", "stop"], capture_output=True)  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class Databases:
    """Fresh databases on one server, each a clone of the migrated template."""

    def __init__(self, server_url: str) -> None:
        self._server = make_url(server_url)
        self._admin = create_engine(self._server, isolation_level="AUTOCOMMIT")
        self._names = (f"outlay_t{os.getpid()}_{n}" for n in itertools.count())
        self._ddl(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
        self._ddl(f"CREATE DATABASE {TEMPLATE}")
        engine = create_engine(self.url(TEMPLATE))
        migrations.upgrade(engine)
        engine.dispose()

    def url(self, name: str) -> str:
        return self._server.set(database=name).render_as_string(hide_password=False)

    def fresh(self, *, migrated: bool = True) -> str:
        """A new database's URL: at the head migration, or empty."""
        name = next(self._names)
        self._ddl(f"CREATE DATABASE {name}" + (f" TEMPLATE {TEMPLATE}" if migrated else ""))
        return self.url(name)

    def drop(self, url: str) -> None:
        self._ddl(f"DROP DATABASE IF EXISTS {make_url(url).database} WITH (FORCE)")

    def close(self) -> None:
        self._ddl(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
        self._admin.dispose()

    def _ddl(self, statement: str) -> None:
        with self._admin.connect() as connection:
            connection.execute(text(statement))
