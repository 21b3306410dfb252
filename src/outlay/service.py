"""The application: settings, stores and providers wired once, used by the CLI and the web app.

Every user-facing operation (connect an account, sync, remove, report) is a method here, so
each surface is a thin rendering of the same calls.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import cached_property, lru_cache
from pathlib import Path

import httpx

from outlay.access import (
    DUMMY_HASH,
    LOCAL_OWNER,
    Action,
    ForbiddenError,
    Principal,
    UnauthenticatedError,
    check_role,
    hash_password,
    new_secret,
    secret_hash,
    verify_password,
)
from outlay.config import Settings
from outlay.errors import AccountError, InputError, NotFoundError
from outlay.ingest.lock import account_lock
from outlay.ingest.sync import SyncListener, SyncOptions, SyncResult, sync_account
from outlay.ingest.windows import utc_day
from outlay.providers.cursor.client import DEFAULT_BASE_URL, CursorClient
from outlay.providers.cursor.policy import DEFAULT_LIMITS, DEFAULT_TIMEOUT
from outlay.providers.cursor.prices import PriceTable, load_price_overrides
from outlay.report.compile import Shape, needed_tags
from outlay.report.run import ReportResult, run_report
from outlay.report.spec import ReportSpec
from outlay.report.tags import TagSet, VirtualTag, parse_tags_yaml, tag_from_csv
from outlay.secrets import KeyBox, mask_key
from outlay.store.access import DEFAULT_WORKSPACE, AccessStore, Credential, User, Workspace
from outlay.store.facts import DuckDBFacts
from outlay.store.meta import Account, MetaStore, SavedReport

PROVIDERS = ("cursor",)
TOKEN_PREFIX = "olt_"  # noqa: S105 (a marker that makes tokens recognisable, not a secret)
TOKEN_DAYS = 365
SESSION_LIFETIME = timedelta(days=7)
#: Sign-in throttling: this many failures per email within the window lock it until it passes.
LOGIN_ATTEMPTS = 5
LOGIN_WINDOW = timedelta(minutes=15)
TAGS_DOCUMENT = "virtual_tags"
HttpFactory = Callable[[], httpx.Client]


def default_http() -> httpx.Client:
    return httpx.Client(timeout=DEFAULT_TIMEOUT, follow_redirects=False)


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class Outlay:
    def __init__(
        self,
        settings: Settings,
        *,
        http: HttpFactory = default_http,
        now_ms: Callable[[], int] = wall_clock_ms,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self._http = http
        self._now_ms = now_ms
        #: Pacing and backoff clocks of the provider clients (tests pass virtual ones).
        self._monotonic = monotonic
        self._sleep = sleep

    @cached_property
    def meta(self) -> MetaStore:
        self.settings.ensure_data_dir()
        return MetaStore.at(self.settings.meta_path)

    @cached_property
    def facts(self) -> DuckDBFacts:
        self.settings.ensure_data_dir()
        return DuckDBFacts(self.settings.facts_path)

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
    def access(self) -> AccessStore:
        return AccessStore(self.meta, now=_utc_now())

    def workspaces(self, principal: Principal = LOCAL_OWNER) -> list[Workspace]:
        """The workspaces the principal may see."""
        return [w for w in self.access.workspaces() if principal.sees(w.id)]

    def workspace(self, name: str | None, principal: Principal = LOCAL_OWNER) -> Workspace:
        """A workspace the principal may see; without a name, Default or else their first."""
        visible = self.workspaces(principal)
        if name is None:
            if not visible:
                raise NotFoundError(f"{principal.email} belongs to no workspace; ask an admin")
            return next((w for w in visible if w.name == DEFAULT_WORKSPACE), visible[0])
        for candidate in visible:
            if candidate.name == name:
                return candidate
        # The same answer for a workspace that does not exist and one the principal cannot see.
        known = ", ".join(w.name for w in visible) or "none"
        raise NotFoundError(f"no workspace named {name!r} (workspaces: {known})")

    # -- accounts ------------------------------------------------------------------------------

    def add_account(
        self, provider: str, name: str, api_key: str, *, base_url: str | None = None,
        paced: bool = True, principal: Principal = LOCAL_OWNER,
        workspaces: list[str] | None = None,
    ) -> Account:  # fmt: skip
        """Validate the key against the API (``GET /teams/members``), then register it in
        ``workspaces`` (the Default one when None)."""
        principal.require(Action.ADMIN)
        if provider not in PROVIDERS:
            raise InputError(f"unknown provider {provider!r}; supported: {', '.join(PROVIDERS)}")
        name = name.strip()
        if not name or len(name) > 200:
            raise InputError("--name must be 1 to 200 characters")
        api_key = api_key.strip()
        if not api_key:
            raise InputError("the API key is empty; pass a Cursor Admin API key")
        url = _check_url(base_url or DEFAULT_BASE_URL)
        chosen: list[str | None] = list(workspaces) if workspaces else [None]
        targets = [self.workspace(w, principal) for w in chosen]
        if any(a.name == name for a in self.meta.accounts()):
            raise AccountError(f"an account named {name!r} exists already; pick another --name")
        with self._http() as http:
            CursorClient(
                http, api_key=api_key, base_url=url, limits=None, sleep=self._sleep
            ).members()
        account = self.meta.add_account(
            name=name,
            provider=provider,
            sealed_key=self.keybox.seal(api_key),
            masked_key=mask_key(api_key),
            base_url=url,
            paced=paced,
            now=_utc_now(),
        )
        for target in targets:
            self.access.attach(account.id, target.id)
        return account

    def accounts(self, principal: Principal = LOCAL_OWNER) -> list[Account]:
        """Accounts attached to a workspace the principal sees."""
        accounts = self.meta.accounts()
        if principal.workspace_ids is None:
            return accounts
        visible = self.access.account_ids(principal.workspace_ids)
        return [a for a in accounts if a.id in visible]

    def account(self, name: str, principal: Principal = LOCAL_OWNER) -> Account:
        for account in self.accounts(principal):
            if account.name == name:
                return account
        # Same answer whether it does not exist or lives in another workspace: no leak.
        known = ", ".join(a.name for a in self.accounts(principal)) or "none yet"
        raise AccountError(f"no account named {name!r} (accounts: {known})")

    def remove_account(self, name: str, principal: Principal = LOCAL_OWNER) -> int:
        """Delete the account and all its cost rows; returns how many rows went."""
        principal.require(Action.ADMIN)
        account = self.account(name, principal)
        spaces = self.access.workspaces_of_account(account.id)
        if not all(principal.sees(w.id) for w in spaces):
            raise ForbiddenError(
                f"account {account.name!r} is also in workspaces you cannot see, and removing it "
                "deletes their costs too; ask an owner"
            )
        with account_lock(self._lock_dir, account.id, account.name):
            rows = self.facts.delete_account(account.name)
            self.meta.remove_account(account)
        return rows

    def workspace_accounts(self, principal: Principal = LOCAL_OWNER) -> list[tuple[str, list[str]]]:
        """Each workspace the principal sees, with the names of its accounts."""
        accounts = self.accounts(principal)
        listing = []
        for space in self.workspaces(principal):
            ids = self.access.account_ids(frozenset({space.id}))
            listing.append((space.name, [a.name for a in accounts if a.id in ids]))
        return listing

    def account_workspaces(self, account: Account, principal: Principal = LOCAL_OWNER) -> list[str]:
        """Names of the workspaces, among those the principal sees, that hold the account."""
        spaces = self.access.workspaces_of_account(account.id)
        return [w.name for w in spaces if principal.sees(w.id)]

    def attach(self, account_name: str, workspace: str, principal: Principal = LOCAL_OWNER) -> None:
        principal.require(Action.ADMIN)
        self.access.attach(
            self.account(account_name, principal).id, self.workspace(workspace, principal).id
        )

    # -- sync ----------------------------------------------------------------------------------

    def sync(
        self, name: str, *, since: date | None = None, listener: SyncListener | None = None,
        principal: Principal = LOCAL_OWNER,
    ) -> SyncResult:  # fmt: skip
        principal.require(Action.ADMIN)
        account = self.account(name, principal)
        options = SyncOptions(
            lag_days=self.settings.lag_days, horizon_days=self.settings.horizon_days, since=since
        )
        with account_lock(self._lock_dir, account.id, account.name), self._http() as http:
            client = CursorClient(
                http,
                api_key=self.keybox.open(account.sealed_key),
                base_url=account.base_url,
                limits=DEFAULT_LIMITS if account.paced else None,
                clock=self._monotonic,
                sleep=self._sleep,
            )
            return sync_account(
                account,
                client=client,
                facts=self.facts,
                meta=self.meta,
                prices=self.prices,
                options=options,
                now_ms=self._now_ms(),
                listener=listener,
            )

    # -- reports -------------------------------------------------------------------------------

    def today(self) -> date:
        return utc_day(self._now_ms())

    def report(
        self, spec: ReportSpec, tags: TagSet | None = None, *,
        principal: Principal = LOCAL_OWNER, workspace: str | None = None,
    ) -> ReportResult:  # fmt: skip
        """Run a report over one workspace's accounts, with its tags (or unsaved ``tags``)."""
        principal.require(Action.READ)
        space = self.workspace(workspace, principal)
        names = {a.id: a.name for a in self.meta.accounts()}
        accounts = tuple(sorted(names[i] for i in self.access.account_ids(frozenset({space.id}))))
        return run_report(
            self.facts,
            spec,
            self._tags_in(space) if tags is None else tags,
            today=self.today(),
            cycle_day=self.settings.billing_cycle_day,
            accounts=accounts,
        )

    def save_report(
        self, name: str, spec: ReportSpec, *, principal: Principal = LOCAL_OWNER,
        workspace: str | None = None,
    ) -> SavedReport:  # fmt: skip
        principal.require(Action.EDIT)
        space = self.workspace(workspace, principal)
        name = name.strip()
        if not name or len(name) > 200:
            raise InputError("a report name must be 1 to 200 characters")
        start, end = spec.period(self.today(), self.settings.billing_cycle_day)
        # Fail now, not at the next run, if the spec names a virtual tag that does not exist.
        shape = Shape(start, end, spec.date_bin, spec.group_by, spec.measure, spec.expr)
        needed_tags(shape, self._tags_in(space))
        return self.meta.save_report(space.id, name, spec.to_data(), now=_utc_now())

    def saved_reports(
        self, principal: Principal = LOCAL_OWNER, workspace: str | None = None
    ) -> list[SavedReport]:
        principal.require(Action.READ)
        return self.meta.reports(self.workspace(workspace, principal).id)

    def saved_spec(
        self, name: str, principal: Principal = LOCAL_OWNER, workspace: str | None = None
    ) -> ReportSpec:
        principal.require(Action.READ)
        space = self.workspace(workspace, principal)
        return ReportSpec.from_data(self.meta.report(space.id, name).spec)

    def delete_report(
        self, name: str, principal: Principal = LOCAL_OWNER, workspace: str | None = None
    ) -> None:
        principal.require(Action.EDIT)
        self.meta.delete_report(self.workspace(workspace, principal).id, name)

    # -- virtual tags --------------------------------------------------------------------------

    def tags(self, workspace: str | None = None, principal: Principal = LOCAL_OWNER) -> TagSet:
        principal.require(Action.READ)
        return self._tags_in(self.workspace(workspace, principal))

    def _tags_in(self, space: Workspace) -> TagSet:
        body = self.meta.document(f"{TAGS_DOCUMENT}:{space.id}")
        return _stored_tags(body) if body else TagSet(())

    def replace_tags(
        self, tags: TagSet, workspace: str | None = None, principal: Principal = LOCAL_OWNER
    ) -> None:
        """Make ``tags`` the whole set of the workspace's definitions, in one step."""
        principal.require(Action.EDIT)
        space = self.workspace(workspace, principal)
        self.meta.put_document(f"{TAGS_DOCUMENT}:{space.id}", tags.to_yaml(), now=_utc_now())

    def import_tags(
        self, text: str, source: str, workspace: str | None = None,
        principal: Principal = LOCAL_OWNER,
    ) -> TagSet:  # fmt: skip
        principal.require(Action.EDIT)
        tags = parse_tags_yaml(text, source)
        self.replace_tags(tags, workspace, principal)
        return tags

    def import_tag_csv(
        self, key: str, text: str, source: str, workspace: str | None = None,
        principal: Principal = LOCAL_OWNER,
    ) -> VirtualTag:  # fmt: skip
        principal.require(Action.EDIT)
        tag = tag_from_csv(key, text, source)
        self.replace_tags(self.tags(workspace, principal).replacing(tag), workspace, principal)
        return tag

    def delete_tag(
        self, key: str, workspace: str | None = None, principal: Principal = LOCAL_OWNER
    ) -> None:
        principal.require(Action.EDIT)
        self.replace_tags(self.tags(workspace, principal).without(key), workspace, principal)

    # -- users, workspaces, sign-in ------------------------------------------------------------

    def add_workspace(self, name: str, principal: Principal = LOCAL_OWNER) -> Workspace:
        principal.require(Action.ADMIN)
        return self.access.add_workspace(name, now=_utc_now())

    def add_user(
        self, email: str, role: str, password: str, workspaces: list[str] | None = None,
        principal: Principal = LOCAL_OWNER,
    ) -> User:  # fmt: skip
        """A user of the web app and API, member of ``workspaces`` (Default when None)."""
        principal.require(Action.OWN)
        email = email.strip().lower()
        if "@" not in email or len(email) > 320:
            raise InputError(f"{email!r} is not an email address")
        chosen: list[str | None] = list(workspaces) if workspaces else [None]
        spaces = [self.workspace(w, principal).id for w in chosen]
        return self.access.add_user(
            email, hash_password(password), check_role(role), spaces, now=_utc_now()
        )

    def principal_of(self, user: User) -> Principal:
        spaces = None if user.role == "owner" else self.access.user_workspace_ids(user.id)
        return Principal(user.id, user.email, user.role, spaces)

    def create_token(self, email: str, name: str = "", days: int | None = TOKEN_DAYS) -> str:
        """A new API token for the user, returned once; only its hash is kept."""
        user = self.access.user_by_email(email)
        if user is None:
            raise NotFoundError(f"no user {email!r}; add one with `outlay users add`")
        secret = TOKEN_PREFIX + new_secret()
        now = _utc_now()
        expires = now + timedelta(days=days) if days else None
        self.access.add_credential(
            "token", secret_hash(secret), user.id, name=name, now=now, expires_at=expires
        )
        return secret

    def login(self, email: str, password: str) -> tuple[str, str]:
        """(session secret, CSRF token) for a correct password; throttled per email."""
        now = _utc_now()
        recent = self.access.failures_since(email, now - LOGIN_WINDOW)
        if recent >= LOGIN_ATTEMPTS:
            raise UnauthenticatedError(
                f"too many failed sign-ins for {email}; wait {LOGIN_WINDOW.seconds // 60} minutes"
            )
        user = self.access.user_by_email(email)
        # An unknown email costs one hash check too: the answer's timing must not tell.
        valid = verify_password(user.password_hash if user else DUMMY_HASH, password)
        if user is None or not valid:
            self.access.record_failure(email, now=now)
            raise UnauthenticatedError("wrong email or password")
        self.access.clear_failures(email)
        secret, csrf = new_secret(), new_secret()
        self.access.add_credential(
            "session", secret_hash(secret), user.id, csrf_token=csrf, now=now,
            expires_at=now + SESSION_LIFETIME,
        )  # fmt: skip
        return secret, csrf

    def authenticate(self, kind: str, secret: str) -> tuple[Principal, Credential]:
        """The principal behind a session cookie or an API token, if it is still valid."""
        found = self.access.credential(kind, secret_hash(secret)) if secret else None
        now = _utc_now()
        if (
            found is None
            or found.revoked_at is not None
            or (found.expires_at is not None and found.expires_at <= now)
        ):
            raise UnauthenticatedError(
                "sign in again"
                if kind == "session"
                else "the API token is unknown, expired or revoked"
            )
        user = self.access.user(found.user_id)
        if user is None:
            raise UnauthenticatedError("the user of this credential no longer exists")
        return self.principal_of(user), found

    def revoke(self, credential: Credential) -> None:
        self.access.revoke(credential.id, now=_utc_now())

    def users(self, principal: Principal = LOCAL_OWNER) -> list[tuple[User, list[str]]]:
        """Every user with the names of their workspaces (owners only)."""
        principal.require(Action.OWN)
        names = {w.id: w.name for w in self.access.workspaces()}
        return [
            (user, sorted(names[i] for i in self.access.user_workspace_ids(user.id)))
            for user in self.access.users()
        ]

    def tokens(self, principal: Principal) -> list[Credential]:
        """The principal's own API tokens, oldest first."""
        if principal.user_id is None:
            return []
        return self.access.credentials(principal.user_id, "token")

    def revoke_token(self, principal: Principal, token_id: int) -> None:
        """Revoke one of the principal's own tokens; anyone else's is "no such token"."""
        found = next((t for t in self.tokens(principal) if t.id == token_id), None)
        if found is None:
            raise NotFoundError("no such token of yours")
        self.revoke(found)

    @property
    def _lock_dir(self) -> Path:
        return self.settings.ensure_data_dir() / "locks"


@lru_cache(maxsize=64)
def _stored_tags(body: str) -> TagSet:
    # Every report reads its workspace's tags; parsing and validating 200 rules takes ~24 ms,
    # so the same stored text is parsed once. A TagSet is immutable: sharing it is safe.
    return parse_tags_yaml(body, "stored tags")


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _check_url(url: str) -> str:
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise InputError(f"--base-url {url!r} is not an http(s) URL; e.g. https://api.cursor.com")
    return url.rstrip("/")
