"""A PostgreSQL session-level advisory lock held on a connection of its own: with PostgreSQL
metadata, the one active scheduler among every worker and web replica.

The server frees the lock when that connection ends, so a worker killed outright hands over at
once; keepalives set on the connection also free it within about half a minute when the
worker's machine vanishes without closing the socket.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

#: Seconds of silence, then probes every few seconds, before the server drops a dead holder.
KEEPALIVES = ("SET tcp_keepalives_idle = 10", "SET tcp_keepalives_interval = 5",
              "SET tcp_keepalives_count = 3")  # fmt: skip


class AdvisoryLock:
    def __init__(self, engine: Engine, key: int) -> None:
        self._engine = engine
        self._key = key
        self._connection: Connection | None = None

    def try_acquire(self) -> bool:
        """Take the lock if no other session holds it; False (and nothing kept) otherwise."""
        try:
            connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except SQLAlchemyError as exc:
            log.warning("cannot reach the metadata database for the scheduler lock: %s", exc)
            return False
        try:
            for statement in KEEPALIVES:
                connection.execute(text(statement))
            got = connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key})
        except SQLAlchemyError as exc:
            log.warning("cannot ask for the scheduler lock: %s", exc)
            got = False
        if not got:
            connection.invalidate()  # never back to the pool with keepalive settings
            connection.close()
            return False
        self._connection = connection
        return True

    def held(self) -> bool:
        """Still held: its connection answers (if it broke, the server has freed the lock)."""
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            log.warning("lost the connection that held the scheduler lock")
            self.release()
            return False

    def release(self) -> None:
        """Close the lock's connection for good (not back to the pool): the server frees it."""
        if self._connection is not None:
            connection, self._connection = self._connection, None
            try:
                connection.invalidate()
                connection.close()
            except SQLAlchemyError:
                pass
