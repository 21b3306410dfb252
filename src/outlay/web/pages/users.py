"""A user's lifecycle on the admin page: role, workspaces, disable, enable, remove, a password
reset link, invitations; and the signed-in user's own password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from outlay.errors import InputError, OutlayError
from outlay.web.deps import (
    CheckedSession,
    OutlayDep,
    form_text,
    get_outlay,
    shows_errors_on,
    signed_in,
)
from outlay.web.pages.admin import admin_page, tokens_page
from outlay.web.pages.common import redirect

router = APIRouter(include_in_schema=False)
Email = Annotated[str, Form()]


def _people_form(request: Request, exc: OutlayError) -> Response:
    return admin_page(
        request, signed_in(request), get_outlay(request), exc.status, people_error=str(exc),
        person=form_text(request, "email"),
    )  # fmt: skip


PeopleErrors = shows_errors_on(_people_form)


@router.post("/admin/users/role", dependencies=[PeopleErrors])
def set_role(
    session: CheckedSession, outlay: OutlayDep, email: Email = "", role: Email = ""
) -> Response:
    user = outlay.set_role(email, role, session.principal)
    return redirect("/admin", notice="user_changed", name=user.email)


@router.post("/admin/users/workspaces", dependencies=[PeopleErrors])
def set_workspaces(
    session: CheckedSession,
    outlay: OutlayDep,
    email: Email = "",
    workspaces: Annotated[list[str] | None, Form()] = None,
) -> Response:
    outlay.set_workspaces(email, workspaces or [], session.principal)
    return redirect("/admin", notice="user_changed", name=email)


@router.post("/admin/users/disable", dependencies=[PeopleErrors])
def disable(session: CheckedSession, outlay: OutlayDep, email: Email = "") -> Response:
    outlay.disable_user(email, session.principal)
    return redirect("/admin", notice="user_disabled", name=email)


@router.post("/admin/users/enable", dependencies=[PeopleErrors])
def enable(session: CheckedSession, outlay: OutlayDep, email: Email = "") -> Response:
    outlay.enable_user(email, session.principal)
    return redirect("/admin", notice="user_enabled", name=email)


@router.post("/admin/users/remove", dependencies=[PeopleErrors])
def remove(session: CheckedSession, outlay: OutlayDep, email: Email = "") -> Response:
    outlay.remove_user(email, session.principal)
    return redirect("/admin", notice="user_removed", name=email)


@router.post("/admin/users/reset-link", dependencies=[PeopleErrors])
def reset_link(
    request: Request, session: CheckedSession, outlay: OutlayDep, email: Email = ""
) -> Response:
    issued = outlay.create_reset_link(email, str(request.base_url), session.principal)
    # Shown once, on this answer only (never cached): the store keeps just its hash.
    page = admin_page(request, session, outlay, one_time_link=issued.link,
                      one_time_for=f"Password reset link for {issued.record.email}")  # fmt: skip
    page.headers["Cache-Control"] = "no-store"
    return page


def _invite_form(request: Request, exc: OutlayError) -> Response:
    return admin_page(
        request, signed_in(request), get_outlay(request), exc.status, invite_error=str(exc),
        invite_email=form_text(request, "email"),
    )  # fmt: skip


@router.post("/admin/invitations", dependencies=[shows_errors_on(_invite_form)])
def invite(
    request: Request,
    session: CheckedSession,
    outlay: OutlayDep,
    email: Email = "",
    role: Email = "viewer",
    workspace: Email = "",
) -> Response:
    issued = outlay.invite(email, workspace or None, role, str(request.base_url), session.principal)
    if issued.delivered:
        return redirect("/admin", notice="invitation_sent", name=issued.record.email)
    page = admin_page(request, session, outlay, one_time_link=issued.link,
                      one_time_for=f"Invitation for {issued.record.email}")  # fmt: skip
    page.headers["Cache-Control"] = "no-store"
    return page


@router.post("/admin/invitations/revoke", dependencies=[shows_errors_on(_invite_form)])
def revoke_invitation(
    session: CheckedSession, outlay: OutlayDep, invitation_id: Email = ""
) -> Response:
    outlay.revoke_invitation(
        int(invitation_id) if invitation_id.isdigit() else -1, session.principal
    )
    return redirect("/admin", notice="invitation_revoked")


def _password_form(request: Request, exc: OutlayError) -> Response:
    return tokens_page(
        request, signed_in(request), get_outlay(request), exc.status, password_error=str(exc)
    )


@router.post("/account/password", dependencies=[shows_errors_on(_password_form)])
def change_password(
    session: CheckedSession,
    outlay: OutlayDep,
    current: Email = "",
    new: Email = "",
    again: Email = "",
) -> Response:
    if new != again:
        raise InputError("the new passwords differ; type the same one twice", field="password")
    outlay.change_password(current, new, session.principal)
    return redirect("/tokens", notice="password_changed")
