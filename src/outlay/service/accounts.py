"""Provider accounts: connect, list, attach to workspaces, remove, sync, and queue a "Sync now"."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from outlay.access import LOCAL_OWNER, Action, Principal
from outlay.errors import ConflictError, ForbiddenError, InputError
from outlay.ingest.lock import account_lock
from outlay.secrets import mask_key
from outlay.service.audit import audited
from outlay.service.core import Core, path_safe, requires
from outlay.store.meta import Account

if TYPE_CHECKING:
    from outlay.ingest.sync import SyncListener, SyncResult

# The provider client and the import pipeline (HTTP, pydantic, normalize) load inside the methods
# that reach an account: a report never needs them.

PROVIDERS = ("cursor",)


class Accounts(Core):
    @audited("account.add")
    @requires(Action.ADMIN)
    def add_account(
        self, provider: str, name: str, api_key: str, *, base_url: str | None = None,
        paced: bool = True, principal: Principal = LOCAL_OWNER,
        workspaces: list[str] | None = None,
    ) -> Account:  # fmt: skip
        """Validate the key against the API (``GET /teams/members``), then register it in
        ``workspaces`` (the Default one when None)."""
        from outlay.providers.cursor.base_url import check_base_url
        from outlay.providers.cursor.client import DEFAULT_BASE_URL, CursorClient

        if provider not in PROVIDERS:
            raise InputError(
                f"unknown provider {provider!r}; supported: {', '.join(PROVIDERS)}",
                field="provider",
            )
        name = name.strip()
        if not name or len(name) > 200:
            raise InputError("the account name must be 1 to 200 characters", field="account_name")
        path_safe(name, "an account name", "account_name")
        api_key = api_key.strip()
        if not api_key:
            raise InputError("the API key is empty; give a Cursor Admin API key", field="api_key")
        url = check_base_url(base_url or DEFAULT_BASE_URL, self.allowed_base_urls)
        chosen: list[str | None] = list(workspaces) if workspaces else [None]
        targets = [self.workspace(w, principal) for w in chosen]
        self._check_name_free(name, principal)
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
            now=self.clock.now(),
        )
        for target in targets:
            self.access.attach(account.id, target.id)
        return account

    def _check_name_free(self, name: str, principal: Principal) -> None:
        """Account names are unique across workspaces; a name taken in a workspace the
        principal cannot see is refused without saying where or listing anything there."""
        if any(a.name == name for a in self.accounts(principal)):
            raise ConflictError(f"an account named {name!r} exists already", field="account_name")
        if any(a.name == name for a in self.meta.accounts()):
            raise ConflictError(
                f"the account name {name!r} is not available; choose another", field="account_name"
            )

    @requires(Action.READ)
    def accounts(self, principal: Principal = LOCAL_OWNER) -> list[Account]:
        """Accounts attached to a workspace the principal sees."""
        return self._accounts_in(principal.workspace_ids)

    @requires(Action.READ)
    def account(self, name: str, principal: Principal = LOCAL_OWNER) -> Account:
        return self._named(name, self._accounts_in(principal.workspace_ids))

    @audited("account.remove")
    @requires(Action.ADMIN)
    def remove_account(self, name: str, principal: Principal = LOCAL_OWNER) -> int:
        """Delete the account and all its cost rows; returns how many rows went."""
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

    @requires(Action.READ)
    def workspace_accounts(self, principal: Principal = LOCAL_OWNER) -> list[tuple[str, list[str]]]:
        """Each workspace the principal sees, with the names of its accounts."""
        accounts = self.accounts(principal)
        listing = []
        for space in self.workspaces(principal):
            ids = self.access.account_ids(frozenset({space.id}))
            listing.append((space.name, [a.name for a in accounts if a.id in ids]))
        return listing

    @requires(Action.READ)
    def account_workspaces(self, account: Account, principal: Principal = LOCAL_OWNER) -> list[str]:
        """Names of the workspaces, among those the principal sees, that hold the account."""
        spaces = self.access.workspaces_of_account(account.id)
        return [w.name for w in spaces if principal.sees(w.id)]

    @audited("account.attach")
    @requires(Action.ADMIN)
    def attach(self, account_name: str, workspace: str, principal: Principal = LOCAL_OWNER) -> None:
        self.access.attach(
            self.account(account_name, principal).id, self.workspace(workspace, principal).id
        )

    # -- sync ----------------------------------------------------------------------------------

    @audited("account.sync")
    @requires(Action.ADMIN)
    def sync(
        self, name: str, *, since: date | None = None, listener: SyncListener | None = None,
        principal: Principal = LOCAL_OWNER,
    ) -> SyncResult:  # fmt: skip
        from outlay.ingest.sync import SyncOptions, sync_account
        from outlay.providers.cursor.base_url import check_base_url
        from outlay.providers.cursor.client import CursorClient
        from outlay.providers.cursor.policy import DEFAULT_LIMITS

        account = self.account(name, principal)
        options = SyncOptions(
            lag_days=self.settings.lag_days, horizon_days=self.settings.horizon_days, since=since
        )
        # Checked again here: an account stored by an older version, or before the server's
        # allowance changed, must not reach a URL this server no longer allows.
        base_url = check_base_url(account.base_url, self.allowed_base_urls)
        with account_lock(self._lock_dir, account.id, account.name), self._http() as http:
            client = CursorClient(
                http,
                api_key=self.keybox.open(account.sealed_key),
                base_url=base_url,
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
                now_ms=self.clock.now_ms(),
                listener=listener,
            )

    @audited("account.sync_requested")
    @requires(Action.ADMIN)
    def request_sync(self, name: str, principal: Principal = LOCAL_OWNER) -> Account:
        """Queue a sync of the account for the server's scheduler ("Sync now"); asking again
        while it is queued or running changes nothing."""
        account = self.account(name, principal)
        self.sync_queue.add(account.name)
        return account

    @requires(Action.READ)
    def queued_syncs(self, principal: Principal = LOCAL_OWNER) -> set[str]:
        """Names of the principal's accounts whose sync is queued or running."""
        visible = {a.name for a in self.accounts(principal)}
        return self.sync_queue.pending() & visible
