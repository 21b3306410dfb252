"""The app's one handler for ``OutlayError``: the status and code come from the error's class.

- ``/api`` routes answer ``{"error": {"code", "message"}}``;
- a page route that declared a form view (``shows_errors_on``) shows the errors the form can
  help with on that form;
- a page without a valid session goes to sign-in;
- every other page error is the error page, with the signed-in user's navigation.

Starlette's own HTTP errors (an unknown path, a wrong method) get the same two shapes: JSON
under ``/api``, the error page everywhere else.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from outlay.errors import OutlayError, UnauthenticatedError
from outlay.web.deps import FormView, SessionAuth, session_of
from outlay.web.pages.common import render


def error_body(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def error_page(request: Request, session: SessionAuth | None, exc: OutlayError) -> HTMLResponse:
    return render(request, "error.html", session, exc.status, message=str(exc), status=exc.status)


def _is_api(request: Request) -> bool:
    return request.url.path == "/api" or request.url.path.startswith("/api/")


async def handle_outlay_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OutlayError)
    if _is_api(request):
        return error_body(exc.status, exc.code, str(exc))
    view = getattr(request.state, "form_view", None)
    if isinstance(view, FormView) and isinstance(exc, view.errors):
        try:
            return view.render(request, exc)
        except OutlayError as again:  # the form's own page failed too: say why, plainly
            return error_page(request, session_of(request), again)
    if isinstance(exc, UnauthenticatedError):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    return error_page(request, session_of(request), exc)


async def handle_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if _is_api(request):
        return error_body(status, "not_found" if status == 404 else "error", str(exc.detail))
    message = (
        f"There is no page at {request.url.path}: check the address, or start from Cost Reports."
        if status == 404
        else str(exc.detail)
    )
    response = render(
        request, "error.html", session_of(request), status, message=message, status=status
    )
    for name, value in (exc.headers or {}).items():  # e.g. Allow on a 405
        response.headers[name] = value
    return response
