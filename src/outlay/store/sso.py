"""Single sign-on state: pending sign-ins, and setting a user's role and workspaces from the
provider's groups. It shares the metadata database with ``MetaStore`` and ``AccessStore``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from outlay.store.meta import MetaStore
from outlay.store.schema import SsoPendingRow, UserRow, UserWorkspaceRow

MAPPING_DOCUMENT = "sso_mapping"


@dataclass(frozen=True)
class PendingSignIn:
    browser_hash: str
    nonce: str
    code_verifier: str
    next_path: str
    created_at: datetime


class SsoStore:
    def __init__(self, meta: MetaStore) -> None:
        self._meta = meta

    def add_pending(self, state_hash: str, pending: PendingSignIn) -> None:
        with self._meta.session() as s:
            s.add(
                SsoPendingRow(
                    state_hash=state_hash, browser_hash=pending.browser_hash,
                    nonce=pending.nonce, code_verifier=pending.code_verifier,
                    next_path=pending.next_path, created_at=pending.created_at,
                )
            )  # fmt: skip

    def take_pending(self, state_hash: str) -> PendingSignIn | None:
        """The pending sign-in of that state, removed in the same transaction: a state is
        good for one callback only. Of two callbacks racing with one state, only the one
        whose DELETE removed the row gets it."""
        with self._meta.session() as s:
            row = s.get(SsoPendingRow, state_hash)
            if row is None:
                return None
            found = PendingSignIn(
                row.browser_hash, row.nonce, row.code_verifier, row.next_path, row.created_at
            )
            s.expunge(row)
            gone = s.execute(delete(SsoPendingRow).where(SsoPendingRow.state_hash == state_hash))
            return found if getattr(gone, "rowcount", 0) == 1 else None

    def drop_pending_before(self, cutoff: datetime) -> None:
        """Forget sign-ins abandoned at the provider."""
        with self._meta.session() as s:
            s.execute(delete(SsoPendingRow).where(SsoPendingRow.created_at < cutoff))

    def set_access(self, user_id: int, role: str, workspace_ids: frozenset[int]) -> None:
        """Make the user's role and workspaces exactly these (what the groups map to)."""
        with self._meta.session() as s:
            user = s.get(UserRow, user_id)
            if user is None:
                return
            user.role = role
            current = set(
                s.scalars(
                    select(UserWorkspaceRow.workspace_id).where(UserWorkspaceRow.user_id == user_id)
                )
            )
            for gone in current - workspace_ids:
                s.execute(
                    delete(UserWorkspaceRow).where(
                        UserWorkspaceRow.user_id == user_id, UserWorkspaceRow.workspace_id == gone
                    )
                )
            for workspace_id in workspace_ids - current:
                s.add(UserWorkspaceRow(user_id=user_id, workspace_id=workspace_id))

    def owner_count(self) -> int:
        with self._meta.session() as s:
            return len(s.scalars(select(UserRow.id).where(UserRow.role == "owner")).all())
