"""Read-only HTTP client for the Cursor Admin API, around an injected ``httpx.Client``.

The only module that talks HTTP, sleeps or retries. It refuses any (method, path) outside
``READ_ROUTES`` before a byte is sent, paces each route group, retries 429/5xx/timeouts with
backoff, pages usage events to the end, and turns every failure into one ``ProviderError`` line
that never contains the key.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from outlay.errors import (
    AuthError,
    PagingShiftedError,
    PayloadError,
    RateLimitedError,
    RequestRejectedError,
    RouteRefusedError,
    UnavailableError,
)
from outlay.providers.cursor.base_url import CURSOR_BASE_URL
from outlay.providers.cursor.models import (
    DailyUsagePage,
    DailyUsageRow,
    EventsPage,
    Member,
    MemberSpend,
    MembersResponse,
    SpendPage,
)
from outlay.providers.cursor.policy import (
    DEFAULT_LIMITS,
    DEFAULT_RETRY,
    RETRY_STATUSES,
    RateLimits,
    RetryPolicy,
    SlidingWindowPacer,
    parse_retry_after,
)
from outlay.secrets import mask_key

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = CURSOR_BASE_URL
MAX_WINDOW_MS = 30 * 86_400_000
EVENTS_PAGE_SIZE = 1000
FALLBACK_PAGE_SIZE = 100
MAX_PAGES = 20_000

MEMBERS = ("GET", "/teams/members")
EVENTS = ("POST", "/teams/filtered-usage-events")
DAILY_USAGE = ("POST", "/teams/daily-usage-data")
SPEND = ("POST", "/teams/spend")
#: Reads only. Cursor reads with POST too, so the list is of (method, path) pairs, not methods.
READ_ROUTES = frozenset({MEMBERS, EVENTS, DAILY_USAGE, SPEND})

P = TypeVar("P", bound=BaseModel)


class PageSink(Protocol):
    """Receives the pages of one usage-event window."""

    def restart(self) -> None: ...
    def add(self, page: EventsPage) -> None: ...


@dataclass(frozen=True)
class EventWindow:
    """Inclusive millisecond bounds of one usage-event request (at most 30 days)."""

    start_ms: int
    end_ms: int


class CursorClient:
    def __init__(
        self,
        http: httpx.Client,
        *,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        limits: RateLimits | None = DEFAULT_LIMITS,
        retry: RetryPolicy = DEFAULT_RETRY,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._http = http
        self._auth = httpx.BasicAuth(api_key, "")
        self._masked = mask_key(api_key)
        self._base = base_url.rstrip("/")
        self._retry = retry
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._pacers: dict[str, SlidingWindowPacer] = {}
        if limits is not None:
            self._pacers = {
                "events": SlidingWindowPacer(
                    limits.events_per_minute, limits.period_s, clock, sleep
                ),
                "other": SlidingWindowPacer(limits.other_per_minute, limits.period_s, clock, sleep),
            }

    # -- endpoints -------------------------------------------------------------------------

    def members(self) -> list[Member]:
        """All members, removed ones included (Cursor lists them with ``isRemoved``)."""
        return self._call(MEMBERS, None, MembersResponse).teamMembers

    def spend(self, page_size: int = 100) -> tuple[int | None, list[MemberSpend]]:
        """Current billing cycle: (``subscriptionCycleStart`` ms, every member's spend row)."""
        rows: list[MemberSpend] = []
        page, cycle = 1, None
        while page <= MAX_PAGES:
            body = self._call(SPEND, {"page": page, "pageSize": page_size}, SpendPage)
            cycle = body.subscriptionCycleStart
            rows.extend(body.teamMemberSpend)
            if not body.teamMemberSpend or page >= (body.totalPages or 1):
                break
            page += 1
        return cycle, rows

    def daily_usage(self, window: EventWindow, page_size: int = 1000) -> list[DailyUsageRow]:
        """One row per (member, day) for everyone with a membership in the window."""
        _check_window(window)
        rows: list[DailyUsageRow] = []
        page = 1
        while page <= MAX_PAGES:
            request = {
                "startDate": window.start_ms,
                "endDate": window.end_ms,
                "page": page,
                "pageSize": page_size,
            }
            body = self._call(DAILY_USAGE, request, DailyUsagePage)
            rows.extend(body.data)
            pages = body.pagination
            if not body.data or pages is None or not pages.hasNextPage:
                break
            page += 1
        return rows

    def iter_event_pages(self, window: EventWindow) -> Iterator[EventsPage]:
        """Every page of usage events in the window, with all of the contract's stop conditions.

        The next page is requested while the caller works on this one, so the wait for the
        API overlaps the caller's processing. Raises ``PagingShiftedError`` if the total count
        moves between pages: new events landing mid-walk shift page boundaries, which would
        drop or repeat events.
        """
        _check_window(window)

        def fetch(page_no: int, page_size: int) -> EventsPage:
            request = {
                "startDate": window.start_ms,
                "endDate": window.end_ms,
                "page": page_no,
                "pageSize": page_size,
            }
            return self._call(EVENTS, request, EventsPage)

        page_size, page_no, seen, total = EVENTS_PAGE_SIZE, 1, 0, None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cursor-pages") as pool:
            pending: Future[EventsPage] | None = pool.submit(fetch, page_no, page_size)
            while pending is not None:
                try:
                    body = pending.result()
                except RequestRejectedError:
                    if page_no != 1 or page_size == FALLBACK_PAGE_SIZE:
                        raise
                    # Older deployments capped pageSize lower; the contract says retry with 100.
                    page_size = FALLBACK_PAGE_SIZE
                    pending = pool.submit(fetch, page_no, page_size)
                    continue
                if total is None:
                    total = body.totalUsageEventsCount
                elif body.totalUsageEventsCount not in (None, total):
                    raise PagingShiftedError(
                        f"usage events {_span(window)}: count changed from {total} to "
                        f"{body.totalUsageEventsCount} while paging"
                    )
                events = body.usageEvents
                seen += len(events)
                pages = body.pagination
                last = (
                    not events
                    or pages is None
                    or pages.hasNextPage is False
                    or (pages.numPages is not None and page_no >= pages.numPages)
                    or (total is not None and seen >= total)
                )
                if not last and page_no >= MAX_PAGES:
                    raise PayloadError(
                        f"usage events {_span(window)}: more than {MAX_PAGES} pages; "
                        "the API kept announcing more pages than it can hold"
                    )
                pending = None if last else pool.submit(fetch, page_no + 1, page_size)
                page_no += 1
                if events:
                    yield body
        if total is not None and seen != total:
            raise PagingShiftedError(
                f"usage events {_span(window)}: received {seen} events, the API announced {total}"
            )

    def read_event_window(self, window: EventWindow, sink: PageSink) -> None:
        """Every page of the window into ``sink``, reading it again whole if the pages shifted.

        ``sink.restart()`` opens each walk, so when this returns the sink holds exactly one
        complete, consistent walk; when it raises, the sink's content is to be dropped.
        """
        for attempt in range(self._retry.max_window_restarts + 1):
            sink.restart()
            try:
                for page in self.iter_event_pages(window):
                    sink.add(page)
                return
            except PagingShiftedError:
                if attempt == self._retry.max_window_restarts:
                    raise
                log.info("usage events %s shifted while paging; reading it again", _span(window))

    # -- transport -------------------------------------------------------------------------

    def _call(self, route: tuple[str, str], body: dict[str, Any] | None, model: type[P]) -> P:
        raw = self._send(route, body)
        try:
            return model.model_validate_json(raw)
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(part) for part in problem["loc"]) or "body"
            if problem["type"] == "json_invalid":
                detail = f"not JSON ({len(raw)} bytes)"
            else:
                detail = f"field {where}: {problem['msg']}"
            raise PayloadError(
                f"Cursor API {route[0]} {route[1]} at {self._base} returned a malformed "
                f"response, {detail}; check that the base URL points at the Cursor Admin API"
            ) from None

    def _send(self, route: tuple[str, str], body: dict[str, Any] | None) -> bytes:
        method, path = route
        if route not in READ_ROUTES:
            raise RouteRefusedError(
                f"refused {method} {path}: not a read-only Cursor route outlay may call"
            )
        group = "events" if route == EVENTS else "other"
        content = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if content is not None else {}
        where = f"Cursor API {method} {path} at {self._base}"
        attempt = 0
        while True:
            if group in self._pacers:
                self._pacers[group].wait()
            try:
                response = self._http.request(
                    method, self._base + path, content=content, headers=headers, auth=self._auth
                )
            except httpx.TransportError as exc:
                failure = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                if attempt + 1 >= self._retry.max_attempts:
                    raise UnavailableError(
                        f"{where} unreachable after {attempt + 1} tries ({failure}); "
                        "check the network and --base-url, the next sync retries"
                    ) from None
                self._sleep(self._retry.backoff(attempt, self._rng))
                attempt += 1
                continue
            status = response.status_code
            if status < 300:
                return response.content
            if status in RETRY_STATUSES and attempt + 1 < self._retry.max_attempts:
                if status == 429:
                    wait = parse_retry_after(response.headers.get("Retry-After"))
                    delay = self._retry.rate_limited_delay(wait, self._rng)
                else:
                    delay = self._retry.backoff(attempt, self._rng)
                log.info("%s answered %s; retrying in %.1f s", where, status, delay)
                self._sleep(delay)
                attempt += 1
                continue
            raise self._failure(where, status, attempt + 1)

    def _failure(self, where: str, status: int, tries: int) -> Exception:
        # Only the status and its standard reason: the body is the far side's text, and
        # quoting it would let a base URL turn outlay into a reader of other servers.
        reason = httpx.codes.get_reason_phrase(status) or "no standard reason"
        answer = f"{status} {reason}"
        if status in (401, 403):
            return AuthError(
                f"{where} refused the key {self._masked} ({answer}); use a team "
                "Admin API key with the admin:* scope from cursor.com/dashboard → API Keys"
            )
        if status == 429:
            return RateLimitedError(
                f"{where} kept rate-limiting after {tries} tries ({answer}); "
                "another client may share this team's limit, the next sync retries"
            )
        if status >= 500:
            return UnavailableError(
                f"{where} failed with {status} after {tries} tries ({reason}); "
                "the next sync retries"
            )
        return RequestRejectedError(f"{where} rejected the request ({answer})")


def _check_window(window: EventWindow) -> None:
    if window.end_ms < window.start_ms or window.end_ms - window.start_ms >= MAX_WINDOW_MS:
        raise ValueError(f"window {window} is empty or longer than 30 days")


def _span(window: EventWindow) -> str:
    return f"[{window.start_ms}, {window.end_ms}]"
