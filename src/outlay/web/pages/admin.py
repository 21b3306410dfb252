"""Workspaces, users and API tokens (user actions and invitations: ``users``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from outlay.access import ROLES, Action, Principal
from outlay.errors import InputError, OutlayError
from outlay.service import Outlay
from outlay.service.identity import SCOPES
from outlay.web.deps import (
    CheckedSession,
    OutlayDep,
    Session,
    SessionAuth,
    form_text,
    get_outlay,
    shows_errors_on,
    signed_in,
)
from outlay.web.pages.common import (
    TOKEN_DAYS,
    notice_of,
    redirect,
    render,
)

router = APIRouter(include_in_schema=False)


# -- workspaces, users, API tokens -----------------------------------------------------------


def tokens_context(outlay: Outlay, principal: Principal) -> dict[str, Any]:
    others = []
    if principal.can(Action.ADMIN):
        others = [(t, e) for t, e in outlay.all_tokens(principal) if t.user_id != principal.user_id]
    return {
        "tokens": list(reversed(outlay.tokens(principal))),
        "token_days": TOKEN_DAYS,
        "scopes": SCOPES,
        "other_tokens": list(reversed(others)),
    }


def admin_context(outlay: Outlay, principal: Principal) -> dict[str, Any]:
    accounts = outlay.accounts(principal)
    by_space = outlay.workspace_accounts(principal)
    users = []
    if principal.can(Action.OWN):
        for user, member in outlay.users(principal):
            users.append(
                {"email": user.email, "role": user.role, "workspaces": member,
                 "disabled": user.disabled_at is not None}
            )  # fmt: skip
    names = {w.id: w.name for w in outlay.workspaces(principal)}
    invitations = [
        {"id": i.id, "email": i.email, "role": i.role, "expires_at": i.expires_at,
         "workspaces": [names.get(w, "?") for w in i.workspace_ids], "by": i.created_by}
        for i in outlay.invitations(principal)
    ]  # fmt: skip
    return {
        "spaces": by_space,
        "workspaces": [name for name, _ in by_space],
        "accounts": [a.name for a in accounts],
        "users": users,
        "roles": ROLES,
        "invite_roles": ROLES[: ROLES.index(principal.role) + 1],
        "invitations": invitations,
        "can_own": principal.can(Action.OWN),
        **tokens_context(outlay, principal),
    }


def admin_page(
    request: Request, session: SessionAuth, outlay: Outlay, status: int = 200, **extra: Any
) -> HTMLResponse:
    session.principal.require(Action.ADMIN)
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


def _workspace_form(request: Request, exc: OutlayError) -> Response:
    return admin_page(
        request, signed_in(request), get_outlay(request), exc.status, workspace_error=str(exc)
    )


@router.post("/admin/workspaces", dependencies=[shows_errors_on(_workspace_form)])
def add_workspace(
    session: CheckedSession, outlay: OutlayDep, name: Annotated[str, Form()] = ""
) -> Response:
    added = outlay.add_workspace(name, session.principal)
    return redirect("/admin", notice="workspace_added", name=added.name)


def _user_form(request: Request, exc: OutlayError) -> Response:
    return admin_page(
        request, signed_in(request), get_outlay(request), exc.status, user_error=str(exc),
        user_email=form_text(request, "email"),
    )  # fmt: skip


@router.post("/admin/users", dependencies=[shows_errors_on(_user_form)])
def add_user(
    session: CheckedSession,
    outlay: OutlayDep,
    email: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "viewer",
    password: Annotated[str, Form()] = "",
    workspaces: Annotated[list[str] | None, Form()] = None,
) -> Response:
    user = outlay.add_user(email, role, password, workspaces or None, session.principal)
    return redirect("/admin", notice="user_added", name=user.email)


@router.get("/tokens")
def tokens(request: Request, session: Session, outlay: OutlayDep) -> HTMLResponse:
    return tokens_page(request, session, outlay)


def _back_page(
    request: Request, session: SessionAuth, outlay: Outlay, back: str, status: int = 200,
    **extra: Any,
) -> HTMLResponse:  # fmt: skip
    if back == "/admin" and session.principal.can(Action.ADMIN):
        return admin_page(request, session, outlay, status, **extra)
    return tokens_page(request, session, outlay, status, **extra)


def _token_form(request: Request, exc: OutlayError) -> Response:
    session, outlay = signed_in(request), get_outlay(request)
    back = form_text(request, "back")
    return _back_page(request, session, outlay, back, exc.status, token_error=str(exc))


@router.post("/tokens", dependencies=[shows_errors_on(_token_form)])
def create_token(
    request: Request,
    session: CheckedSession,
    outlay: OutlayDep,
    name: Annotated[str, Form()] = "",
    days: Annotated[str, Form()] = "365",
    back: Annotated[str, Form()] = "/tokens",
    scope: Annotated[str, Form()] = "write",
) -> Response:
    principal = session.principal
    if days not in dict(TOKEN_DAYS):
        raise InputError(f"a token lasts {', '.join(d for d, _ in TOKEN_DAYS)} days (0: never)")
    secret = outlay.create_token(
        principal.email, name.strip()[:100], int(days) or None, principal, scope=scope
    )
    # Shown once, on this page only (never cached): the store keeps just its hash.
    page = _back_page(request, session, outlay, back, new_token=secret, new_token_name=name)
    page.headers["Cache-Control"] = "no-store"
    return page


@router.post("/tokens/revoke")
def revoke_token(
    session: CheckedSession,
    outlay: OutlayDep,
    token_id: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/tokens",
) -> Response:
    # Not a number is no token id: the same "no such token of yours" as anyone else's.
    outlay.revoke_token(session.principal, int(token_id) if token_id.isdigit() else -1)
    return redirect("/admin" if back == "/admin" else "/tokens", notice="token_revoked")
