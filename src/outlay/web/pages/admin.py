"""Workspaces, users and API tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from outlay.access import ROLES, Action, Principal
from outlay.errors import InputError, NotFoundError, OutlayError
from outlay.service import Outlay
from outlay.web.deps import CheckedSession, OutlayDep, Session, SessionAuth
from outlay.web.errors import status_of
from outlay.web.pages.common import (
    TOKEN_DAYS,
    error_page,
    notice_of,
    redirect,
    render,
)

router = APIRouter(include_in_schema=False)


# -- workspaces, users, API tokens -----------------------------------------------------------


def tokens_context(outlay: Outlay, principal: Principal) -> dict[str, Any]:
    return {"tokens": list(reversed(outlay.tokens(principal))), "token_days": TOKEN_DAYS}


def admin_context(outlay: Outlay, principal: Principal) -> dict[str, Any]:
    accounts = outlay.accounts(principal)
    by_space = outlay.workspace_accounts(principal)
    users = []
    if principal.can(Action.OWN):
        for user, member in outlay.users(principal):
            users.append({"email": user.email, "role": user.role, "workspaces": member})
    return {
        "spaces": by_space,
        "workspaces": [name for name, _ in by_space],
        "accounts": [a.name for a in accounts],
        "users": users,
        "roles": ROLES,
        "can_own": principal.can(Action.OWN),
        **tokens_context(outlay, principal),
    }


def admin_page(
    request: Request, session: SessionAuth, outlay: Outlay, status: int = 200, **extra: Any
) -> HTMLResponse:
    try:
        session.principal.require(Action.ADMIN)
    except OutlayError as exc:
        return error_page(request, session, exc)
    context = admin_context(outlay, session.principal)
    return render(request, "admin.html", session, status, notice=notice_of(request),
                  **{**context, **extra})  # fmt: skip


def tokens_page(
    request: Request, session: SessionAuth, outlay: Outlay, status: int = 200, **extra: Any
) -> HTMLResponse:
    context = tokens_context(outlay, session.principal)
    return render(request, "tokens.html", session, status, notice=notice_of(request),
                  **{**context, **extra})  # fmt: skip


@router.get("/admin")
def admin(request: Request, session: Session, outlay: OutlayDep) -> HTMLResponse:
    return admin_page(request, session, outlay)


@router.post("/admin/workspaces")
def add_workspace(
    request: Request, session: CheckedSession, outlay: OutlayDep,
    name: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    try:
        added = outlay.add_workspace(name, session.principal)
    except OutlayError as exc:
        status, _ = status_of(exc)
        if status == 403:
            return error_page(request, session, exc)
        return admin_page(request, session, outlay, status, workspace_error=str(exc))
    return redirect("/admin", notice="workspace_added", name=added.name)


@router.post("/admin/users")
def add_user(
    request: Request,
    session: CheckedSession,
    outlay: OutlayDep,
    email: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "viewer",
    password: Annotated[str, Form()] = "",
    workspaces: Annotated[list[str] | None, Form()] = None,
) -> Response:
    try:
        user = outlay.add_user(email, role, password, workspaces or None, session.principal)
    except OutlayError as exc:
        status, _ = status_of(exc)
        if status == 403:
            return error_page(request, session, exc)
        return admin_page(request, session, outlay, status, user_error=str(exc), user_email=email)
    return redirect("/admin", notice="user_added", name=user.email)


@router.get("/tokens")
def tokens(request: Request, session: Session, outlay: OutlayDep) -> HTMLResponse:
    return tokens_page(request, session, outlay)


def _back_page(
    request: Request, session: SessionAuth, outlay: Outlay, back: str, **extra: Any
) -> HTMLResponse:
    if back == "/admin" and session.principal.can(Action.ADMIN):
        return admin_page(request, session, outlay, **extra)
    return tokens_page(request, session, outlay, **extra)


@router.post("/tokens")
def create_token(
    request: Request,
    session: CheckedSession,
    outlay: OutlayDep,
    name: Annotated[str, Form()] = "",
    days: Annotated[str, Form()] = "365",
    back: Annotated[str, Form()] = "/tokens",
) -> Response:
    principal = session.principal
    try:
        if days not in dict(TOKEN_DAYS):
            raise InputError(f"a token lasts {', '.join(d for d, _ in TOKEN_DAYS)} days (0: never)")
        secret = outlay.create_token(principal.email, name.strip()[:100], int(days) or None)
    except OutlayError as exc:
        return _back_page(request, session, outlay, back, token_error=str(exc))
    # Shown once, on this page only (never cached): the store keeps just its hash.
    page = _back_page(request, session, outlay, back, new_token=secret, new_token_name=name)
    page.headers["Cache-Control"] = "no-store"
    return page


@router.post("/tokens/revoke")
def revoke_token(
    request: Request,
    session: CheckedSession,
    outlay: OutlayDep,
    token_id: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/tokens",
) -> Response:
    try:
        outlay.revoke_token(session.principal, int(token_id))
    except ValueError:
        return error_page(request, session, NotFoundError("no such token of yours"))
    except OutlayError as exc:
        return error_page(request, session, exc)
    return redirect("/admin" if back == "/admin" else "/tokens", notice="token_revoked")
