"""The pages a one-time link opens, without signing in: accept an invitation, reset a password.

The secret in the path is the proof; the page shows only the email it is for. Errors (an
expired or used link, a short password) come back on the same page in one line.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from outlay.errors import InputError, OutlayError
from outlay.web.deps import OutlayDep, get_outlay, shows_errors_on
from outlay.web.pages.common import redirect, render

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form()]
TITLES = {"invite": "Accept your invitation", "reset": "Choose a new password"}


def _page(
    request: Request, kind: str, secret: str, email: str | None, error: str | None = None,
    status: int = 200,
) -> HTMLResponse:  # fmt: skip
    page = render(request, "one_time_link.html", None, status, kind=kind, secret=secret,
                  email=email, error=error, title=TITLES[kind])  # fmt: skip
    # The link is a secret: keep it out of caches and of other sites' Referer.
    page.headers["Cache-Control"] = "no-store"
    page.headers["Referrer-Policy"] = "no-referrer"
    return page


def _email_of(request: Request, kind: str, secret: str) -> str | None:
    outlay = get_outlay(request)
    try:
        found = outlay.invitation(secret) if kind == "invite" else outlay.reset_link(secret)
    except InputError:
        return None
    return found.email


def _show(request: Request, kind: str, secret: str) -> HTMLResponse:
    email = _email_of(request, kind, secret)
    if email is None:
        who = "whoever invited you" if kind == "invite" else "an owner"
        what = "invitation" if kind == "invite" else "password reset"
        problem = f"this {what} link has expired or was already used; ask {who} for a new one"
        return _page(request, kind, secret, None, problem, status=410)
    return _page(request, kind, secret, email)


def _refused(request: Request, exc: OutlayError) -> Response:
    kind = "invite" if request.url.path.startswith("/invite/") else "reset"
    secret = request.url.path.rsplit("/", 1)[1]
    return _page(request, kind, secret, _email_of(request, kind, secret), str(exc), exc.status)


def _chosen(password: str, again: str) -> str:
    if password != again:
        raise InputError("the passwords differ; type the same one twice", field="password")
    return password


@router.get("/invite/{secret}")
def invitation(request: Request, secret: str) -> HTMLResponse:
    return _show(request, "invite", secret)


@router.post("/invite/{secret}", dependencies=[shows_errors_on(_refused)])
def accept(outlay: OutlayDep, secret: str, password: Text = "", again: Text = "") -> Response:
    user = outlay.accept_invitation(secret, _chosen(password, again))
    return redirect("/login", notice="invitation_accepted", name=user.email)


@router.get("/reset/{secret}")
def reset_form(request: Request, secret: str) -> HTMLResponse:
    return _show(request, "reset", secret)


@router.post("/reset/{secret}", dependencies=[shows_errors_on(_refused)])
def reset(outlay: OutlayDep, secret: str, password: Text = "", again: Text = "") -> Response:
    user = outlay.reset_password(secret, _chosen(password, again))
    return redirect("/login", notice="password_reset", name=user.email)
