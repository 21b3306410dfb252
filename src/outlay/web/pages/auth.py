"""Signing in and out."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from outlay.access import UnauthenticatedError, new_secret
from outlay.web.deps import SESSION_COOKIE, CheckedSession, OutlayDep, Session
from outlay.web.pages.common import (
    render,
    safe_next,
)

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
                  error=error, email=email, login_csrf=token)  # fmt: skip
    page.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", max_age=3600,
        secure=request.url.scheme == "https",
    )  # fmt: skip
    return page


@router.get("/login")
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return _login_page(request, next)


@router.post("/login")
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
    try:
        secret, _ = outlay.login(email, password)
    except UnauthenticatedError as exc:
        return _login_page(request, next, str(exc), email)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    response.set_cookie(
        SESSION_COOKIE, secret, httponly=True, samesite="lax",
        secure=request.url.scheme == "https", max_age=7 * 86_400,
    )  # fmt: skip
    return response


@router.post("/logout")
def logout(session: CheckedSession, outlay: OutlayDep) -> Response:
    outlay.revoke(session.credential)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/")
def home(session: Session) -> Response:
    return RedirectResponse("/reports", status_code=303)
