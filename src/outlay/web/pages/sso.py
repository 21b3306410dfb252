"""Single sign-on pages: start, callback, the refusal page, and the owners' group mapping.

A refused sign-in is its own page with one line naming what failed, not the sign-in redirect
the app gives other ``UnauthenticatedError``s, so a person sees why and can try again.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from outlay.access import Action
from outlay.errors import ConfigError, InputError, OutlayError, ProviderError, SignInRefused
from outlay.service import Outlay
from outlay.web.deps import (
    SESSION_COOKIE,
    CheckedSession,
    OutlayDep,
    Session,
    SessionAuth,
    client_address,
    form_text,
    get_outlay,
    shows_errors_on,
    signed_in,
)
from outlay.web.pages.common import notice_of, redirect, render, safe_next

router = APIRouter(include_in_schema=False)
#: Binds a pending sign-in to the browser that started it; only the callback path reads it.
BROWSER_COOKIE = "outlay_sso"
CALLBACK_COOKIE_PATH = "/auth/oidc"


def sso_login_context(request: Request) -> dict[str, Any]:
    """What the sign-in page shows: the SSO button, and the password form or not."""
    settings = get_outlay(request).settings
    return {
        "sso": settings.sso_enabled,
        "passwords_owners_only": settings.sso_enabled and settings.local_passwords == "owners-only",
    }


def set_session_cookie(request: Request, response: Response, secret: str) -> None:
    response.set_cookie(
        SESSION_COOKIE, secret, httponly=True, samesite="lax",
        secure=request.url.scheme == "https", max_age=7 * 86_400,
    )  # fmt: skip


def _refused(request: Request, exc: OutlayError) -> HTMLResponse:
    return render(request, "sso_error.html", None, exc.status, message=str(exc))


#: The app's error handler shows these on the refusal page (``_refused``) for the two routes.
REFUSALS = shows_errors_on(_refused, (SignInRefused, ProviderError, ConfigError))


@router.get("/auth/oidc/start", dependencies=[REFUSALS])
def start(request: Request, outlay: OutlayDep, next: str = "/") -> Response:
    browser, url = outlay.sso_begin(safe_next(next), request.cookies.get(BROWSER_COOKIE))
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        BROWSER_COOKIE, browser, httponly=True, samesite="lax", max_age=600,
        path=CALLBACK_COOKIE_PATH, secure=request.url.scheme == "https",
    )  # fmt: skip
    return response


@router.get("/auth/oidc/callback", dependencies=[REFUSALS])
def callback(request: Request, outlay: OutlayDep) -> Response:
    params = dict(request.query_params.items())
    secret, target = outlay.sso_sign_in(
        params, request.cookies.get(BROWSER_COOKIE, ""), client_address(request)
    )
    response = RedirectResponse(safe_next(target), status_code=303)
    set_session_cookie(request, response, secret)
    return response


# -- owners: the group mapping ---------------------------------------------------------------


def _mapping_page(
    request: Request, session: SessionAuth, outlay: Outlay, status: int = 200, **extra: Any
) -> HTMLResponse:
    session.principal.require(Action.OWN)
    text, source, editable = outlay.sso_mapping(session.principal)
    context = {"mapping": text, "source": source, "editable": editable,
               "notice": notice_of(request),
               "settings": outlay.settings, "redirect_uri": outlay.redirect_uri}  # fmt: skip
    return render(request, "sso_admin.html", session, status, **{**context, **extra})


@router.get("/admin/sso")
def mapping(request: Request, session: Session, outlay: OutlayDep) -> HTMLResponse:
    return _mapping_page(request, session, outlay)


def _mapping_form(request: Request, exc: OutlayError) -> Response:
    return _mapping_page(
        request, signed_in(request), get_outlay(request), 400,
        mapping=form_text(request, "mapping"), error=str(exc),
    )  # fmt: skip


@router.post("/admin/sso", dependencies=[shows_errors_on(_mapping_form, (InputError, ConfigError))])
def save_mapping(
    session: CheckedSession, outlay: OutlayDep, mapping: Annotated[str, Form()] = ""
) -> Response:
    outlay.set_sso_mapping(mapping, session.principal)
    return redirect("/admin/sso", notice="sso_saved")
