"""Who is asking: a Bearer token on the API, a session cookie (with CSRF) on pages; and the
form a page route shows its own input errors on."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import Depends, Form, Query, Request
from fastapi.responses import Response

from outlay.access import Principal
from outlay.errors import (
    ConflictError,
    ForbiddenError,
    InputError,
    OutlayError,
    ProviderError,
    UnauthenticatedError,
)
from outlay.service import Outlay
from outlay.store.access import Credential

SESSION_COOKIE = "outlay_session"


def get_outlay(request: Request) -> Outlay:
    outlay = request.app.state.outlay
    assert isinstance(outlay, Outlay)
    return outlay


OutlayDep = Annotated[Outlay, Depends(get_outlay)]
#: The API's ``?workspace=`` parameter.
Workspace = Annotated[str | None, Query(description="Workspace (default: Default).")]


#: What a read-scoped API token may send.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def client_address(request: Request) -> str:
    """The peer's address. Behind a reverse proxy that is the proxy's, so every client shares
    its throttle; forwarded headers are not trusted, as any client can send them."""
    return request.client.host if request.client else "unknown"


def api_principal(request: Request, outlay: OutlayDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise UnauthenticatedError("send an API token: Authorization: Bearer <token>")
    principal, token = outlay.authenticate("token", secret.strip())
    if token.scope != "write" and request.method not in READ_METHODS:
        raise ForbiddenError(
            f"this API token has the {token.scope} scope and may only read; "
            "create a token with the write scope for changes"
        )
    return replace(principal, address=client_address(request))


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
    principal = replace(principal, address=client_address(request))
    # Kept for the error handler, which renders the error page with the user's navigation.
    session = request.state.session = SessionAuth(principal, credential)
    return session


Session = Annotated[SessionAuth, Depends(page_session)]


def checked_session(session: Session, csrf: Annotated[str, Form()] = "") -> SessionAuth:
    """A session whose form carried its CSRF token: every state-changing page request."""
    if not csrf or not hmac.compare_digest(csrf, session.csrf):
        raise ForbiddenError("the form is missing its CSRF token or it is stale; reload the page")
    return session


CheckedSession = Annotated[SessionAuth, Depends(checked_session)]

# -- a route's own error view ----------------------------------------------------------------

#: The errors a form can help with: the user changes the input and sends it again. Anything
#: else (not signed in, not allowed, not found, a failed store) gets the error page.
FORM_ERRORS: tuple[type[OutlayError], ...] = (InputError, ConflictError, ProviderError)
ErrorView = Callable[[Request, OutlayError], Response]


@dataclass(frozen=True)
class FormView:
    render: ErrorView
    errors: tuple[type[OutlayError], ...]


def shows_errors_on(view: ErrorView, errors: tuple[type[OutlayError], ...] = FORM_ERRORS) -> Any:
    """A route dependency: the app's error handler answers ``errors`` raised by this route with
    ``view`` (typically its form again, with the message and what was typed) instead of the
    error page. The view reads the submitted fields with ``form_text``."""

    async def declare(request: Request) -> None:
        request.state.form = await request.form()
        request.state.form_view = FormView(view, errors)

    return Depends(declare)


def form_text(request: Request, name: str) -> str:
    """A text field of the form the failed request submitted ("" if absent)."""
    value = getattr(request.state, "form", {}).get(name, "")
    return value if isinstance(value, str) else ""


def session_of(request: Request) -> SessionAuth | None:
    session = getattr(request.state, "session", None)
    return session if isinstance(session, SessionAuth) else None


def signed_in(request: Request) -> SessionAuth:
    """The session of a request that got past ``page_session`` (an error view's, say)."""
    session = session_of(request)
    assert session is not None, "an error view runs only after the session was checked"
    return session
