"""A Slack incoming-webhook message in Block Kit: header, message, fields, tables, a button.

Limits from Slack's Block Kit reference: a header's text is at most 150 characters, a section's
text 3,000, a section has at most 10 fields of 2,000 characters each.
"""

from __future__ import annotations

from typing import Any

from outlay.notify.notice import Notice, Table

HEADER_MAX = 150
TEXT_MAX = 3000
FIELDS_MAX = 10
FIELD_MAX = 2000


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text: str) -> str:
    """mrkdwn treats &, < and > as control characters (links, mentions)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def table_text(table: Table) -> str:
    """A table as aligned monospace lines (Block Kit has no table block for webhooks)."""
    lines = [table.head, *table.rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(table.head))]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                  for i, cell in enumerate(line))
        for line in lines
    )  # fmt: skip


def slack_payload(notice: Notice) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(_cut(notice.title, HEADER_MAX))},
        {"type": "section", "text": _mrkdwn(_cut(escape(notice.message), TEXT_MAX))},
    ]
    if notice.facts:
        fields = [
            _mrkdwn(_cut(f"*{escape(label)}*\n{escape(value)}", FIELD_MAX))
            for label, value in notice.facts[:FIELDS_MAX]
        ]
        blocks.append({"type": "section", "fields": fields})
    for table in notice.tables:
        title = f"*{escape(table.title)}*\n"
        lines = _cut(escape(table_text(table)), TEXT_MAX - len(title) - 6)
        blocks.append({"type": "section", "text": _mrkdwn(f"{title}```{lines}```")})
    if notice.url:
        button = {"type": "button", "text": _plain("Open in outlay"), "url": notice.url}
        blocks.append({"type": "actions", "elements": [button]})
    context = _mrkdwn(f"outlay · workspace {escape(notice.workspace)}")
    blocks.append({"type": "context", "elements": [context]})
    # ``text`` is the notification's fallback (phone banners, screen readers).
    return {"text": _cut(notice.message, TEXT_MAX), "blocks": blocks}
