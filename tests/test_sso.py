"""Single sign-on without a browser: the callback's refusals, mapping at every sign-in, the
password switch, settings and the mapping rules. The identity provider is the real test one
(``tests/oidc_provider.py``) on loopback; the app runs in FastAPI's TestClient."""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from outlay.auth.mapping import Rule, dump_rules, grant_for, parse_rules
from outlay.cli.app import app as cli_app
from outlay.config import Settings
from outlay.errors import ConfigError, InputError, SignInRefused
from outlay.service import Outlay
from outlay.service.sso import claim_groups, verified_email
from outlay.store.audit import AuditQuery
from outlay.web.app import create_app
from tests.oidc_provider import IdpUser, TestIdp, running_idp

PUBLIC = "http://testserver"
OWNER, PASSWORD = "owner@acme.example", "correct horse battery"
MAPPING = """
rules:
  - group: outlay-finance
    role: viewer
    workspaces: [Default]
  - group: outlay-platform
    role: editor
    workspaces: [Platform]
"""


@pytest.fixture(scope="module")
def idp() -> Iterator[TestIdp]:
    with running_idp() as running:
        yield running


@pytest.fixture
def outlay(tmp_path: Path, idp: TestIdp) -> Outlay:
    idp.misbehave, idp.deny = None, None
    settings = Settings(
        data_dir=tmp_path, oidc_issuer=idp.url, oidc_client_id=idp.client_id,
        oidc_client_secret=idp.client_secret, public_url=PUBLIC, local_passwords="owners-only",
    )  # fmt: skip
    service = Outlay(settings)
    service.add_user(OWNER, "owner", PASSWORD)
    service.add_workspace("Platform")
    service.set_sso_mapping(MAPPING, service.principal_of(service.access.user_by_email(OWNER)))  # type: ignore[arg-type]
    return service


@pytest.fixture
def client(outlay: Outlay) -> Iterator[TestClient]:
    with TestClient(create_app(outlay.settings, outlay=outlay, scheduler=False)) as web:
        yield web


def to_idp(client: TestClient) -> str:
    """Start a sign-in; the provider's redirect back to the callback (path and query)."""
    started = client.get("/auth/oidc/start", follow_redirects=False)
    assert started.status_code == 303, started.text
    back = httpx.get(started.headers["location"], follow_redirects=False)
    assert back.status_code == 302, back.text
    location = urlsplit(back.headers["location"])
    assert f"{location.scheme}://{location.netloc}" == PUBLIC
    return f"{location.path}?{location.query}"


def sign_in(client: TestClient, idp: TestIdp, email: str, groups: list[str]) -> httpx.Response:
    idp.user = IdpUser(email, groups)
    return client.get(to_idp(client), follow_redirects=False)


def refusal(response: httpx.Response) -> str:
    assert response.status_code in (401, 502), response.text
    assert "data-sso-error" in response.text
    return html.unescape(response.text.split('role="alert">')[1].split("</p>")[0])


def test_a_new_user_is_created_by_group_mapping_with_its_role_and_workspace(
    client: TestClient, idp: TestIdp, outlay: Outlay
) -> None:
    answer = sign_in(client, idp, "Dana@Acme.example", ["outlay-platform", "unrelated"])
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    user = outlay.access.user_by_email("dana@acme.example")
    assert user is not None and user.role == "editor"
    assert [w.name for w in outlay.workspaces(outlay.principal_of(user))] == ["Platform"]
    assert client.get("/reports").status_code == 200  # the session works
    assert idp.pkce_checked[-1] is True


def test_groups_apply_at_every_sign_in_and_no_group_takes_access_away(
    client: TestClient, idp: TestIdp, outlay: Outlay
) -> None:
    sign_in(client, idp, "eve@acme.example", ["outlay-finance", "outlay-platform"])
    eve = outlay.access.user_by_email("eve@acme.example")
    assert eve is not None and eve.role == "editor"
    assert outlay.access.user_workspace_ids(eve.id) == {w.id for w in outlay.access.workspaces()}
    token = outlay.create_token("eve@acme.example")
    sign_in(client, idp, "eve@acme.example", ["outlay-finance"])
    eve = outlay.access.user_by_email("eve@acme.example")
    assert eve is not None and eve.role == "viewer"
    assert [w.name for w in outlay.workspaces(outlay.principal_of(eve))] == ["Default"]
    line = refusal(sign_in(client, idp, "eve@acme.example", ["somewhere-else"]))
    assert "eve@acme.example is in no group outlay maps to a workspace" in line
    assert outlay.access.user_workspace_ids(eve.id) == frozenset()
    with pytest.raises(Exception, match="expired or revoked"):
        outlay.authenticate("token", token)
    assert client.get("/reports", follow_redirects=False).status_code == 303  # signed out


@pytest.mark.parametrize(
    ("knob", "words"),
    [
        ("tampered_signature", "signature does not verify"),
        ("wrong_audience", "audience 'another-application' is not this client"),
        ("wrong_nonce", "nonce does not match this sign-in"),
        ("expired", "the ID token expired at"),
    ],
)
def test_a_bad_id_token_is_refused_with_what_failed(
    client: TestClient, idp: TestIdp, outlay: Outlay, knob: str, words: str
) -> None:
    idp.misbehave = knob
    assert words in refusal(sign_in(client, idp, "mallory@acme.example", ["outlay-platform"]))
    assert outlay.access.user_by_email("mallory@acme.example") is None


def test_a_state_that_matches_no_sign_in_is_refused(client: TestClient, idp: TestIdp) -> None:
    idp.user = IdpUser("sam@acme.example", ["outlay-finance"])
    callback = to_idp(client)
    forged = callback.replace("state=", "state=x", 1)
    assert "state is unknown or was used already" in refusal(client.get(forged))


def test_a_replayed_state_is_refused(client: TestClient, idp: TestIdp) -> None:
    idp.user = IdpUser("sam@acme.example", ["outlay-finance"])
    callback = to_idp(client)
    assert client.get(callback, follow_redirects=False).status_code == 303
    assert "state is unknown or was used already" in refusal(client.get(callback))


def test_a_callback_in_another_browser_is_refused(
    client: TestClient, idp: TestIdp, outlay: Outlay
) -> None:
    idp.user = IdpUser("sam@acme.example", ["outlay-finance"])
    callback = to_idp(client)
    with TestClient(create_app(outlay.settings, outlay=outlay, scheduler=False)) as other:
        assert "started in another browser" in refusal(other.get(callback))


def test_the_providers_error_parameter_is_shown(client: TestClient, idp: TestIdp) -> None:
    idp.deny = "access_denied"
    line = refusal(client.get(to_idp(client)))
    assert line.startswith("the identity provider refused the sign-in: access_denied (")


def test_an_unverified_email_is_refused(client: TestClient, idp: TestIdp) -> None:
    idp.user = IdpUser("ursula@acme.example", ["outlay-finance"], email_verified=False)
    assert "email_verified is not true" in refusal(client.get(to_idp(client)))


def test_an_unreachable_provider_is_one_line(client: TestClient, outlay: Outlay) -> None:
    object.__setattr__(
        outlay, "settings", replace(outlay.settings, oidc_issuer="http://127.0.0.1:9")
    )
    assert (
        "discovery document at http://127.0.0.1:9/.well-known/openid-configuration is unreachable"
        in refusal(client.get("/auth/oidc/start"))
    )


def test_without_mapping_and_jit_an_unknown_user_is_refused_and_a_known_one_signs_in(
    tmp_path: Path, idp: TestIdp
) -> None:
    settings = Settings(data_dir=tmp_path, oidc_issuer=idp.url, oidc_client_id=idp.client_id,
                        oidc_client_secret=idp.client_secret, public_url=PUBLIC)  # fmt: skip
    service = Outlay(settings)
    service.add_user("kim@acme.example", "editor", PASSWORD)
    with TestClient(create_app(settings, outlay=service, scheduler=False)) as web:
        assert "there is no outlay user nobody@acme.example" in refusal(
            sign_in(web, idp, "nobody@acme.example", [])
        )
        assert sign_in(web, idp, "kim@acme.example", []).status_code == 303
    kim = service.access.user_by_email("kim@acme.example")
    assert kim is not None and kim.role == "editor"


# -- the password switch and the sign-in page ------------------------------------------------


def test_owners_only_refuses_a_members_password_and_keeps_the_owners(
    client: TestClient, outlay: Outlay
) -> None:
    outlay.add_user("member@acme.example", "admin", PASSWORD)
    page = client.get("/login")
    assert (
        'href="/auth/oidc/start?next=/"' in page.text
        and "Owner sign-in with a password" in page.text
    )
    csrf = client.cookies["outlay_login_csrf"]
    refused = client.post(
        "/login", data={"email": "member@acme.example", "password": PASSWORD, "csrf": csrf}
    )
    assert "password sign-in is only for owners here; use Sign in with SSO" in refused.text
    assert all(
        c.revoked_at
        for c in outlay.access.credentials(
            outlay.access.user_by_email("member@acme.example").id, "session"
        )
    )  # type: ignore[union-attr]
    csrf = client.cookies["outlay_login_csrf"]
    owner = client.post(
        "/login", data={"email": OWNER, "password": PASSWORD, "csrf": csrf}, follow_redirects=False
    )
    assert owner.status_code == 303


def test_without_sso_the_login_page_has_no_sso_button(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path), scheduler=False)) as web:
        assert "Sign in with SSO" not in web.get("/login").text


# -- the owners' mapping page ----------------------------------------------------------------


def test_the_mapping_page_saves_checked_rules_and_shows_a_bad_one(
    client: TestClient, outlay: Outlay
) -> None:
    client.get("/login")
    csrf = client.cookies["outlay_login_csrf"]
    client.post("/login", data={"email": OWNER, "password": PASSWORD, "csrf": csrf})
    page = client.get("/admin/sso")
    assert "outlay-platform" in page.text and "the metadata database" in page.text
    session_csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    bad = client.post(
        "/admin/sso",
        data={
            "csrf": session_csrf,
            "mapping": "rules:\n  - group: x\n    role: boss\n    workspaces: [Default]\n",
        },
    )
    assert bad.status_code == 400 and "rule 1 has role &#39;boss&#39;" in bad.text
    good = client.post(
        "/admin/sso",
        data={
            "csrf": session_csrf,
            "mapping": "rules:\n  - group: all\n    role: admin\n    workspaces: [Default]\n",
        },
    )
    assert good.status_code == 200 and "Saved the group mapping" in good.text
    assert (
        outlay.sso_mapping(outlay.principal_of(outlay.access.user_by_email(OWNER)))[0].count(
            "group:"
        )
        == 1
    )  # type: ignore[arg-type]


def test_a_mapping_file_wins_over_the_stored_rules(outlay: Outlay, tmp_path: Path) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text("rules:\n  - group: '*'\n    role: viewer\n    workspaces: [Default]\n")
    object.__setattr__(outlay, "settings", replace(outlay.settings, oidc_mapping_file=path))
    owner = outlay.principal_of(outlay.access.user_by_email(OWNER))  # type: ignore[arg-type]
    text, source, editable = outlay.sso_mapping(owner)
    assert "'*'" in text and source == f"file {path}" and not editable
    with pytest.raises(ConfigError, match="edit that file instead"):
        outlay.set_sso_mapping(MAPPING, owner)


def test_a_rule_naming_an_unknown_workspace_is_refused_when_saved(outlay: Outlay) -> None:
    owner = outlay.principal_of(outlay.access.user_by_email(OWNER))  # type: ignore[arg-type]
    with pytest.raises(Exception, match="workspace 'Nowhere', which does not exist"):
        outlay.set_sso_mapping(
            "rules:\n  - {group: g, role: viewer, workspaces: [Nowhere]}\n", owner
        )


# -- settings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"OUTLAY_OIDC_ISSUER": "https://idp.example"}, "OUTLAY_OIDC_CLIENT_ID is not"),
        (
            {"OUTLAY_OIDC_ISSUER": "https://idp.example", "OUTLAY_OIDC_CLIENT_ID": "c"},
            "OUTLAY_PUBLIC_URL is not",
        ),
        (
            {"OUTLAY_OIDC_CLIENT_ID": "c"},
            "OUTLAY_OIDC_CLIENT_ID is set but OUTLAY_OIDC_ISSUER is not",
        ),
        ({"OUTLAY_LOCAL_PASSWORDS": "never"}, "OUTLAY_LOCAL_PASSWORDS='never'"),
        (
            {
                "OUTLAY_OIDC_ISSUER": "http://idp.example",
                "OUTLAY_OIDC_CLIENT_ID": "c",
                "OUTLAY_PUBLIC_URL": "https://o.example",
            },
            "OUTLAY_OIDC_ISSUER='http://idp.example' is not an https URL",
        ),
        ({"OUTLAY_OIDC_JIT": "maybe"}, "OUTLAY_OIDC_JIT='maybe' is not on or off"),
        ({"OUTLAY_OIDC_DEFAULT_ROLE": "owner"}, "OUTLAY_OIDC_DEFAULT_ROLE='owner'"),
    ],
)
def test_half_configured_sso_is_one_line_naming_the_variable(
    env: dict[str, str], words: str
) -> None:
    with pytest.raises(ConfigError, match=words) as caught:
        Settings.from_env(env)
    assert "\n" not in str(caught.value)


def test_complete_sso_settings_are_read() -> None:
    settings = Settings.from_env({
        "OUTLAY_OIDC_ISSUER": "https://idp.example/", "OUTLAY_OIDC_CLIENT_ID": "c",
        "OUTLAY_PUBLIC_URL": "https://outlay.example/", "OUTLAY_OIDC_JIT": "off",
        "OUTLAY_LOCAL_PASSWORDS": "owners-only", "OUTLAY_OIDC_GROUPS_CLAIM": "roles",
    })  # fmt: skip
    assert settings.sso_enabled and settings.oidc_issuer == "https://idp.example/"
    assert settings.public_url == "https://outlay.example" and settings.oidc_jit is False
    assert (settings.oidc_scopes, settings.oidc_groups_claim) == ("openid email profile", "roles")
    assert settings.oidc_client_secret is None and not Settings.from_env({}).sso_enabled


# -- mapping rules -------------------------------------------------------------------------


def test_a_bad_mapping_document_is_one_line_naming_the_rule() -> None:
    with pytest.raises(InputError, match="rule 2 names no workspace"):
        parse_rules("rules:\n  - {group: a, role: owner}\n  - {group: b, role: viewer}\n", "m")
    with pytest.raises(InputError, match="not valid YAML at line 1"):
        parse_rules("rules: [", "m")
    with pytest.raises(InputError, match="not valid YAML"):
        parse_rules("2026-02-30", "m")  # YAML reads it as a date, which does not exist


rules_strategy = st.lists(
    st.builds(
        Rule,
        group=st.sampled_from(["a", "b", "c", "*"]),
        role=st.sampled_from(["viewer", "editor", "admin"]),
        workspaces=st.lists(st.sampled_from(["W1", "W2", "W3"]), min_size=1, max_size=2).map(tuple),
    ),
    max_size=6,
).map(tuple)


@given(rules_strategy, st.frozensets(st.sampled_from(["a", "b", "c", "d"])))
def test_the_grant_is_the_highest_matched_role_and_the_union_of_workspaces(
    rules: tuple[Rule, ...], groups: frozenset[str]
) -> None:
    matched = [r for r in rules if r.group in groups or r.group == "*"]
    grant = grant_for(rules, groups)
    assert (grant is None) == (not matched)
    if grant is not None:
        assert grant.workspaces == {w for r in matched for w in r.workspaces}
        assert grant.role in {r.role for r in matched}
        assert grant_for(parse_rules(dump_rules(rules), "again"), groups) == grant


# -- the command line ----------------------------------------------------------------------


def sso_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, issuer: str) -> CliRunner:
    for name, value in {
        "DATA_DIR": str(tmp_path / "cli-data"), "OIDC_ISSUER": issuer, "OIDC_CLIENT_ID": "outlay-web",
        "PUBLIC_URL": "https://outlay.example",
    }.items():  # fmt: skip
        monkeypatch.setenv(f"OUTLAY_{name}", value)
    return CliRunner()


def test_sso_check_prints_the_configuration_and_the_providers_endpoints(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, idp: TestIdp
) -> None:
    result = sso_cli(monkeypatch, tmp_path, idp.url).invoke(cli_app, ["sso", "check"])
    assert result.exit_code == 0, result.output
    assert "redirect uri: https://outlay.example/auth/oidc/callback" in result.output
    assert (
        f"token endpoint: {idp.url}/token" in result.output and "signing keys: 1" in result.output
    )


def test_sso_check_of_an_unreachable_provider_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    result = sso_cli(monkeypatch, tmp_path, "http://127.0.0.1:9").invoke(cli_app, ["sso", "check"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "discovery document at http://127.0.0.1:9/" in lines[0]


def test_half_configured_sso_stops_any_command_with_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OUTLAY_OIDC_ISSUER", "https://idp.example")
    result = CliRunner().invoke(cli_app, ["serve", "--help"])
    assert result.exit_code == 1 and "OUTLAY_OIDC_CLIENT_ID is not" in result.output


def test_sso_mapping_import_then_show(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, idp: TestIdp
) -> None:
    cli = sso_cli(monkeypatch, tmp_path, idp.url)
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - {group: outlay-admins, role: admin, workspaces: [Default]}\n")
    imported = cli.invoke(cli_app, ["sso", "mapping", "import", str(rules)])
    assert imported.exit_code == 0 and "Imported 1 rules" in imported.output
    shown = cli.invoke(cli_app, ["sso", "mapping", "show"])
    assert "group: outlay-admins" in shown.output and "role: admin" in shown.output


def test_an_oversized_mapping_document_is_refused_before_parsing() -> None:
    with pytest.raises(InputError, match="over 200,000 characters"):
        parse_rules("#" * 200_001, "m")


def test_the_last_owner_is_never_demoted_or_stripped_by_sso(
    client: TestClient, idp: TestIdp, outlay: Outlay
) -> None:
    sign_in(client, idp, OWNER, ["outlay-finance"])
    assert outlay.access.user_by_email(OWNER).role == "owner"  # type: ignore[union-attr]
    refusal(sign_in(client, idp, OWNER, ["nothing-mapped"]))
    owner = outlay.access.user_by_email(OWNER)
    assert owner is not None and owner.role == "owner"
    client.get("/login")
    csrf = client.cookies["outlay_login_csrf"]
    answer = client.post(
        "/login", data={"email": OWNER, "password": PASSWORD, "csrf": csrf}, follow_redirects=False
    )
    assert answer.status_code == 303  # the break-glass password still works


def test_entra_id_tokens_without_email_verified_are_taken_as_verified() -> None:
    claims = {"email": "Lee@Contoso.example", "groups": ["9f1c…"]}
    assert (
        verified_email(claims, "https://login.microsoftonline.com/tid/v2.0")
        == "lee@contoso.example"
    )
    with pytest.raises(SignInRefused, match="email_verified is not true"):
        verified_email(claims, "https://idp.example")


def test_group_claims_a_string_a_nested_claim_and_the_entra_overage() -> None:
    assert claim_groups({"groups": "solo"}, "groups") == {"solo"}
    assert claim_groups({"realm": {"groups": ["a", "b"]}}, "realm.groups") == {"a", "b"}
    assert claim_groups({}, "groups") == frozenset()
    with pytest.raises(SignInRefused, match="too many groups"):
        claim_groups({"_claim_names": {"groups": "src1"}}, "groups")


def test_each_sso_sign_in_writes_one_audit_row_naming_who_and_from_where(
    client: TestClient, idp: TestIdp, outlay: Outlay
) -> None:
    before = len(outlay.audit_log.entries(AuditQuery(limit=1000)))
    assert sign_in(client, idp, "ivy@acme.example", ["outlay-finance"]).status_code == 303
    refusal(sign_in(client, idp, "ivy@acme.example", ["somewhere-else"]))
    rows = outlay.audit_log.entries(AuditQuery(limit=1000))[
        : len(outlay.audit_log.entries(AuditQuery(limit=1000))) - before
    ]
    assert sorted((r.action, r.actor) for r in rows) == [
        ("auth.sso_login", "ivy@acme.example"),
        ("auth.sso_login.failed", "ivy@acme.example"),
    ]
    assert all(r.address for r in rows)


def test_a_disabled_user_cannot_sign_in_by_sso(
    client: TestClient, idp: TestIdp, outlay: Outlay
) -> None:
    assert sign_in(client, idp, "jo@acme.example", ["outlay-finance"]).status_code == 303
    owner = outlay.principal_of(outlay.access.user_by_email(OWNER))  # type: ignore[arg-type]
    outlay.disable_user("jo@acme.example", owner)
    line = refusal(sign_in(client, idp, "jo@acme.example", ["outlay-finance"]))
    assert "jo@acme.example is disabled" in line
