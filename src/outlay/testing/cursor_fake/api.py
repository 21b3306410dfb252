"""The fake Cursor Admin API as a plain function of a request: ``handle(method, path, headers,
body) -> FakeResponse``. No HTTP library here; ``transport`` adapts it to httpx and ASGI.

Order of handling, per request: the ``/_fake/`` control routes (not logged); an injected fault;
404 for unknown paths; Basic auth (401); 403 for a write (refused, recorded in ``log``); the
per-minute bucket of the route group (429); then the route itself (400 on a bad body).
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from outlay.testing.cursor_fake.daily import daily_usage_data
from outlay.testing.cursor_fake.events import filtered_usage_events
from outlay.testing.cursor_fake.faults import FakeDisconnect, Fault, RouteGroup
from outlay.testing.cursor_fake.responses import (
    JSON_HEADERS,
    ApiError,
    FakeResponse,
    error_body,
    error_response,
    json_response,
)
from outlay.testing.cursor_fake.routes import RATE_LIMITS, Route, classify
from outlay.testing.cursor_fake.spend import team_spend
from outlay.testing.cursor_fake.team import FakeTeam
from outlay.testing.cursor_fake.validate import integer, parse_body

__all__ = ["DEFAULT_KEY", "FakeCursorAPI", "FakeResponse", "Fault", "LoggedRequest"]

# crsr_ + 64 characters, like a real team key; obviously not one.
DEFAULT_KEY = "crsr_fake_" + "x" * 59
READ_SCOPES = frozenset({"admin:*", "read:*"})

_MALFORMED: dict[Route | None, bytes] = {
    "events": b'{"totalUsageEventsCount":1,"pagination":{"numPages":1,"currentPage":1,'
    b'"pageSize":100,"hasNextPage":false,"hasPreviousPage":false},'
    b'"usageEvents":{"timestamp":"oops"},"period":{}}',
    "members": b'{"teamMembers":"unavailable"}',
    "daily": b'{"data":{"rows":[]},"period":{}}',
    "spend": b'{"teamMemberSpend":42,"subscriptionCycleStart":"soon"}',
    None: b'{"unexpected":true}',
}
_GARBAGE = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    method: str
    path: str
    status: int  # 0 when the connection was dropped by a fault
    at: float  # the API's clock at arrival
    route_group: RouteGroup


class FakeCursorAPI:
    def __init__(
        self,
        team: FakeTeam,
        *,
        keys: Mapping[str, str] | None = None,
        rate_limit: bool = True,
        retry_after: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        string_dates_500: bool = False,
    ) -> None:
        self.team = team
        self.keys = dict(keys) if keys is not None else {DEFAULT_KEY: "admin:*"}
        self.rate_limit = rate_limit
        self.retry_after = retry_after
        self.clock = clock
        self.string_dates_500 = string_dates_500
        self.log: list[LoggedRequest] = []
        self._faults: deque[Fault] = deque()
        self._buckets: dict[tuple[RouteGroup, int], int] = {}
        self._lock = threading.Lock()

    # --- test controls ---------------------------------------------------------------------

    def inject(self, *faults: Fault) -> None:
        """Queue faults; each later request consumes the first one matching its route group."""
        with self._lock:
            self._faults.extend(faults)

    @property
    def pending_faults(self) -> tuple[Fault, ...]:
        with self._lock:
            return tuple(self._faults)

    def refused(self) -> list[LoggedRequest]:
        """The writes that were attempted (and refused)."""
        return [entry for entry in self.log if entry.route_group == "mutating"]

    # --- the API ---------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> FakeResponse:
        method, path = method.upper(), path.split("?", 1)[0]
        if path.startswith("/_fake/"):
            return self._control(method, path, body)
        route, group = classify(method, path)
        at = self.clock()
        fault = self._take_fault(group)
        if fault is not None and fault.kind == "disconnect":
            self._record(method, path, 0, at, group)
            raise FakeDisconnect(fault.timeout)
        if fault is not None:
            response = _fault_response(fault, route)
        else:
            response = self._answer(route, group, headers, body, at)
        self._record(method, path, response.status, at, group)
        return response

    def _answer(
        self,
        route: Route | None,
        group: RouteGroup,
        headers: Mapping[str, str],
        body: bytes,
        at: float,
    ) -> FakeResponse:
        if group == "unknown":
            return error_response(404)
        scope = self.keys.get(_basic_key(headers) or "")
        if scope is None or (group != "mutating" and scope not in READ_SCOPES):
            return error_response(401)
        if group == "mutating" or route is None:
            return error_response(403, "Refused: this is a read-only fake of the Cursor API")
        if not self._take_token(group, at):
            extra = {"retry-after": str(self.retry_after)} if self.retry_after is not None else {}
            return error_response(429, headers=extra)
        try:
            if route == "members":
                return json_response({"teamMembers": self.team.members()})
            payload = parse_body(body)
            if route == "events":
                return filtered_usage_events(
                    self.team, payload, string_dates_500=self.string_dates_500
                )
            if route == "daily":
                return daily_usage_data(self.team, payload)
            return team_spend(self.team, payload)
        except ApiError as exc:
            return error_response(exc.status, exc.message)

    def _take_fault(self, group: RouteGroup) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(group):
                    self._faults.remove(fault)
                    return fault
        return None

    def _take_token(self, group: RouteGroup, at: float) -> bool:
        """Fixed per-minute buckets per route group, as Cursor documents (reset every minute)."""
        limit = RATE_LIMITS.get(group)
        if not self.rate_limit or limit is None:
            return True
        minute = int(at // 60)
        with self._lock:
            for key in [k for k in self._buckets if k[1] != minute]:
                del self._buckets[key]
            used = self._buckets.get((group, minute), 0)
            if used >= limit:
                return False
            self._buckets[(group, minute)] = used + 1
            return True

    def _record(self, method: str, path: str, status: int, at: float, group: RouteGroup) -> None:
        with self._lock:
            self.log.append(LoggedRequest(method, path, status, at, group))

    # --- /_fake/ control routes (a served fake only; not part of Cursor's API) --------------

    def _control(self, method: str, path: str, body: bytes) -> FakeResponse:
        try:
            if (method, path) == ("GET", "/_fake/log"):
                with self._lock:
                    entries = list(self.log)
                return json_response(
                    [
                        {
                            "method": e.method,
                            "path": e.path,
                            "status": e.status,
                            "at": e.at,
                            "routeGroup": e.route_group,
                        }
                        for e in entries
                    ]
                )
            if (method, path) == ("POST", "/_fake/revise"):
                return self._revise(body)
        except ApiError as exc:
            return error_response(exc.status, exc.message)
        return error_response(404)

    def _revise(self, body: bytes) -> FakeResponse:
        try:
            payload = json.loads(body or b"{}", parse_float=Decimal)
        except ValueError as exc:
            raise ApiError(400, "Request body must be valid JSON") from exc
        if not isinstance(payload, dict):
            raise ApiError(400, "Request body must be a JSON object")
        since = integer(payload, "sinceMs")
        factor = payload.get("factor")
        if since is None or factor is None or isinstance(factor, bool):
            raise ApiError(400, 'expected {"sinceMs": <ms>, "factor": "<decimal>"}')
        try:
            changed = self.team.revise(
                since, factor if isinstance(factor, Decimal) else str(factor)
            )
        except ValueError as exc:
            raise ApiError(400, str(exc)) from exc
        return json_response({"changed": changed})


def _basic_key(headers: Mapping[str, str]) -> str | None:
    """The API key of ``Authorization: Basic base64(key:)`` (the password is ignored)."""
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
    if value is None:
        return None
    scheme, _, encoded = value.strip().partition(" ")
    if scheme.lower() != "basic":
        return None  # Bearer is for the Cloud Agents API only
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0] or None


def _fault_response(fault: Fault, route: Route | None) -> FakeResponse:
    if fault.kind == "garbage":
        return FakeResponse(200, {"content-type": "text/html"}, fault.body or _GARBAGE)
    if fault.kind == "malformed":
        return FakeResponse(200, dict(JSON_HEADERS), _MALFORMED[route])
    headers = dict(JSON_HEADERS)
    if fault.retry_after is not None:
        headers["retry-after"] = str(fault.retry_after)
    body = fault.body if fault.body is not None else error_body(fault.code)
    return FakeResponse(fault.code, headers, body)
