"""The two ways to reach ClickHouse: chDB (the engine in this process) and a server over HTTP.

Both give the store the same four operations: run a statement, read Arrow, insert a staged
Parquet file, close. chDB runs one engine per process, on one data path: a second path cannot be
opened while the first is, so every store of a process on that path shares one connection
(counted), and a store on another path closes the engine first (tests give each store its own
database inside one path instead).
"""

from __future__ import annotations

import atexit
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from tempfile import mkstemp
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import pyarrow as pa
import pyarrow.parquet as pq

from outlay.errors import ConfigError, StoreBusyError
from outlay.store.files import disk_errors

#: Arrow batches of a staged file sent to a server in one insert each.
INSERT_BATCH_ROWS = 200_000


class Connector(Protocol):
    database: str

    def command(self, sql: str) -> None: ...

    def arrow(self, sql: str) -> pa.Table: ...

    def insert_parquet(self, table: str, path: Path, version: int) -> None: ...

    def insert_arrow(self, table: str, rows: pa.Table) -> None: ...

    def close(self) -> None: ...

    def stream(self, sql: str, spool: Path) -> AbstractContextManager[Iterator[pa.RecordBatch]]:
        """The rows of ``sql`` in Arrow batches, memory one batch; ``spool``: a private folder
        the connector may stage them in."""
        ...


_ENGINE_LOCK = threading.Lock()
_ENGINE: dict[str, Any] = {}  # "path", "connection", "users"


@atexit.register
def _close_engine() -> None:
    """Close the process's chDB engine before the interpreter tears down: left to finalization
    it crashed the process at exit (SIGSEGV) in two CLI runs of three."""
    with _ENGINE_LOCK:
        if _ENGINE:
            _ENGINE["connection"].close()
            _ENGINE.clear()


class ChdbConnector:
    def __init__(self, path: Path, database: str) -> None:
        import chdb

        self.path, self.database = path, database
        with _ENGINE_LOCK:
            if _ENGINE and _ENGINE["path"] != str(path):
                _ENGINE["connection"].close()
                _ENGINE.clear()
            if not _ENGINE:
                path.mkdir(mode=0o700, parents=True, exist_ok=True)
                _ENGINE.update(path=str(path), connection=_open(chdb, path), users=0)
            _ENGINE["users"] += 1
            self._con = _ENGINE["connection"]

    def command(self, sql: str) -> None:
        self._con.query(sql, "CSV")

    def arrow(self, sql: str) -> pa.Table:
        return self._con.query(sql, "ArrowTable")

    def insert_parquet(self, table: str, path: Path, version: int) -> None:
        quoted = str(path).replace("\\", "\\\\").replace("'", "\\'")
        self.command(f"INSERT INTO {table} SELECT *, {int(version)} FROM file('{quoted}', Parquet)")

    def insert_arrow(self, table: str, rows: pa.Table) -> None:
        # chDB reads a Python object named in the query from the caller's frame, and takes
        # decimals as 128-bit only (the values are the same).
        arrow_rows = _wide_decimals(rows)  # noqa: F841 - read by name through Python()
        self._con.query(f"INSERT INTO {table} SELECT * FROM Python(arrow_rows)", "CSV")

    def close(self) -> None:
        with _ENGINE_LOCK:
            if _ENGINE and _ENGINE["connection"] is self._con:
                _ENGINE["users"] -= 1

    @contextmanager
    def stream(self, sql: str, spool: Path) -> Iterator[Iterator[pa.RecordBatch]]:
        """Not chDB's own stream (``send_query``): any other query on the process's one
        connection (a report beside an export) ends it. The engine writes the rows to a file in
        ``spool`` instead, block by block in one statement, read back a batch at a time."""
        with disk_errors(spool):
            spool.mkdir(mode=0o700, parents=True, exist_ok=True)
            for old in spool.glob("export-*.arrows"):  # a killed export's, a day on
                with suppress(FileNotFoundError):
                    if time.time() - old.stat().st_mtime > 86_400:
                        old.unlink()
            fd, name = mkstemp(prefix="export-", suffix=".arrows", dir=spool)
            os.close(fd)
        try:
            quoted = name.replace("\\", "\\\\").replace("'", "\\'")
            self.command(f"{sql} INTO OUTFILE '{quoted}' TRUNCATE FORMAT ArrowStream")
            with pa.OSFile(name) as source:
                yield iter(pa.ipc.open_stream(source))
        finally:
            Path(name).unlink(missing_ok=True)


def _open(chdb: Any, path: Path) -> Any:
    try:
        return chdb.connect(str(path))
    except Exception as exc:
        raise StoreBusyError(
            f"chDB cannot open {path}: another process holds it (chDB is one process per "
            "data path); stop it, or use a ClickHouse server (clickhouse://…) for several"
        ) from exc


class ServerConnector:
    """A ClickHouse server through clickhouse-connect (HTTP). Untested here: no server runs."""

    def __init__(self, url: str) -> None:
        import clickhouse_connect

        parts = urlsplit(url)
        self.database = parts.path.strip("/") or "default"
        self._client = clickhouse_connect.get_client(
            host=parts.hostname or "localhost",
            port=parts.port or 8123,
            username=parts.username or "default",
            password=parts.password or "",
            database=self.database,
            secure=parse_qs(parts.query).get("secure", ["false"])[0] == "true",
        )

    def command(self, sql: str) -> None:
        self._client.command(sql)

    def arrow(self, sql: str) -> pa.Table:
        return self._client.query_arrow(sql)

    def insert_parquet(self, table: str, path: Path, version: int) -> None:
        # The server cannot read this machine's files: send the rows, a batch at a time.
        source = pq.ParquetFile(path)
        for batch in source.iter_batches(batch_size=INSERT_BATCH_ROWS):
            self.insert_arrow(table, versioned(pa.Table.from_batches([batch]), version))

    def insert_arrow(self, table: str, rows: pa.Table) -> None:
        db, _, name = table.rpartition(".")
        self._client.insert_arrow(name, rows, database=db or self.database)

    def close(self) -> None:
        self._client.close()

    @contextmanager
    def stream(self, sql: str, spool: Path) -> Iterator[Iterator[pa.RecordBatch]]:
        """The server's Arrow stream, a batch at a time as it arrives (``spool`` unused). In a
        session of its own: a session runs one query at a time, and an export must not hold
        the client's against the reports beside it."""
        session = {"session_id": f"outlay-export-{uuid.uuid4().hex}"}
        with self._client.query_arrow_stream(sql, settings=session) as batches:
            yield batches


def versioned(rows: pa.Table, version: int) -> pa.Table:
    """The rows with the ``version`` column ``cost_rows_all`` keeps them under."""
    return rows.append_column("version", pa.repeat(pa.scalar(version, pa.uint64()), rows.num_rows))


def _wide_decimals(rows: pa.Table) -> pa.Table:
    fields = [
        pa.field(f.name, pa.decimal128(f.type.precision, f.type.scale), f.nullable)
        if pa.types.is_decimal(f.type)
        else f
        for f in rows.schema
    ]
    return rows.cast(pa.schema(fields))


def connect(url: str) -> Connector:
    """The connector a ``chdb:///path[?database=name]`` or ``clickhouse://…`` URL names."""
    if url.startswith("chdb:///"):
        parts = urlsplit(url)
        database = parse_qs(parts.query).get("database", ["outlay"])[0]
        folder = url[len("chdb:///") :].split("?", 1)[0]  # as SQLAlchemy: ////abs, ///relative
        if not database.isidentifier():
            raise ConfigError(f"chDB database {database!r} is not a plain name; use letters")
        try:
            import chdb  # noqa: F401  (an optional extra)
        except ImportError:
            raise ConfigError(
                "OUTLAY_FACTS_URL names chDB, which is not installed; "
                "run pip install 'outlay[chdb]', or use clickhouse://… for a server"
            ) from None
        return ChdbConnector(Path(folder), database)
    if url.startswith("clickhouse://"):
        return ServerConnector(url)
    raise ConfigError(f"{url!r} is not a ClickHouse URL; use chdb:///path or clickhouse://…")
