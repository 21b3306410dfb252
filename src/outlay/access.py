"""Who may do what: roles, the permission each action needs, password and secret hashing.

Roles, from least to most: ``viewer`` reads the costs, reports and tags of its workspaces;
``editor`` also saves reports and tags; ``admin`` also connects, syncs and removes accounts
and manages workspaces; ``owner`` also manages users and sees every workspace.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from outlay.errors import ForbiddenError, InputError

if TYPE_CHECKING:
    from argon2 import PasswordHasher

ROLES = ("viewer", "editor", "admin", "owner")
MIN_PASSWORD = 10


class Action(StrEnum):
    READ = "read"
    EDIT = "edit"  # reports, tags
    ADMIN = "admin"  # accounts, sync, workspaces
    OWN = "own"  # users


_NEEDS = {Action.READ: "viewer", Action.EDIT: "editor", Action.ADMIN: "admin", Action.OWN: "owner"}


@dataclass(frozen=True)
class Principal:
    """Who is asking. ``workspace_ids`` None means every workspace (owners, the local CLI).
    ``address`` is where the request came from, set by the web layer for the audit log."""

    user_id: int | None
    email: str
    role: str
    workspace_ids: frozenset[int] | None
    address: str = "local"

    def can(self, action: Action) -> bool:
        return ROLES.index(self.role) >= ROLES.index(_NEEDS[action])

    def require(self, action: Action) -> None:
        if not self.can(action):
            raise ForbiddenError(
                f"{self.email} is a {self.role}; this needs the {_NEEDS[action]} role or above"
            )

    def sees(self, workspace_id: int) -> bool:
        return self.workspace_ids is None or workspace_id in self.workspace_ids


LOCAL_OWNER = Principal(None, "local command line", "owner", None)
#: The server's own scheduled syncs: an owner whose calls the audit log leaves out (nobody
#: started them by hand).
SCHEDULER = Principal(None, "scheduler", "owner", None, address="scheduler")


def role_at_most(principal: Principal, role: str) -> str:
    """``role``, if the principal may hand it out: nobody grants a role above their own."""
    check_role(role)
    if ROLES.index(role) > ROLES.index(principal.role):
        raise ForbiddenError(f"{principal.email} is a {principal.role} and cannot grant {role}")
    return role


@functools.cache
def _hasher() -> PasswordHasher:
    # Loaded on first use: most commands never hash, and importing argon2 is not free.
    from argon2 import PasswordHasher

    return PasswordHasher()


@functools.cache
def dummy_hash() -> str:
    """Checked when a sign-in names an unknown email, so that it takes as long as a known one.
    Computed once, on the first such sign-in: hashing costs a noticeable part of a second,
    which no command should pay at import."""
    return _hasher().hash("not a password of anyone: only here to be checked against")


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}; use one of {', '.join(ROLES)}", field="role")
    return role


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InputError(
            f"the password must be at least {MIN_PASSWORD} characters", field="password"
        )
    return password


def hash_password(password: str) -> str:
    return _hasher().hash(check_password(password))


def verify_password(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_secret() -> str:
    """A random secret for a session cookie, a CSRF token or an API token."""
    return secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
