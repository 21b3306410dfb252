"""The parts of a notification every channel kind renders: title, message, facts, tables, link."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from outlay.alerts.event import AlertEvent
from outlay.display import dollars

#: A digest lists at most this many rows in a message; the link shows the rest.
MAX_TABLE_ROWS = 25
KIND_TITLES = {
    "budget": "Budget",
    "cost_alert": "Cost alert",
    "anomaly": "Anomaly",
    "digest": "Report digest",
    "test": "Test",
}


@dataclass(frozen=True)
class Table:
    title: str
    head: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Notice:
    """One notification, before it takes a channel's shape. ``body`` is the webhook JSON."""

    id: str
    kind: str  # an event kind, or "test"
    workspace: str
    title: str
    message: str
    facts: tuple[tuple[str, str], ...]
    tables: tuple[Table, ...]
    url: str | None
    body: dict[str, Any]


def _money(text: Any) -> str:
    try:
        return dollars(text)
    except (InvalidOperation, ValueError):
        return str(text)


def _group_text(group: dict[str, str]) -> str:
    return " × ".join(f"{value}" for value in group.values()) or "everything"


def threshold_text(event: AlertEvent) -> str | None:
    """Budgets count thresholds in percent of the budget; a cost alert's is USD unless its
    ``detail`` says ``"threshold_unit": "percent"``."""
    if event.threshold is None:
        return None
    if event.kind == "budget" or event.detail.get("threshold_unit") == "percent":
        return f"{event.threshold.normalize():f}%"
    return dollars(event.threshold)


def event_url(event: AlertEvent, workspace: str, public_url: str | None) -> str | None:
    """The event's report in the web app (the events page when it names none)."""
    if not public_url:
        return None
    path = event.report_path or "/alerts/events?" + urlencode({"workspace": workspace})
    return public_url.rstrip("/") + (path if path.startswith("/") else "/" + path)


def _facts(event: AlertEvent) -> list[tuple[str, str]]:
    facts = [(dimension, value) for dimension, value in event.group.items()]
    if event.period_start == event.period_end:
        facts.append(("Day", event.period_start.isoformat()))
    else:
        facts.append(("Period", f"{event.period_start} to {event.period_end}"))
    facts.append(("Forecast" if event.forecast else "Amount", dollars(event.amount)))
    threshold = threshold_text(event)
    if threshold is not None:
        facts.append(("Threshold", threshold))
    if event.expected is not None:
        facts.append(("Expected", dollars(event.expected)))
    return facts


def _digest(detail: dict[str, Any]) -> tuple[list[tuple[str, str]], list[Table]]:
    facts = [("Total", _money(detail.get("total", "0")))]
    if detail.get("previous") is not None:
        facts.append(("Previous period", _money(detail["previous"])))
    if detail.get("change_pct") is not None:
        facts.append(("Change", f"{Decimal(str(detail['change_pct'])):+.1f}%"))
    tables = []
    movers = detail.get("movers") or []
    if movers:
        rows = tuple(
            (str(m["group"]), _money(m["amount"]), _money(m["change"]))
            for m in movers[:MAX_TABLE_ROWS]
        )
        tables.append(Table("Top movers", ("Group", "Amount", "Change"), rows))
    lines = detail.get("rows") or []
    if lines:
        cells = tuple((str(label), _money(value)) for label, value in lines[:MAX_TABLE_ROWS])
        tables.append(Table("Costs", ("Group", "Amount"), cells))
    return facts, tables


def _title(event: AlertEvent) -> str:
    what = event.detail.get("report") if event.kind == "digest" else None
    title = f"{KIND_TITLES[event.kind]} {what or event.rule}"
    if event.kind == "budget" and event.threshold is not None:
        reach = "forecast to reach" if event.forecast else "reached"
        title += f" {reach} {threshold_text(event)}"
    elif event.kind == "anomaly":
        title += f": {_group_text(event.group)}"
    return title


def webhook_body(event: AlertEvent, workspace: str, url: str | None) -> dict[str, Any]:
    """The webhook contract's JSON body (README: Channels and the webhook contract)."""
    body: dict[str, Any] = {
        "id": event.id,
        "kind": event.kind,
        "rule": event.rule,
        "workspace": workspace,
        "period": {"start": event.period_start.isoformat(), "end": event.period_end.isoformat()},
        "group": dict(event.group),
        "amount": format(event.amount, "f"),
    }
    if event.threshold is not None:
        body["threshold"] = format(event.threshold, "f")
    if event.expected is not None:
        body["expected"] = format(event.expected, "f")
    if event.kind == "budget":
        body["forecast"] = event.forecast
    body["message"] = event.message
    if event.detail:
        body["detail"] = event.detail
    if url is not None:
        body["url"] = url
    return body


def notice_of(event: AlertEvent, workspace: str, public_url: str | None) -> Notice:
    url = event_url(event, workspace, public_url)
    facts, tables = _facts(event), list[Table]()
    if event.kind == "digest":
        digest_facts, tables = _digest(event.detail)
        facts = [f for f in facts if f[0] != "Amount"] + digest_facts
    return Notice(
        id=event.id, kind=event.kind, workspace=workspace, title=_title(event),
        message=event.message, facts=tuple(facts), tables=tuple(tables), url=url,
        body=webhook_body(event, workspace, url),
    )  # fmt: skip


def trial_notice(test_id: str, channel: str, workspace: str, public_url: str | None) -> Notice:
    """What "send test" sends: proof the channel works, with no event behind it."""
    url = None
    if public_url:
        url = public_url.rstrip("/") + "/channels?" + urlencode({"workspace": workspace})
    message = f"Test from outlay: channel {channel} of workspace {workspace} works."
    body: dict[str, Any] = {
        "id": test_id, "kind": "test", "rule": None, "workspace": workspace,
        "period": None, "group": {}, "amount": None, "message": message,
    }  # fmt: skip
    if url is not None:
        body["url"] = url
    return Notice(
        id=test_id, kind="test", workspace=workspace, title=f"Test of channel {channel}",
        message=message, facts=(("Workspace", workspace),), tables=(), url=url, body=body,
    )  # fmt: skip
