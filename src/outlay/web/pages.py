"""Server-rendered pages. Every view's state is in its URL; every form carries a CSRF token.

Pages call the same ``Outlay`` methods as the API and the CLI, and those methods check the
signed-in user's role and workspaces; the templates only hide what a role may not use. An
``OutlayError`` from an action is shown on the page (its one-line message), never a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import zip_longest
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlparse

import yaml
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import UploadFile

from outlay.access import ROLES, Action, Principal, UnauthenticatedError
from outlay.errors import FilterError, InputError, NotFoundError, OutlayError
from outlay.report.dimensions import BASE_DIMENSIONS, PROVIDER_TAGS, TAG_PREFIX
from outlay.report.export import to_csv, to_data
from outlay.report.intervals import INTERVALS
from outlay.report.run import OTHER, ReportResult
from outlay.report.spec import DATE_BINS, MEASURES, ReportSpec
from outlay.report.tags import TagSet, parse_tags_yaml
from outlay.report.vql import And, Compare, Expr, InList, fields_used, parse_vql, to_vql
from outlay.service import Outlay
from outlay.store.meta import IMPORTING, STABLE
from outlay.web.deps import SESSION_COOKIE, CheckedSession, OutlayDep, Session, SessionAuth
from outlay.web.errors import status_of
from outlay.web.scheduler import Scheduler

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

MONEY_MEASURES = ("cost", "billed_cost", "list_cost")
CHARTS = ("bar", "line", "area", "pie")
DEFAULT_GROUPS = ("service",)
#: Drilling into a report grouped by one dimension groups the drilled slice by the next one.
DRILL_NEXT = {
    "provider": "account",
    "account": "service",
    "service": "token_type",
    "token_type": "resource",
    "category": "subcategory",
    "subcategory": "service",
    "charge_type": "service",
    "resource": "service",
}
DIMENSION_LABELS = {
    "provider": "Provider",
    "account": "Account",
    "service": "Service (model)",
    "category": "Category",
    "token_type": "Token type",
    "subcategory": "Subcategory",
    "resource": "Resource (user)",
    "charge_type": "Charge type",
    "unit": "Unit",
}
INTERVAL_LABELS = {
    "this_month": "This month",
    "last_month": "Last month",
    "last_7_days": "Last 7 days",
    "last_14_days": "Last 14 days",
    "last_30_days": "Last 30 days",
    "last_3_months": "Last 3 months",
    "last_6_months": "Last 6 months",
    "last_12_months": "Last 12 months",
    "year_to_date": "Year to date",
    "billing_cycle_to_date": "Billing cycle to date",
}
MEASURE_LABELS = {
    "cost": "Cost",
    "billed_cost": "Billed cost",
    "list_cost": "List cost",
    "usage": "Usage",
    "count": "Count",
}
FILTER_OPS = ("=", "!=", "IN", "NOT IN", "LIKE")
TOKEN_DAYS = (("30", "30 days"), ("90", "90 days"), ("365", "1 year"), ("0", "Never"))
MAX_DATE_ROWS = 1000
MAX_VALUES = 500
MAX_UPLOAD = 1_000_000
#: Messages a redirect may ask a page to show; the URL carries only the code and the names.
NOTICES = {
    "connected": "Connected {name}. Its import is queued; this page updates while it runs.",
    "connected_idle": "Connected {name}. Press Sync now to start its import.",
    "queued": "Sync of {name} queued.",
    "attached": "{name} is now part of workspace {workspace}.",
    "removed": "Removed {name} and all its costs.",
    "saved": "Saved report {name}.",
    "renamed": "Renamed the report to {name}.",
    "deleted": "Deleted report {name}.",
    "tag_saved": "Saved tag {name}; reports use it at once.",
    "tag_deleted": "Deleted tag {name}.",
    "tags_imported": "Imported the tags file: it replaced the workspace's tags.",
    "workspace_added": "Added workspace {name}.",
    "user_added": "Added user {name}.",
    "token_revoked": "Revoked the token.",
}


# -- rendering -------------------------------------------------------------------------------


def money(value: Any) -> str:
    amount = Decimal(str(value)).quantize(Decimal("0.01"))
    text = f"${abs(amount):,.2f}"
    return f"-{text}" if amount < 0 else text


def number(value: Any) -> str:
    amount = Decimal(str(value))
    if amount == amount.to_integral_value():
        return f"{int(amount):,}"
    return f"{amount:,.2f}"


def amount(value: Any, measure: str) -> str:
    return money(value) if measure in MONEY_MEASURES else number(value)


def percent(value: Any) -> str:
    return "—" if value is None else f"{Decimal(str(value)):+.1f}%"


def moment(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def ago(value: datetime | None) -> str:
    if value is None:
        return ""
    seconds = int((datetime.now(UTC).replace(tzinfo=None) - value).total_seconds())
    if seconds < 90:
        return "just now"
    if seconds < 5400:
        return f"{seconds // 60} min ago"
    if seconds < 172_800:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86_400} days ago"


def dimension_label(name: str) -> str:
    if name.startswith(TAG_PREFIX):
        return f"Tag {name[len(TAG_PREFIX) :]}"
    return DIMENSION_LABELS.get(name, name)


templates.env.filters.update(
    money=money, number=number, amount=amount, percent=percent, moment=moment, ago=ago,
    dimension=dimension_label,
)  # fmt: skip


def render(
    request: Request, name: str, session: Any = None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    return templates.TemplateResponse(
        request, name, {"session": session, **context}, status_code=status_code
    )


def error_page(request: Request, session: SessionAuth, exc: OutlayError) -> HTMLResponse:
    status, _ = status_of(exc)
    return render(request, "error.html", session, status, message=str(exc), status=status)


def notice_of(request: Request) -> str | None:
    template = NOTICES.get(request.query_params.get("notice", ""))
    if template is None:
        return None
    names = {k: request.query_params.get(k, "") for k in ("name", "workspace")}
    return template.format_map(names)


def redirect(path: str, **params: str) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v})
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=303)


def scheduler_of(request: Request) -> Scheduler:
    scheduler = request.app.state.scheduler
    assert isinstance(scheduler, Scheduler)
    return scheduler


def visible_workspaces(outlay: Outlay, principal: Principal) -> list[str]:
    return [w.name for w in outlay.access.workspaces() if principal.sees(w.id)]


def _safe_next(target: str) -> str:
    """Only same-site paths: a login link must not bounce people to another site."""
    parsed = urlparse(target)
    return (
        target
        if target.startswith("/") and not parsed.netloc and not target.startswith("//")
        else "/"
    )


# -- sign-in ---------------------------------------------------------------------------------


@router.get("/login")
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login")
def login(
    request: Request,
    outlay: OutlayDep,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    try:
        secret, _ = outlay.login(email, password)
    except UnauthenticatedError as exc:
        return render(request, "login.html", next=_safe_next(next), error=str(exc), email=email)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE, secret, httponly=True, samesite="lax",
        secure=request.url.scheme == "https", max_age=7 * 86_400,
    )  # fmt: skip
    return response


@router.post("/logout")
def logout(session: CheckedSession, outlay: OutlayDep) -> Response:
    outlay.revoke(session.credential)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/")
def home(session: Session) -> Response:
    return RedirectResponse("/reports", status_code=303)


# -- integrations ----------------------------------------------------------------------------


def integrations_context(
    outlay: Outlay, principal: Principal, scheduler: Scheduler
) -> dict[str, Any]:
    visible = visible_workspaces(outlay, principal)
    pending = scheduler.pending()
    rows = []
    for account in outlay.accounts(principal):
        spaces = [
            w.name
            for w in outlay.access.workspaces_of_account(account.id)
            if principal.sees(w.id)
        ]
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


# -- cost reports: the view in the URL --------------------------------------------------------


@dataclass(frozen=True)
class ReportView:
    """Everything a report page shows, as the URL's query parameters (raw text where typed)."""

    workspace: str
    interval: str = "this_month"
    start: str = ""
    end: str = ""
    date_bin: str = "day"
    groupings: tuple[str, ...] = DEFAULT_GROUPS
    filter: str = ""
    measure: str = "cost"
    top: str = ""
    compare: str = ""
    forecast: bool = False
    chart: str = "bar"
    sort: str = "value"
    #: The saved report this view was opened from (a label; the other fields are the spec).
    report: str = ""

    @classmethod
    def from_query(cls, query: Mapping[str, str], workspace: str) -> ReportView:
        def text(name: str) -> str:
            return query.get(name, "").strip()

        interval = "" if text("interval") == "custom" else text("interval")
        start, end = text("start_date"), text("end_date")
        if interval:
            start = end = ""
        elif not start and not end:
            interval = "this_month"
        groupings = (
            DEFAULT_GROUPS
            if "groupings" not in query
            else tuple(dict.fromkeys(g.strip() for g in query["groupings"].split(",") if g.strip()))
        )
        chart = text("chart") if text("chart") in CHARTS else "bar"
        return cls(
            workspace=workspace, interval=interval, start=start, end=end,
            date_bin=text("date_bin") or "day", groupings=groupings,
            filter=query.get("filter", "").strip(), measure=text("measure") or "cost",
            top=text("top"), compare=text("compare"),
            forecast=text("forecast").lower() in ("true", "1", "on", "yes"), chart=chart,
            sort=text("sort") or "value", report=text("report"),
        )  # fmt: skip

    @classmethod
    def from_spec(cls, spec: ReportSpec, workspace: str, report: str = "") -> ReportView:
        return cls(
            workspace=workspace, interval=spec.interval or "",
            start=spec.start.isoformat() if spec.start else "",
            end=spec.end.isoformat() if spec.end else "", date_bin=spec.date_bin,
            groupings=spec.group_by, filter=spec.filter or "", measure=spec.measure,
            top=str(spec.top) if spec.top else "", compare=spec.compare or "",
            forecast=spec.forecast, sort=spec.sort, report=report,
        )  # fmt: skip

    def params(self) -> list[tuple[str, str]]:
        out = [("workspace", self.workspace)]
        if self.report:
            out.append(("report", self.report))
        if self.interval:
            out.append(("interval", self.interval))
        else:
            out += [("start_date", self.start), ("end_date", self.end)]
        out += [("date_bin", self.date_bin), ("groupings", ",".join(self.groupings))]
        if self.filter:
            out.append(("filter", self.filter))
        out.append(("measure", self.measure))
        for name, value in (("top", self.top), ("compare", self.compare)):
            if value:
                out.append((name, value))
        if self.forecast:
            out.append(("forecast", "true"))
        out.append(("chart", self.chart))
        if self.sort != "value":
            out.append(("sort", self.sort))
        return out

    def query(self) -> str:
        return urlencode(self.params())

    def url(self, path: str = "/reports", **changes: Any) -> str:
        return f"{path}?{replace(self, **changes).query()}"

    def period_params(self) -> str:
        """Only the date range: what the filter builder's value lists are read over."""
        keep = ("workspace", "interval", "start_date", "end_date")
        return urlencode([(k, v) for k, v in self.params() if k in keep])

    def spec(self) -> ReportSpec:
        top = None
        if self.top:
            try:
                top = int(self.top)
            except ValueError:
                raise InputError(f"top {self.top!r} is not a whole number") from None
        return ReportSpec(
            start=_day(self.start, "start_date") if not self.interval else None,
            end=_day(self.end, "end_date") if not self.interval else None,
            interval=self.interval or None, date_bin=self.date_bin, group_by=self.groupings,
            filter=self.filter or None, measure=self.measure, compare=self.compare or None,
            top=top, sort=self.sort, forecast=self.forecast,
        )  # fmt: skip


def _day(text: str, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{name} {text!r} is not a date; use YYYY-MM-DD") from None


def known_dimensions(tags: TagSet) -> list[str]:
    return [
        *BASE_DIMENSIONS,
        *(TAG_PREFIX + key for key in PROVIDER_TAGS),
        *(TAG_PREFIX + key for key in tags.keys),
    ]


def check_filter_tags(spec: ReportSpec, tags: TagSet) -> None:
    """Name an unknown tag in the filter as a filter problem (the report would too, vaguely)."""
    if spec.expr is None:
        return
    for name in sorted(fields_used(spec.expr)):
        key = name[len(TAG_PREFIX) :] if name.startswith(TAG_PREFIX) else None
        if key is not None and key not in PROVIDER_TAGS and key not in tags:
            known = ", ".join([*tags.keys, *PROVIDER_TAGS])
            raise FilterError(f"filter: unknown tag {key!r}; known tags: {known}")


def with_condition(filter_text: str, condition: Expr) -> str:
    """The filter AND one more condition, as canonical VQL."""
    if not filter_text:
        return to_vql(condition)
    current = parse_vql(filter_text)
    items = current.items if isinstance(current, And) else (current,)
    return to_vql(And((*items, condition)))


def equality_fields(filter_text: str) -> set[str]:
    if not filter_text:
        return set()
    current = parse_vql(filter_text)
    items = current.items if isinstance(current, And) else (current,)
    return {i.field for i in items if isinstance(i, Compare) and i.op == "="}


def drill_groupings(view: ReportView) -> tuple[str, ...]:
    """One level deeper: the remaining group-bys, or the next dimension in the drill chain."""
    if len(view.groupings) > 1:
        return view.groupings[1:]
    first = view.groupings[0]
    taken = equality_fields(view.filter) | {first}
    candidate = DRILL_NEXT.get(first, "service")
    for _ in DRILL_NEXT:
        if candidate not in taken:
            return (candidate,)
        candidate = DRILL_NEXT.get(candidate, "service")
    return (DRILL_NEXT.get(first, "service"),)


def drill_url(view: ReportView, value: Any) -> str:
    dimension = view.groupings[0]
    condition = Compare(dimension, "=", None if value is None else str(value))
    return view.url(
        filter=with_condition(view.filter, condition), groupings=drill_groupings(view), report=""
    )


def builder_rows(filter_text: str) -> list[dict[str, Any]] | None:
    """The filter as builder rows (conditions joined by AND), or None if it is more than that."""
    if not filter_text:
        return []
    try:
        expr = parse_vql(filter_text)
    except FilterError:
        return None
    rows = []
    for item in expr.items if isinstance(expr, And) else (expr,):
        if isinstance(item, Compare) and item.value is not None and item.op in ("=", "!=", "like"):
            op = "LIKE" if item.op == "like" else item.op
            rows.append({"dim": item.field, "op": op, "values": [item.value]})
        elif isinstance(item, InList):
            op = "NOT IN" if item.negated else "IN"
            rows.append({"dim": item.field, "op": op, "values": list(item.values)})
        else:
            return None
    return rows


def value_label(dimension: str, value: Any) -> str:
    if value is None:
        return "(untagged)" if dimension.startswith(TAG_PREFIX) else "(none)"
    return str(value)


def series_label(keys: Sequence[str], row: Mapping[str, Any]) -> str:
    return " - ".join(value_label(k, row.get(k)) for k in keys) if keys else "Total"


@dataclass
class ReportPage:
    view: ReportView
    spec: ReportSpec | None = None
    result: ReportResult | None = None
    filter_error: str | None = None
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def run_view(outlay: Outlay, principal: Principal, view: ReportView, tags: TagSet) -> ReportPage:
    page = ReportPage(view)
    try:
        spec = view.spec()
        check_filter_tags(spec, tags)
    except FilterError as exc:
        page.filter_error = str(exc)
        return page
    except InputError as exc:
        page.errors.append(str(exc))
        return page
    if spec.forecast:
        start, end = spec.period(outlay.today(), outlay.settings.billing_cycle_day)
        reason = None
        if spec.measure == "usage":
            reason = "The forecast is for cost and count, not usage."
        elif not start <= outlay.today() <= end:
            reason = "The forecast needs a date range that includes today."
        if reason:
            page.notes.append(reason)
            spec = replace(spec, forecast=False)
    page.spec = spec
    try:
        page.result = outlay.report(spec, tags, principal=principal, workspace=view.workspace)
    except FilterError as exc:
        page.filter_error = str(exc)
    except InputError as exc:
        page.errors.append(str(exc))
    return page


def summarize(result: ReportResult, view: ReportView) -> dict[str, Any]:
    """The group table (one row per group, drill links), totals and the chart's data."""
    keys = result.group_keys
    measure = result.measure
    zero: Decimal | int = 0 if measure == "count" else Decimal(0)
    folded = result.spec.top is not None
    if result.groups is not None:
        groups = [dict(g) for g in result.groups]
    else:
        sums: dict[tuple[Any, ...], Any] = {}
        for row in result.rows:
            key = tuple(row.get(k) for k in keys)
            sums[key] = sums.get(key, zero) + row[measure]
        order = sorted(
            sums,
            key=lambda k: (
                folded and all(v == OTHER for v in k if v is not None),
                -sums[k] if view.sort == "value" else 0,
                tuple(str(v) for v in k),
            ),
        )
        groups = [{**dict(zip(keys, k, strict=True)), measure: sums[k]} for k in order]
    total = result.total
    table = []
    for group in groups:
        other = folded and bool(keys) and all(group.get(k) == OTHER for k in result.spec.group_by)
        share = (
            Decimal(group[measure]) * 100 / Decimal(total)
            if total and measure in MONEY_MEASURES
            else None
        )
        table.append(
            {
                "cells": [value_label(k, group.get(k)) for k in keys],
                "label": series_label(keys, group),
                "value": group[measure],
                "share": share,
                "previous": group.get("previous"),
                "change": group.get("change"),
                "change_pct": group.get("change_pct"),
                "drill": (
                    drill_url(view, group.get(view.groupings[0]))
                    if view.groupings and not other
                    else None
                ),
            }
        )
    previous_total = (
        sum((g["previous"] for g in groups), zero) if result.groups is not None else None
    )
    change_pct = (
        (Decimal(total) - Decimal(previous_total)) * 100 / Decimal(previous_total)
        if total is not None and previous_total
        else None
    )
    data = to_data(result)
    chart = {
        "chart": view.chart,
        "measure": measure,
        "money": measure in MONEY_MEASURES,
        "dated": result.spec.date_bin != "cumulative",
        "date_bin": result.spec.date_bin,
        "group_keys": list(keys),
        "rows": data["rows"],
        "labels": {"none": "(none)", "untagged": "(untagged)"},
        "order": [t["label"] for t in table],
        "drill": {t["label"]: t["drill"] for t in table if t["drill"]},
        "forecast": data.get("forecast"),
    }
    return {
        "table": table,
        "keys": keys,
        "total": total,
        "totals": result.totals,
        "previous_total": previous_total,
        "change_pct": change_pct,
        "chart": chart,
        "date_rows": result.rows[:MAX_DATE_ROWS],
        "more_rows": max(0, len(result.rows) - MAX_DATE_ROWS),
        "dated": result.spec.date_bin != "cumulative",
    }


def report_context(
    outlay: Outlay, principal: Principal, view: ReportView, tags: TagSet, page: ReportPage
) -> dict[str, Any]:
    dimensions = known_dimensions(tags)
    levels = [
        {
            "name": g,
            "remove": view.url(groupings=tuple(x for x in view.groupings if x != g)),
            "up": (
                view.url(groupings=(*view.groupings[: i - 1], g, view.groupings[i - 1],
                                    *view.groupings[i + 1 :]))  # fmt: skip
                if i
                else None
            ),
        }
        for i, g in enumerate(view.groupings)
    ]
    position = None
    if page.filter_error and (found := re.search(r"position (\d+)", page.filter_error)):
        position = int(found.group(1))
    rows = builder_rows(view.filter) if not page.filter_error else None
    builder = {
        "rows": rows,
        "dimensions": [[d, dimension_label(d)] for d in dimensions],
        "ops": list(FILTER_OPS),
        "values_url": "/reports/values?" + view.period_params(),
    }
    summary = summarize(page.result, view) if page.result is not None else None
    return {
        "view": view,
        "page": page,
        "result": page.result,
        "summary": summary,
        "workspaces": visible_workspaces(outlay, principal),
        "intervals": [(i, INTERVAL_LABELS.get(i, i)) for i in INTERVALS],
        "date_bins": DATE_BINS,
        "measures": [(m, MEASURE_LABELS[m], view.url(measure=m)) for m in MEASURES],
        "charts": [(c, c.capitalize(), view.url(chart=c)) for c in CHARTS],
        "levels": levels,
        "addable": [(d, dimension_label(d)) for d in dimensions if d not in view.groupings],
        "builder": builder,
        "filter_position": position,
        "csv_url": view.url("/reports/export.csv"),
        "can_edit": principal.can(Action.EDIT),
        "money_measure": view.measure in MONEY_MEASURES,
    }


def _workspace_name(outlay: Outlay, principal: Principal, name: str | None) -> str:
    return outlay.workspace(name or None, principal).name


@router.get("/reports")
def reports(request: Request, session: Session, outlay: OutlayDep) -> Response:
    query = request.query_params
    try:
        workspace = _workspace_name(outlay, session.principal, query.get("workspace"))
        tags = outlay.tags(workspace, session.principal)
    except OutlayError as exc:
        return error_page(request, session, exc)
    view = ReportView.from_query(query, workspace)
    added = query.get("add_group", "").strip()
    if added:
        groupings = view.groupings if added in view.groupings else (*view.groupings, added)
        return RedirectResponse(view.url(groupings=groupings), status_code=303)
    page = run_view(outlay, session.principal, view, tags)
    context = report_context(outlay, session.principal, view, tags, page)
    status = 400 if page.errors or page.filter_error else 200
    return render(request, "reports.html", session, status, notice=notice_of(request), **context)


@router.get("/reports/export.csv")
def export_csv(request: Request, session: Session, outlay: OutlayDep) -> Response:
    query = request.query_params
    workspace = _workspace_name(outlay, session.principal, query.get("workspace"))
    view = ReportView.from_query(query, workspace)
    spec = replace(view.spec(), forecast=False)
    result = outlay.report(spec, principal=session.principal, workspace=workspace)
    filename = f"outlay-{_slug(workspace)}-{result.start}-{result.end}.csv"
    return Response(
        to_csv(result),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/reports/values")
def dimension_values(
    request: Request, session: Session, outlay: OutlayDep, dimension: str = ""
) -> JSONResponse:
    """The values a dimension takes over the view's dates: the filter builder's suggestions."""
    query = request.query_params
    workspace = _workspace_name(outlay, session.principal, query.get("workspace"))
    view = ReportView.from_query(query, workspace)
    base = view.spec()
    spec = ReportSpec(
        start=base.start, end=base.end, interval=base.interval, date_bin="cumulative",
        group_by=(dimension,),
    )  # fmt: skip
    result = outlay.report(spec, principal=session.principal, workspace=workspace)
    values = [str(r[dimension]) for r in result.rows if r.get(dimension) is not None]
    return JSONResponse({"dimension": dimension, "values": values[:MAX_VALUES]})


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:60] or "workspace"


def _view_of_query(outlay: Outlay, principal: Principal, query: str) -> ReportView:
    params = dict(parse_qsl(query, keep_blank_values=True))
    workspace = _workspace_name(outlay, principal, params.get("workspace"))
    return ReportView.from_query(params, workspace)


@router.post("/reports/save")
def save_report(
    request: Request,
    session: CheckedSession,
    outlay: OutlayDep,
    name: Annotated[str, Form()] = "",
    query: Annotated[str, Form()] = "",
) -> Response:
    try:
        view = _view_of_query(outlay, session.principal, query)
        spec = replace(view.spec(), forecast=view.forecast)
        saved = outlay.save_report(
            name, spec, principal=session.principal, workspace=view.workspace
        )
    except OutlayError as exc:
        return error_page(request, session, exc)
    target = replace(view, report=saved.name)
    return RedirectResponse(target.url() + "&" + urlencode({"notice": "saved", "name": saved.name}),
                            status_code=303)  # fmt: skip


@router.get("/reports/saved")
def saved_reports(request: Request, session: Session, outlay: OutlayDep) -> HTMLResponse:
    try:
        workspace = _workspace_name(
            outlay, session.principal, request.query_params.get("workspace")
        )
        found = outlay.saved_reports(session.principal, workspace)
    except OutlayError as exc:
        return error_page(request, session, exc)
    items = []
    for report in found:
        try:
            spec = ReportSpec.from_data(report.spec)
        except OutlayError as exc:
            items.append({"report": report, "url": None, "summary": str(exc)})
            continue
        view = ReportView.from_spec(spec, workspace, report.name)
        period = (
            INTERVAL_LABELS.get(spec.interval, spec.interval)
            if spec.interval
            else f"{spec.start} to {spec.end}"
        )
        grouped = ", ".join(dimension_label(g) for g in spec.group_by) or "no grouping"
        summary = f"{period}, {spec.date_bin}, by {grouped}"
        items.append({"report": report, "url": view.url(), "summary": summary, "spec": spec})
    return render(
        request, "reports_saved.html", session, items=items, workspace=workspace,
        workspaces=visible_workspaces(outlay, session.principal),
        can_edit=session.principal.can(Action.EDIT), notice=notice_of(request),
    )  # fmt: skip


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
    try:
        space = _workspace_name(outlay, principal, workspace)
        spec = outlay.saved_spec(name, principal, space)
        new_name = new_name.strip()
        if new_name != name:
            if any(r.name == new_name for r in outlay.saved_reports(principal, space)):
                raise InputError(f"a report named {new_name!r} exists already; pick another name")
            outlay.save_report(new_name, spec, principal=principal, workspace=space)
            outlay.delete_report(name, principal, space)
    except OutlayError as exc:
        return error_page(request, session, exc)
    return redirect("/reports/saved", workspace=space, notice="renamed", name=new_name)


@router.post("/reports/delete")
def delete_report(
    request: Request,
    session: CheckedSession,
    outlay: OutlayDep,
    workspace: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
) -> Response:
    try:
        space = _workspace_name(outlay, session.principal, workspace)
        outlay.delete_report(name, session.principal, space)
    except OutlayError as exc:
        return error_page(request, session, exc)
    return redirect("/reports/saved", workspace=space, notice="deleted", name=name)


# -- virtual tags ----------------------------------------------------------------------------

_SPLIT_LINE = re.compile(r"^\s*(.+?)\s*:\s*([0-9]+(?:\.[0-9]+)?)\s*%?\s*$")


@dataclass
class DraftValue:
    label: str = ""
    filter: str = ""
    start: str = ""
    end: str = ""


@dataclass
class TagDraft:
    """A tag being edited, as its form fields: values in order, each a name or a split."""

    workspace: str = ""
    original: str = ""
    key: str = ""
    values: list[DraftValue] = field(default_factory=list)
    op: str = ""

    def tag_data(self) -> dict[str, Any]:
        """The tag as the YAML structure, each problem named by its value's number."""
        key = self.key.strip()
        if not key:
            raise InputError("the tag needs a key, e.g. team")
        if key.startswith("cursor:"):
            raise InputError(f"tag key {key!r} is reserved for Cursor's own tags; pick another")
        if not self.values:
            raise InputError("the tag needs at least one value")
        return {"key": key, "values": [_value_data(i, v) for i, v in enumerate(self.values, 1)]}

    def tag_set(self, current: TagSet) -> TagSet:
        """The workspace's tags with this one added, or in place of the one being edited."""
        data = self.tag_data()
        others = [t.to_data() for t in current.tags]
        replaced = self.original or data["key"]
        if data["key"] != replaced and data["key"] in current:
            raise InputError(f"a tag {data['key']!r} exists already; pick another key")
        if replaced in current:
            index = current.keys.index(replaced)
            others[index] = data
        else:
            others.append(data)
        text = yaml.safe_dump(others, sort_keys=False, allow_unicode=True)
        return parse_tags_yaml(text, "tags")


def _value_data(number: int, value: DraftValue) -> dict[str, Any]:
    where = f"value {number}"
    lines = [line for line in value.label.splitlines() if line.strip()]
    item: dict[str, Any] = {}
    if not lines:
        raise InputError(f"{where}: give a name, or 'Name: percent' lines for a split")
    if len(lines) == 1:
        item["name"] = lines[0].strip()
    else:
        split: dict[str, str] = {}
        total = Decimal(0)
        for line in lines:
            found = _SPLIT_LINE.match(line)
            if found is None:
                raise InputError(
                    f"{where}: split line {line.strip()!r} should read 'Name: percent', "
                    "e.g. 'Platform: 60'"
                )
            if found.group(1) in split:
                raise InputError(f"{where}: the split names {found.group(1)!r} twice")
            split[found.group(1)] = found.group(2)
            total += Decimal(found.group(2))
        if total != 100:
            raise InputError(f"{where}: the split adds up to {total}%, not 100%")
        item["split"] = split
    if not value.filter.strip():
        raise InputError(f"{where}: needs a filter, e.g. costs.resource = 'ana@acme.example'")
    try:
        parse_vql(value.filter)
    except FilterError as exc:
        raise InputError(f"{where}: {exc}") from None
    item["filter"] = value.filter.strip()
    start, end = _tag_day(value.start, where, "start"), _tag_day(value.end, where, "end")
    if start or end:
        if start and end and end < start:
            raise InputError(f"{where}: ends {end} before it starts {start}")
        item["dates"] = {"start": start, "end": end}
    return item


def _tag_day(text: str, where: str, name: str) -> str | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise InputError(f"{where}: {name} date {text!r} is not YYYY-MM-DD") from None


def draft_of(tags: TagSet, key: str, workspace: str) -> TagDraft:
    tag = tags.get(key)
    values = []
    for value in tag.values:
        data = value.to_data()
        if value.name is not None:
            label = value.name
        else:
            parts = list(data["split"].items())
            label = parts[0][0] if len(parts) == 1 else "\n".join(f"{n}: {p}" for n, p in parts)
        values.append(
            DraftValue(
                label, value.filter_text, value.start.isoformat() if value.start else "",
                value.end.isoformat() if value.end else "",
            )  # fmt: skip
        )
    return TagDraft(workspace, key, key, values)


async def tag_draft(request: Request) -> TagDraft:
    form = await request.form()

    def texts(name: str) -> list[str]:
        return [v if isinstance(v, str) else "" for v in form.getlist(name)]

    def text(name: str) -> str:
        value = form.get(name, "")
        return value if isinstance(value, str) else ""

    rows = zip_longest(
        texts("v_label"), texts("v_filter"), texts("v_start"), texts("v_end"), fillvalue=""
    )
    values = [DraftValue(*row) for row in rows]
    return TagDraft(text("workspace"), text("original"), text("key"), values, text("op"))


DraftDep = Annotated[TagDraft, Depends(tag_draft)]


def tag_preview(
    outlay: Outlay, principal: Principal, draft: TagDraft
) -> tuple[dict[str, Any] | None, str | None]:
    """Cost per value of the draft tag (and Untagged) over the last 30 days, or the problem."""
    try:
        workspace = _workspace_name(outlay, principal, draft.workspace)
        tags = draft.tag_set(outlay.tags(workspace, principal))
        key = draft.key.strip()
        spec = ReportSpec(
            interval="last_30_days", date_bin="cumulative", group_by=(TAG_PREFIX + key,)
        )
        result = outlay.report(spec, tags, principal=principal, workspace=workspace)
    except OutlayError as exc:
        return None, str(exc)
    column = TAG_PREFIX + key
    total = result.total or Decimal(0)
    rows = [
        {
            "name": value_label(column, r.get(column)),
            "untagged": r.get(column) is None,
            "cost": r["cost"],
            "share": Decimal(r["cost"]) * 100 / Decimal(total) if total else None,
        }
        for r in result.rows
    ]
    rows.sort(key=lambda r: (r["untagged"], -r["cost"]))
    return {"rows": rows, "total": total, "start": result.start, "end": result.end}, None


def tags_context(
    outlay: Outlay, principal: Principal, workspace: str, draft: TagDraft | None
) -> dict[str, Any]:
    tags = outlay.tags(workspace, principal)
    return {
        "tags": tags.tags,
        "workspace": workspace,
        "workspaces": visible_workspaces(outlay, principal),
        "draft": draft,
        "can_edit": principal.can(Action.EDIT),
        "group_url": lambda key: ReportView(
            workspace, interval="last_30_days", groupings=(TAG_PREFIX + key,)
        ).url(),
    }


@router.get("/tags")
def tags_page(
    request: Request, session: Session, outlay: OutlayDep, tag: str = "", new: str = ""
) -> HTMLResponse:
    principal = session.principal
    try:
        workspace = _workspace_name(outlay, principal, request.query_params.get("workspace"))
        tags = outlay.tags(workspace, principal)
        draft = None
        if tag:
            if tag not in tags:
                raise NotFoundError(f"no virtual tag {tag!r} (tags: {', '.join(tags.keys)})")
            draft = draft_of(tags, tag, workspace)
        elif new:
            draft = TagDraft(workspace, values=[DraftValue()])
        context = tags_context(outlay, principal, workspace, draft)
    except OutlayError as exc:
        return error_page(request, session, exc)
    return render(request, "tags.html", session, notice=notice_of(request), **context)


@router.post("/tags/edit")
def tags_edit(
    request: Request, session: CheckedSession, outlay: OutlayDep, draft: DraftDep
) -> Response:
    principal = session.principal
    preview = problem = None
    op, _, index_text = draft.op.partition(":")
    index = int(index_text) if index_text.isdigit() else -1
    values = draft.values
    if op == "add":
        values.append(DraftValue())
    elif op == "remove" and 0 <= index < len(values) and len(values) > 1:
        values.pop(index)
    elif op == "up" and 0 < index < len(values):
        values[index - 1], values[index] = values[index], values[index - 1]
    elif op == "down" and 0 <= index < len(values) - 1:
        values[index + 1], values[index] = values[index], values[index + 1]
    elif op == "preview":
        preview, problem = tag_preview(outlay, principal, draft)
    elif op == "save":
        try:
            workspace = _workspace_name(outlay, principal, draft.workspace)
            tags = draft.tag_set(outlay.tags(workspace, principal))
            outlay.replace_tags(tags, workspace, principal)
        except OutlayError as exc:
            problem = str(exc)
        else:
            key = draft.key.strip()
            return redirect(
                "/tags", workspace=workspace, tag=key, notice="tag_saved", name=key
            )
    try:
        workspace = _workspace_name(outlay, principal, draft.workspace)
        context = tags_context(outlay, principal, workspace, draft)
    except OutlayError as exc:
        return error_page(request, session, exc)
    return render(
        request, "tags.html", session, 400 if problem else 200, preview=preview,
        problem=problem, **context,
    )  # fmt: skip


@router.post("/tags/preview")
def tags_preview(
    request: Request, session: CheckedSession, outlay: OutlayDep, draft: DraftDep
) -> HTMLResponse:
    """The preview table alone, for the editor's script to show as the user types."""
    preview, problem = tag_preview(outlay, session.principal, draft)
    return render(request, "_tag_preview.html", session, preview=preview, problem=problem)


@router.post("/tags/delete")
def tags_delete(
    request: Request,
    session: CheckedSession,
    outlay: OutlayDep,
    workspace: Annotated[str, Form()] = "",
    key: Annotated[str, Form()] = "",
) -> Response:
    try:
        space = _workspace_name(outlay, session.principal, workspace)
        outlay.delete_tag(key, space, session.principal)
    except OutlayError as exc:
        return error_page(request, session, exc)
    return redirect("/tags", workspace=space, notice="tag_deleted", name=key)


async def uploaded_yaml(request: Request) -> tuple[str, str]:
    """(text, source) of a tags file: the uploaded file if one was chosen, else the textarea."""
    form = await request.form()
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        body = await upload.read(MAX_UPLOAD + 1)
        if len(body) > MAX_UPLOAD:
            raise InputError(f"{upload.filename}: the file is over {MAX_UPLOAD:,} bytes")
        try:
            return body.decode("utf-8"), upload.filename
        except UnicodeDecodeError:
            raise InputError(f"{upload.filename}: the file is not UTF-8 text") from None
    text = form.get("yaml", "")
    return (text if isinstance(text, str) else ""), "pasted YAML"


@router.post("/tags/import")
def tags_import(
    request: Request,
    session: CheckedSession,
    outlay: OutlayDep,
    upload: Annotated[tuple[str, str], Depends(uploaded_yaml)],
    workspace: Annotated[str, Form()] = "",
) -> Response:
    text, source = upload
    principal = session.principal
    try:
        space = _workspace_name(outlay, principal, workspace)
        if not text.strip():
            raise InputError("paste the YAML or choose a file to import")
        outlay.import_tags(text, source, space, principal)
    except OutlayError as exc:
        try:
            context = tags_context(outlay, principal, _workspace_name(outlay, principal, None), None)
        except OutlayError:
            return error_page(request, session, exc)
        status, _ = status_of(exc)
        return render(
            request, "tags.html", session, status, import_error=str(exc), import_text=text,
            **context,
        )  # fmt: skip
    return redirect("/tags", workspace=space, notice="tags_imported")


@router.get("/tags/export.yaml")
def tags_export(request: Request, session: Session, outlay: OutlayDep) -> Response:
    workspace = _workspace_name(outlay, session.principal, request.query_params.get("workspace"))
    tags = outlay.tags(workspace, session.principal)
    return Response(
        tags.to_yaml(),
        media_type="application/yaml; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="outlay-tags-{_slug(workspace)}.yaml"'},
    )  # fmt: skip


# -- workspaces, users, API tokens -----------------------------------------------------------


def tokens_context(outlay: Outlay, principal: Principal) -> dict[str, Any]:
    tokens = outlay.access.credentials(principal.user_id, "token") if principal.user_id else []
    return {"tokens": list(reversed(tokens)), "token_days": TOKEN_DAYS}


def admin_context(outlay: Outlay, principal: Principal) -> dict[str, Any]:
    accounts = outlay.accounts(principal)
    spaces = [w for w in outlay.access.workspaces() if principal.sees(w.id)]
    by_space = []
    for space in spaces:
        ids = outlay.access.account_ids(frozenset({space.id}))
        by_space.append((space.name, [a.name for a in accounts if a.id in ids]))
    users = []
    if principal.can(Action.OWN):
        names = {w.id: w.name for w in outlay.access.workspaces()}
        for user in outlay.access.users():
            member = sorted(names[i] for i in outlay.access.user_workspace_ids(user.id))
            users.append({"email": user.email, "role": user.role, "workspaces": member})
    return {
        "spaces": by_space,
        "workspaces": [w.name for w in spaces],
        "accounts": [a.name for a in accounts],
        "users": users,
        "roles": ROLES,
        "can_own": principal.can(Action.OWN),
        **tokens_context(outlay, principal),
    }


def admin_page(
    request: Request, session: SessionAuth, outlay: Outlay, status: int = 200, **extra: Any
) -> HTMLResponse:
    try:
        session.principal.require(Action.ADMIN)
    except OutlayError as exc:
        return error_page(request, session, exc)
    context = admin_context(outlay, session.principal)
    return render(request, "admin.html", session, status, notice=notice_of(request),
                  **{**context, **extra})  # fmt: skip


def tokens_page(
    request: Request, session: SessionAuth, outlay: Outlay, status: int = 200, **extra: Any
) -> HTMLResponse:
    context = tokens_context(outlay, session.principal)
    return render(request, "tokens.html", session, status, notice=notice_of(request),
                  **{**context, **extra})  # fmt: skip


@router.get("/admin")
def admin(request: Request, session: Session, outlay: OutlayDep) -> HTMLResponse:
    return admin_page(request, session, outlay)


@router.post("/admin/workspaces")
def add_workspace(
    request: Request, session: CheckedSession, outlay: OutlayDep,
    name: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    try:
        added = outlay.add_workspace(name, session.principal)
    except OutlayError as exc:
        status, _ = status_of(exc)
        if status == 403:
            return error_page(request, session, exc)
        return admin_page(request, session, outlay, status, workspace_error=str(exc))
    return redirect("/admin", notice="workspace_added", name=added.name)


@router.post("/admin/users")
def add_user(
    request: Request,
    session: CheckedSession,
    outlay: OutlayDep,
    email: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "viewer",
    password: Annotated[str, Form()] = "",
    workspaces: Annotated[list[str] | None, Form()] = None,
) -> Response:
    try:
        user = outlay.add_user(email, role, password, workspaces or None, session.principal)
    except OutlayError as exc:
        status, _ = status_of(exc)
        if status == 403:
            return error_page(request, session, exc)
        return admin_page(request, session, outlay, status, user_error=str(exc), user_email=email)
    return redirect("/admin", notice="user_added", name=user.email)


@router.get("/tokens")
def tokens(request: Request, session: Session, outlay: OutlayDep) -> HTMLResponse:
    return tokens_page(request, session, outlay)


def _back_page(
    request: Request, session: SessionAuth, outlay: Outlay, back: str, **extra: Any
) -> HTMLResponse:
    if back == "/admin" and session.principal.can(Action.ADMIN):
        return admin_page(request, session, outlay, **extra)
    return tokens_page(request, session, outlay, **extra)


@router.post("/tokens")
def create_token(
    request: Request,
    session: CheckedSession,
    outlay: OutlayDep,
    name: Annotated[str, Form()] = "",
    days: Annotated[str, Form()] = "365",
    back: Annotated[str, Form()] = "/tokens",
) -> Response:
    principal = session.principal
    try:
        lifetime = int(days)
        if str(lifetime) not in dict(TOKEN_DAYS):
            raise InputError(f"a token lasts {', '.join(d for d, _ in TOKEN_DAYS)} days (0: never)")
        secret = outlay.create_token(principal.email, name.strip()[:100], lifetime or None)
    except (OutlayError, ValueError) as exc:
        return _back_page(request, session, outlay, back, token_error=str(exc))
    # Shown once, on this page only: the store keeps just its hash.
    return _back_page(request, session, outlay, back, new_token=secret, new_token_name=name)


@router.post("/tokens/revoke")
def revoke_token(
    request: Request,
    session: CheckedSession,
    outlay: OutlayDep,
    token_id: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/tokens",
) -> Response:
    principal = session.principal
    mine = outlay.access.credentials(principal.user_id, "token") if principal.user_id else []
    found = next((c for c in mine if str(c.id) == token_id), None)
    if found is None:
        return error_page(request, session, NotFoundError("no such token of yours"))
    outlay.revoke(found)
    return redirect("/admin" if back == "/admin" else "/tokens", notice="token_revoked")
