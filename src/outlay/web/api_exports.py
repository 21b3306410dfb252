"""FOCUS 1.2 exports over HTTP: ``GET /api/v1/exports/focus`` and the Cost Reports button.

The store writes the file with DuckDB's COPY (bounded memory whatever its size) into a private
temporary folder; the response streams it from disk and removes it once sent.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from outlay.access import Principal
from outlay.errors import InputError
from outlay.report.focus import GRAINS
from outlay.report.spec import ReportSpec
from outlay.service import Outlay
from outlay.web.deps import ApiPrincipal, OutlayDep, Session, Workspace
from outlay.web.pages.common import slug, workspace_name
from outlay.web.pages.report_view import ReportView
from outlay.web.report_query import SpecQuery

router = APIRouter(prefix="/api/v1")
page_router = APIRouter(include_in_schema=False)
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}


def _focus_file(
    outlay: Outlay, principal: Principal, spec: ReportSpec, fmt: str, workspace: str | None
) -> FileResponse:
    if fmt not in MEDIA_TYPES:
        raise InputError(f"unknown export format {fmt!r}; use csv or parquet", field="format")
    space = workspace_name(outlay, principal, workspace)
    folder = Path(tempfile.mkdtemp(prefix="outlay-focus-"))
    start, end = spec.period(outlay.today(), outlay.settings.billing_cycle_day)
    name = f"focus-{slug(space)}-{start}-{end}.{fmt}"
    try:
        outlay.export_focus(spec, folder / name, fmt=fmt, principal=principal, workspace=space)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        folder / name,
        media_type=MEDIA_TYPES[fmt],
        filename=name,
        background=BackgroundTask(shutil.rmtree, folder, True),
    )


@router.get("/exports/focus")
def focus_export(
    outlay: OutlayDep,
    principal: ApiPrincipal,
    spec: SpecQuery,
    format: Annotated[str, Query(description="csv or parquet.")] = "csv",
    workspace: Workspace = None,
) -> FileResponse:
    """The scope (dates, filter, workspace) as FOCUS 1.2 rows; ``date_bin`` day or hour is the
    charge period. BilledCost sums to the report's ``billed_cost`` total for the same scope."""
    return _focus_file(outlay, principal, spec, format, workspace)


@page_router.get("/reports/export-focus")
def focus_export_page(request: Request, session: Session, outlay: OutlayDep) -> FileResponse:
    """The Cost Reports view's scope as a FOCUS CSV (daily rows unless the view is hourly)."""
    query = request.query_params
    workspace = workspace_name(outlay, session.principal, query.get("workspace"))
    spec = ReportView.from_query(query, workspace).spec()
    grain = spec.date_bin if spec.date_bin in GRAINS else "day"
    spec = replace(spec, date_bin=grain, forecast=False, compare=None)
    return _focus_file(outlay, session.principal, spec, "csv", workspace)
