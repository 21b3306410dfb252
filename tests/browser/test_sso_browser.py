"""Single sign-on in a real browser, through the real test identity provider on loopback."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from outlay.config import Settings
from outlay.service import Outlay
from outlay.web.app import create_app
from tests.oidc_provider import IdpUser, TestIdp, free_socket, running_idp, serving

Shot = Callable[[Page, str], None]
OWNER, PASSWORD = "owner@acme.example", "correct horse battery"
MAPPING = """rules:
  - group: outlay-analysts
    role: editor
    workspaces: [Research]
  - group: outlay-admins
    role: admin
    workspaces: [Default, Research]
"""


@dataclass(frozen=True)
class SsoApp:
    url: str
    outlay: Outlay
    idp: TestIdp


@pytest.fixture(scope="module")
def sso_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SsoApp]:
    sock, url = free_socket()
    with running_idp() as idp:
        settings = Settings(
            data_dir=tmp_path_factory.mktemp("sso-data"), oidc_issuer=idp.url,
            oidc_client_id=idp.client_id, oidc_client_secret=idp.client_secret, public_url=url,
            local_passwords="owners-only",
        )  # fmt: skip
        outlay = Outlay(settings)
        outlay.add_user(OWNER, "owner", PASSWORD)
        outlay.add_workspace("Research")
        outlay.set_sso_mapping(MAPPING, outlay.principal_of(outlay.access.user_by_email(OWNER)))  # type: ignore[arg-type]
        with serving(create_app(settings, outlay=outlay), sock, "outlay-sso-web"):
            yield SsoApp(url, outlay, idp)


@pytest.fixture
def idp(sso_app: SsoApp) -> Iterator[TestIdp]:
    yield sso_app.idp
    sso_app.idp.misbehave = None


def sso_sign_in(page: Page, app: SsoApp) -> None:
    page.goto(app.url + "/reports")
    expect(page).to_have_url(re.compile(r"/login\?next=/reports"))
    page.click("a[data-sso]")


def test_a_new_user_signs_in_by_sso_and_gets_the_mapped_role_and_workspace(
    page: Page, sso_app: SsoApp, idp: TestIdp, shot: Shot
) -> None:
    page.goto(sso_app.url + "/login")
    expect(page.locator("a[data-sso]")).to_have_text("Sign in with SSO")
    expect(page.locator("input[name=password]")).to_be_hidden()  # owners-only: folded away
    shot(page, "sso-login")
    idp.user = IdpUser("ana@acme.example", ["outlay-analysts", "everyone"])
    sso_sign_in(page, sso_app)
    expect(page).to_have_url(re.compile(r"/reports"))
    expect(page.locator(".who")).to_have_text("ana@acme.example · editor")
    user = sso_app.outlay.access.user_by_email("ana@acme.example")
    assert user is not None and user.role == "editor"
    spaces = sso_app.outlay.workspaces(sso_app.outlay.principal_of(user))
    assert [w.name for w in spaces] == ["Research"]
    shot(page, "sso-signed-in")


@pytest.mark.parametrize(
    ("knob", "line"),
    [
        (
            "tampered_signature",
            "the ID token's signature does not verify with the provider's keys (JWKS)",
        ),
        (
            "wrong_audience",
            "the ID token's audience 'another-application' is not this client ('outlay-web')",
        ),
        (
            "wrong_nonce",
            "the ID token's nonce does not match this sign-in (a replayed or foreign token)",
        ),
        ("expired", "the ID token expired at "),
    ],
)
def test_a_bad_id_token_is_refused_with_a_page_naming_what_failed(
    page: Page, sso_app: SsoApp, idp: TestIdp, shot: Shot, knob: str, line: str
) -> None:
    idp.user, idp.misbehave = IdpUser(f"{knob}@acme.example", ["outlay-admins"]), knob
    sso_sign_in(page, sso_app)
    expect(page.locator("h1")).to_have_text("Single sign-on did not work")
    expect(page.locator("[role=alert]")).to_contain_text(line)
    shot(page, f"sso-refused-{knob}")
    assert sso_app.outlay.access.user_by_email(f"{knob}@acme.example") is None
    page.goto(sso_app.url + "/reports")
    expect(page).to_have_url(re.compile(r"/login"))  # no session came of it


def test_removing_the_group_at_the_provider_takes_access_away_at_the_next_sign_in(
    page: Page, sso_app: SsoApp, idp: TestIdp, shot: Shot
) -> None:
    idp.user = IdpUser("bo@acme.example", ["outlay-admins"])
    sso_sign_in(page, sso_app)
    expect(page.locator(".who")).to_have_text("bo@acme.example · admin")
    idp.user = IdpUser("bo@acme.example", ["everyone"])  # removed from outlay-admins
    page.goto(sso_app.url + "/auth/oidc/start")
    expect(page.locator("[role=alert]")).to_have_text(
        "bo@acme.example is in no group outlay maps to a workspace (groups: everyone); "
        "ask an admin to add you to one"
    )
    shot(page, "sso-no-group")
    page.goto(sso_app.url + "/reports")
    expect(page).to_have_url(re.compile(r"/login"))  # the earlier session ended too
    user = sso_app.outlay.access.user_by_email("bo@acme.example")
    assert user is not None and sso_app.outlay.access.user_workspace_ids(user.id) == frozenset()


def test_the_owner_keeps_the_break_glass_password_sign_in(page: Page, sso_app: SsoApp) -> None:
    page.goto(sso_app.url + "/login")
    page.click("summary")
    page.fill("input[name=email]", OWNER)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".who")).to_have_text(f"{OWNER} · owner")
    page.goto(sso_app.url + "/admin/sso")
    expect(page.locator("textarea[name=mapping]")).to_contain_text("outlay-analysts")
