"""Fault injection: scripted failures the API serves instead of a normal answer.

``api.inject(Fault.status(503), Fault.disconnect(group="events"))`` queues faults; each request
consumes the first queued fault whose group matches its route group (``None`` matches any) and
gets that fault instead of normal handling (no auth, no rate limit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["status", "garbage", "malformed", "disconnect"]
RouteGroup = Literal["events", "other", "mutating", "unknown"]


class FakeDisconnect(Exception):
    """Raised by ``FakeCursorAPI.handle``: the transport must fail the connection."""

    def __init__(self, timeout: bool) -> None:
        super().__init__("read timeout" if timeout else "connection dropped")
        self.timeout = timeout


@dataclass(frozen=True, slots=True)
class Fault:
    kind: FaultKind
    code: int = 200
    body: bytes | None = None
    retry_after: int | None = None
    group: RouteGroup | None = None
    timeout: bool = False

    @classmethod
    def status(
        cls,
        code: int,
        body: bytes | None = None,
        retry_after: int | None = None,
        *,
        group: RouteGroup | None = None,
    ) -> Fault:
        """Answer ``code`` with ``body`` (default: the documented error body for the code)."""
        return cls("status", code, body, retry_after, group)

    @classmethod
    def garbage(cls, body: bytes | None = None, *, group: RouteGroup | None = None) -> Fault:
        """200 with a body that is not JSON (default: an HTML error page from a proxy)."""
        return cls("garbage", 200, body, None, group)

    @classmethod
    def malformed(cls, *, group: RouteGroup | None = None) -> Fault:
        """200 with JSON of the wrong shape for the route (e.g. ``usageEvents`` not a list)."""
        return cls("malformed", 200, None, None, group)

    @classmethod
    def disconnect(cls, *, timeout: bool = False, group: RouteGroup | None = None) -> Fault:
        """No answer: the connection fails (``timeout=True``: the read times out instead)."""
        return cls("disconnect", 0, None, None, group, timeout)

    def matches(self, group: RouteGroup) -> bool:
        return self.group is None or self.group == group
