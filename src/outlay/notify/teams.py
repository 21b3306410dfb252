"""A Microsoft Teams message: one Adaptive Card in the message envelope that Teams incoming
webhooks and Workflows ("post to a channel when a webhook request is received") accept."""

from __future__ import annotations

from typing import Any

from outlay.notify.notice import Notice

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
#: 1.4 renders in Teams on every client, and in Workflows cards.
CARD_VERSION = "1.4"


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _facts(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    return {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in pairs]}


def teams_payload(notice: Notice) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        _text(notice.title, size="Large", weight="Bolder"),
        _text(notice.message),
    ]
    if notice.facts:
        body.append(_facts(list(notice.facts)))
    for table in notice.tables:
        # FactSet, not Table (1.5): a label and the rest of the row, on every Teams client.
        body.append(_text(table.title, weight="Bolder", spacing="Medium"))
        body.append(_facts([(row[0], " · ".join(row[1:])) for row in table.rows]))
    body.append(_text(f"outlay · workspace {notice.workspace}", isSubtle=True, size="Small"))
    card: dict[str, Any] = {
        "$schema": CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
    }
    if notice.url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open in outlay", "url": notice.url}]
    return {
        "type": "message",
        "attachments": [{"contentType": CARD_TYPE, "contentUrl": None, "content": card}],
    }
