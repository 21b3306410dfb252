"""An e-mail: subject, plain text and a simple HTML part (no images, no external links but one)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from outlay.notify.notice import Notice, Table
from outlay.notify.slack import table_text


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str
    html: str


def _cell(text: str, *, right: bool) -> str:
    align = ' align="right"' if right else ""
    return f"<td{align}>{escape(text)}</td>"


def _html_table(table: Table) -> str:
    head = "".join(f'<th align="left">{escape(h)}</th>' for h in table.head)
    rows = "".join(
        "<tr>" + "".join(_cell(cell, right=i > 0) for i, cell in enumerate(row)) + "</tr>"
        for row in table.rows
    )
    return (
        f'<h3>{escape(table.title)}</h3><table cellpadding="4" cellspacing="0" '
        f'border="1"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
    )


def mail_of(notice: Notice) -> Mail:
    subject = f"[outlay] {notice.title}".replace("\r", " ").replace("\n", " ")
    text = [notice.message, ""]
    text += [f"{label}: {value}" for label, value in notice.facts]
    for table in notice.tables:
        text += ["", table.title, table_text(table)]
    if notice.url:
        text += ["", f"Open in outlay: {notice.url}"]
    text += ["", f"-- outlay, workspace {notice.workspace}"]
    facts = "".join(
        f'<tr><th align="left">{escape(k)}</th><td>{escape(v)}</td></tr>' for k, v in notice.facts
    )
    parts = [f"<h2>{escape(notice.title)}</h2>", f"<p>{escape(notice.message)}</p>"]
    if facts:
        parts.append(f'<table cellpadding="4" cellspacing="0">{facts}</table>')
    parts += [_html_table(t) for t in notice.tables]
    if notice.url:
        parts.append(f'<p><a href="{escape(notice.url)}">Open in outlay</a></p>')
    parts.append(f'<p style="color:#666">outlay · workspace {escape(notice.workspace)}</p>')
    return Mail(subject, "\n".join(text) + "\n", "<html><body>" + "".join(parts) + "</body></html>")


def invitation_mail(link: str, workspace: str, role: str, expires: str) -> Mail:
    """The e-mail that carries an invitation's one-time link."""
    subject = f"You are invited to outlay ({workspace}, {role})"
    text = (
        f"You are invited to the outlay workspace {workspace} as {role}.\n\n"
        f"Set your password here (the link works once, until {expires}):\n{link}\n"
    )
    html = (
        f"<p>You are invited to the outlay workspace <b>{escape(workspace)}</b> as "
        f'{escape(role)}.</p><p><a href="{escape(link)}">Set your password</a> (the link '
        f"works once, until {escape(expires)}).</p>"
    )
    return Mail(subject, text, html)
