"""Signing in and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from outlay.access import UnauthenticatedError
from outlay.web.deps import SESSION_COOKIE, CheckedSession, OutlayDep, Session
from outlay.web.pages.common import (
    _safe_next,
    render,
)

router = APIRouter(include_in_schema=False)


# -- sign-in ---------------------------------------------------------------------------------


@router.get("/login")
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login")
def login(
    request: Request,
    outlay: OutlayDep,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    try:
        secret, _ = outlay.login(email, password)
    except UnauthenticatedError as exc:
        return render(request, "login.html", next=_safe_next(next), error=str(exc), email=email)
    response = RedirectResponse(_safe_next(next), status_code=303)
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
