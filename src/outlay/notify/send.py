"""Sending: an HTTP POST (webhook, Slack, Teams) or an e-mail over SMTP, as one ``Attempt``.

An attempt's ``error`` is one line a person reads on the Channels page. It never holds the
target URL, the secret or the SMTP password: exceptions are described by kind, not printed.
"""

from __future__ import annotations

import contextvars
import logging
import smtplib
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from outlay.notify.mail import Mail

if TYPE_CHECKING:
    import httpx

#: Connect, read and write limits of one webhook POST: a slow receiver holds one delivery
#: for at most this long, never the queue.
HTTP_TIMEOUT_S = 10.0
HTTP_CONNECT_TIMEOUT_S = 5.0
SMTP_TIMEOUT_S = 20.0
#: How much of a refusing receiver's answer is kept in the error (Slack says why in it).
ANSWER_CHARS = 120

_quiet = contextvars.ContextVar("outlay_quiet_httpx", default=False)


class _NoUrlLogs(logging.Filter):
    """httpx logs every request's URL at INFO; a webhook URL is a credential."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not _quiet.get()


logging.getLogger("httpx").addFilter(_NoUrlLogs())


@dataclass(frozen=True)
class Attempt:
    ok: bool
    #: Worth trying again (network errors, 429, 5xx, a busy mail server).
    retry: bool
    http_status: int | None = None
    error: str | None = None
    retry_after: timedelta | None = None


def _redact(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "…")
    return " ".join(text.split())


def _retry_after(value: str | None, now: datetime) -> timedelta | None:
    from outlay.providers.cursor.policy import parse_retry_after

    seconds = parse_retry_after(value, now.replace(tzinfo=UTC))
    return None if seconds is None else timedelta(seconds=seconds)


def _network_error(exc: Exception) -> str:
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return f"no answer within {HTTP_TIMEOUT_S:g} s ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError):
        return "could not connect to the receiver"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the receiver closed the connection without an answer"
    return f"network error ({type(exc).__name__})"


def post(
    client: httpx.Client, url: str, body: bytes, headers: dict[str, str], *,
    secrets: Sequence[str] = (), now: datetime,
) -> Attempt:  # fmt: skip
    """POST ``body``; 2xx is delivered, 429 and 5xx (and network errors) are worth a retry,
    anything else is not. ``secrets``: strings to cut from a quoted answer."""
    import httpx

    timeout = httpx.Timeout(HTTP_TIMEOUT_S, connect=HTTP_CONNECT_TIMEOUT_S)
    token = _quiet.set(True)
    try:
        response = client.post(url, content=body, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        return Attempt(False, True, None, _network_error(exc))
    finally:
        _quiet.reset(token)
    status = response.status_code
    if 200 <= status < 300:
        return Attempt(True, False, status)
    answer = _redact(response.text[:ANSWER_CHARS], [url, *secrets])
    error = f"the receiver answered HTTP {status}" + (f": {answer}" if answer else "")
    retry = status == 429 or status >= 500 or 300 <= status < 400
    wait = _retry_after(response.headers.get("retry-after"), now) if status == 429 else None
    return Attempt(False, retry, status, error, wait)


@dataclass(frozen=True)
class SmtpServer:
    """``OUTLAY_SMTP_URL`` taken apart. ``repr`` hides the password."""

    implicit_tls: bool
    host: str
    port: int
    user: str | None
    password: str | None

    def __repr__(self) -> str:
        return f"SmtpServer({self.host}:{self.port}, tls={self.implicit_tls})"

    @classmethod
    def parse(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        implicit = parts.scheme == "smtps"
        user = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        port = parts.port or (465 if implicit else 25)
        return cls(implicit, parts.hostname or "", port, user, password)


def compose(mail: Mail, sender: str, recipients: Sequence[str], delivery_id: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = mail.subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["X-Outlay-Delivery"] = delivery_id
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


@contextmanager
def _connect(server: SmtpServer) -> Iterator[smtplib.SMTP]:
    context = ssl.create_default_context()
    if server.implicit_tls:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            server.host, server.port, timeout=SMTP_TIMEOUT_S, context=context
        )
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=SMTP_TIMEOUT_S)
    with smtp:
        smtp.ehlo()
        if not server.implicit_tls and smtp.has_extn("starttls"):
            smtp.starttls(context=context)
            smtp.ehlo()
        yield smtp


def send_mail(server: SmtpServer, message: EmailMessage) -> Attempt:
    """Hand the message to the SMTP server; accepted for every recipient is delivered."""
    from outlay.providers.cursor.base_url import is_loopback

    secrets = [s for s in (server.password, server.user) if s]
    try:
        with _connect(server) as smtp:
            encrypted = server.implicit_tls or isinstance(smtp.sock, ssl.SSLSocket)
            if server.user:
                if not encrypted and not is_loopback(server.host):
                    return Attempt(False, False, None, "the SMTP server offers no STARTTLS; "
                                   "refusing to send the password unencrypted")  # fmt: skip
                smtp.login(server.user, server.password or "")
            refused = smtp.send_message(message)
    except smtplib.SMTPResponseException as exc:
        said = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
        error = f"the SMTP server answered {exc.smtp_code}: {_redact(said, secrets)[:ANSWER_CHARS]}"
        return Attempt(False, 400 <= exc.smtp_code < 500, None, error)
    except smtplib.SMTPRecipientsRefused as exc:
        return Attempt(False, False, None, f"the SMTP server refused every recipient "
                       f"({len(exc.recipients)})")  # fmt: skip
    except (smtplib.SMTPException, OSError) as exc:
        return Attempt(False, True, None, f"could not reach the SMTP server ({type(exc).__name__})")
    if refused:
        return Attempt(False, False, None, f"the SMTP server refused {', '.join(sorted(refused))}")
    return Attempt(True, False)
