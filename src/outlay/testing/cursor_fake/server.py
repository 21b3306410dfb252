"""Serving the fake over HTTP with uvicorn: in the foreground (``serve``, the CLI) or in a
background thread (``RunningFake``, for the demo, tests and the benchmark)."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType

import uvicorn

from outlay.errors import ConfigError
from outlay.testing.cursor_fake.api import DEFAULT_KEY, FakeCursorAPI
from outlay.testing.cursor_fake.team import FakeTeam, TeamSpec
from outlay.testing.cursor_fake.transport import asgi_app

_DROPPED = "ASGI callable returned without completing response."


class _QuietDrops(logging.Filter):
    """Hide uvicorn's error line for connections the fake drops on purpose (Fault.disconnect)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != _DROPPED


_QUIET_DROPS = _QuietDrops()


def serve(
    spec: TeamSpec,
    *,
    host: str = "127.0.0.1",
    port: int,
    key: str = DEFAULT_KEY,
    rate_limit: bool = True,
    retry_after: int | None = None,
    string_dates_500: bool = False,
    log_level: str = "warning",
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve a fake team until interrupted. ``on_ready(url)`` runs once the port is bound."""
    api = FakeCursorAPI(
        FakeTeam(spec),
        keys={key: "admin:*"},
        rate_limit=rate_limit,
        retry_after=retry_after,
        string_dates_500=string_dates_500,
    )
    sock = _listen(host, port)
    server = _server(api, log_level)
    if on_ready is not None:
        on_ready(_url(host, sock.getsockname()[1]))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


class RunningFake:
    """A served fake on a free local port, in a background thread::

    with RunningFake(TeamSpec(users=50), rate_limit=False) as fake:
        httpx.get(fake.url + "/teams/members", auth=(fake.key, ""))
    """

    def __init__(
        self,
        spec: TeamSpec | None = None,
        *,
        api: FakeCursorAPI | None = None,
        key: str = DEFAULT_KEY,
        rate_limit: bool = True,
        retry_after: int | None = None,
        string_dates_500: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
    ) -> None:
        if api is None:
            api = FakeCursorAPI(
                FakeTeam(spec or TeamSpec()),
                keys={key: "admin:*"},
                rate_limit=rate_limit,
                retry_after=retry_after,
                string_dates_500=string_dates_500,
            )
        else:
            key = next(iter(api.keys), key)
        self.api = api
        self.team = api.team
        self.key = key
        self.host = host
        self.port = port
        self._log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake is not running; call start() or use it as a context")
        return _url(self.host, self.port)

    def start(self, timeout: float = 10.0) -> RunningFake:
        if self._server is not None:
            return self
        self._sock = _listen(self.host, self.port)
        self.port = self._sock.getsockname()[1]
        server = _server(self.api, self._log_level)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [self._sock]}, name="fake-cursor", daemon=True
        )
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the fake Cursor API did not start on {self.host}:{self.port}")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        server, thread, sock = self._server, self._thread, self._sock
        self._server = self._thread = self._sock = None
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout)
        if sock is not None:
            sock.close()

    def __enter__(self) -> RunningFake:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _listen(host: str, port: int) -> socket.socket:
    """Bind before serving, so the port is known (port 0) and a busy port is a clear error."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError(
            f"cannot listen on {host}:{port} ({reason}); pick another --port"
        ) from exc


def _server(api: FakeCursorAPI, log_level: str) -> uvicorn.Server:
    config = uvicorn.Config(
        asgi_app(api), log_level=log_level, access_log=False, lifespan="on", http="h11"
    )
    logger = logging.getLogger("uvicorn.error")
    if _QUIET_DROPS not in logger.filters:
        logger.addFilter(_QUIET_DROPS)
    return uvicorn.Server(config)


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
