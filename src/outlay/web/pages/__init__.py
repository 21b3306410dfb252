"""Server-rendered pages. Every view's state is in its URL; every form carries a CSRF token.

Pages call the same ``Outlay`` methods as the API and the CLI, and those methods check the
signed-in user's role and workspaces; the templates only hide what a role may not use. An
``OutlayError`` from an action is shown on the page (its one-line message), never a traceback.
"""

from __future__ import annotations

from fastapi import APIRouter

from outlay.web.pages import admin, auth, integrations, reports, tags

router = APIRouter(include_in_schema=False)
for module in (auth, integrations, reports, tags, admin):
    router.include_router(module.router)
