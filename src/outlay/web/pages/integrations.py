"""Integrations → Cursor: connect, watch the import, sync now, attach, remove."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from outlay.access import Action, Principal
from outlay.errors import OutlayError
from outlay.service import Outlay
from outlay.store.meta import IMPORTING, STABLE
from outlay.web.deps import CheckedSession, OutlayDep, Session
from outlay.web.errors import status_of
from outlay.web.pages.common import (
    error_page,
    notice_of,
    redirect,
    render,
    scheduler_of,
    visible_workspaces,
)
from outlay.web.scheduler import Scheduler

router = APIRouter(include_in_schema=False)


# -- integrations ----------------------------------------------------------------------------


def integrations_context(
    outlay: Outlay, principal: Principal, scheduler: Scheduler
) -> dict[str, Any]:
    visible = visible_workspaces(outlay, principal)
    pending = scheduler.pending()
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
            }
        )
    busy = any(r["queued"] or r["account"].status == IMPORTING for r in rows)
    return {
        "accounts": rows,
        "workspaces": visible,
        "can_admin": principal.can(Action.ADMIN),
        "busy": busy,
        "stable": STABLE,
    }


@router.get("/integrations")
def integrations(request: Request, session: Session, outlay: OutlayDep) -> HTMLResponse:
    context = integrations_context(outlay, session.principal, scheduler_of(request))
    return render(
        request, "integrations.html", session, notice=notice_of(request), form={}, **context
    )


@router.post("/integrations/connect")
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
    try:
        account = outlay.add_account(
            "cursor", name, api_key, base_url=base_url.strip() or None,
            principal=session.principal, workspaces=[workspace] if workspace else None,
        )  # fmt: skip
    except OutlayError as exc:
        status, _ = status_of(exc)
        if status == 403:
            return error_page(request, session, exc)
        context = integrations_context(outlay, session.principal, scheduler_of(request))
        form = {"name": name, "base_url": base_url, "workspace": workspace}
        return render(
            request, "integrations.html", session, status, connect_error=str(exc), form=form,
            notice=None, **context,
        )  # fmt: skip
    if start_import:
        scheduler_of(request).sync_now(account.name)
        return redirect("/integrations", notice="connected", name=account.name)
    return redirect("/integrations", notice="connected_idle", name=account.name)


@router.post("/integrations/sync")
def sync_now(
    request: Request, session: CheckedSession, outlay: OutlayDep,
    account: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    try:
        session.principal.require(Action.ADMIN)
        found = outlay.account(account, session.principal)
    except OutlayError as exc:
        return error_page(request, session, exc)
    scheduler_of(request).sync_now(found.name)
    return redirect("/integrations", notice="queued", name=found.name)


@router.post("/integrations/attach")
def attach(
    request: Request,
    session: CheckedSession,
    outlay: OutlayDep,
    account: Annotated[str, Form()] = "",
    workspace: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/integrations",
) -> Response:
    try:
        outlay.attach(account, workspace, session.principal)
    except OutlayError as exc:
        return error_page(request, session, exc)
    target = "/admin" if back == "/admin" else "/integrations"
    return redirect(target, notice="attached", name=account, workspace=workspace)


@router.get("/integrations/remove")
def remove_form(
    request: Request, session: Session, outlay: OutlayDep, account: str = ""
) -> HTMLResponse:
    try:
        session.principal.require(Action.ADMIN)
        found = outlay.account(account, session.principal)
    except OutlayError as exc:
        return error_page(request, session, exc)
    return render(request, "integration_remove.html", session, account=found, error=None)


@router.post("/integrations/remove")
def remove(
    request: Request,
    session: CheckedSession,
    outlay: OutlayDep,
    account: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    try:
        session.principal.require(Action.ADMIN)
        found = outlay.account(account, session.principal)
        if confirm != "yes":
            return render(
                request, "integration_remove.html", session, 400, account=found,
                error="Tick the box to confirm that all of its costs are deleted.",
            )  # fmt: skip
        outlay.remove_account(found.name, session.principal)
    except OutlayError as exc:
        return error_page(request, session, exc)
    return redirect("/integrations", notice="removed", name=found.name)
