"""A user's life after ``add_user``: role and workspaces, disable, enable, remove, passwords, and
the one-time links of invitations and password resets.

Owners manage users; an admin may invite people into the workspaces they see, with a role no
higher than their own. A one-time link's secret is shown once (or sent by e-mail); only its
hash is kept, it works once, and it expires.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

from outlay.access import (
    LOCAL_OWNER,
    Action,
    Principal,
    check_password,
    check_role,
    hash_password,
    new_secret,
    role_at_most,
    secret_hash,
    verify_password,
)
from outlay.errors import ConflictError, InputError, InvitationNotFound, UserNotFound
from outlay.notify.mail import Mail, invitation_mail
from outlay.notify.send import SmtpServer, compose, send_mail
from outlay.service.audit import audited, note
from outlay.service.core import requires
from outlay.service.identity import Identity, checked_email
from outlay.store.access import User
from outlay.store.links import INVITE, RESET, LinkStore, OneTimeLink

log = logging.getLogger(__name__)

INVITATION_LIFETIME = timedelta(days=7)
RESET_LIFETIME = timedelta(days=1)
LINK_GONE = "this {what} link has expired or was already used; ask {who} for a new one"


@dataclass(frozen=True)
class IssuedLink:
    """A new one-time link: ``link`` holds the secret and is shown (or sent) once."""

    record: OneTimeLink
    link: str
    delivered: bool


def _link(base_url: str | None, path: str, secret: str) -> str:
    return f"{(base_url or '').rstrip('/')}/{path}/{secret}"


class Lifecycle(Identity):
    @cached_property
    def links(self) -> LinkStore:
        return LinkStore(self.meta)

    def _user_named(self, email: str) -> User:
        user = self.access.user_by_email(email.strip().lower())
        if user is None:
            raise UserNotFound(f"no user {email!r}", field="email")
        return user

    def _keep_an_owner(self, user: User, what: str) -> None:
        """Refuse to take away the last enabled owner: nobody could manage users after."""
        if user.role == "owner" and self.access.active_owner_ids() <= {user.id}:
            raise ConflictError(
                f"{user.email} is the last owner and cannot be {what}; make another user an "
                "owner first",
                field="email",
            )

    # -- role, workspaces, disable, enable, remove --------------------------------------------

    @audited("user.set_role")
    @requires(Action.OWN)
    def set_role(self, email: str, role: str, principal: Principal = LOCAL_OWNER) -> User:
        user = self._user_named(email)
        if check_role(role) != "owner":
            self._keep_an_owner(user, "given another role")
        self.access.set_role(user.id, role)
        note(before={"role": user.role}, after={"role": role})
        return self._user_named(email)

    @audited("user.set_workspaces")
    @requires(Action.OWN)
    def set_workspaces(
        self, email: str, workspaces: list[str], principal: Principal = LOCAL_OWNER
    ) -> list[str]:
        """Make the user a member of exactly ``workspaces`` (owners see all regardless)."""
        user = self._user_named(email)
        if not workspaces:
            raise InputError("name at least one workspace", field="workspaces")
        spaces = [self.workspace(w, principal) for w in workspaces]
        names = {w.id: w.name for w in self.access.workspaces()}
        before = sorted(names[i] for i in self.access.user_workspace_ids(user.id))
        self.access.set_workspaces(user.id, sorted({w.id for w in spaces}))
        after = sorted({w.name for w in spaces})
        note(before={"workspaces": before}, after={"workspaces": after})
        return after

    @audited("user.disable")
    @requires(Action.OWN)
    def disable_user(self, email: str, principal: Principal = LOCAL_OWNER) -> User:
        """Refuse the user's sessions and API tokens from the next request on (checked at
        every authentication); their open sessions are also ended."""
        user = self._user_named(email)
        self._keep_an_owner(user, "disabled")
        now = self.clock.now()
        if user.disabled_at is None:
            self.access.set_disabled(user.id, now)
        for session in self.access.credentials(user.id, "session"):
            if session.revoked_at is None:
                self.access.revoke(session.id, now=now)
        note(before={"disabled": user.disabled_at is not None}, after={"disabled": True})
        return self._user_named(email)

    @audited("user.enable")
    @requires(Action.OWN)
    def enable_user(self, email: str, principal: Principal = LOCAL_OWNER) -> User:
        user = self._user_named(email)
        self.access.set_disabled(user.id, None)
        note(before={"disabled": user.disabled_at is not None}, after={"disabled": False})
        return self._user_named(email)

    @audited("user.remove")
    @requires(Action.OWN)
    def remove_user(self, email: str, principal: Principal = LOCAL_OWNER) -> None:
        """Delete the user with their sessions and tokens (the audit log keeps their email)."""
        user = self._user_named(email)
        self._keep_an_owner(user, "removed")
        note(before={"role": user.role})
        self.access.remove_user(user.id)

    # -- passwords -----------------------------------------------------------------------------

    @audited("user.change_password")
    @requires(Action.READ)
    def change_password(self, current: str, new: str, principal: Principal = LOCAL_OWNER) -> None:
        """The signed-in user's own password, with their current one as proof."""
        user = self.access.user(principal.user_id) if principal.user_id is not None else None
        if user is None:
            raise InputError(
                "the command line signs in as no user; use outlay users reset-password EMAIL"
            )
        check_password(new)  # a refused new password costs no hash check of the current one
        if not verify_password(user.password_hash, current):
            raise InputError("the current password is wrong", field="current_password")
        note(target=user.email)
        self.access.set_password(user.id, hash_password(new))

    @audited("user.reset_link")
    @requires(Action.OWN)
    def create_reset_link(
        self, email: str, base_url: str | None = None, principal: Principal = LOCAL_OWNER
    ) -> IssuedLink:
        """A one-time link with which the user sets a new password (shown once)."""
        user = self._user_named(email)
        secret = new_secret()
        now = self.clock.now()
        record = self.links.add(
            RESET, secret_hash(secret), user.email, created_by=_actor_email(principal),
            now=now, expires_at=now + RESET_LIFETIME,
        )  # fmt: skip
        note(after={"expires_at": record.expires_at})
        link = _link(base_url or self.settings.public_url, "reset", secret)
        return IssuedLink(record, link, delivered=False)

    def reset_link(self, secret: str) -> OneTimeLink:
        """The usable reset link of that secret (the way to a new password takes no principal)."""
        return self._usable(RESET, secret, "password reset", "an owner")

    @audited("user.reset_password")
    def reset_password(self, secret: str, password: str) -> User:
        """Set the password through a reset link (once), ending the user's sessions."""
        link = self.reset_link(secret)
        user = self._user_named(link.email)
        note(actor=(user.id, user.email), target=user.email)
        password_hash = hash_password(password)  # a refused password leaves the link usable
        if not self.links.use(link.id, now=self.clock.now()):
            raise InputError(LINK_GONE.format(what="password reset", who="an owner"), field="link")
        self.access.set_password(user.id, password_hash)
        for session in self.access.credentials(user.id, "session"):
            self.access.revoke(session.id, now=self.clock.now())
        return user

    def _usable(self, kind: str, secret: str, what: str, who: str) -> OneTimeLink:
        found = self.links.by_secret(kind, secret_hash(secret)) if secret else None
        if found is None or not found.usable(self.clock.now()):
            raise InputError(LINK_GONE.format(what=what, who=who), field="link")
        return found

    # -- invitations ---------------------------------------------------------------------------

    @audited("invitation.create")
    @requires(Action.ADMIN)
    def invite(
        self, email: str, workspace: str | None, role: str, base_url: str | None = None,
        principal: Principal = LOCAL_OWNER,
    ) -> IssuedLink:  # fmt: skip
        """Invite ``email`` into a workspace with a role (no higher than the inviter's). The
        link is e-mailed when mail is configured, else shown once to the inviter."""
        email = checked_email(email)
        role_at_most(principal, role)
        space = self.workspace(workspace, principal)
        if self.access.user_by_email(email) is not None:
            raise ConflictError(f"a user {email!r} exists already", field="email")
        secret = new_secret()
        now = self.clock.now()
        record = self.links.add(
            INVITE, secret_hash(secret), email, created_by=_actor_email(principal), now=now,
            expires_at=now + INVITATION_LIFETIME, role=role, workspace_ids=(space.id,),
        )  # fmt: skip
        link = _link(base_url or self.settings.public_url, "invite", secret)
        note(workspace=space.name, after={"role": role, "expires_at": record.expires_at})
        mail = invitation_mail(link, space.name, role, f"{record.expires_at:%Y-%m-%d %H:%M} UTC")
        return IssuedLink(record, link, delivered="://" in link and self._mail_link(mail, email))

    def _mail_link(self, mail: Mail, email: str) -> bool:
        """Send a one-time link by e-mail when SMTP is configured; False (logged when sending
        failed), and the admin is shown the link once instead."""
        url, sender = self.settings.smtp_url, self.settings.smtp_from
        if not (url and sender):
            return False
        message = compose(mail, sender, [email], new_secret())
        attempt = send_mail(SmtpServer.parse(url), message)
        if not attempt.ok:
            log.warning("cannot e-mail the link to %s: %s", email, attempt.error)
        return attempt.ok

    @requires(Action.ADMIN)
    def invitations(self, principal: Principal = LOCAL_OWNER) -> list[OneTimeLink]:
        """Invitations not yet accepted, revoked or expired, into workspaces the principal sees."""
        pending = self.links.pending(INVITE, self.clock.now())
        return [i for i in pending if all(principal.sees(w) for w in i.workspace_ids)]

    @audited("invitation.revoke", target="invitation_id")
    @requires(Action.ADMIN)
    def revoke_invitation(self, invitation_id: int, principal: Principal = LOCAL_OWNER) -> None:
        if not any(i.id == invitation_id for i in self.invitations(principal)):
            raise InvitationNotFound(f"no pending invitation {invitation_id}")
        self.links.revoke(invitation_id, now=self.clock.now())

    def invitation(self, secret: str) -> OneTimeLink:
        """The usable invitation of that secret (the way to a new account takes no principal)."""
        return self._usable(INVITE, secret, "invitation", "whoever invited you")

    @audited("invitation.accept")
    def accept_invitation(self, secret: str, password: str) -> User:
        """Create the invited user with the password they chose; the link then stops working."""
        invitation = self.invitation(secret)
        note(actor=(None, invitation.email), target=invitation.email)
        password_hash = hash_password(password)
        if not self.links.use(invitation.id, now=self.clock.now()):
            raise InputError(
                LINK_GONE.format(what="invitation", who="whoever invited you"), field="link"
            )
        user = self.access.add_user(
            invitation.email, password_hash, invitation.role, list(invitation.workspace_ids),
            now=self.clock.now(),
        )  # fmt: skip
        note(actor=(user.id, user.email), after={"role": user.role})
        return user


def _actor_email(principal: Principal) -> str:
    return principal.email if principal.user_id is not None else "local"
