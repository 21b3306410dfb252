"""The web pages: each renders, roles and workspaces hold, every POST needs its CSRF token."""

from __future__ import annotations

import ast
import csv
import html
import io
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from outlay.report.export import to_csv
from outlay.report.spec import ReportSpec
from outlay.service import Outlay
from outlay.testing.cursor_fake.api import DEFAULT_KEY
from outlay.web.app import create_app
from outlay.web.deps import SESSION_COOKIE
from outlay.web.scheduler import Scheduler
from tests.fakes import BASE_URL, FakeCursor, fake_cursor, make_outlay

PASSWORD = "correct horse battery"
#: Names that live only in workspace B: no page may show them to a member of A.
HIDDEN_ACCOUNT = "hidden-b-team"
HIDDEN_TAG = "b-only-tag"
TAGS_A = (
    "- key: team\n  values:\n"
    "    - name: Claude\n      filter: costs.service LIKE 'claude%'\n"
    "    - name: Everyone else\n      filter: costs.service NOT LIKE 'claude%'\n"
)
TAGS_B = (
    f"- key: {HIDDEN_TAG}\n  values:\n    - name: Secret\n      filter: costs.service LIKE '%'\n"
)
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def sign_in(client: TestClient, email: str, password: str) -> Any:
    """Sign in through the form, with the token the form page hands out."""
    found = CSRF.search(client.get("/login").text)
    assert found is not None
    data = {"email": email, "password": password, "csrf": found.group(1)}
    return client.post("/login", data=data)


ROLES = ("owner", "admin", "editor", "viewer")


@dataclass
class World:
    outlay: Outlay
    fake: FakeCursor
    clients: dict[str, TestClient]
    #: Per role: (session cookie, CSRF token).
    sessions: dict[str, tuple[str, str]]

    @property
    def csrf(self) -> dict[str, str]:
        return {role: csrf for role, (_, csrf) in self.sessions.items()}

    @property
    def scheduler(self) -> Scheduler:
        scheduler = self.clients["owner"].app.state.scheduler
        assert isinstance(scheduler, Scheduler)
        return scheduler

    def get(self, who: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.clients[who].get(path, **kwargs)

    def post(
        self, who: str, path: str, data: dict[str, Any], csrf: str | None = "", **kwargs: Any
    ) -> httpx.Response:
        """POST a form; ``csrf=""`` sends the user's real token, None sends none."""
        fields = dict(data)
        if csrf is not None:
            fields["csrf"] = csrf or self.csrf[who]
        return self.clients[who].post(path, data=fields, **kwargs)


def open_world(data_dir: Path, sessions: dict[str, tuple[str, str]] | None = None) -> World:
    """The app over ``data_dir``, one signed-in client per role (new sessions unless given)."""
    fake = fake_cursor()
    outlay = make_outlay(data_dir, fake)
    app = create_app(outlay.settings, outlay=outlay, scheduler=False)
    clients, known = {}, dict(sessions or {})
    for role in ROLES:
        client = TestClient(app)
        if role not in known:
            signed_in = sign_in(client, f"{role}@x.io", PASSWORD)
            assert signed_in.status_code == 200, signed_in.text
            found = CSRF.search(client.get("/tokens").text)
            assert found is not None
            known[role] = (client.cookies[SESSION_COOKIE], found.group(1))
        client.cookies.set(SESSION_COOKIE, known[role][0])
        clients[role] = client
    return World(outlay, fake, clients, known)


def build(data_dir: Path) -> World:
    """Workspaces A and B, an account and tags in each, a user per role in A only."""
    outlay = make_outlay(data_dir, fake_cursor())
    outlay.add_workspace("A")
    outlay.add_workspace("B")
    outlay.add_account("cursor", "acme", DEFAULT_KEY, base_url=BASE_URL, workspaces=["A"])
    outlay.add_account("cursor", HIDDEN_ACCOUNT, DEFAULT_KEY, base_url=BASE_URL, workspaces=["B"])
    outlay.sync("acme")
    outlay.sync(HIDDEN_ACCOUNT)
    outlay.import_tags(TAGS_A, "tags", "A")
    outlay.import_tags(TAGS_B, "tags", "B")
    saved = ReportSpec(interval="last_30_days", group_by=("service",), date_bin="cumulative")
    outlay.save_report("Saved", saved, workspace="A")
    outlay.save_report("Hidden report", saved, workspace="B")
    for role in ROLES:
        outlay.add_user(f"{role}@x.io", role, PASSWORD, ["A"])
        outlay.create_token(f"{role}@x.io", "existing")
    return open_world(data_dir)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, tuple[str, str]]]:
    """Built once: fresh worlds are copies of its data folder, signed in with its sessions."""
    world = build(tmp_path_factory.mktemp("template"))
    return world.outlay.settings.data_dir, world.sessions


@pytest.fixture(scope="module")
def shared(
    tmp_path_factory: pytest.TempPathFactory, template: tuple[Path, dict[str, tuple[str, str]]]
) -> World:
    """One world for tests that change nothing (or must not)."""
    folder = tmp_path_factory.mktemp("shared") / "data"
    shutil.copytree(template[0], folder)
    return open_world(folder, template[1])


@pytest.fixture
def world(tmp_path: Path, template: tuple[Path, dict[str, tuple[str, str]]]) -> World:
    """A fresh world for tests that change it."""
    shutil.copytree(template[0], tmp_path / "data")
    return open_world(tmp_path / "data", template[1])


def state(world: World) -> object:
    """Everything a POST could change."""
    o = world.outlay
    spaces = o.access.workspaces()
    users = o.access.users()
    return (
        [(a.name, a.status) for a in o.meta.accounts()],
        [(w.name, sorted(o.access.account_ids(frozenset({w.id})))) for w in spaces],
        [(u.email, u.role, sorted(o.access.user_workspace_ids(u.id))) for u in users],
        [[(r.name, r.spec) for r in o.meta.reports(w.id)] for w in spaces],
        [o.meta.document(f"virtual_tags:{w.id}") for w in spaces],
        [
            (c.id, c.revoked_at)
            for u in users
            for kind in ("token", "session")
            for c in o.access.credentials(u.id, kind)
        ],
        o.facts.query("SELECT account, count(*) FROM cost_rows GROUP BY ALL ORDER BY ALL").rows,
        sorted(world.scheduler.pending()),
    )


def token_id(world: World, role: str) -> str:
    user = world.outlay.access.user_by_email(f"{role}@x.io")
    assert user is not None
    return str(world.outlay.access.credentials(user.id, "token")[0].id)


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


#: The days of ``interval=last_30_days`` on the fake clock (2026-11-20), inclusive.
LAST_30_DAYS = (date(2026, 10, 22), date(2026, 11, 20))


def charged_dollars(world: World, days: tuple[date, date]) -> dict[str, Decimal]:
    """Per model, what the fake team charged over ``days`` (inclusive UTC days): the truth a
    page's numbers must match, computed without outlay's report code. Workspace A holds one
    account on that team."""
    start = datetime.combine(days[0], time(), UTC)
    end = datetime.combine(days[1] + timedelta(days=1), time(), UTC)
    cents = world.fake.team.charged_cents_by(
        "model", int(start.timestamp() * 1000), int(end.timestamp() * 1000) - 1
    )
    return {model: value / 100 for model, value in cents.items()}


def problem(response: httpx.Response) -> str:
    """The error messages a page shows (unescaped)."""
    found = re.findall(r'class="error"[^>]*>([^<]+)<', response.text)
    return html.unescape(" | ".join(found))


# -- every page renders ----------------------------------------------------------------------

PAGES = [
    "/integrations",
    "/integrations/remove?account=acme",
    "/reports",
    "/reports?workspace=A&interval=last_30_days&groupings=service,token_type&compare=previous"
    "&forecast=true&top=3&chart=line",
    "/reports?workspace=A&start_date=2026-10-15&end_date=2026-11-20&date_bin=week"
    "&groupings=tag:team&chart=area",
    "/reports?workspace=A&interval=this_month&date_bin=cumulative&measure=usage&chart=pie",
    "/reports?workspace=A&interval=last_month&date_bin=month&groupings=&measure=count",
    "/reports/saved?workspace=A",
    "/tags?workspace=A",
    "/tags?workspace=A&tag=team",
    "/tags?workspace=A&new=1",
    "/admin",
    "/tokens",
]


@pytest.mark.parametrize("path", PAGES)
def test_each_page_renders_for_an_owner(shared: World, path: str) -> None:
    response = shared.get("owner", path)
    assert response.status_code == 200, problem(response) or response.text[:500]
    assert "text/html" in response.headers["content-type"]
    assert 'name="csrf"' in response.text  # the sign-out form at least
    assert "Traceback" not in response.text


def test_a_visitor_without_a_session_is_sent_to_sign_in(shared: World) -> None:
    anonymous = TestClient(shared.clients["owner"].app)
    for path in ("/reports", "/integrations", "/tags", "/admin", "/reports/export.csv"):
        response = anonymous.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")


def test_the_reports_url_is_canonical_and_holds_the_whole_view(shared: World) -> None:
    response = shared.get("viewer", "/reports?interval=last_7_days&groupings=service")
    assert query_of(str(response.url)) == {
        "workspace": "A", "interval": "last_7_days", "date_bin": "day", "groupings": "service",
        "measure": "cost", "chart": "bar",
    }  # fmt: skip
    # A form adds a group-by level; the page lands on the short URL with it.
    response = shared.get("viewer", str(response.url) + "&add_group=resource&start_date=")
    assert query_of(str(response.url))["groupings"] == "service,resource"
    assert response.status_code == 200


def test_report_shows_totals_chart_data_and_money(shared: World) -> None:
    url = "/reports?workspace=A&interval=last_30_days&groupings=service&date_bin=cumulative"
    page = shared.get("owner", url).text
    by_model = charged_dollars(shared, LAST_30_DAYS)
    total = sum(by_model.values())
    assert total > 0
    # Formatted here, not with the page's helper, so a wrong format fails too.
    assert f'id="total">${total.quantize(Decimal("0.01")):,.2f}<' in page
    assert '<script type="application/json" id="report-data">' in page
    top = max(by_model, key=lambda model: by_model[model])
    assert f">{top}</a>" in page


def test_drill_down_filters_on_the_row_and_goes_one_level_deeper(shared: World) -> None:
    url = "/reports?workspace=A&interval=last_30_days&groupings=service&date_bin=cumulative"
    page = shared.get("owner", url).text
    link = re.search(r'<tr data-href="([^"]+)"', page)
    assert link is not None
    target = query_of(link.group(1).replace("&amp;", "&"))
    model = re.search(r"costs\.service = '([^']+)'", target["filter"])
    assert model is not None and target["groupings"] == "token_type"
    # A second level of group-by: drilling drops the first level instead.
    page = shared.get("owner", url.replace("groupings=service", "groupings=service,resource")).text
    link = re.search(r'<tr data-href="([^"]+)"', page)
    assert link is not None
    deeper = query_of(link.group(1).replace("&amp;", "&"))
    assert deeper["groupings"] == "resource"
    # Drilling again ANDs onto the filter.
    page = shared.get("owner", link.group(1).replace("&amp;", "&")).text
    again = re.search(r'<tr data-href="([^"]+)"', page)
    assert again is not None
    assert " AND costs.resource = " in query_of(again.group(1).replace("&amp;", "&"))["filter"]


def test_a_bad_filter_shows_inline_and_the_rest_of_the_page_works(shared: World) -> None:
    response = shared.get("owner", "/reports?workspace=A&filter=costs.service%20%3D")
    assert response.status_code == 400
    assert "at position 16" in problem(response)
    assert 'id="filter-error"' in response.text and 'id="controls"' in response.text
    assert 'id="save-report"' in response.text
    unknown = shared.get("owner", "/reports?workspace=A&filter=tags.name='nope' AND tags.value='x'")
    # A tag no cost row carries is data, not a typo to refuse (Vantage's semantics): the filter
    # runs and matches nothing, and the page says why as a notice.
    assert unknown.status_code == 200 and problem(unknown) == ""
    assert "no cost row carries tag &#39;nope&#39;" in unknown.text
    assert '<span class="big" id="total">$0.00</span>' in unknown.text


def test_the_filter_builder_gets_rows_and_values(shared: World) -> None:
    vql = "costs.service IN ('a', 'b') AND tags.name = 'team' AND tags.value = 'Claude'"
    page = shared.get("owner", "/reports", params={"workspace": "A", "filter": vql}).text
    data = re.search(r'id="builder-data">(.+?)</script>', page)
    assert data is not None
    assert '"op": "IN"' in data.group(1) and '"dim": "tag:team"' in data.group(1)
    values = shared.get(
        "owner", "/reports/values?workspace=A&interval=last_30_days&dimension=service"
    )
    by_model = charged_dollars(shared, LAST_30_DAYS)
    expected = sorted(by_model, key=lambda model: -by_model[model])  # costliest first
    assert len(expected) > 1 and values.json()["values"] == expected


def test_the_csv_export_equals_to_csv_of_the_same_spec(shared: World) -> None:
    vql = "costs.token_type IN ('input', 'output')"
    response = shared.get(
        "owner",
        "/reports/export.csv",
        params={"workspace": "A", "start_date": "2026-10-20", "end_date": "2026-11-19",
                "date_bin": "week", "groupings": "service,token_type", "filter": vql,
                "top": "4", "chart": "pie"},
    )  # fmt: skip
    spec = ReportSpec(
        start=date(2026, 10, 20), end=date(2026, 11, 19), date_bin="week",
        group_by=("service", "token_type"), filter=vql, top=4,
    )  # fmt: skip
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    # The page builds the same spec from its URL as this test does by hand.
    assert response.text == to_csv(shared.outlay.report(spec, workspace="A"))
    assert len(list(csv.reader(io.StringIO(response.text)))) > 5
    # And what the export holds is the fake team's own money, not only what report() says.
    plain = shared.get(
        "owner",
        "/reports/export.csv",
        params={"workspace": "A", "start_date": "2026-10-20", "end_date": "2026-11-19",
                "date_bin": "cumulative", "groupings": "service"},
    )  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(plain.text)))
    expected = charged_dollars(shared, (date(2026, 10, 20), date(2026, 11, 19)))
    assert len(expected) > 1
    assert {r["service"]: Decimal(r["cost"]) for r in rows} == expected


# -- workspaces and roles --------------------------------------------------------------------


def test_a_viewer_of_a_sees_nothing_of_workspace_b(shared: World) -> None:
    paths = [
        "/integrations",
        "/reports",
        "/reports?groupings=account&date_bin=cumulative&interval=last_30_days",
        "/reports/export.csv?groupings=account&interval=last_30_days",
        "/reports/values?dimension=account&interval=last_30_days",
        "/reports/saved",
        "/tags",
        "/tags/export.yaml",
        "/tokens",
        "/reports?workspace=B",
        "/reports/export.csv?workspace=B",
        "/reports/values?workspace=B&dimension=account",
        "/reports/saved?workspace=B",
        "/tags?workspace=B",
        "/tags/export.yaml?workspace=B",
    ]
    for who in ("viewer", "editor", "admin"):
        for path in paths:
            response = shared.get(who, path)
            for secret in (HIDDEN_ACCOUNT, HIDDEN_TAG, "Hidden report"):
                assert secret not in response.text, (who, path)
        assert shared.get(who, "/reports?workspace=B").status_code == 404
    # Asking for B's account by name gets the same answer as a name that does not exist.
    for name in (HIDDEN_ACCOUNT, "no-such-account"):
        response = shared.get("admin", f"/integrations/remove?account={name}")
        assert response.status_code == 404 and "(accounts: acme)" in problem(response)
    assert "acme" in shared.get("viewer", "/integrations").text
    owner = shared.get("owner", "/integrations").text
    assert HIDDEN_ACCOUNT in owner and "acme" in owner


def test_role_aware_pages_hide_what_a_viewer_may_not_use(shared: World) -> None:
    integrations = shared.get("viewer", "/integrations").text
    assert "Sync now" not in integrations and "Connect account" not in integrations
    assert "Remove" not in integrations
    assert 'id="save-report"' not in shared.get("viewer", "/reports").text
    assert "New tag" not in shared.get("viewer", "/tags").text
    assert shared.get("viewer", "/admin").status_code == 403
    assert "Workspaces &amp; users" not in integrations
    admin = shared.get("admin", "/admin").text
    assert 'id="workspaces"' in admin and 'id="users"' not in admin


def posts(world: World) -> list[tuple[str, dict[str, Any]]]:
    """Every state-changing form, with fields that would succeed for an owner."""
    tag = {"workspace": "A", "original": "", "key": "fresh", "v_label": "X",
           "v_filter": "costs.service LIKE 'c%'", "v_start": "", "v_end": ""}  # fmt: skip
    return [
        (
            "/integrations/connect",
            {"name": "new", "api_key": DEFAULT_KEY, "base_url": BASE_URL, "start_import": "1"},
        ),
        ("/integrations/sync", {"account": "acme"}),
        ("/integrations/attach", {"account": "acme", "workspace": "B"}),
        ("/integrations/remove", {"account": "acme", "confirm": "yes"}),
        ("/reports/save", {"name": "New", "query": "workspace=A&interval=last_7_days"}),
        ("/reports/rename", {"workspace": "A", "name": "Saved", "new_name": "Renamed"}),
        ("/reports/delete", {"workspace": "A", "name": "Saved", "confirm": "yes"}),
        ("/tags/edit", {**tag, "op": "save"}),
        ("/tags/delete", {"workspace": "A", "key": "team", "confirm": "yes"}),
        ("/tags/import", {"workspace": "A", "yaml": TAGS_B}),
        (
            "/tags/import-csv",
            {"workspace": "A", "key": "dept", "csv": "x@y.io,R&D\n", "op": "save"},
        ),
        ("/admin/workspaces", {"name": "C"}),
        (
            "/admin/users",
            {"email": "n@x.io", "role": "viewer", "password": PASSWORD, "workspaces": "A"},
        ),
        ("/tokens", {"name": "t", "days": "30"}),
        ("/tokens/revoke", {"token_id": token_id(world, "owner")}),
        ("/tags/preview", {**tag, "op": "preview"}),
        ("/logout", {}),
    ]


@pytest.mark.parametrize("csrf", [None, "wrong-token"], ids=["missing", "wrong"])
def test_every_post_without_its_csrf_token_is_refused_and_changes_nothing(
    shared: World, csrf: str | None
) -> None:
    before = state(shared)
    for path, data in posts(shared):
        response = shared.post("owner", path, data, csrf=csrf, follow_redirects=False)
        assert response.status_code == 403, (path, response.text[:300])
        assert "CSRF" in response.text, path
    assert state(shared) == before
    assert shared.get("owner", "/reports").status_code == 200  # still signed in


FORBIDDEN = {
    "viewer": {"/integrations/connect", "/integrations/sync", "/integrations/attach",
               "/integrations/remove", "/reports/save", "/reports/rename", "/reports/delete",
               "/tags/edit", "/tags/delete", "/tags/import", "/tags/import-csv", "/admin/workspaces",
               "/admin/users"},
    "editor": {"/integrations/connect", "/integrations/sync", "/integrations/attach",
               "/integrations/remove", "/admin/workspaces", "/admin/users"},
    "admin": {"/admin/users"},
}  # fmt: skip


@pytest.mark.parametrize("role", sorted(FORBIDDEN))
def test_posts_beyond_a_role_are_refused_with_the_error_and_change_nothing(
    shared: World, role: str
) -> None:
    before = state(shared)
    for path, data in posts(shared):
        if path not in FORBIDDEN[role]:
            continue
        response = shared.post(role, path, data, follow_redirects=False)
        assert response.status_code == 403, (role, path, response.status_code)
        assert f"{role}@x.io is a {role}" in problem(response), path
        assert "Traceback" not in response.text
    assert state(shared) == before


# -- integrations ----------------------------------------------------------------------------


def test_connect_validates_the_key_and_never_shows_it(world: World) -> None:
    bad = world.post("owner", "/integrations/connect",
                     {"name": "x", "api_key": "key_wrong_123", "base_url": BASE_URL})  # fmt: skip
    assert bad.status_code >= 400
    assert problem(bad) and "\n" not in problem(bad)
    assert "key_wrong_123" not in bad.text
    assert [a.name for a in world.outlay.meta.accounts()] == ["acme", HIDDEN_ACCOUNT]
    good = world.post("owner", "/integrations/connect",
                      {"name": "second", "api_key": DEFAULT_KEY, "base_url": BASE_URL,
                       "workspace": "A", "start_import": "1"})  # fmt: skip
    assert good.status_code == 200 and "Connected second" in good.text
    assert DEFAULT_KEY not in good.text
    assert "second" in world.scheduler.pending()
    row = re.search(r'data-account="second".*?</tr>', good.text, re.S)
    assert row is not None and "Importing" in row.group(0) and "queued" in row.group(0)


def test_sync_now_queues_the_account_and_the_page_says_so(world: World) -> None:
    response = world.post("admin", "/integrations/sync", {"account": "acme"})
    assert response.status_code == 200 and "Sync of acme queued" in response.text
    assert world.scheduler.pending() == {"acme"}
    row = re.search(r'data-account="acme".*?</tr>', response.text, re.S)
    assert row is not None and "queued" in row.group(0) and "Stable" in row.group(0)
    hidden = world.post("admin", "/integrations/sync", {"account": HIDDEN_ACCOUNT})
    assert hidden.status_code == 404 and HIDDEN_ACCOUNT in problem(hidden)  # its own input only
    assert world.scheduler.pending() == {"acme"}


def test_remove_needs_the_confirmation_and_deletes_the_accounts_costs(world: World) -> None:
    def costs(account: str) -> int:
        rows = world.outlay.facts.query(
            "SELECT count(*) FROM cost_rows WHERE account = ?", [account]
        ).rows
        return int(rows[0][0])

    assert costs("acme") > 0
    unconfirmed = world.post("admin", "/integrations/remove", {"account": "acme"})
    assert unconfirmed.status_code == 400 and costs("acme") > 0
    done = world.post("admin", "/integrations/remove", {"account": "acme", "confirm": "yes"})
    assert done.status_code == 200 and "Removed acme and all its costs" in done.text
    assert costs("acme") == 0 and costs(HIDDEN_ACCOUNT) > 0
    assert "acme" not in [a.name for a in world.outlay.meta.accounts()]
    assert "$0.00" in world.get("admin", "/reports?workspace=A").text


def test_attach_makes_an_account_part_of_another_workspace(world: World) -> None:
    world.post("owner", "/integrations/attach", {"account": "acme", "workspace": "B"})
    ids = world.outlay.access.account_ids(frozenset({world.outlay.access.workspace("B").id}))
    assert world.outlay.meta.account("acme").id in ids


# -- reports: save, rename, delete -----------------------------------------------------------


def test_save_rename_and_delete_a_report(world: World) -> None:
    view = "/reports?workspace=A&interval=last_7_days&groupings=service,resource&chart=line"
    page = world.get("editor", view)
    query = re.search(r'name="query" value="([^"]+)"', page.text)
    assert query is not None
    saved = world.post("editor", "/reports/save",
                       {"name": "Weekly", "query": query.group(1).replace("&amp;", "&")})  # fmt: skip
    assert saved.status_code == 200 and "Saved report Weekly" in saved.text
    assert query_of(str(saved.url))["report"] == "Weekly"
    spec = world.outlay.saved_spec("Weekly", workspace="A")
    assert spec.interval == "last_7_days" and spec.group_by == ("service", "resource")
    assert spec.chart == "line"  # the chart type is part of the saved report
    listing = world.get("editor", "/reports/saved?workspace=A").text
    link = re.search(r'<a href="([^"]+)">Weekly</a>', listing)
    assert link is not None
    opened = query_of(link.group(1).replace("&amp;", "&"))
    assert opened["groupings"] == "service,resource" and opened["report"] == "Weekly"
    assert opened["chart"] == "line"
    created = {r.name: r.created_at for r in world.outlay.saved_reports(workspace="A")}
    clash = world.post("editor", "/reports/rename",
                       {"workspace": "A", "name": "Weekly", "new_name": "Saved"})  # fmt: skip
    assert clash.status_code == 400 and "exists already" in problem(clash)
    world.post("editor", "/reports/rename",
               {"workspace": "A", "name": "Weekly", "new_name": "Weekly by user"})  # fmt: skip
    names = [r.name for r in world.outlay.saved_reports(workspace="A")]
    assert names == ["Saved", "Weekly by user"]
    # Renamed in place: the same report (created then), nothing copied or lost.
    renamed = world.outlay.meta.reports(world.outlay.workspace("A").id)[1]
    assert renamed.created_at == created["Weekly"]
    assert world.outlay.saved_spec("Weekly by user", workspace="A") == spec
    # Deleting asks first: without the confirmation the report stays.
    asked = world.post("editor", "/reports/delete", {"workspace": "A", "name": "Weekly by user"})
    assert "Delete the saved report Weekly by user?" in html.unescape(asked.text)
    assert len(world.outlay.saved_reports(workspace="A")) == 2
    world.post(
        "editor", "/reports/delete", {"workspace": "A", "name": "Weekly by user", "confirm": "yes"}
    )
    assert [r.name for r in world.outlay.saved_reports(workspace="A")] == ["Saved"]


# -- virtual tags ----------------------------------------------------------------------------


def tag_form(key: str, values: list[tuple[str, str]], op: str) -> dict[str, Any]:
    """The editor's fields: one v_label/v_filter/v_start/v_end group per value, in order."""
    return {
        "workspace": "A", "original": "", "key": key, "op": op,
        "v_label": [label for label, _ in values], "v_filter": [vql for _, vql in values],
        "v_start": ["" for _ in values], "v_end": ["" for _ in values],
    }  # fmt: skip


def test_tag_editor_previews_reorders_and_saves(world: World) -> None:
    values = [("Claude", "costs.service LIKE 'claude%'"),
              ("A: 60\nB: 40", "costs.token_type = 'input'")]  # fmt: skip
    preview = world.post("editor", "/tags/preview", tag_form("vendor", values, "preview"))
    assert preview.status_code == 200
    assert (
        "Untagged" in preview.text and "Claude" in preview.text and "data-preview" in preview.text
    )
    assert "<html" not in preview.text  # a fragment
    # Without JavaScript the Preview button posts the editor and gets the page with the table.
    fallback = world.post("editor", "/tags/edit", tag_form("vendor", values, "preview"))
    assert "<html" in fallback.text and "data-preview" in fallback.text
    moved = world.post("editor", "/tags/edit", tag_form("vendor", values, "up:1"))
    assert moved.text.index("A: 60") < moved.text.index(">Claude</textarea>")
    wrong = tag_form("vendor", [("X", "costs.service =")], "save")
    refused = world.post("editor", "/tags/edit", wrong)
    assert refused.status_code == 400 and "value 1: filter: expected" in problem(refused)
    saved = world.post("editor", "/tags/edit", tag_form("vendor", values, "save"))
    assert saved.status_code == 200 and "Saved tag vendor" in saved.text
    tags = world.outlay.tags("A")
    assert tags.keys == ("team", "vendor")
    assert tags.get("vendor").values[1].split == (("A", 600_000), ("B", 400_000))
    report = world.get("editor", "/reports?workspace=A&groupings=tag:vendor&date_bin=cumulative")
    assert report.status_code == 200 and ">Claude</a>" in report.text


@pytest.mark.parametrize(
    ("key", "label", "dates", "message"),
    [
        ("cursor:mine", "A", ("", ""), "tag key 'cursor:mine' is reserved for Cursor's own tags"),
        ("", "A", ("", ""), "a tag needs a key, e.g. team"),
        ("vendor", "A: 60\nB: 30", ("", ""), "value 2: split shares add up to 90, not 100"),
        ("vendor", "A: 60\nA: 40", ("", ""), "value 2: split names 'A' twice"),
        ("vendor", "A: 60\nB forty", ("", ""), "value 2: split line 'B forty' should read"),
        ("vendor", "A", ("2026-02-01", "2026-01-01"), "value 2: dates: end 2026-01-01 is before"),
        ("vendor", "A", ("2026-02-30", ""), "value 2: start date '2026-02-30' is not YYYY-MM-DD"),
    ],
)
def test_the_tag_editor_refuses_a_bad_draft_by_the_tag_files_rules(
    world: World, key: str, label: str, dates: tuple[str, str], message: str
) -> None:
    form = tag_form(
        key, [("Claude", "costs.service LIKE 'claude%'"), (label, "costs.service = 'x'")], "save"
    )
    form["v_start"], form["v_end"] = ["", dates[0]], ["", dates[1]]
    before = world.outlay.tags("A").to_yaml()
    refused = world.post("editor", "/tags/edit", form)
    assert refused.status_code == 400 and message in problem(refused)
    assert world.outlay.tags("A").to_yaml() == before


def test_tags_import_replaces_and_export_downloads(world: World) -> None:
    upload = world.post("editor", "/tags/import", {"workspace": "A"},
                        files={"file": ("tags.yaml", TAGS_A.replace("team", "group"), "text/yaml")})  # fmt: skip
    assert upload.status_code == 200 and world.outlay.tags("A").keys == ("group",)
    broken = world.post("editor", "/tags/import", {"workspace": "A", "yaml": "- key: x\n"})
    assert broken.status_code == 400 and "pasted YAML" in problem(broken)
    assert world.outlay.tags("A").keys == ("group",)
    exported = world.get("editor", "/tags/export.yaml?workspace=A")
    assert "attachment" in exported.headers["content-disposition"]
    assert exported.text == world.outlay.tags("A").to_yaml()
    world.post("editor", "/tags/delete", {"workspace": "A", "key": "group", "confirm": "yes"})
    assert world.outlay.tags("A").keys == ()


# -- admin -----------------------------------------------------------------------------------


def test_owner_adds_a_workspace_and_a_user_who_can_sign_in(world: World) -> None:
    world.post("owner", "/admin/workspaces", {"name": "Research"})
    added = world.post("owner", "/admin/users", {"email": "new@x.io", "role": "editor",
                                                 "password": PASSWORD, "workspaces": "Research"})  # fmt: skip
    assert "Added user new@x.io" in added.text
    client = TestClient(world.clients["owner"].app)
    page = sign_in(client, "new@x.io", PASSWORD)
    assert page.status_code == 200 and query_of(str(page.url))["workspace"] == "Research"
    short = world.post("owner", "/admin/users",
                       {"email": "s@x.io", "role": "viewer", "password": "short"})  # fmt: skip
    assert short.status_code == 400 and "at least 10 characters" in problem(short)


def test_a_token_is_shown_once_works_and_can_be_revoked(world: World) -> None:
    created = world.post("viewer", "/tokens", {"name": "ci", "days": "30"})
    found = re.search(r'value="(olt_[^"]+)" id="new-token"', created.text)
    assert found is not None
    token = found.group(1)
    api = world.clients["viewer"]
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/accounts", headers=headers).status_code == 200
    assert token not in world.get("viewer", "/tokens").text
    listed = world.outlay.access.credentials(
        world.outlay.access.user_by_email("viewer@x.io").id,
        "token",
    )
    newest = max(c.id for c in listed)
    revoked = world.post("viewer", "/tokens/revoke", {"token_id": str(newest)})
    assert "Revoked the token" in revoked.text
    assert api.get("/api/v1/accounts", headers=headers).status_code == 401
    others = world.post("viewer", "/tokens/revoke", {"token_id": token_id(world, "owner")})
    assert others.status_code == 404


def test_forecast_shows_for_a_range_with_today_and_says_why_not_otherwise(shared: World) -> None:
    page = shared.get("viewer", "/reports?interval=this_month&forecast=true").text
    assert 'id="forecast"' in page and "Forecast 2026-11" in page
    page = shared.get("viewer", "/reports?interval=last_month&forecast=true").text
    assert 'id="forecast"' not in page
    assert "The forecast needs a date range that includes today." in page
    page = shared.get("viewer", "/reports?interval=this_month&forecast=true&measure=usage").text
    assert "The forecast is for cost and count, not usage." in page


def test_renaming_a_tag_in_the_editor_replaces_it_in_place(world: World) -> None:
    form = tag_form("group", [("Claude", "costs.service LIKE 'claude%'")], "save")
    renamed = world.post("editor", "/tags/edit", {**form, "original": "team"})
    assert renamed.status_code == 200 and "Saved tag group" in renamed.text
    assert world.outlay.tags("A").keys == ("group",)
    edit = world.get("editor", "/tags?workspace=A&tag=group").text
    assert 'name="original" value="group"' in edit and ">Claude</textarea>" in edit


def test_a_sign_in_without_the_form_token_is_refused(world: World) -> None:
    client = TestClient(world.clients["owner"].app)
    refused = client.post("/login", data={"email": "owner@x.io", "password": PASSWORD})
    assert refused.status_code == 403 and "sign in again" in refused.text
    assert client.get("/reports", follow_redirects=False).status_code == 303  # still signed out
    client.get("/login")  # a token for another browser does not work either
    forged = client.post("/login", data={"email": "owner@x.io", "password": PASSWORD,
                                         "csrf": "not-the-token"})  # fmt: skip
    assert forged.status_code == 403
    assert sign_in(client, "owner@x.io", PASSWORD).status_code == 200


# -- errors: one handler, forms keep what was typed ------------------------------------------


def test_no_page_handler_catches_outlay_errors_itself() -> None:
    pages = Path(create_app.__code__.co_filename).parent / "pages"
    catching = []
    for path in sorted(pages.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef):
                continue
            routed = any(
                isinstance(d, ast.Call) and "router." in ast.unparse(d.func)
                for d in node.decorator_list
            )
            if routed and any(isinstance(n, ast.ExceptHandler) for n in ast.walk(node)):
                catching.append(f"{path.name}: {node.name}")
    assert catching == []


def test_a_refused_connect_shows_the_form_as_typed_with_a_message_naming_no_flag(
    world: World,
) -> None:
    refused = world.post("admin", "/integrations/connect",
                         {"name": "  ", "api_key": "secret-key-typed", "base_url": BASE_URL,
                          "workspace": "A"})  # fmt: skip
    assert refused.status_code == 400
    assert problem(refused) == "the account name must be 1 to 200 characters"
    assert f'name="base_url" value="{BASE_URL}"' in refused.text
    assert "<option selected>A</option>" in refused.text
    assert "secret-key-typed" not in refused.text
    bad_url = world.post("admin", "/integrations/connect",
                         {"name": "x", "api_key": DEFAULT_KEY, "base_url": "ftp://x"})  # fmt: skip
    assert bad_url.status_code == 400 and "--" not in problem(bad_url)
    assert "the base URL 'ftp://x' is not an http(s) URL" in problem(bad_url)
    taken = world.post("admin", "/integrations/connect",
                       {"name": "acme", "api_key": DEFAULT_KEY, "base_url": BASE_URL})  # fmt: skip
    assert taken.status_code == 409 and problem(taken) == "an account named 'acme' exists already"


def test_a_wrong_password_shows_the_sign_in_form_again_with_the_email(world: World) -> None:
    client = TestClient(world.clients["owner"].app)
    refused = sign_in(client, "viewer@x.io", "not the password")
    assert refused.status_code == 200 and problem(refused) == "wrong email or password"
    assert 'name="email" value="viewer@x.io"' in refused.text
    assert client.get("/reports", follow_redirects=False).status_code == 303


def test_sync_now_from_the_page_and_the_api_is_one_service_decision(world: World) -> None:
    token = world.outlay.create_token("admin@x.io")
    api = world.clients["admin"].post(
        "/api/v1/accounts/acme/sync", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status_code == 202
    page = world.post("admin", "/integrations/sync", {"account": "acme"})
    assert page.status_code == 200 and "Sync of acme queued" in page.text
    assert world.scheduler.pending() == world.outlay.sync_queue.pending() == {"acme"}
    assert world.outlay.sync_queue.next(timeout=0) == "acme"
    assert world.outlay.sync_queue.next(timeout=0) is None  # queued once
