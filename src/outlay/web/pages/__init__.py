"""Server-rendered pages. Every view's state is in its URL; every form carries a CSRF token.

Pages call the same ``Outlay`` methods as the API and the CLI, and those methods check the
signed-in user's role and workspaces; the templates only hide what a role may not use. Page
handlers do not catch ``OutlayError``: the app's one handler (``web/errors.py``) shows its
one-line message on the error page, or on the form a route names with ``shows_errors_on``.
"""

from __future__ import annotations

from fastapi import APIRouter

from outlay.web.pages import (
    admin,
    alerts,
    audit,
    auth,
    budgets,
    channels,
    integrations,
    links,
    reports,
    sso,
    tag_import,
    tags,
    trust,
    users,
)

router = APIRouter(include_in_schema=False)
for module in (
    auth, integrations, reports, tags, tag_import, admin, trust, users, links, audit, sso,
    channels, budgets, alerts,
):  # fmt: skip
    router.include_router(module.router)
