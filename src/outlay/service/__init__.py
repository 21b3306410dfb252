"""The application: settings, stores and providers wired once, used by the CLI and the web app.

Every user-facing operation is a method of ``Outlay``, so each surface is a thin rendering of
the same calls. The methods live in one module per concern and every public one checks the
principal it is given (the local command line is an owner):

- ``core``: settings, stores, the clock, workspace lookup and the ``requires`` check;
- ``accounts``: connect, list, attach, remove, sync, and the "Sync now" queue decision;
- ``reports``: reports, saved reports and virtual tags;
- ``exports``: a report scope as a FOCUS 1.2 file;
- ``seats``: an account's seat price and the seat cost rows it turns on;
- ``identity``: workspaces, users, API tokens, sign-in and sessions;
- ``lifecycle``: a user's role, workspaces, disabling, removal, passwords and invitations;
- ``audit``: the ``@audited`` declaration and the append-only audit log;
- ``trust``: reconciliation with the provider's spend, and completeness per day;
- ``guardrails``: guardrail events, recorded once each with their deliveries queued;
- ``channels``, ``delivery``: notification channels, and the queue that sends to them;
- ``sso``: OIDC single sign-on and group mapping;
- ``budgets``, ``digests``: budgets, Cursor member limits and report digests;
- ``alerts``, ``anomalies``: cost alert rules and anomaly watches;
- ``guardrail_run``: ``run_guardrails``, every guardrail evaluated and what is due sent (first
  in the bases: it builds on all of the above, which build on ``Reports`` and ``Guardrails``).
"""

from __future__ import annotations

from outlay.service.accounts import PROVIDERS, Accounts
from outlay.service.core import HttpFactory, default_http, requires
from outlay.service.exports import Exports
from outlay.service.guardrail_run import Guardrail, GuardrailRun
from outlay.service.identity import SESSION_LIFETIME, TOKEN_DAYS, TOKEN_PREFIX
from outlay.service.lifecycle import Lifecycle
from outlay.service.reports import TAGS_DOCUMENT, Reports
from outlay.service.seats import Seats
from outlay.service.sso import Sso
from outlay.service.sync_queue import SyncQueue
from outlay.service.trust import Trust


class Outlay(Guardrail, Seats, Accounts, Exports, Reports, Sso, Lifecycle, Trust):
    """The one service object; see the package docstring for where each method lives."""


__all__ = [
    "PROVIDERS",
    "SESSION_LIFETIME",
    "TAGS_DOCUMENT",
    "TOKEN_DAYS",
    "TOKEN_PREFIX",
    "GuardrailRun",
    "HttpFactory",
    "Outlay",
    "SyncQueue",
    "default_http",
    "requires",
]
