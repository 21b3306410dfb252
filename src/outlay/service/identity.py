"""Who uses outlay: workspaces, users, API tokens, sign-in and sessions (the lifecycle of a
user after they exist, invitations and password resets live in ``lifecycle``).

``login``, ``authenticate`` and ``principal_of`` are the way to a principal, so they take none;
every other method checks the one it is given, like the rest of the service.
"""

from __future__ import annotations

from datetime import timedelta

from outlay.access import (
    LOCAL_OWNER,
    Action,
    Principal,
    check_role,
    dummy_hash,
    hash_password,
    new_secret,
    secret_hash,
    verify_password,
)
from outlay.errors import (
    ForbiddenError,
    InputError,
    TokenNotFound,
    UnauthenticatedError,
    UserNotFound,
)
from outlay.service.audit import Audit, audited, note
from outlay.service.core import path_safe, requires
from outlay.store.access import Credential, User, Workspace

TOKEN_PREFIX = "olt_"  # noqa: S105 (a marker that makes tokens recognisable, not a secret)
TOKEN_DAYS = 365
SESSION_LIFETIME = timedelta(days=7)
SCOPES = ("read", "write")
#: A token's last-used time is written at most this often: not one write per request.
LAST_USED_STEP = timedelta(minutes=1)
MAX_ID = 2**63


def checked_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise InputError(f"{email!r} is not an email address", field="email")
    return email


class Identity(Audit):
    @audited("workspace.add")
    @requires(Action.ADMIN)
    def add_workspace(self, name: str, principal: Principal = LOCAL_OWNER) -> Workspace:
        return self.access.add_workspace(
            path_safe(name, "a workspace name", "workspace_name"), now=self.clock.now()
        )

    @audited("user.add")
    @requires(Action.OWN)
    def add_user(
        self, email: str, role: str, password: str, workspaces: list[str] | None = None,
        principal: Principal = LOCAL_OWNER,
    ) -> User:  # fmt: skip
        """A user of the web app and API, member of ``workspaces`` (Default when None)."""
        email = checked_email(email)
        chosen: list[str | None] = list(workspaces) if workspaces else [None]
        spaces = [self.workspace(w, principal) for w in chosen]
        note(after={"role": role, "workspaces": [w.name for w in spaces]})
        return self.access.add_user(
            email, hash_password(password), check_role(role), [w.id for w in spaces],
            now=self.clock.now(),
        )  # fmt: skip

    @requires(Action.OWN)
    def users(self, principal: Principal = LOCAL_OWNER) -> list[tuple[User, list[str]]]:
        """Every user with the names of their workspaces (owners only)."""
        names = {w.id: w.name for w in self.access.workspaces()}
        return [
            (user, sorted(names[i] for i in self.access.user_workspace_ids(user.id)))
            for user in self.access.users()
        ]

    def principal_of(self, user: User) -> Principal:
        spaces = None if user.role == "owner" else self.access.user_workspace_ids(user.id)
        return Principal(user.id, user.email, user.role, spaces)

    # -- API tokens ----------------------------------------------------------------------------

    @audited("token.create", target="email")
    @requires(Action.READ)
    def create_token(
        self, email: str, name: str = "", days: int | None = TOKEN_DAYS,
        principal: Principal = LOCAL_OWNER, scope: str = "write",
    ) -> str:  # fmt: skip
        """A new API token for the user, returned once; only its hash is kept. Users create
        their own tokens; an owner (and the local command line) may create one for anyone.
        A ``read`` token may only read (GET); ``write`` may do whatever its user may."""
        if scope not in SCOPES:
            raise InputError(f"unknown scope {scope!r}; use read or write", field="scope")
        if days is not None and not 0 < days <= 3650:
            raise InputError("a token lasts 1 to 3650 days", field="days")
        user = self.access.user_by_email(email)
        if user is None:
            if principal.can(Action.OWN):
                raise UserNotFound(f"no user {email!r}", field="email")
            raise ForbiddenError(f"{principal.email} may create API tokens only for themselves")
        _own_or_owner(principal, user.id, "create API tokens")
        secret = TOKEN_PREFIX + new_secret()
        now = self.clock.now()
        expires = now + timedelta(days=days) if days else None
        token = self.access.add_credential(
            "token", secret_hash(secret), user.id, name=name, now=now, expires_at=expires,
            scope=scope,
        )  # fmt: skip
        note(after={"id": token.id, "name": name, "scope": scope, "expires_at": expires})
        return secret

    @requires(Action.READ)
    def tokens(self, principal: Principal) -> list[Credential]:
        """The principal's own API tokens, oldest first."""
        if principal.user_id is None:
            return []
        return self.access.credentials(principal.user_id, "token")

    @requires(Action.ADMIN)
    def all_tokens(self, principal: Principal = LOCAL_OWNER) -> list[tuple[Credential, str]]:
        """Every user's API tokens with their email, oldest first (admins revoke any)."""
        return self.access.all_tokens()

    @audited("token.revoke", target="token_id")
    @requires(Action.READ)
    def revoke_token(self, principal: Principal, token_id: int) -> None:
        """Revoke one of the principal's own tokens, or (admins) anyone's; any other is
        "no such token"."""
        # An id no database row can have (from a URL, say) is simply no token.
        found = self.access.credential_by_id(token_id) if 0 < token_id < MAX_ID else None
        mine = found is not None and found.user_id == principal.user_id
        if found is None or found.kind != "token" or not (mine or principal.can(Action.ADMIN)):
            raise TokenNotFound("no such token of yours")
        self.access.revoke(found.id, now=self.clock.now())

    @audited("credential.revoke")
    @requires(Action.READ)
    def revoke(self, credential: Credential, principal: Principal = LOCAL_OWNER) -> None:
        """End a session or token: one's own, or anyone's for an owner."""
        _own_or_owner(principal, credential.user_id, "revoke sessions and tokens")
        note(target=f"{credential.kind} {credential.id}")
        self.access.revoke(credential.id, now=self.clock.now())

    # -- sign-in -------------------------------------------------------------------------------

    @audited("auth.login", failures=(UnauthenticatedError,))
    def login(self, email: str, password: str, client: str = "local") -> tuple[str, str]:
        """(session secret, CSRF token) for a correct password. ``client`` is the address the
        attempt comes from; throttling (``outlay.service.throttle``) runs before any hashing."""
        now = self.clock.now()
        email = email.strip().lower()
        note(actor=(None, email), address=client)
        throttle = self.login_throttle
        throttle.admit(email, client, now)
        user = self.access.user_by_email(email)
        with throttle.hash_slot():
            # An unknown email costs one hash check too: the answer's timing must not tell.
            valid = verify_password(user.password_hash if user else dummy_hash(), password)
        if user is None or not valid:
            throttle.failed(email, client, now)
            raise UnauthenticatedError("wrong email or password")
        note(actor=(user.id, email))
        if user.disabled_at is not None:
            raise UnauthenticatedError(f"the user {email} is disabled; ask an owner")
        throttle.succeeded(email, client)
        return self._open_session(user)

    def _open_session(self, user: User) -> tuple[str, str]:
        """(session secret, CSRF token) of a new session for ``user``, who has signed in."""
        secret, csrf, now = new_secret(), new_secret(), self.clock.now()
        self.access.add_credential(
            "session", secret_hash(secret), user.id, csrf_token=csrf, now=now,
            expires_at=now + SESSION_LIFETIME,
        )  # fmt: skip
        return secret, csrf

    def authenticate(self, kind: str, secret: str) -> tuple[Principal, Credential]:
        """The principal behind a session cookie or an API token, if it is still valid."""
        found = self.access.credential(kind, secret_hash(secret)) if secret else None
        now = self.clock.now()
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
        if user.disabled_at is not None:
            # Checked here, at every request: disabling takes effect on the very next one.
            raise UnauthenticatedError(f"the user {user.email} is disabled; ask an owner")
        if kind == "token" and (
            found.last_used_at is None or now - found.last_used_at >= LAST_USED_STEP
        ):
            self.access.touch(found.id, now=now)
        return self.principal_of(user), found


def _own_or_owner(principal: Principal, user_id: int, what: str) -> None:
    if principal.user_id != user_id and not principal.can(Action.OWN):
        raise ForbiddenError(f"{principal.email} may {what} only for themselves")
