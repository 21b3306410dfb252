"""What every page module shares: templates, formatting, rendering, redirects."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from outlay.access import Principal
from outlay.display import dollars
from outlay.report.dimensions import TAG_PREFIX
from outlay.report.spec import MONEY_MEASURES
from outlay.service import Outlay

templates = Jinja2Templates(directory=str(Path(__file__).parent.parent / "templates"))

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
    "user_changed": "Changed {name}.",
    "user_disabled": "Disabled {name}: their sessions and API tokens stop working now.",
    "user_enabled": "Enabled {name} again.",
    "user_removed": "Removed {name} with their sessions and API tokens.",
    "invitation_sent": "Sent the invitation to {name}.",
    "invitation_revoked": "Revoked the invitation.",
    "invitation_accepted": "Welcome, {name}: sign in with the password you chose.",
    "password_reset": "Password changed for {name}: sign in with the new one.",
    "password_changed": "Your password is changed.",
    "seats_saved": "Saved the seat price of {name}; its seat costs are recomputed.",
    "channel_added": "Added channel {name}. Send it a test message to check it.",
    "channel_tested": "Sent a test message to channel {name}.",
    "channel_removed": "Removed channel {name}.",
    "budget_saved": "Saved budget {name}.",
    "budget_removed": "Removed budget {name}.",
    "sso_saved": "Saved the group mapping; it applies at each user's next sign-in.",
}


# -- rendering -------------------------------------------------------------------------------


money = dollars  # the templates' name for it


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


def notice_of(request: Request) -> str | None:
    template = NOTICES.get(request.query_params.get("notice", ""))
    if template is None:
        return None
    names = {k: request.query_params.get(k, "") for k in ("name", "workspace")}
    return template.format_map(names)


def redirect(path: str, **params: str) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v})
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=303)


def visible_workspaces(outlay: Outlay, principal: Principal) -> list[str]:
    return [w.name for w in outlay.workspaces(principal)]


def safe_next(target: str) -> str:
    """Only same-site paths: a login link must not bounce people to another site."""
    parsed = urlparse(target)
    return (
        target
        if target.startswith("/") and not parsed.netloc and not target.startswith("//")
        else "/"
    )


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:60] or "workspace"


def workspace_name(outlay: Outlay, principal: Principal, name: str | None) -> str:
    return outlay.workspace(name or None, principal).name
