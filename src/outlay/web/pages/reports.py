"""Cost Reports: the page, its CSV export, value lookups and saved reports."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from outlay.access import Action, Principal
from outlay.errors import OutlayError
from outlay.report.check import report_name
from outlay.report.export import to_csv
from outlay.report.spec import ReportSpec
from outlay.service import Outlay
from outlay.store.meta import SavedReport
from outlay.web.deps import CheckedSession, OutlayDep, Session
from outlay.web.pages.common import (
    INTERVAL_LABELS,
    MAX_VALUES,
    dimension_label,
    notice_of,
    redirect,
    render,
    slug,
    visible_workspaces,
    workspace_name,
)
from outlay.web.pages.report_page import report_context, run_view
from outlay.web.pages.report_view import ReportView

router = APIRouter(include_in_schema=False)


@router.get("/reports")
def reports(request: Request, session: Session, outlay: OutlayDep) -> Response:
    query = request.query_params
    workspace = workspace_name(outlay, session.principal, query.get("workspace"))
    view = ReportView.from_query(query, workspace)
    added = query.get("add_group", "").strip()
    if added and added not in view.groupings:
        view = view.with_(group_by=(*view.groupings, added))
    # One URL per view: forms submit every field; bookmarks and links get the short form.
    asked = [(k, v) for k, v in query.multi_items() if k not in ("notice", "name")]
    if urlencode(asked) != view.query():
        kept = [(k, v) for k, v in query.multi_items() if k in ("notice", "name")]
        suffix = "&" + urlencode(kept) if kept else ""
        return RedirectResponse(view.url() + suffix, status_code=303)
    tags = outlay.tags(workspace, session.principal)
    page = run_view(outlay, session.principal, view, tags)
    context = report_context(outlay, session.principal, view, tags, page)
    status = 400 if page.errors or page.filter_error else 200
    return render(request, "reports.html", session, status, notice=notice_of(request), **context)


@router.get("/reports/export.csv")
def export_csv(request: Request, session: Session, outlay: OutlayDep) -> Response:
    query = request.query_params
    workspace = workspace_name(outlay, session.principal, query.get("workspace"))
    view = ReportView.from_query(query, workspace)
    spec = replace(view.spec(), forecast=False)
    result = outlay.report(spec, principal=session.principal, workspace=workspace)
    filename = f"outlay-{slug(workspace)}-{result.start}-{result.end}.csv"
    # Spreadsheet-safe unless ?raw=1 asks for the text as stored (see ``to_csv``).
    raw = query.get("raw", "").strip().lower() in ("1", "true", "yes", "on")
    return Response(
        to_csv(result, raw=raw),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/reports/values")
def dimension_values(
    request: Request, session: Session, outlay: OutlayDep, dimension: str = ""
) -> JSONResponse:
    """The values a dimension takes over the view's dates: the filter builder's suggestions."""
    query = request.query_params
    workspace = workspace_name(outlay, session.principal, query.get("workspace"))
    view = ReportView.from_query(query, workspace)
    base = view.spec()
    spec = ReportSpec(
        start=base.start, end=base.end, interval=base.interval, date_bin="cumulative",
        group_by=(dimension,),
    )  # fmt: skip
    result = outlay.report(spec, principal=session.principal, workspace=workspace)
    values = [str(r[dimension]) for r in result.rows if r.get(dimension) is not None]
    return JSONResponse({"dimension": dimension, "values": values[:MAX_VALUES]})


def _view_of_query(outlay: Outlay, principal: Principal, query: str) -> ReportView:
    params = dict(parse_qsl(query, keep_blank_values=True))
    workspace = workspace_name(outlay, principal, params.get("workspace"))
    return ReportView.from_query(params, workspace)


@router.post("/reports/save")
def save_report(
    request: Request,
    session: CheckedSession,
    outlay: OutlayDep,
    name: Annotated[str, Form()] = "",
    query: Annotated[str, Form()] = "",
    replace: Annotated[str, Form()] = "",
) -> Response:
    """Save the view; a name another saved report has asks first: replace it, or save this
    one under a new name. Saving the report the view was opened from replaces it."""
    session.principal.require(Action.EDIT)
    view = _view_of_query(outlay, session.principal, query)
    spec = view.spec()
    wanted = report_name(name)
    taken = {r.name for r in outlay.saved_reports(session.principal, view.workspace)}
    if wanted in taken and wanted != view.report and replace != "yes":
        return render(
            request, "reports_save_confirm.html", session, report=wanted, query=query,
            view=view, suggestion=_free_name(wanted, taken),
        )  # fmt: skip
    saved = outlay.save_report(name, spec, principal=session.principal, workspace=view.workspace)
    notice = urlencode({"notice": "saved", "name": saved.name})
    return RedirectResponse(f"{view.url(report=saved.name)}&{notice}", status_code=303)


def _free_name(name: str, taken: set[str]) -> str:
    """``name (2)``, ``name (3)``, … : the first one no saved report has."""
    number = 2
    while f"{name} ({number})" in taken:
        number += 1
    return f"{name} ({number})"


@router.get("/reports/saved")
def saved_reports(request: Request, session: Session, outlay: OutlayDep) -> HTMLResponse:
    workspace = workspace_name(outlay, session.principal, request.query_params.get("workspace"))
    found = outlay.saved_reports(session.principal, workspace)
    return render(
        request, "reports_saved.html", session,
        items=[_saved_item(report, workspace) for report in found], workspace=workspace,
        workspaces=visible_workspaces(outlay, session.principal),
        can_edit=session.principal.can(Action.EDIT), notice=notice_of(request),
    )  # fmt: skip


def _saved_item(report: SavedReport, workspace: str) -> dict[str, Any]:
    """A line of the saved reports list; a stored spec that no longer reads shows its problem."""
    try:
        spec = ReportSpec.from_data(report.spec)
    except OutlayError as exc:
        return {"report": report, "url": None, "summary": str(exc)}
    view = ReportView.from_spec(spec, workspace, report.name)
    return {"report": report, "url": view.url(), "summary": _summary(spec), "spec": spec}


def _summary(spec: ReportSpec) -> str:
    period = (
        INTERVAL_LABELS.get(spec.interval, spec.interval)
        if spec.interval
        else f"{spec.start} to {spec.end}"
    )
    grouped = ", ".join(dimension_label(g) for g in spec.group_by) or "no grouping"
    return f"{period}, {spec.date_bin}, by {grouped}"


@router.post("/reports/rename")
def rename_report(
    request: Request,
    session: CheckedSession,
    outlay: OutlayDep,
    workspace: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    new_name: Annotated[str, Form()] = "",
) -> Response:
    principal = session.principal
    space = workspace_name(outlay, principal, workspace)
    new_name = outlay.rename_report(name, new_name, principal, space).name
    return redirect("/reports/saved", workspace=space, notice="renamed", name=new_name)


@router.get("/reports/delete")
def delete_form(
    request: Request, session: Session, outlay: OutlayDep, workspace: str = "", name: str = ""
) -> HTMLResponse:
    """Deleting asks first: this page, whose button posts the confirmed delete."""
    session.principal.require(Action.EDIT)
    space = workspace_name(outlay, session.principal, workspace)
    spec = outlay.saved_spec(name, session.principal, space)  # a missing one is a 404
    return render(
        request, "reports_delete.html", session, workspace=space, report=name,
        summary=_summary(spec),
    )  # fmt: skip


@router.post("/reports/delete")
def delete_report(
    request: Request,
    session: CheckedSession,
    outlay: OutlayDep,
    workspace: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    session.principal.require(Action.EDIT)
    space = workspace_name(outlay, session.principal, workspace)
    if confirm != "yes":  # not from the confirmation page: ask there
        return redirect("/reports/delete", workspace=space, name=name)
    outlay.delete_report(name, session.principal, space)
    return redirect("/reports/saved", workspace=space, notice="deleted", name=name)
