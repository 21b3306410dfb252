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
from starlette.exceptions import HTTPException as StarletteHTTPException

from outlay.config import Settings
from outlay.errors import OutlayError
from outlay.service import Outlay
from outlay.web import api, pages
from outlay.web.errors import error_body, handle_outlay_error
from outlay.web.scheduler import Scheduler

STATIC = Path(str(files("outlay.web") / "static"))


def plotly_js() -> Path:
    """The chart library, from the installed plotly package: never a CDN, nothing vendored."""
    return Path(str(files("plotly") / "package_data" / "plotly.min.js"))


def create_app(
    settings: Settings, *, outlay: Outlay | None = None, scheduler: bool = True
) -> FastAPI:
    service = outlay or Outlay(settings)
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
    app.add_exception_handler(OutlayError, handle_outlay_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.include_router(api.router)
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


async def _invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problem = exc.errors()[0]
    where = ".".join(str(p) for p in problem.get("loc", ()) if p != "body") or "request"
    return error_body(400, "bad_request", f"{where}: {problem.get('msg', 'invalid')}")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = "not_found" if exc.status_code == 404 else "error"
    return error_body(exc.status_code, code, str(exc.detail))
