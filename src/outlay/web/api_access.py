"""REST API for who may use outlay: ``/api/v1/users``, ``/invitations``, ``/tokens``, ``/audit``.

The same ``Outlay`` methods as the pages and the CLI, so the roles and the audit rows are theirs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from outlay.clock import utc_naive
from outlay.people import invitation_data, iso, token_data, user_data
from outlay.service import TOKEN_DAYS, Outlay
from outlay.service.audit import MAX_AUDIT_PAGE
from outlay.store.audit import AuditQuery
from outlay.web.deps import ApiPrincipal, OutlayDep

router = APIRouter(prefix="/api/v1")


class UserChange(BaseModel):
    role: str | None = None
    workspaces: list[str] | None = None
    disabled: bool | None = None


class InvitationCreate(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    role: str = "viewer"
    workspace: str | None = None


class TokenCreate(BaseModel):
    name: str = Field(default="", max_length=100)
    scope: Literal["read", "write"] = "write"
    expires_in_days: int | None = Field(default=TOKEN_DAYS, ge=1, le=3650)


def _names(outlay: Outlay, principal: ApiPrincipal) -> dict[int, str]:
    """Workspace names by id: an invitation listed or made is into workspaces the principal sees."""
    return {w.id: w.name for w in outlay.workspaces(principal)}


def _user_data(outlay: Outlay, principal: ApiPrincipal, email: str) -> dict[str, Any]:
    for user, spaces in outlay.users(principal):
        if user.email == email.strip().lower():
            return user_data(user, spaces)
    return {}


@router.get("/users")
def list_users(outlay: OutlayDep, principal: ApiPrincipal) -> list[dict[str, Any]]:
    """Every user with role, workspaces and whether disabled (owners)."""
    return [user_data(user, spaces) for user, spaces in outlay.users(principal)]


@router.patch("/users/{email}")
def change_user(
    outlay: OutlayDep, principal: ApiPrincipal, email: str, body: UserChange
) -> dict[str, Any]:
    """Change a user's role, workspaces or disabled state (owners); each change is audited."""
    if body.role is not None:
        outlay.set_role(email, body.role, principal)
    if body.workspaces is not None:
        outlay.set_workspaces(email, body.workspaces, principal)
    if body.disabled is True:
        outlay.disable_user(email, principal)
    elif body.disabled is False:
        outlay.enable_user(email, principal)
    return _user_data(outlay, principal, email) or {"email": email}


@router.delete("/users/{email}", status_code=204)
def delete_user(outlay: OutlayDep, principal: ApiPrincipal, email: str) -> Response:
    outlay.remove_user(email, principal)
    return Response(status_code=204)


@router.post("/users/{email}/reset-link", status_code=201)
def reset_link(
    request: Request, outlay: OutlayDep, principal: ApiPrincipal, email: str
) -> dict[str, Any]:
    """A one-time password reset link for the user (owners); shown only in this answer."""
    issued = outlay.create_reset_link(email, str(request.base_url), principal)
    return {"link": issued.link, "expires_at": iso(issued.record.expires_at)}


@router.get("/invitations")
def list_invitations(outlay: OutlayDep, principal: ApiPrincipal) -> list[dict[str, Any]]:
    names = _names(outlay, principal)
    return [invitation_data(i, names) for i in outlay.invitations(principal)]


@router.post("/invitations", status_code=201)
def create_invitation(
    request: Request, outlay: OutlayDep, principal: ApiPrincipal, body: InvitationCreate
) -> dict[str, Any]:
    """Invite an email into a workspace with a role. ``link`` is in the answer only when it
    was not e-mailed: it is not shown again."""
    issued = outlay.invite(body.email, body.workspace, body.role, str(request.base_url), principal)
    data = invitation_data(issued.record, _names(outlay, principal))
    return {
        **data,
        "delivered": issued.delivered,
        "link": None if issued.delivered else issued.link,
    }


@router.delete("/invitations/{invitation_id}", status_code=204)
def revoke_invitation(outlay: OutlayDep, principal: ApiPrincipal, invitation_id: int) -> Response:
    outlay.revoke_invitation(invitation_id, principal)
    return Response(status_code=204)


@router.get("/tokens")
def list_tokens(
    outlay: OutlayDep,
    principal: ApiPrincipal,
    every: Annotated[bool, Query(alias="all", description="Every user's tokens (admins).")] = False,
) -> list[dict[str, Any]]:
    """Your API tokens (or with ``all=true``, everyone's), with their last use."""
    if every:
        return [token_data(t, email) for t, email in outlay.all_tokens(principal)]
    return [token_data(t) for t in outlay.tokens(principal)]


@router.post("/tokens", status_code=201)
def create_token(outlay: OutlayDep, principal: ApiPrincipal, body: TokenCreate) -> dict[str, Any]:
    """A new token of your own; ``token`` is shown only in this answer."""
    secret = outlay.create_token(
        principal.email, body.name, body.expires_in_days, principal, scope=body.scope
    )
    return {"token": secret, **token_data(outlay.tokens(principal)[-1])}


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(outlay: OutlayDep, principal: ApiPrincipal, token_id: int) -> Response:
    outlay.revoke_token(principal, token_id)
    return Response(status_code=204)


@router.get("/audit")
def audit(
    outlay: OutlayDep,
    principal: ApiPrincipal,
    since: Annotated[datetime | None, Query(description="Entries at or after (UTC).")] = None,
    actor: Annotated[str | None, Query(description="An email, or local.")] = None,
    action: Annotated[str | None, Query(description="e.g. user or user.disable.")] = None,
    before_id: Annotated[
        int | None, Query(ge=1, le=2**62, description="Entries older than this id.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_AUDIT_PAGE)] = 100,
) -> list[dict[str, Any]]:
    """The audit log, newest first (owners)."""
    query = AuditQuery(
        since=utc_naive(since) if since else None,
        actor=actor,
        action=action,
        before_id=before_id,
        limit=limit,
    )
    return [entry.to_data() for entry in outlay.audit(query, principal)]
