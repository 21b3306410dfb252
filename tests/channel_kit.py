"""Real receivers on loopback for the channel tests: an HTTP server that records what it gets
and answers as told, an SMTP server (aiosmtpd) with STARTTLS or implicit TLS and a login, and
a throwaway certificate for 127.0.0.1 made with ``cryptography``."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from outlay.alerts.event import AlertEvent, EventKind, event_id

SMTP_USER = "mailer"
SMTP_PASSWORD = "s3cret-smtp-pass"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """``answers``: what the next requests get, in order (a status, or "drop" to close the
    connection without an answer); once empty, 200. ``headers`` go with every answer."""

    url: str
    received: list[Received] = field(default_factory=list)
    answers: list[int | str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)


@contextmanager
def http_receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state.received.append(Received(self.path, dict(self.headers.items()), body))
            answer = state.answers.pop(0) if state.answers else 200
            if answer == "drop":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            assert isinstance(answer, int)
            self.send_response(answer)
            for name, value in state.headers.items():
                self.send_header(name, value)
            text = b"ok" if answer < 300 else b"no_service"
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/T0/B0/secret-path-token"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def make_cert(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "outlay test mail")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class Inbox:
    """What the SMTP server accepted: (envelope sender, recipients, parsed message)."""

    port: int = 0
    mails: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.mails.append((str(envelope.mail_from), list(envelope.rcpt_tos), parsed))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server(cert: tuple[Path, Path], *, implicit_tls: bool = False) -> Iterator[Inbox]:
    """STARTTLS required before AUTH and mail, login required; or TLS from the first byte
    (where aiosmtpd offers AUTH only when told TLS is not required: the test checks the login)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*cert)
    inbox = Inbox(port=_free_port())

    def authenticate(server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                     data: Any) -> AuthResult:  # fmt: skip
        ok = (
            isinstance(data, LoginPassword)
            and data.login == SMTP_USER.encode()
            and data.password == SMTP_PASSWORD.encode()
        )
        if ok:
            inbox.logins.append(SMTP_USER)
        return AuthResult(success=ok, handled=False)

    # aiosmtpd counts only STARTTLS as TLS for AUTH; with implicit TLS every byte is encrypted.
    tls: dict[str, Any] = (
        {"ssl_context": context, "auth_require_tls": False}
        if implicit_tls
        else {"tls_context": context, "require_starttls": True, "auth_required": True}
    )
    controller = Controller(
        inbox, hostname="127.0.0.1", port=inbox.port, authenticator=authenticate,
        **tls,
    )  # fmt: skip
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@contextmanager
def plain_smtp_server() -> Iterator[Inbox]:
    """A local relay: no TLS, no login."""
    inbox = Inbox(port=_free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def make_event(
    kind: EventKind = "budget",
    *,
    workspace_id: int = 1,
    rule: str = "platform",
    channels: tuple[str, ...] = ("ops",),
    threshold: str | None = "80",
    **changes: Any,
) -> AlertEvent:
    start = date(2026, 11, 1)
    group = changes.pop("group", {"resource": "ada@example.com"})
    fields: dict[str, Any] = {
        "id": event_id(kind, workspace_id, rule, group, start, threshold),
        "kind": kind,
        "workspace_id": workspace_id,
        "rule": rule,
        "group": group,
        "period_start": start,
        "period_end": date(2026, 11, 30),
        "amount": Decimal("3210.1234567891"),
        "message": "ada@example.com spent $3,210.12 of the $4,000 Platform budget (80%)",
        "channels": channels,
        "threshold": None if threshold is None else Decimal(threshold),
        "report_path": "/reports?workspace=Default&filter=x",
    }
    fields.update(changes)
    return AlertEvent(**fields)
