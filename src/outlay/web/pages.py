"""Server-rendered pages. Every view's state is in its URL; every form carries a CSRF token."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlparse

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from outlay.access import UnauthenticatedError
from outlay.web.deps import SESSION_COOKIE, CheckedSession, OutlayDep, Session

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def render(request: Request, name: str, session: Any = None, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, {"session": session, **context})


def _safe_next(target: str) -> str:
    """Only same-site paths: a login link must not bounce people to another site."""
    parsed = urlparse(target)
    return (
        target
        if target.startswith("/") and not parsed.netloc and not target.startswith("//")
        else "/"
    )


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
