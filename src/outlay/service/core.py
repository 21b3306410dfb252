"""What every part of the service shares: settings, stores, the clock, workspace lookup, and the
one permission check every public method declares.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from outlay.access import LOCAL_OWNER, Action, Principal
from outlay.clock import SYSTEM_CLOCK, Clock
from outlay.config import Settings
from outlay.errors import AccountNotFound, InputError, WorkspaceNotFound
from outlay.ingest.windows import utc_day
from outlay.providers.cursor.prices import PriceTable, load_price_overrides
from outlay.secrets import KeyBox
from outlay.service.sync_queue import SyncQueue
from outlay.service.throttle import LoginThrottle
from outlay.store.access import DEFAULT_WORKSPACE, AccessStore, Workspace
from outlay.store.facts_api import Facts, open_facts
from outlay.store.meta import Account, MetaStore
from outlay.store.shared_state import StrikeStore, SyncRequestStore

if TYPE_CHECKING:
    import httpx

# The HTTP client and the provider modules load when an account is reached, not for a report.
HttpFactory = Callable[[], "httpx.Client"]
P = ParamSpec("P")
R = TypeVar("R")


def default_http() -> httpx.Client:
    import httpx

    from outlay.providers.cursor.policy import DEFAULT_TIMEOUT

    return httpx.Client(timeout=DEFAULT_TIMEOUT, follow_redirects=False)


def requires(action: Action) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Check the call's ``principal`` (the local owner when none is passed) has the role for
    ``action`` before the method runs. Every public method of ``Outlay`` declares one, except
    the sign-in path (``login``, ``authenticate``, ``principal_of``) and ``today``."""

    def decorate(method: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(method)

        @functools.wraps(method)
        def checked(*args: P.args, **kwargs: P.kwargs) -> R:
            principal = signature.bind(*args, **kwargs).arguments.get("principal", LOCAL_OWNER)
            assert isinstance(principal, Principal)
            principal.require(action)
            return method(*args, **kwargs)

        checked.required_action = action  # type: ignore[attr-defined]
        return checked

    return decorate


def path_safe(name: str, what: str, field: str) -> str:
    """Names of accounts, reports and workspaces are parts of API paths, where "/" would split
    them (and "%2F" arrives decoded): refuse it when the name is given."""
    if "/" in name:
        raise InputError(
            f"{what} cannot contain '/'; e.g. 'team-a' instead of 'team/a'", field=field
        )
    return name


class Core:
    def __init__(
        self,
        settings: Settings,
        *,
        http: HttpFactory = default_http,
        clock: Clock = SYSTEM_CLOCK,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        sync_queue: SyncQueue | None = None,
        login_throttle: LoginThrottle | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        if sync_queue is not None:
            self.sync_queue = sync_queue
        if login_throttle is not None:
            self.login_throttle = login_throttle
        self._http = http
        #: Pacing and backoff clocks of the provider clients (tests pass virtual ones).
        self._monotonic = monotonic
        self._sleep = sleep

    @cached_property
    def meta(self) -> MetaStore:
        self.settings.ensure_data_dir()
        return MetaStore(self.settings.meta_url)

    @cached_property
    def sync_queue(self) -> SyncQueue:
        """ "Sync now" requests waiting for the active scheduler (in the metadata database)."""
        return SyncQueue(SyncRequestStore(self.meta), now=self.clock.now)

    @cached_property
    def login_throttle(self) -> LoginThrottle:
        """Sign-in delays (in the metadata database, shared by replicas) and the bound on this
        process's concurrent password checks."""
        return LoginThrottle(StrikeStore(self.meta))

    @cached_property
    def facts(self) -> Facts:
        self.settings.ensure_data_dir()
        return open_facts(self.settings)

    @cached_property
    def keybox(self) -> KeyBox:
        self.settings.ensure_data_dir()
        return KeyBox.from_settings(self.settings)

    @cached_property
    def prices(self) -> PriceTable:
        table = PriceTable()
        if self.settings.prices_file is not None:
            table = table.with_rows_first(load_price_overrides(self.settings.prices_file))
        return table

    @cached_property
    def allowed_base_urls(self) -> frozenset[str]:
        """Cursor's API and the server's ``allowed_base_urls``: where an account may point."""
        from outlay.providers.cursor.base_url import allowed_base_urls

        return allowed_base_urls(self.settings.allowed_base_urls)

    @cached_property
    def access(self) -> AccessStore:
        return AccessStore(self.meta, now=self.clock.now())

    def today(self) -> date:
        """The clock's UTC day: what "this month" and "last 7 days" count from."""
        return utc_day(self.clock.now_ms())

    @requires(Action.READ)
    def workspaces(self, principal: Principal = LOCAL_OWNER) -> list[Workspace]:
        """The workspaces the principal may see."""
        return [w for w in self.access.workspaces() if principal.sees(w.id)]

    @requires(Action.READ)
    def workspace(self, name: str | None, principal: Principal = LOCAL_OWNER) -> Workspace:
        """A workspace the principal may see; without a name, Default or else their first."""
        visible = self.workspaces(principal)
        if name is None:
            if not visible:
                raise WorkspaceNotFound(f"{principal.email} belongs to no workspace; ask an admin")
            return next((w for w in visible if w.name == DEFAULT_WORKSPACE), visible[0])
        for candidate in visible:
            if candidate.name == name:
                return candidate
        # The same answer for a workspace that does not exist and one the principal cannot see.
        known = ", ".join(w.name for w in visible) or "none"
        raise WorkspaceNotFound(f"no workspace named {name!r} (workspaces: {known})")

    def _accounts_in(self, workspace_ids: frozenset[int] | None) -> list[Account]:
        """Accounts attached to any of these workspaces (None: every account), in the
        metadata store's order; ``principal.workspace_ids`` gives those a principal sees."""
        accounts = self.meta.accounts()
        if workspace_ids is None:
            return accounts
        attached = self.access.account_ids(workspace_ids)
        return [a for a in accounts if a.id in attached]

    @staticmethod
    def _named(name: str, accounts: list[Account]) -> Account:
        """The account of that name among ``accounts`` (those the principal sees)."""
        for account in accounts:
            if account.name == name:
                return account
        # Same answer whether it does not exist or lives in another workspace: no leak.
        known = ", ".join(a.name for a in accounts) or "none yet"
        raise AccountNotFound(f"no account named {name!r} (accounts: {known})")

    @property
    def _lock_dir(self) -> Path:
        return self.settings.ensure_data_dir() / "locks"
