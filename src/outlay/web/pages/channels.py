"""Channels (where alerts go: list, add, send test, remove) and Alert events (what fired and
whether it arrived). Everyone in the workspace sees both; admins change channels."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from outlay.access import Action
from outlay.errors import DeliveryError, InputError, OutlayError
from outlay.notify.targets import CHANNEL_KINDS
from outlay.report.options import parse_day
from outlay.web.deps import (
    FORM_ERRORS,
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
    notice_of,
    redirect,
    render,
    visible_workspaces,
    workspace_name,
)

router = APIRouter(include_in_schema=False)
KIND_LABELS = {
    "email": "E-mail",
    "slack": "Slack",
    "teams": "Microsoft Teams",
    "webhook": "Webhook",
}


def _page(
    request: Request, session: SessionAuth, workspace: str, status: int = 200, **extra: Any
) -> HTMLResponse:
    outlay, principal = get_outlay(request), session.principal
    context: dict[str, Any] = {
        "channels": outlay.channels(principal, workspace), "workspace": workspace,
        "workspaces": visible_workspaces(outlay, principal), "kinds": KIND_LABELS,
        "can_admin": principal.can(Action.ADMIN), "form": {}, "add_error": None,
        "test_error": None, "notice": notice_of(request),
    }  # fmt: skip
    context.update(extra)
    return render(request, "channels.html", session, status, **context)


@router.get("/channels")
def channels(request: Request, session: Session, outlay: OutlayDep) -> HTMLResponse:
    space = workspace_name(outlay, session.principal, request.query_params.get("workspace"))
    return _page(request, session, space)


def _add_form(request: Request, exc: OutlayError) -> Response:
    """The page again with the form as typed (never the URL or the secret) and the problem."""
    session, outlay = signed_in(request), get_outlay(request)
    space = workspace_name(outlay, session.principal, form_text(request, "workspace"))
    form = {k: form_text(request, k) for k in ("kind", "name", "to")}
    return _page(request, session, space, exc.status, form=form, add_error=str(exc))


@router.post("/channels/add", dependencies=[shows_errors_on(_add_form)])
def add(
    session: CheckedSession,
    outlay: OutlayDep,
    workspace: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    url: Annotated[str, Form()] = "",
    to: Annotated[str, Form()] = "",
    secret: Annotated[str, Form()] = "",
) -> Response:
    space = workspace_name(outlay, session.principal, workspace)
    if kind not in CHANNEL_KINDS:
        raise InputError(f"choose a kind: {', '.join(CHANNEL_KINDS)}", field="kind")
    target = to if kind == "email" else url
    if not target.strip():
        wanted = "the recipients" if kind == "email" else "the URL"
        raise InputError(f"a {KIND_LABELS[kind]} channel needs {wanted}", field="target")
    row = outlay.add_channel(
        kind, name, target, secret=secret.strip() or None, principal=session.principal,
        workspace=space,
    )  # fmt: skip
    return redirect("/channels", workspace=space, notice="channel_added", name=row["name"])


def _test_failed(request: Request, exc: OutlayError) -> Response:
    session, outlay = signed_in(request), get_outlay(request)
    space = workspace_name(outlay, session.principal, form_text(request, "workspace"))
    return _page(request, session, space, exc.status, test_error=str(exc))


@router.post(
    "/channels/test", dependencies=[shows_errors_on(_test_failed, (*FORM_ERRORS, DeliveryError))]
)
def test(
    session: CheckedSession,
    outlay: OutlayDep,
    workspace: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
) -> Response:
    space = workspace_name(outlay, session.principal, workspace)
    outlay.test_channel(name, session.principal, space)
    return redirect("/channels", workspace=space, notice="channel_tested", name=name)


@router.get("/channels/remove")
def remove_form(
    request: Request, session: Session, outlay: OutlayDep, workspace: str = "", name: str = ""
) -> HTMLResponse:
    """Removing asks first: this page, whose button posts the confirmed removal."""
    session.principal.require(Action.ADMIN)
    space = workspace_name(outlay, session.principal, workspace)
    found = outlay.channel(name, session.principal, space)
    return render(request, "channel_remove.html", session, workspace=space, channel=found)


@router.post("/channels/remove")
def remove(
    session: CheckedSession,
    outlay: OutlayDep,
    workspace: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    session.principal.require(Action.ADMIN)
    space = workspace_name(outlay, session.principal, workspace)
    if confirm != "yes":  # not from the confirmation page: ask there
        return redirect("/channels/remove", workspace=space, name=name)
    outlay.remove_channel(name, session.principal, space)
    return redirect("/channels", workspace=space, notice="channel_removed", name=name)


@router.get("/alerts/events")
def events(request: Request, session: Session, outlay: OutlayDep) -> HTMLResponse:
    params = request.query_params
    space = workspace_name(outlay, session.principal, params.get("workspace"))
    since_text = params.get("since", "").strip()
    since: date | None = parse_day(since_text, "since") if since_text else None
    rows = outlay.alert_events(since, session.principal, space)
    return render(
        request, "alert_events.html", session, events=rows, workspace=space, since=since_text,
        workspaces=visible_workspaces(outlay, session.principal),
    )  # fmt: skip
