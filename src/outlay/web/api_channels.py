"""``/api/v1/channels`` and ``/api/v1/alerts/events``: the CLI's JSON, workspace-scoped.
Members read; admins add, remove and test channels."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from outlay.errors import InputError
from outlay.web.deps import ApiPrincipal, OutlayDep, Workspace

router = APIRouter(prefix="/api/v1")


class ChannelCreate(BaseModel):
    kind: str = Field(description="email, slack, teams or webhook.")
    name: str = Field(min_length=1, max_length=100)
    url: str | None = Field(None, description="Slack, Teams or webhook URL (a credential).")
    to: str | None = Field(None, description="E-mail recipients, comma-separated.")
    secret: str | None = Field(None, description="Webhook HMAC secret (optional).")

    def target(self) -> str:
        wanted, value = ("to", self.to) if self.kind == "email" else ("url", self.url)
        if not value:
            raise InputError(f"a {self.kind} channel needs {wanted!r}", field=wanted)
        return value


@router.get("/channels")
def list_channels(
    outlay: OutlayDep, principal: ApiPrincipal, workspace: Workspace = None
) -> list[dict[str, Any]]:
    """The same rows as `outlay channels list --format json`."""
    return outlay.channels(principal, workspace)


@router.post("/channels", status_code=201)
def create_channel(
    outlay: OutlayDep, principal: ApiPrincipal, body: ChannelCreate, workspace: Workspace = None
) -> dict[str, Any]:
    return outlay.add_channel(
        body.kind, body.name, body.target(), secret=body.secret, principal=principal,
        workspace=workspace,
    )  # fmt: skip


@router.delete("/channels/{name}", status_code=204)
def delete_channel(
    outlay: OutlayDep, principal: ApiPrincipal, name: str, workspace: Workspace = None
) -> Response:
    outlay.remove_channel(name, principal, workspace)
    return Response(status_code=204)


@router.post("/channels/{name}/test")
def test_channel(
    outlay: OutlayDep, principal: ApiPrincipal, name: str, workspace: Workspace = None
) -> dict[str, Any]:
    """Send a test message now; a refusal answers 502 with the receiver's reason."""
    return outlay.test_channel(name, principal, workspace)


@router.get("/alerts/events")
def alert_events(
    outlay: OutlayDep, principal: ApiPrincipal, workspace: Workspace = None,
    since: Annotated[date | None, Query(description="Fired on or after this UTC day.")] = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """The same rows as `outlay alerts events --format json`."""
    return outlay.alert_events(since, principal, workspace)
