"""Single sign-on: start an OIDC sign-in, finish it into a session, apply group mapping.

``sso_begin``, ``sso_sign_in`` and ``password_sign_in`` are ways to a principal, like
``login``, so they take none. A pending sign-in (state, nonce, PKCE verifier) lives in the
metadata DB, bound to a browser cookie and used once. Group mapping runs at every sign-in:
the user's role and workspaces become what their groups map to, and a user whose groups map to
nothing loses their workspaces, sessions and tokens (except the last owner: the break-glass).
"""

from __future__ import annotations

import hmac
from datetime import timedelta
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from outlay.access import Action, Principal, new_secret, secret_hash
from outlay.auth import oidc
from outlay.auth.mapping import Grant, Rule, dump_rules, grant_for, parse_rules
from outlay.errors import ConfigError, SignInRefused, UnauthenticatedError
from outlay.service.audit import audited, note
from outlay.service.core import requires
from outlay.service.identity import Identity
from outlay.store.access import DEFAULT_WORKSPACE, User
from outlay.store.sso import MAPPING_DOCUMENT, PendingSignIn, SsoStore

#: How long the round trip through the identity provider may take.
PENDING_LIFETIME = timedelta(minutes=10)
#: Password hash of a user created by single sign-on: no password matches it.
NO_PASSWORD = "!sso"  # noqa: S105
#: Providers whose ID tokens carry no ``email_verified`` although their emails are managed
#: by the tenant (Microsoft Entra ID): their email is taken as verified.
NO_EMAIL_VERIFIED_HOSTS = ("login.microsoftonline.com",)


class Sso(Identity):
    @cached_property
    def sso_store(self) -> SsoStore:
        return SsoStore(self.meta)

    @property
    def redirect_uri(self) -> str:
        return f"{self.settings.public_url}{oidc.CALLBACK_PATH}"

    def _require_sso(self) -> None:
        if not self.settings.sso_enabled:
            raise SignInRefused("single sign-on is not configured here; sign in with a password")

    def sso_begin(self, next_path: str, browser_secret: str | None) -> tuple[str, str]:
        """(browser secret for the cookie, the provider's authorization URL)."""
        self._require_sso()
        settings, now = self.settings, self.clock.now()
        browser = browser_secret or new_secret()
        state, nonce, verifier = new_secret(), new_secret(), oidc.new_verifier()
        with self._http() as http:
            provider = oidc.discover(http, str(settings.oidc_issuer))
        self.sso_store.drop_pending_before(now - PENDING_LIFETIME)
        self.sso_store.add_pending(
            secret_hash(state),
            PendingSignIn(secret_hash(browser), nonce, verifier, next_path, now),
        )
        url = oidc.authorize_url(
            provider, client_id=str(settings.oidc_client_id), redirect_uri=self.redirect_uri,
            scopes=settings.oidc_scopes, state=state, nonce=nonce, verifier=verifier,
        )  # fmt: skip
        return browser, url

    @audited("auth.sso_login", failures=(UnauthenticatedError,))
    def sso_sign_in(
        self, params: dict[str, str], browser_secret: str, client: str = ""
    ) -> tuple[str, str]:
        """(session secret, where to go) for the provider's callback ``params``; ``client`` is
        the browser's address, for the audit log."""
        note(actor=(None, "unknown"), address=client or None)
        self._require_sso()
        pending = self._take_pending(params.get("state", ""), browser_secret)
        if params.get("error"):
            detail = params.get("error_description", "")
            raise SignInRefused(
                f"the identity provider refused the sign-in: {params['error'][:100]}"
                + (f" ({detail[:200]})" if detail else "")
            )
        if not params.get("code"):
            raise SignInRefused("the identity provider sent no authorization code; start again")
        claims = self._verified_claims(params["code"], pending)
        user = self._mapped_user(claims)
        note(actor=(user.id, user.email))
        return self._open_session(user)[0], pending.next_path

    def _take_pending(self, state: str, browser_secret: str) -> PendingSignIn:
        pending = self.sso_store.take_pending(secret_hash(state)) if state else None
        if pending is None:
            raise SignInRefused(
                "this sign-in's state is unknown or was used already; start again with "
                "Sign in with SSO"
            )
        if not browser_secret or not hmac.compare_digest(
            pending.browser_hash, secret_hash(browser_secret)
        ):
            raise SignInRefused("this sign-in was started in another browser; start again here")
        if self.clock.now() - pending.created_at > PENDING_LIFETIME:
            raise SignInRefused("the sign-in took longer than 10 minutes; start again")
        return pending

    def _verified_claims(self, code: str, pending: PendingSignIn) -> dict[str, Any]:
        settings = self.settings
        with self._http() as http:
            provider = oidc.discover(http, str(settings.oidc_issuer))
            token = oidc.exchange_code(
                http, provider, client_id=str(settings.oidc_client_id),
                client_secret=settings.oidc_client_secret, code=code,
                redirect_uri=self.redirect_uri, verifier=pending.code_verifier,
            )  # fmt: skip
            jwks = oidc.fetch_jwks(http, provider)
        claims = dict(oidc.verify_signature(token, jwks, provider.algorithms).claims)
        oidc.check_claims(
            claims, issuer=provider.issuer, client_id=str(settings.oidc_client_id),
            nonce=pending.nonce, now=self.clock.now(),
        )  # fmt: skip
        return claims

    # -- matching and mapping ------------------------------------------------------------------

    def _mapped_user(self, claims: dict[str, Any]) -> User:
        email = verified_email(claims, str(self.settings.oidc_issuer))
        note(actor=(None, email))
        groups = claim_groups(claims, self.settings.oidc_groups_claim)
        rules, _ = self._rules()
        user = self.access.user_by_email(email)
        jit = self.settings.oidc_jit if self.settings.oidc_jit is not None else bool(rules)
        if not rules:  # no mapping: existing users keep what they have
            grant = Grant(self.settings.oidc_default_role, frozenset({DEFAULT_WORKSPACE}))
        else:
            found = grant_for(rules, groups)
            if found is None:
                if user is not None:
                    self._withdraw(user)
                shown = ", ".join(sorted(groups)[:5]) or "none"
                raise SignInRefused(
                    f"{email} is in no group outlay maps to a workspace (groups: {shown}); "
                    "ask an admin to add you to one"
                )
            grant = found
        if user is not None and user.disabled_at is not None:
            raise SignInRefused(f"{email} is disabled in outlay; ask an admin to enable it")
        if user is None:
            if not jit:
                raise SignInRefused(f"there is no outlay user {email}; ask an owner to add you")
            return self.access.add_user(
                email, NO_PASSWORD, grant.role, sorted(self._workspace_ids(grant)),
                now=self.clock.now(),
            )  # fmt: skip
        if rules:
            role = grant.role
            if user.role == "owner" and role != "owner" and self.sso_store.owner_count() <= 1:
                role = "owner"  # never demote the last owner: it is the break-glass account
            self.sso_store.set_access(user.id, role, self._workspace_ids(grant))
            return self.access.user(user.id) or user
        return user

    def _workspace_ids(self, grant: Grant) -> frozenset[int]:
        known = {w.name: w.id for w in self.access.workspaces()}
        missing = sorted(grant.workspaces - set(known))
        if missing:
            raise SignInRefused(
                f"the group mapping names workspace {missing[0]!r}, which does not exist; "
                "an admin must create it or fix the mapping"
            )
        return frozenset(known[name] for name in grant.workspaces)

    def _withdraw(self, user: User) -> None:
        """Take every workspace, session and token away from a user no group maps."""
        if user.role == "owner" and self.sso_store.owner_count() <= 1:
            return
        self.sso_store.set_access(user.id, "viewer", frozenset())
        self.access.revoke_all(user.id, now=self.clock.now())

    def _rules(self) -> tuple[tuple[Rule, ...], str]:
        """The mapping rules and where they come from: the YAML file wins over the DB."""
        path = self.settings.oidc_mapping_file
        if path is not None:
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigError(
                    f"OUTLAY_OIDC_MAPPING_FILE {path} cannot be read ({exc.strerror}); fix the path"
                ) from None
            return parse_rules(text, f"mapping file {path}"), f"file {path}"
        stored = self.meta.document(MAPPING_DOCUMENT) or ""
        return parse_rules(stored, "the stored group mapping"), "the metadata database"

    # -- owners: the mapping and the configuration -------------------------------------------

    @requires(Action.OWN)
    def sso_mapping(self, principal: Principal) -> tuple[str, str, bool]:
        """(rules as YAML, where they come from, whether the page may edit them)."""
        rules, source = self._rules()
        return dump_rules(rules), source, self.settings.oidc_mapping_file is None

    @audited("sso.mapping")
    @requires(Action.OWN)
    def set_sso_mapping(self, text: str, principal: Principal) -> int:
        """Replace the stored rules (checked first); how many there are now."""
        if self.settings.oidc_mapping_file is not None:
            raise ConfigError(
                "the group mapping comes from OUTLAY_OIDC_MAPPING_FILE; edit that file instead"
            )
        rules = parse_rules(text, "the group mapping")
        self._workspace_ids(Grant("viewer", frozenset(w for r in rules for w in r.workspaces)))
        self.meta.put_document(MAPPING_DOCUMENT, dump_rules(rules), now=self.clock.now())
        return len(rules)

    @requires(Action.OWN)
    def sso_check(self, principal: Principal) -> dict[str, Any]:
        """The configuration, and what the provider's discovery and key set say."""
        settings = self.settings
        if not settings.sso_enabled:
            raise ConfigError("single sign-on is off: OUTLAY_OIDC_ISSUER is not set")
        with self._http() as http:
            provider = oidc.discover(http, str(settings.oidc_issuer))
            keys = oidc.fetch_jwks(http, provider)
        rules, source = self._rules()
        return {
            "issuer": provider.issuer,
            "client_id": settings.oidc_client_id,
            "client_secret": "set" if settings.oidc_client_secret else "none (public client)",
            "redirect_uri": self.redirect_uri,
            "scopes": settings.oidc_scopes,
            "groups_claim": settings.oidc_groups_claim,
            "authorization_endpoint": provider.authorization_endpoint,
            "token_endpoint": provider.token_endpoint,
            "signing_keys": len(keys["keys"]),
            "mapping": f"{len(rules)} rules from {source}",
            "local_passwords": settings.local_passwords,
        }

    def password_sign_in(self, email: str, password: str, client: str) -> tuple[str, str]:
        """``login``, except that with SSO on and OUTLAY_LOCAL_PASSWORDS=owners-only only an
        owner's password opens a session. Checked after the password, so that the answer
        tells nobody without it who the owners are."""
        secret, csrf = self.login(email, password, client)
        if self.settings.sso_enabled and self.settings.local_passwords == "owners-only":
            principal, credential = self.authenticate("session", secret)
            if principal.role != "owner":
                self.access.revoke(credential.id, now=self.clock.now())
                raise UnauthenticatedError(
                    "password sign-in is only for owners here; use Sign in with SSO"
                )
        return secret, csrf


def verified_email(claims: dict[str, Any], issuer: str) -> str:
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise SignInRefused("the ID token has no email claim; add the email scope at the provider")
    verified = claims.get("email_verified")
    if verified is None and urlsplit(issuer).hostname in NO_EMAIL_VERIFIED_HOSTS:
        verified = True
    if verified not in (True, "true"):
        raise SignInRefused(
            f"the identity provider does not vouch for {email} (email_verified is not true); "
            "outlay matches users by verified email only"
        )
    return email.strip().lower()


def claim_groups(claims: dict[str, Any], name: str) -> frozenset[str]:
    """The values of the groups claim (a dotted name reaches into an object)."""
    value: Any = claims
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None and name in (claims.get("_claim_names") or {}):
        raise SignInRefused(
            f"the ID token left out the {name} claim: the user is in too many groups (Entra "
            "ID); emit only the groups assigned to the application"
        )
    if isinstance(value, str):
        return frozenset({value})
    if isinstance(value, list):
        return frozenset(str(v) for v in value if isinstance(v, (str, int)))
    return frozenset()
