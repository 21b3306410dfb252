"""Signing in and out."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from outlay.access import new_secret
from outlay.errors import OutlayError, ThrottledError, UnauthenticatedError
from outlay.web.deps import (
    SESSION_COOKIE,
    CheckedSession,
    OutlayDep,
    Session,
    client_address,
    form_text,
    shows_errors_on,
)
from outlay.web.pages.common import (
    notice_of,
    render,
    safe_next,
)
from outlay.web.pages.sso import sso_login_context

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "outlay_login_csrf"


# -- sign-in ---------------------------------------------------------------------------------


def _login_page(
    request: Request, next: str, error: str | None = None, email: str = "", status: int = 200
) -> HTMLResponse:
    """The sign-in form with a fresh token, also set as a cookie: a form posted from another
    site cannot know it (double submit), so nobody can sign a visitor in as someone else."""
    token = new_secret()
    page = render(request, "login.html", status_code=status, next=safe_next(next),
                  error=error, email=email, login_csrf=token,
                  notice=notice_of(request), **sso_login_context(request))  # fmt: skip
    page.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", max_age=3600,
        secure=request.url.scheme == "https",
    )  # fmt: skip
    return page


@router.get("/login")
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return _login_page(request, next)


def _refused(request: Request, exc: OutlayError) -> Response:
    """The form again with why (the same words for a wrong password and an unknown email)."""
    return _login_page(
        request, form_text(request, "next") or "/", str(exc), form_text(request, "email"),
        status=429 if isinstance(exc, ThrottledError) else 200,
    )  # fmt: skip


@router.post("/login", dependencies=[shows_errors_on(_refused, (UnauthenticatedError,))])
def login(
    request: Request,
    outlay: OutlayDep,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not csrf or not expected or not hmac.compare_digest(csrf, expected):
        problem = "the sign-in form expired or came from another site; sign in again"
        return _login_page(request, next, problem, email, status=403)
    secret, _ = outlay.password_sign_in(email, password, client_address(request))
    response = RedirectResponse(safe_next(next), status_code=303)
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    response.set_cookie(
        SESSION_COOKIE, secret, httponly=True, samesite="lax",
        secure=request.url.scheme == "https", max_age=7 * 86_400,
    )  # fmt: skip
    return response


@router.post("/logout")
def logout(session: CheckedSession, outlay: OutlayDep) -> Response:
    outlay.revoke(session.credential, session.principal)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/")
def home(session: Session) -> Response:
    return RedirectResponse("/reports", status_code=303)
