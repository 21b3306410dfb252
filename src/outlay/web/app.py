"""``create_app(settings)``: the web app, the REST API and the scheduler in one process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from outlay.config import Settings
from outlay.errors import OutlayError
from outlay.providers.cursor.base_url import allowed_base_urls
from outlay.service import Outlay
from outlay.web import (
    api,
    api_access,
    api_alerts,
    api_budgets,
    api_channels,
    api_exports,
    api_seats,
    api_trust,
    pages,
)
from outlay.web.errors import error_body, handle_http_error, handle_outlay_error
from outlay.web.scheduler import Scheduler

STATIC = Path(str(files("outlay.web") / "static"))
#: Sent with every answer. Pages load scripts only from this server and run no inline script
#: (data travels in <script type="application/json"> blocks, which are never executed); inline
#: styles stay allowed for the chart library, which styles its SVG that way. No other site may
#: frame a page (clickjacking), and no answer is sniffed into another type.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def plotly_js() -> Path:
    """The chart library, from the installed plotly package: never a CDN, nothing vendored."""
    return Path(str(files("plotly") / "package_data" / "plotly.min.js"))


def create_app(
    settings: Settings, *, outlay: Outlay | None = None, scheduler: bool = True
) -> FastAPI:
    service = outlay or Outlay(settings)
    # A malformed OUTLAY_ALLOWED_BASE_URLS stops the server now, not at the first sync.
    allowed_base_urls(settings.allowed_base_urls)
    sync = Scheduler(service)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if scheduler:
            sync.start()
        try:
            yield
        finally:
            sync.stop()

    app = FastAPI(
        title="outlay",
        version="1",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # the interactive docs load from a CDN: not here
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.outlay = service
    app.state.scheduler = sync
    app.add_middleware(SecurityHeaders)
    app.add_exception_handler(OutlayError, handle_outlay_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
    app.include_router(api.router)
    app.include_router(api_exports.router)
    app.include_router(api_exports.page_router)
    app.include_router(api_seats.router)
    app.include_router(api_trust.router)
    app.include_router(api_channels.router)
    app.include_router(api_budgets.router)
    app.include_router(api_alerts.router)
    app.include_router(api_access.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly() -> FileResponse:
        return FileResponse(
            plotly_js(),
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=604800, immutable"},
        )

    return app


class SecurityHeaders:
    """Adds ``SECURITY_HEADERS`` to every HTTP answer (pages, API, static files, errors)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problem = exc.errors()[0]
    where = ".".join(str(p) for p in problem.get("loc", ()) if p != "body") or "request"
    return error_body(400, "bad_request", f"{where}: {problem.get('msg', 'invalid')}")
