"""Who is asking: a Bearer token on the API, a session cookie (with CSRF) on pages."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Form, Request

from outlay.access import ForbiddenError, Principal, UnauthenticatedError
from outlay.service import Outlay
from outlay.store.access import Credential

SESSION_COOKIE = "outlay_session"


def get_outlay(request: Request) -> Outlay:
    outlay = request.app.state.outlay
    assert isinstance(outlay, Outlay)
    return outlay


OutlayDep = Annotated[Outlay, Depends(get_outlay)]


def api_principal(request: Request, outlay: OutlayDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise UnauthenticatedError("send an API token: Authorization: Bearer <token>")
    principal, _ = outlay.authenticate("token", secret.strip())
    return principal


ApiPrincipal = Annotated[Principal, Depends(api_principal)]


class SessionAuth:
    """The signed-in user of a page and the session's CSRF token."""

    def __init__(self, principal: Principal, credential: Credential) -> None:
        self.principal = principal
        self.credential = credential

    @property
    def csrf(self) -> str:
        return self.credential.csrf_token


def page_session(request: Request, outlay: OutlayDep) -> SessionAuth:
    secret = request.cookies.get(SESSION_COOKIE, "")
    principal, credential = outlay.authenticate("session", secret)
    return SessionAuth(principal, credential)


Session = Annotated[SessionAuth, Depends(page_session)]


def checked_session(session: Session, csrf: Annotated[str, Form()] = "") -> SessionAuth:
    """A session whose form carried its CSRF token: every state-changing page request."""
    if not csrf or not hmac.compare_digest(csrf, session.csrf):
        raise ForbiddenError("the form is missing its CSRF token or it is stale; reload the page")
    return session


CheckedSession = Annotated[SessionAuth, Depends(checked_session)]
