"""One error shape for the API: ``{"error": {"code", "message"}}`` with the right status."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from outlay.access import ForbiddenError, UnauthenticatedError
from outlay.errors import (
    AccountError,
    InputError,
    NotFoundError,
    OutlayError,
    ProviderError,
    StoreBusyError,
    SyncBusyError,
)

#: Error class → (HTTP status, code). The first matching class wins.
STATUS: tuple[tuple[type[OutlayError], int, str], ...] = (
    (UnauthenticatedError, 401, "unauthenticated"),
    (ForbiddenError, 403, "forbidden"),
    (NotFoundError, 404, "not_found"),
    (SyncBusyError, 409, "busy"),
    (StoreBusyError, 503, "busy"),
    (AccountError, 409, "conflict"),
    (InputError, 400, "bad_request"),
    (ProviderError, 502, "provider_error"),
)


def status_of(exc: OutlayError) -> tuple[int, str]:
    for kind, status, code in STATUS:
        if isinstance(exc, kind):
            # "no account named …" is an AccountError too: a miss is a 404, a clash a 409.
            if kind is AccountError and str(exc).startswith("no account named"):
                return 404, "not_found"
            return status, code
    return 500, "error"


def error_body(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


async def handle_outlay_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OutlayError)
    status, code = status_of(exc)
    if not request.url.path.startswith("/api/") and status == 401:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    return error_body(status, code, str(exc))
