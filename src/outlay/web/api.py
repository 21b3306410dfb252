"""REST API ``/api/v1``: Bearer tokens, the CLI's JSON shapes, one error shape."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from outlay.report.export import csv_chunks, json_chunks, page_links, page_of
from outlay.report.spec import ReportSpec
from outlay.web.deps import ApiPrincipal, OutlayDep, Workspace
from outlay.web.report_query import SpecQuery

router = APIRouter(prefix="/api/v1")
#: Paging like Vantage's ``/costs``: no ``limit`` is every row (one streamed response).
MAX_PAGE_ROWS = 100_000
Limit = Annotated[
    int | None,
    Query(ge=1, le=MAX_PAGE_ROWS,
          description="Rows per page (1 to 100,000); the response gets `links`. Default: all."),
]  # fmt: skip
Page = Annotated[int, Query(ge=1, description="Page of `limit` rows, from 1.")]
CostsFormat = Annotated[
    Literal["json", "csv"],
    Query(alias="format", description="json (default) or csv: every row, streamed."),
]
Raw = Annotated[
    bool, Query(description="CSV text exactly as stored: no ' before formula-like cells.")
]


class AccountCreate(BaseModel):
    provider: str = "cursor"
    name: str = Field(min_length=1, max_length=200)
    api_key: str = Field(min_length=1)
    base_url: str | None = None
    workspaces: list[str] | None = None


class ReportSave(BaseModel):
    spec: dict[str, Any]


class TagsReplace(BaseModel):
    yaml: str


class WorkspaceCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class AttachAccount(BaseModel):
    account: str


@router.get("/costs", response_model=None)
def costs(
    request: Request, outlay: OutlayDep, principal: ApiPrincipal, spec: SpecQuery,
    workspace: Workspace = None, limit: Limit = None, page: Page = 1,
    fmt: CostsFormat = "json", raw: Raw = False,
) -> Response:  # fmt: skip
    """The cost report: the same rows and totals as `outlay costs --format json`, and any
    ``notices`` (a filter on a tag no cost row carries). Streamed, so a 100,000-row report
    starts arriving at once. With ``limit``, one page of rows (totals stay the whole report's)
    and ``links`` to the others; ``format=csv`` streams every row as CSV."""
    result = outlay.report(spec, principal=principal, workspace=workspace)
    if fmt == "csv":
        return StreamingResponse(csv_chunks(result, raw=raw), media_type="text/csv; charset=utf-8")
    extra: dict[str, Any] = {}
    if result.notices:
        extra["notices"] = list(result.notices)
    if limit is not None:
        pages = max(1, -(-len(result.rows) // limit))
        result = page_of(result, limit, page)
        extra["links"] = page_links(str(request.url), page, pages)
    return StreamingResponse(json_chunks(result, extra), media_type="application/json")


@router.get("/accounts")
def list_accounts(outlay: OutlayDep, principal: ApiPrincipal) -> list[dict[str, Any]]:
    return [a.public() for a in outlay.accounts(principal)]


@router.post("/accounts", status_code=201)
def create_account(
    outlay: OutlayDep, principal: ApiPrincipal, body: AccountCreate
) -> dict[str, Any]:
    account = outlay.add_account(
        body.provider, body.name, body.api_key, base_url=body.base_url, principal=principal,
        workspaces=body.workspaces,
    )  # fmt: skip
    return account.public()


@router.post("/accounts/{name}/sync", status_code=202)
def sync_account(outlay: OutlayDep, principal: ApiPrincipal, name: str) -> dict[str, Any]:
    account = outlay.request_sync(name, principal)
    return {"account": account.name, "queued": True}


@router.delete("/accounts/{name}", status_code=204)
def delete_account(outlay: OutlayDep, principal: ApiPrincipal, name: str) -> Response:
    outlay.remove_account(name, principal)
    return Response(status_code=204)


@router.get("/reports")
def list_reports(
    outlay: OutlayDep, principal: ApiPrincipal, workspace: Workspace = None
) -> list[dict[str, Any]]:
    return [
        {"name": r.name, "spec": r.spec, "updated_at": r.updated_at.isoformat()}
        for r in outlay.saved_reports(principal, workspace)
    ]


@router.put("/reports/{name}")
def save_report(
    outlay: OutlayDep, principal: ApiPrincipal, name: str, body: ReportSave,
    workspace: Workspace = None,
) -> dict[str, Any]:  # fmt: skip
    saved = outlay.save_report(
        name, ReportSpec.from_data(body.spec), principal=principal, workspace=workspace
    )
    return {"name": saved.name, "spec": saved.spec}


@router.get("/reports/{name}")
def get_report(
    outlay: OutlayDep, principal: ApiPrincipal, name: str, workspace: Workspace = None
) -> dict[str, Any]:
    return {"name": name, "spec": outlay.saved_spec(name, principal, workspace).to_data()}


@router.get("/reports/{name}/costs", response_model=None)
def run_report(
    outlay: OutlayDep, principal: ApiPrincipal, name: str, workspace: Workspace = None
) -> Response:
    """A saved report's costs, in ``GET /costs``'s shape, streamed."""
    spec = outlay.saved_spec(name, principal, workspace)
    result = outlay.report(spec, principal=principal, workspace=workspace)
    return StreamingResponse(json_chunks(result), media_type="application/json")


@router.delete("/reports/{name}", status_code=204)
def delete_report(
    outlay: OutlayDep, principal: ApiPrincipal, name: str, workspace: Workspace = None
) -> Response:
    outlay.delete_report(name, principal, workspace)
    return Response(status_code=204)


@router.get("/tags")
def get_tags(
    outlay: OutlayDep, principal: ApiPrincipal, workspace: Workspace = None
) -> dict[str, Any]:
    tags = outlay.tags(workspace, principal)
    return {"tags": tags.to_data(), "yaml": tags.to_yaml()}


@router.put("/tags")
def replace_tags(
    outlay: OutlayDep, principal: ApiPrincipal, body: Annotated[TagsReplace, Body()],
    workspace: Workspace = None,
) -> dict[str, Any]:  # fmt: skip
    tags = outlay.import_tags(body.yaml, "tags", workspace, principal)
    return {"tags": tags.to_data(), "yaml": tags.to_yaml()}


@router.delete("/tags")
def delete_all_tags(
    outlay: OutlayDep, principal: ApiPrincipal, workspace: Workspace = None
) -> dict[str, list[str]]:
    """Delete every tag of the workspace, on purpose: an empty PUT is refused instead."""
    return {"deleted": list(outlay.delete_all_tags(workspace, principal))}


@router.delete("/tags/{key:path}", status_code=204)  # tag keys may contain "/"
def delete_tag(
    outlay: OutlayDep, principal: ApiPrincipal, key: str, workspace: Workspace = None
) -> Response:
    outlay.delete_tag(key, workspace, principal)
    return Response(status_code=204)


@router.get("/workspaces")
def list_workspaces(outlay: OutlayDep, principal: ApiPrincipal) -> list[dict[str, Any]]:
    return [{"name": w.name} for w in outlay.workspaces(principal)]


@router.post("/workspaces", status_code=201)
def create_workspace(
    outlay: OutlayDep, principal: ApiPrincipal, body: WorkspaceCreate
) -> dict[str, Any]:
    return {"name": outlay.add_workspace(body.name, principal).name}


@router.post("/workspaces/{name}/accounts", status_code=204)
def attach_account(
    outlay: OutlayDep, principal: ApiPrincipal, name: str, body: AttachAccount
) -> Response:
    outlay.attach(body.account, name, principal)
    return Response(status_code=204)
