"""Users, workspaces, which accounts each workspace sees, sessions and API tokens.

It shares the metadata database (and its transactions) with ``MetaStore``. Secrets are never
stored: a session or token is kept as the SHA-256 of its value, passwords as argon2 hashes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from outlay.errors import ConflictError, InputError, WorkspaceNotFound
from outlay.store.meta import MetaStore, from_row
from outlay.store.schema import (
    AccountWorkspaceRow,
    CredentialRow,
    UserRow,
    UserWorkspaceRow,
    WorkspaceRow,
)

DEFAULT_WORKSPACE = "Default"


@dataclass(frozen=True)
class Workspace:
    id: int
    name: str


@dataclass(frozen=True)
class User:
    id: int
    email: str
    role: str
    password_hash: str
    disabled_at: datetime | None = None


@dataclass(frozen=True)
class Credential:
    id: int
    kind: str
    user_id: int
    name: str
    csrf_token: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    scope: str = "write"
    last_used_at: datetime | None = None


class AccessStore:
    def __init__(self, meta: MetaStore, *, now: datetime) -> None:
        self._meta = meta
        if not self.workspaces():
            self.add_workspace(DEFAULT_WORKSPACE, now=now)

    # -- workspaces --------------------------------------------------------------------------

    def workspaces(self) -> list[Workspace]:
        with self._meta.session() as s:
            return [
                from_row(Workspace, r)
                for r in s.scalars(select(WorkspaceRow).order_by(WorkspaceRow.id))
            ]

    def workspace(self, name: str) -> Workspace:
        with self._meta.session() as s:
            row = s.scalar(select(WorkspaceRow).where(WorkspaceRow.name == name))
        if row is None:
            known = ", ".join(w.name for w in self.workspaces())
            raise WorkspaceNotFound(f"no workspace named {name!r} (workspaces: {known})")
        return from_row(Workspace, row)

    def add_workspace(self, name: str, *, now: datetime) -> Workspace:
        name = name.strip()
        if not name or len(name) > 100:
            raise InputError("a workspace name must be 1 to 100 characters", field="workspace_name")
        try:
            with self._meta.session() as s:
                row = WorkspaceRow(name=name, created_at=now)
                s.add(row)
                s.flush()
                return from_row(Workspace, row)
        except IntegrityError:
            raise ConflictError(
                f"a workspace named {name!r} exists already", field="workspace_name"
            ) from None

    def attach(self, account_id: int, workspace_id: int) -> None:
        with self._meta.session() as s:
            if s.get(AccountWorkspaceRow, (account_id, workspace_id)) is None:
                s.add(AccountWorkspaceRow(account_id=account_id, workspace_id=workspace_id))

    def account_ids(self, workspace_ids: frozenset[int]) -> set[int]:
        """Accounts attached to any of the workspaces."""
        with self._meta.session() as s:
            rows = s.scalars(
                select(AccountWorkspaceRow.account_id).where(
                    AccountWorkspaceRow.workspace_id.in_(workspace_ids)
                )
            )
            return set(rows)

    def workspaces_of_account(self, account_id: int) -> list[Workspace]:
        with self._meta.session() as s:
            rows = s.scalars(
                select(WorkspaceRow)
                .join(AccountWorkspaceRow, AccountWorkspaceRow.workspace_id == WorkspaceRow.id)
                .where(AccountWorkspaceRow.account_id == account_id)
                .order_by(WorkspaceRow.id)
            )
            return [from_row(Workspace, r) for r in rows]

    # -- users -------------------------------------------------------------------------------

    def add_user(
        self, email: str, password_hash: str, role: str, workspace_ids: list[int], *,
        now: datetime,
    ) -> User:  # fmt: skip
        try:
            with self._meta.session() as s:
                # Emails are kept lower-case, so that Ann@ and ann@ are one sign-in name.
                row = UserRow(
                    email=email.lower(), password_hash=password_hash, role=role, created_at=now
                )
                s.add(row)
                s.flush()
                for workspace_id in workspace_ids:
                    s.add(UserWorkspaceRow(user_id=row.id, workspace_id=workspace_id))
                return from_row(User, row)
        except IntegrityError:
            raise ConflictError(f"a user {email!r} exists already", field="email") from None

    def users(self) -> list[User]:
        with self._meta.session() as s:
            return [from_row(User, r) for r in s.scalars(select(UserRow).order_by(UserRow.email))]

    def user_by_email(self, email: str) -> User | None:
        with self._meta.session() as s:
            row = s.scalar(select(UserRow).where(func.lower(UserRow.email) == email.lower()))
            return from_row(User, row) if row is not None else None

    def user(self, user_id: int) -> User | None:
        with self._meta.session() as s:
            row = s.get(UserRow, user_id)
            return from_row(User, row) if row is not None else None

    def set_role(self, user_id: int, role: str) -> None:
        with self._meta.session() as s:
            s.execute(update(UserRow).where(UserRow.id == user_id).values(role=role))

    def set_workspaces(self, user_id: int, workspace_ids: list[int]) -> None:
        with self._meta.session() as s:
            s.execute(delete(UserWorkspaceRow).where(UserWorkspaceRow.user_id == user_id))
            for workspace_id in workspace_ids:
                s.add(UserWorkspaceRow(user_id=user_id, workspace_id=workspace_id))

    def set_disabled(self, user_id: int, disabled_at: datetime | None) -> None:
        with self._meta.session() as s:
            s.execute(update(UserRow).where(UserRow.id == user_id).values(disabled_at=disabled_at))

    def set_password(self, user_id: int, password_hash: str) -> None:
        with self._meta.session() as s:
            s.execute(
                update(UserRow).where(UserRow.id == user_id).values(password_hash=password_hash)
            )

    def remove_user(self, user_id: int) -> None:
        """The user, their memberships, sessions and tokens (audit rows keep their email)."""
        with self._meta.session() as s:
            s.execute(delete(CredentialRow).where(CredentialRow.user_id == user_id))
            s.execute(delete(UserWorkspaceRow).where(UserWorkspaceRow.user_id == user_id))
            s.execute(delete(UserRow).where(UserRow.id == user_id))

    def active_owner_ids(self) -> set[int]:
        with self._meta.session() as s:
            rows = s.scalars(
                select(UserRow.id).where(UserRow.role == "owner", UserRow.disabled_at.is_(None))
            )
            return set(rows)

    def user_workspace_ids(self, user_id: int) -> frozenset[int]:
        with self._meta.session() as s:
            rows = s.scalars(
                select(UserWorkspaceRow.workspace_id).where(UserWorkspaceRow.user_id == user_id)
            )
            return frozenset(rows)

    # -- sessions and tokens -----------------------------------------------------------------

    def add_credential(
        self, kind: str, secret_hash: str, user_id: int, *, name: str = "", csrf_token: str = "",
        now: datetime, expires_at: datetime | None, scope: str = "write",
    ) -> Credential:  # fmt: skip
        with self._meta.session() as s:
            row = CredentialRow(
                kind=kind, secret_hash=secret_hash, user_id=user_id, name=name,
                csrf_token=csrf_token, created_at=now, expires_at=expires_at, scope=scope,
            )  # fmt: skip
            s.add(row)
            s.flush()
            return from_row(Credential, row)

    def credential(self, kind: str, secret_hash: str) -> Credential | None:
        with self._meta.session() as s:
            row = s.scalar(
                select(CredentialRow).where(
                    CredentialRow.kind == kind, CredentialRow.secret_hash == secret_hash
                )
            )
            return from_row(Credential, row) if row is not None else None

    def credentials(self, user_id: int, kind: str) -> list[Credential]:
        with self._meta.session() as s:
            rows = s.scalars(
                select(CredentialRow)
                .where(CredentialRow.user_id == user_id, CredentialRow.kind == kind)
                .order_by(CredentialRow.id)
            )
            return [from_row(Credential, r) for r in rows]

    def all_tokens(self) -> list[tuple[Credential, str]]:
        """Every API token with its user's email, oldest first."""
        with self._meta.session() as s:
            rows = s.execute(
                select(CredentialRow, UserRow.email)
                .join(UserRow, UserRow.id == CredentialRow.user_id)
                .where(CredentialRow.kind == "token")
                .order_by(CredentialRow.id)
            )
            return [(from_row(Credential, row), email) for row, email in rows]

    def credential_by_id(self, credential_id: int) -> Credential | None:
        with self._meta.session() as s:
            row = s.get(CredentialRow, credential_id)
            return from_row(Credential, row) if row is not None else None

    def touch(self, credential_id: int, *, now: datetime) -> None:
        with self._meta.session() as s:
            s.execute(
                update(CredentialRow)
                .where(CredentialRow.id == credential_id)
                .values(last_used_at=now)
            )

    def revoke_all(self, user_id: int, *, now: datetime) -> None:
        """End every open session and token of the user."""
        with self._meta.session() as s:
            s.execute(
                update(CredentialRow)
                .where(CredentialRow.user_id == user_id, CredentialRow.revoked_at.is_(None))
                .values(revoked_at=now)
            )

    def revoke(self, credential_id: int, *, now: datetime) -> None:
        with self._meta.session() as s:
            row = s.get(CredentialRow, credential_id)
            if row is not None and row.revoked_at is None:
                row.revoked_at = now
