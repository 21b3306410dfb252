"""The demo's guardrails: a planted spike, a budget close to its amount, and a webhook channel
that delivers to a signature-checking receiver on loopback, all evaluated once at the end."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_UP, Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from outlay.access import new_secret
from outlay.cli.render import console
from outlay.report.spec import ReportSpec

if TYPE_CHECKING:
    from outlay.service import Outlay
    from outlay.testing.cursor_fake import TeamSpec

CHANNEL = "demo-hook"
#: The planted spike: yesterday's busiest user x model runs this many times its usual tokens,
#: as a service account stuck in a loop would. (The fake's daily costs are heavy-tailed, so
#: the detector's band for a busy user is wide: a 10x day of such a user is within it.)
SPIKE_FACTOR = 100


def with_spike(spec: TeamSpec, today: date) -> TeamSpec:
    """``spec`` with a spike on yesterday's busiest user and model (yesterday is whole, so the
    anomaly is the same whatever hour the demo runs)."""
    from outlay.testing.cursor_fake import FakeTeam, Spike

    day = today - timedelta(days=1)
    email, model = FakeTeam(spec).busiest(day)
    return replace(spec, spikes=(Spike(email, model, day, SPIKE_FACTOR),))


@dataclass
class Receiver:
    """A webhook receiver that keeps each delivery once (by ``X-Outlay-Delivery``) and only
    when its ``X-Outlay-Signature-256`` matches the shared secret."""

    secret: str = field(default_factory=new_secret)
    received: dict[str, dict[str, object]] = field(default_factory=dict)
    refused: int = 0

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                mac = hmac.new(receiver.secret.encode(), body, hashlib.sha256).hexdigest()
                signed = self.headers.get("X-Outlay-Signature-256", "")
                if hmac.compare_digest(signed, "sha256=" + mac):
                    receiver.received[self.headers["X-Outlay-Delivery"]] = json.loads(body)
                    self.send_response(204)
                else:
                    receiver.refused += 1
                    self.send_response(401)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass  # the demo prints what arrived itself

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/outlay"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def show_guardrails(outlay: Outlay, receiver: Receiver) -> None:
    """Add a webhook channel, a monthly budget a little under the last 30 days' spend and an
    anomaly watch on user x model, run the guardrails once, and print what fired and what
    arrived."""
    from outlay.alerts.budget import Budget

    out = console()
    outlay.add_channel("webhook", CHANNEL, receiver.url, secret=receiver.secret)
    today = outlay.today()
    last_30 = outlay.report(
        ReportSpec(start=today - timedelta(days=30), end=today - timedelta(days=1),
                   date_bin="cumulative")
    )  # fmt: skip
    spent = Decimal(last_30.total or 0)
    amount = max(Decimal(1), (spent * Decimal("0.009")).to_integral_value(ROUND_UP)) * 100
    outlay.add_budget(Budget("Team", amount, forecast_alert=True, channels=(CHANNEL,)))
    outlay.add_anomaly_watch("users-by-model", notify=[CHANNEL],
                             group_by=("resource", "service"))  # fmt: skip
    run = outlay.run_guardrails()
    out.print(f"\nGuardrails (budget 'Team' of ${amount:,.0f} a month, anomaly watch on user x "
              f"model, webhook channel '{CHANNEL}'):", markup=False)  # fmt: skip
    for event in run.fired:
        if event.channels:
            out.print(f"  {event.kind}: {event.message}", markup=False, soft_wrap=True)
    quiet = sum(1 for e in run.fired if not e.channels)
    if quiet:
        out.print(f"  (and {quiet} more from the built-in anomaly watch, shown on Anomalies)")
    sent = run.deliveries
    out.print(
        f"  Webhook: {sent.delivered} delivered, {sent.retrying} to retry, {sent.failed} failed; "
        f"the receiver checked {len(receiver.received)} signature(s) and refused "
        f"{receiver.refused}.",
        markup=False,
    )
