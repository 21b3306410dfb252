"""Users, API tokens and invitations as data: the one shape the API and ``--format json`` share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from outlay.store.access import Credential, User
from outlay.store.links import OneTimeLink


def iso(moment: datetime | None) -> str | None:
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z") if moment else None


def user_data(user: User, workspaces: list[str]) -> dict[str, Any]:
    return {
        "email": user.email,
        "role": user.role,
        "workspaces": "all" if user.role == "owner" else workspaces,
        "disabled": user.disabled_at is not None,
        "disabled_at": iso(user.disabled_at),
    }


def token_data(token: Credential, email: str | None = None) -> dict[str, Any]:
    data = {
        "id": token.id,
        "name": token.name,
        "scope": token.scope,
        "created_at": iso(token.created_at),
        "expires_at": iso(token.expires_at),
        "last_used_at": iso(token.last_used_at),
        "revoked_at": iso(token.revoked_at),
    }
    return data if email is None else {"user": email, **data}


def invitation_data(invitation: OneTimeLink, names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": invitation.id,
        "email": invitation.email,
        "role": invitation.role,
        "workspaces": [names[i] for i in invitation.workspace_ids if i in names],
        "invited_by": invitation.created_by,
        "created_at": iso(invitation.created_at),
        "expires_at": iso(invitation.expires_at),
    }
