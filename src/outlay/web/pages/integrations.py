"""Integrations → Cursor: connect, watch the import, sync now, attach, remove."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from outlay.access import Action, Principal
from outlay.errors import OutlayError
from outlay.providers.cursor.seats import PRESETS
from outlay.service import Outlay
from outlay.store.meta import IMPORTING, STABLE
from outlay.web.deps import (
    CheckedSession,
    OutlayDep,
    Session,
    form_text,
    get_outlay,
    shows_errors_on,
    signed_in,
)
from outlay.web.pages.common import (
    notice_of,
    redirect,
    render,
    visible_workspaces,
)

router = APIRouter(include_in_schema=False)


# -- integrations ----------------------------------------------------------------------------


def integrations_context(outlay: Outlay, principal: Principal) -> dict[str, Any]:
    visible = visible_workspaces(outlay, principal)
    pending = outlay.queued_syncs(principal)
    through = outlay.complete_through(principal)
    rows: list[dict[str, Any]] = []
    for account in outlay.accounts(principal):
        spaces = outlay.account_workspaces(account, principal)
        rows.append(
            {
                "account": account,
                "status": account.status.capitalize(),
                "workspaces": spaces,
                "attachable": [w for w in visible if w not in spaces],
                "queued": account.name in pending,
                "complete_through": through.get(account.name),
            }
        )
    busy = any(r["queued"] or r["account"].status == IMPORTING for r in rows)
    return {
        "seats": [outlay.seat_summary(r["account"].name, principal) for r in rows],
        "seat_presets": PRESETS,
        "accounts": rows,
        "workspaces": visible,
        "can_admin": principal.can(Action.ADMIN),
        "busy": busy,
        "stable": STABLE,
    }


@router.get("/integrations")
def integrations(request: Request, session: Session, outlay: OutlayDep) -> HTMLResponse:
    context = integrations_context(outlay, session.principal)
    return render(
        request, "integrations.html", session, notice=notice_of(request), form={}, **context
    )


def _connect_form(request: Request, exc: OutlayError) -> Response:
    """The page again with the connect form as it was typed (never the key) and the problem."""
    session, outlay = signed_in(request), get_outlay(request)
    form = {k: form_text(request, k) for k in ("name", "base_url", "workspace")}
    return render(
        request, "integrations.html", session, exc.status, connect_error=str(exc), form=form,
        notice=None, **integrations_context(outlay, session.principal),
    )  # fmt: skip


@router.post("/integrations/connect", dependencies=[shows_errors_on(_connect_form)])
def connect(
    request: Request,
    session: CheckedSession,
    outlay: OutlayDep,
    name: Annotated[str, Form()] = "",
    api_key: Annotated[str, Form()] = "",
    base_url: Annotated[str, Form()] = "",
    workspace: Annotated[str, Form()] = "",
    start_import: Annotated[str, Form()] = "",
) -> Response:
    account = outlay.add_account(
        "cursor", name, api_key, base_url=base_url.strip() or None,
        principal=session.principal, workspaces=[workspace] if workspace else None,
    )  # fmt: skip
    if start_import:
        outlay.request_sync(account.name, session.principal)
        return redirect("/integrations", notice="connected", name=account.name)
    return redirect("/integrations", notice="connected_idle", name=account.name)


@router.post("/integrations/sync")
def sync_now(
    session: CheckedSession, outlay: OutlayDep, account: Annotated[str, Form()] = ""
) -> Response:
    found = outlay.request_sync(account, session.principal)
    return redirect("/integrations", notice="queued", name=found.name)


@router.post("/integrations/attach")
def attach(
    session: CheckedSession,
    outlay: OutlayDep,
    account: Annotated[str, Form()] = "",
    workspace: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/integrations",
) -> Response:
    outlay.attach(account, workspace, session.principal)
    target = "/admin" if back == "/admin" else "/integrations"
    return redirect(target, notice="attached", name=account, workspace=workspace)


@router.get("/integrations/remove")
def remove_form(
    request: Request, session: Session, outlay: OutlayDep, account: str = ""
) -> HTMLResponse:
    session.principal.require(Action.ADMIN)
    found = outlay.account(account, session.principal)
    return render(request, "integration_remove.html", session, account=found, error=None)


@router.post("/integrations/remove")
def remove(
    request: Request,
    session: CheckedSession,
    outlay: OutlayDep,
    account: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    session.principal.require(Action.ADMIN)
    found = outlay.account(account, session.principal)
    if confirm != "yes":
        return render(
            request, "integration_remove.html", session, 400, account=found,
            error="Tick the box to confirm that all of its costs are deleted.",
        )  # fmt: skip
    outlay.remove_account(found.name, session.principal)
    return redirect("/integrations", notice="removed", name=found.name)


@router.post("/integrations/seats")
def set_seats(
    session: CheckedSession,
    outlay: OutlayDep,
    account: Annotated[str, Form()] = "",
    seat_price: Annotated[str, Form()] = "",
) -> Response:
    """A price in USD, a preset's name, or empty to turn seat costs off."""
    text = seat_price.strip()
    if text in PRESETS:
        outlay.set_seat_price(account, preset=text, principal=session.principal)
    else:
        outlay.set_seat_price(account, text or None, principal=session.principal)
    return redirect("/integrations", notice="seats_saved", name=account)
