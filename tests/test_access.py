"""Workspaces, roles, sign-in and tokens at the service level: the layer the web app and API use.

Two fake Cursor teams (different seeds, one virtual clock) stand behind accounts ``a`` (only in
workspace A) and ``b`` (only in workspace B), so a leak of ``b`` into A shows in the totals.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, update

from outlay.access import Principal, hash_password
from outlay.errors import (
    AccountNotFound,
    ConflictError,
    ForbiddenError,
    InputError,
    NotFoundError,
    UnauthenticatedError,
)
from outlay.ingest.windows import utc_day
from outlay.report.spec import ReportSpec
from outlay.service import SESSION_LIFETIME, TOKEN_DAYS, Outlay
from outlay.store.access import User
from outlay.store.schema import UserRow
from outlay.testing.cursor_fake.api import DEFAULT_KEY, FakeCursorAPI
from outlay.testing.cursor_fake.team import FakeTeam, TeamSpec
from outlay.testing.cursor_fake.transport import mock_transport
from tests.fakes import BASE_URL, NOW_MS, Clock, FakeCursor, fake_cursor, make_outlay

TODAY = utc_day(NOW_MS)
EVERYTHING: dict[str, Any] = {
    "start": TODAY - timedelta(days=400),
    "end": TODAY + timedelta(days=30),
    "date_bin": "cumulative",
}
B_URL = "https://team-b.fake.test"  # routed to the second fake team
PASSWORD = "correct horse battery"
ROLES = ("viewer", "editor", "admin", "owner")


def tag_yaml(key: str) -> str:
    return f"- key: {key}\n  values:\n    - name: Chat\n      filter: costs.service = 'chat'\n"


def spec(**changes: Any) -> ReportSpec:
    return ReportSpec(**{**EVERYTHING, **changes})


def total(fake: FakeCursor) -> Decimal:
    """What the fake team charged, in dollars: the truth a report must match."""
    return sum(fake.team.charged_cents_by("model", 0, fake.clock.now_ms()).values()) / 100


@functools.cache
def password_hash() -> str:
    return hash_password(PASSWORD)


def add_member(outlay: Outlay, email: str, role: str, workspaces: list[str]) -> User:
    """A user with PASSWORD, through the store: argon2 runs once per module, not per user
    (``Outlay.add_user`` itself is tested at the end of this file)."""
    spaces = [outlay.access.workspace(w).id for w in workspaces]
    return outlay.access.add_user(email, password_hash(), role, spaces, now=outlay.clock.now())


@dataclass
class World:
    outlay: Outlay
    fake_a: FakeCursor
    fake_b: FakeCursor
    users: dict[str, User]

    def as_(self, who: str) -> Principal:
        return self.outlay.principal_of(self.users[who])


def build_world(data_dir: Path) -> World:
    """Workspaces A and B; ``a`` in A, ``b`` in B, both synced; a tag and a saved report in
    each; a viewer, editor and admin of A, a viewer of B and an owner (member of Default)."""
    fake_a = fake_cursor(TeamSpec(seed=3, users=3, days=10))
    team_b = FakeTeam(TeamSpec(seed=11, users=5, days=10), now_ms=fake_a.clock.now_ms)
    fake_b = FakeCursor(fake_a.clock, team_b, FakeCursorAPI(team_b, clock=fake_a.clock.monotonic))
    to_b = mock_transport(fake_b.api)

    def route(request: httpx.Request) -> httpx.Response | None:
        return to_b.handle_request(request) if request.url.host == "team-b.fake.test" else None

    outlay = make_outlay(data_dir, fake_a, route, also_allowed=(B_URL,))
    outlay.add_workspace("A")
    outlay.add_workspace("B")
    outlay.add_account("cursor", "a", DEFAULT_KEY, base_url=BASE_URL, workspaces=["A"])
    outlay.add_account("cursor", "b", DEFAULT_KEY, base_url=B_URL, workspaces=["B"])
    assert outlay.sync("a").events > 0 and outlay.sync("b").events > 0
    for space in ("A", "B"):
        outlay.import_tags(tag_yaml(f"tier_{space.lower()}"), "tags.yaml", space)
        outlay.save_report(f"weekly-{space.lower()}", spec(), workspace=space)
    users = {
        role: add_member(outlay, f"{role}@a.test", role, ["A"])
        for role in ("viewer", "editor", "admin")
    }
    users["viewer_b"] = add_member(outlay, "viewer@b.test", "viewer", ["B"])
    users["owner"] = add_member(outlay, "owner@x.test", "owner", ["Default"])
    return World(outlay, fake_a, fake_b, users)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Shared by tests that only read, or that are refused (and check nothing changed)."""
    return build_world(tmp_path_factory.mktemp("world"))


@pytest.fixture
def fresh(tmp_path: Path) -> World:
    """For tests that change things."""
    return build_world(tmp_path)


def state(outlay: Outlay) -> Any:
    """Everything a refused call must leave as it was."""
    access = outlay.access
    return (
        [
            (
                a.name,
                a.status,
                a.last_synced_at,
                a.events_imported,
                [w.name for w in access.workspaces_of_account(a.id)],
            )
            for a in outlay.accounts()
        ],
        [w.name for w in access.workspaces()],
        [(u.email, u.role) for u in access.users()],
        {
            w.name: (
                [(r.name, r.spec) for r in outlay.saved_reports(workspace=w.name)],
                outlay.tags(w.name).to_yaml(),
            )
            for w in access.workspaces()
        },
        outlay.facts.query("SELECT count(*), sum(cost) FROM cost_rows").rows,
    )


# -- 1. workspaces ---------------------------------------------------------------------------


def test_a_new_install_has_a_default_workspace_and_new_accounts_join_it(tmp_path: Path) -> None:
    outlay = make_outlay(tmp_path, fake_cursor(TeamSpec(users=2, days=3)))
    assert [w.name for w in outlay.access.workspaces()] == ["Default"]
    account = outlay.add_account("cursor", "acme", DEFAULT_KEY, base_url=BASE_URL)
    assert [w.name for w in outlay.access.workspaces_of_account(account.id)] == ["Default"]


def test_an_account_added_to_named_workspaces_joins_only_those(tmp_path: Path) -> None:
    outlay = make_outlay(tmp_path, fake_cursor(TeamSpec(users=2, days=3)))
    outlay.add_workspace("A")
    outlay.add_workspace("B")
    only_b = outlay.add_account("cursor", "x", DEFAULT_KEY, base_url=BASE_URL, workspaces=["B"])
    both = outlay.add_account("cursor", "y", DEFAULT_KEY, base_url=BASE_URL, workspaces=["A", "B"])
    assert [w.name for w in outlay.access.workspaces_of_account(only_b.id)] == ["B"]
    assert [w.name for w in outlay.access.workspaces_of_account(both.id)] == ["A", "B"]
    assert outlay.report(spec()).total == 0  # the Default workspace has no account


# -- 2. isolation between workspaces ---------------------------------------------------------


def test_a_viewer_lists_only_the_accounts_of_its_workspaces(world: World) -> None:
    assert [a.name for a in world.outlay.accounts(world.as_("viewer"))] == ["a"]
    assert [a.name for a in world.outlay.accounts(world.as_("viewer_b"))] == ["b"]
    assert [a.name for a in world.outlay.accounts(world.as_("owner"))] == ["a", "b"]


def test_an_account_in_another_workspace_looks_exactly_like_one_that_does_not_exist(
    world: World,
) -> None:
    viewer = world.as_("viewer")
    with pytest.raises(AccountNotFound) as hidden:
        world.outlay.account("b", viewer)
    with pytest.raises(AccountNotFound) as missing:
        world.outlay.account("zz", viewer)
    assert str(hidden.value) == "no account named 'b' (accounts: a)"
    assert str(missing.value) == str(hidden.value).replace("'b'", "'zz'")
    assert world.outlay.account("a", viewer).name == "a"


@pytest.mark.parametrize(
    "call",
    [
        lambda o, p: o.report(spec(), principal=p, workspace="B"),
        lambda o, p: o.saved_reports(p, "B"),
        lambda o, p: o.saved_spec("weekly-b", p, "B"),
        lambda o, p: o.tags("B", p),
    ],
    ids=["report", "saved_reports", "saved_spec", "tags"],
)
def test_a_viewer_is_refused_any_read_of_a_workspace_it_is_not_in(
    world: World, call: Callable[[Outlay, Principal], Any]
) -> None:
    with pytest.raises(NotFoundError, match=r"no workspace named 'B' \(workspaces: A\)"):
        call(world.outlay, world.as_("viewer"))


def test_a_workspace_report_counts_its_own_accounts_costs_and_never_anothers(
    world: World,
) -> None:
    outlay, viewer = world.outlay, world.as_("viewer")
    a, b = total(world.fake_a), total(world.fake_b)
    assert a > 0 and b > 0 and a != b
    seen_by_viewer = outlay.report(spec(), principal=viewer, workspace="A")
    assert seen_by_viewer.total == a
    assert outlay.report(spec(), workspace="A").total == a  # the owner sees the same in A
    assert outlay.report(spec(), principal=world.as_("owner"), workspace="B").total == b
    by_account = outlay.report(spec(group_by=("account",)), principal=viewer, workspace="A")
    assert [(r["account"], r["cost"]) for r in by_account.rows] == [("a", a)]


def test_without_a_workspace_name_a_member_gets_its_own_workspace_never_another(
    world: World,
) -> None:
    outlay = world.outlay
    assert outlay.report(spec(), principal=world.as_("viewer")).total == total(world.fake_a)
    assert outlay.report(spec(), principal=world.as_("viewer_b")).total == total(world.fake_b)
    assert outlay.report(spec(), principal=world.as_("owner")).total == 0  # Default: no account


def test_a_user_in_no_workspace_reads_nothing(fresh: World) -> None:
    loner = fresh.outlay.principal_of(add_member(fresh.outlay, "loner@x.test", "editor", []))
    assert fresh.outlay.accounts(loner) == []
    with pytest.raises(NotFoundError, match="belongs to no workspace"):
        fresh.outlay.report(spec(), principal=loner)
    with pytest.raises(NotFoundError, match=r"no workspace named 'A' \(workspaces: none\)"):
        fresh.outlay.tags("A", loner)


def test_a_filter_naming_another_workspaces_account_cannot_reach_its_costs(
    world: World,
) -> None:
    outlay, viewer, a = world.outlay, world.as_("viewer"), total(world.fake_a)
    only_b = spec(filter="costs.account = 'b'")
    assert outlay.report(only_b, principal=viewer, workspace="A").total == 0
    either = spec(filter="costs.account = 'b' OR costs.account = 'a'")
    assert outlay.report(either, principal=viewer, workspace="A").total == a


def test_a_comparison_with_the_previous_period_stays_inside_the_workspace(
    world: World,
) -> None:
    week = {"start": TODAY - timedelta(days=6), "end": TODAY, "date_bin": "cumulative"}
    compared = ReportSpec(**week, group_by=("account",), compare="previous")
    result = world.outlay.report(compared, principal=world.as_("viewer"), workspace="A")
    assert result.groups is not None
    assert {g["account"] for g in result.groups} == {"a"}
    assert sum(g["previous"] for g in result.groups) > 0


def test_tags_saved_in_one_workspace_are_invisible_from_the_other(world: World) -> None:
    outlay, viewer_a, viewer_b = world.outlay, world.as_("viewer"), world.as_("viewer_b")
    assert outlay.tags("A", viewer_a).keys == ("tier_a",)
    assert outlay.tags("B", viewer_b).keys == ("tier_b",)
    assert outlay.tags("A").keys == ("tier_a",)  # the owner too sees each set apart
    grouped = spec(group_by=("tag:tier_b",))
    # In A, B's tag is carried by no cost row: one untagged group and a notice, not B's values.
    seen_from_a = outlay.report(grouped, principal=viewer_a, workspace="A")
    assert len(seen_from_a.notices) == 1
    assert seen_from_a.notices[0].startswith(
        "no cost row carries tag 'tier_b'; known tags: tier_a, cursor:"
    )
    assert {r["tag:tier_b"] for r in seen_from_a.rows} == {None}
    assert seen_from_a.total == total(world.fake_a)
    assert outlay.report(grouped, principal=viewer_b, workspace="B").total == total(world.fake_b)


def test_saved_reports_of_one_workspace_are_invisible_from_the_other(fresh: World) -> None:
    outlay, viewer_a, viewer_b = fresh.outlay, fresh.as_("viewer"), fresh.as_("viewer_b")
    assert [r.name for r in outlay.saved_reports(viewer_a, "A")] == ["weekly-a"]
    assert [r.name for r in outlay.saved_reports(viewer_b, "B")] == ["weekly-b"]
    with pytest.raises(NotFoundError, match="no saved report 'weekly-b'"):
        outlay.saved_spec("weekly-b", viewer_a, "A")
    # The same name in both workspaces: two reports, each answering only in its own.
    outlay.save_report("shared", spec(group_by=("service",)), workspace="A")
    outlay.save_report("shared", spec(group_by=("resource",)), workspace="B")
    assert outlay.saved_spec("shared", viewer_a, "A").group_by == ("service",)
    assert outlay.saved_spec("shared", viewer_b, "B").group_by == ("resource",)
    outlay.delete_report("shared", workspace="B")
    assert outlay.saved_spec("shared", viewer_a, "A").group_by == ("service",)


# -- 3. roles --------------------------------------------------------------------------------

REFUSABLE: dict[str, tuple[str, Callable[[Outlay, Principal], Any]]] = {
    "save_report": ("editor", lambda o, p: o.save_report("mine", spec(), principal=p, workspace="A")),
    "delete_report": ("editor", lambda o, p: o.delete_report("weekly-a", p, "A")),
    "import_tags": ("editor", lambda o, p: o.import_tags(tag_yaml("new"), "t.yaml", "A", p)),
    "import_tag_csv": (
        "editor",
        lambda o, p: o.import_tag_csv("dept", "x@y.test,R&D\n", "d.csv", "A", p),
    ),
    "replace_tags": ("editor", lambda o, p: o.replace_tags(o.tags("B"), "A", p)),
    "delete_tag": ("editor", lambda o, p: o.delete_tag("tier_a", "A", p)),
    "add_account": (
        "admin",
        lambda o, p: o.add_account(
            "cursor", "c", DEFAULT_KEY, base_url=BASE_URL, principal=p, workspaces=["A"]
        ),
    ),
    "remove_account": ("admin", lambda o, p: o.remove_account("a", p)),
    "sync": ("admin", lambda o, p: o.sync("a", principal=p)),
    "attach": ("admin", lambda o, p: o.attach("a", "A", p)),
    "add_workspace": ("admin", lambda o, p: o.add_workspace("C", p)),
    "add_user": ("owner", lambda o, p: o.add_user("new@a.test", "viewer", PASSWORD, ["A"], p)),
}  # fmt: skip
REFUSALS = [
    pytest.param(role, op, id=f"{role}-{op}")
    for role in ("viewer", "editor", "admin")
    for op, (needed, _) in REFUSABLE.items()
    if ROLES.index(role) < ROLES.index(needed)
]


@pytest.mark.parametrize(("role", "op"), REFUSALS)
def test_a_role_below_the_one_needed_is_refused_and_nothing_changes(
    world: World, role: str, op: str
) -> None:
    needed, call = REFUSABLE[op]
    before = state(world.outlay)
    calls_before = len(world.fake_a.api.log) + len(world.fake_b.api.log)
    with pytest.raises(ForbiddenError) as refused:
        call(world.outlay, world.as_(role))
    assert str(refused.value) == (
        f"{role}@a.test is a {role}; this needs the {needed} role or above"
    )
    assert state(world.outlay) == before
    assert len(world.fake_a.api.log) + len(world.fake_b.api.log) == calls_before  # no API call


def test_an_editor_saves_and_deletes_reports_and_tags_in_its_workspace(fresh: World) -> None:
    outlay, editor = fresh.outlay, fresh.as_("editor")
    outlay.save_report("mine", spec(group_by=("service",)), principal=editor, workspace="A")
    assert outlay.saved_spec("mine", editor, "A").group_by == ("service",)
    outlay.delete_report("weekly-a", editor, "A")
    assert [r.name for r in outlay.saved_reports(editor, "A")] == ["mine"]
    outlay.import_tags(tag_yaml("team"), "t.yaml", "A", editor)
    outlay.import_tag_csv("dept", "email,value\nx@y.test,R&D\n", "d.csv", "A", editor)
    assert outlay.tags("A", editor).keys == ("team", "dept")
    outlay.delete_tag("team", "A", editor)
    assert outlay.tags("A", editor).keys == ("dept",)
    assert outlay.tags("B").keys == ("tier_b",)  # B untouched
    with pytest.raises(NotFoundError):
        outlay.save_report("mine", spec(), principal=editor, workspace="B")


def test_an_admin_manages_the_accounts_of_its_workspace(fresh: World) -> None:
    outlay, admin = fresh.outlay, fresh.as_("admin")
    outlay.add_account("cursor", "c", DEFAULT_KEY, base_url=BASE_URL, principal=admin,
                       workspaces=["A"])  # fmt: skip
    assert [a.name for a in outlay.accounts(admin)] == ["a", "c"]
    assert outlay.sync("c", principal=admin).events > 0
    assert outlay.remove_account("c", admin) > 0
    assert [a.name for a in outlay.accounts(admin)] == ["a"]
    assert outlay.add_workspace("C", admin).name == "C"
    with pytest.raises(NotFoundError):  # not a member of B: cannot put an account there
        outlay.add_account("cursor", "d", DEFAULT_KEY, base_url=BASE_URL, principal=admin,
                           workspaces=["B"])  # fmt: skip
    with pytest.raises(AccountNotFound, match="no account named 'b'"):
        outlay.remove_account("b", admin)
    assert [a.name for a in outlay.accounts()] == ["a", "b"]


def test_an_owner_sees_every_workspace_without_being_a_member(world: World) -> None:
    outlay, owner = world.outlay, world.as_("owner")
    assert owner.workspace_ids is None
    assert outlay.access.user_workspace_ids(world.users["owner"].id) == frozenset(
        {outlay.access.workspace("Default").id}
    )
    assert outlay.report(spec(), principal=owner, workspace="A").total == total(world.fake_a)
    assert outlay.report(spec(), principal=owner, workspace="B").total == total(world.fake_b)
    assert outlay.tags("B", owner).keys == ("tier_b",)
    assert [r.name for r in outlay.saved_reports(owner, "A")] == ["weekly-a"]


def test_a_workspace_one_cannot_see_looks_exactly_like_one_that_does_not_exist(
    world: World,
) -> None:
    viewer = world.as_("viewer")
    with pytest.raises(NotFoundError) as hidden:
        world.outlay.tags("B", viewer)
    with pytest.raises(NotFoundError) as missing:
        world.outlay.tags("Zz", viewer)
    assert "Default, A, B" not in str(missing.value)
    assert str(missing.value) == str(hidden.value).replace("'B'", "'Zz'")


# -- 4. sign-in and sessions -----------------------------------------------------------------


@pytest.fixture
def people(tmp_path: Path) -> Outlay:
    """An install with a viewer of Default and an owner, and no accounts."""
    outlay = make_outlay(tmp_path, fake_cursor(TeamSpec(users=2, days=3)))
    add_member(outlay, "viewer@x.test", "viewer", ["Default"])
    add_member(outlay, "owner@x.test", "owner", ["Default"])
    return outlay


def test_the_right_password_opens_a_session_for_that_user(people: Outlay) -> None:
    secret, csrf = people.login("viewer@x.test", PASSWORD)
    assert secret != csrf and len(secret) >= 40 and len(csrf) >= 40
    principal, credential = people.authenticate("session", secret)
    default = people.access.workspace("Default").id
    assert principal == Principal(
        people.access.user_by_email("viewer@x.test").id,
        "viewer@x.test",
        "viewer",
        frozenset({default}),
    )
    assert credential.kind == "session" and credential.csrf_token == csrf
    assert credential.expires_at == credential.created_at + SESSION_LIFETIME
    assert people.login("VIEWER@x.test", PASSWORD)[0] != secret  # case-blind, a new session


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(people: Outlay) -> None:
    with pytest.raises(UnauthenticatedError) as wrong:
        people.login("viewer@x.test", PASSWORD + "!")
    with pytest.raises(UnauthenticatedError) as unknown:
        people.login("nobody@x.test", PASSWORD)
    assert str(wrong.value) == str(unknown.value) == "wrong email or password"


def advance(outlay: Outlay, by: timedelta) -> None:
    """Move the service's (fake) clock on: sessions, tokens and throttling all read it."""
    assert isinstance(outlay.clock, Clock)
    outlay.clock.advance(by)


def test_five_failures_delay_that_email_from_that_address_not_elsewhere(people: Outlay) -> None:
    for attempt in range(5):
        with pytest.raises(UnauthenticatedError, match="wrong email or password"):
            # Case does not give an attacker five more tries.
            people.login("viewer@x.test" if attempt % 2 else "Viewer@X.test", "wrong-password")
    with pytest.raises(UnauthenticatedError, match=r"too many failed sign-ins for viewer@x\.test"):
        people.login("viewer@x.test", PASSWORD)
    people.login("owner@x.test", PASSWORD)  # another email is not delayed
    people.login("viewer@x.test", PASSWORD, client="198.51.100.7")  # nor another address
    advance(people, timedelta(seconds=1))
    people.login("viewer@x.test", PASSWORD)  # a delay, not a lock


def test_an_unknown_email_is_locked_the_same_way(people: Outlay) -> None:
    for _ in range(5):
        with pytest.raises(UnauthenticatedError, match="wrong email or password"):
            people.login("nobody@x.test", PASSWORD)
    with pytest.raises(UnauthenticatedError, match=r"too many failed sign-ins for nobody@x\.test"):
        people.login("nobody@x.test", PASSWORD)


def test_a_successful_sign_in_clears_the_failure_count(people: Outlay) -> None:
    for failures in (4, 1):
        for _ in range(failures):
            with pytest.raises(UnauthenticatedError, match="wrong email or password"):
                people.login("viewer@x.test", "wrong-password")
        people.login("viewer@x.test", PASSWORD)  # 5 failures in the window, never 5 in a row


def test_an_unknown_email_takes_as_long_to_refuse_as_a_wrong_password(people: Outlay) -> None:
    def fastest(email: str) -> float:
        times = []
        for _ in range(3):
            began = time.perf_counter()
            with pytest.raises(UnauthenticatedError, match="wrong email or password"):
                people.login(email, "wrong-password")
            times.append(time.perf_counter() - began)
        return min(times)

    assert fastest("nobody@x.test") >= fastest("viewer@x.test") / 3


def test_a_revoked_session_is_refused_and_other_sessions_go_on(people: Outlay) -> None:
    first, _ = people.login("viewer@x.test", PASSWORD)
    second, _ = people.login("viewer@x.test", PASSWORD)
    _, credential = people.authenticate("session", first)
    people.revoke(credential)
    with pytest.raises(UnauthenticatedError, match="sign in again"):
        people.authenticate("session", first)
    assert people.authenticate("session", second)[0].email == "viewer@x.test"


@pytest.mark.parametrize(
    ("kind", "message"),
    [("session", "sign in again"), ("token", "the API token is unknown, expired or revoked")],
)
def test_an_expired_session_or_token_is_refused(people: Outlay, kind: str, message: str) -> None:
    secret = (
        people.login("viewer@x.test", PASSWORD)[0]
        if kind == "session"
        else people.create_token("viewer@x.test")
    )
    lifetime = SESSION_LIFETIME if kind == "session" else timedelta(days=TOKEN_DAYS)
    advance(people, lifetime - timedelta(seconds=1))
    people.authenticate(kind, secret)  # valid up to its last second
    advance(people, timedelta(seconds=1))
    with pytest.raises(UnauthenticatedError, match=message):
        people.authenticate(kind, secret)


def test_the_credentials_of_a_deleted_user_are_refused(people: Outlay) -> None:
    session, _ = people.login("viewer@x.test", PASSWORD)
    token = people.create_token("viewer@x.test")
    with people.meta.session() as s:
        s.execute(delete(UserRow).where(UserRow.email == "viewer@x.test"))
    with pytest.raises(UnauthenticatedError):
        people.authenticate("session", session)
    with pytest.raises(UnauthenticatedError):
        people.authenticate("token", token)


def test_a_changed_role_applies_at_the_next_request(people: Outlay) -> None:
    token = people.create_token("viewer@x.test")
    assert people.authenticate("token", token)[0].role == "viewer"
    with people.meta.session() as s:
        s.execute(update(UserRow).where(UserRow.email == "viewer@x.test").values(role="editor"))
    assert people.authenticate("token", token)[0].role == "editor"


# -- 5. API tokens ---------------------------------------------------------------------------


def test_a_token_authenticates_as_its_user_for_a_year(people: Outlay) -> None:
    token = people.create_token("owner@x.test", "ci")
    assert token.startswith("olt_") and len(token) > 40
    principal, credential = people.authenticate("token", token)
    assert (principal.email, principal.role, principal.workspace_ids) == (
        "owner@x.test", "owner", None,
    )  # fmt: skip
    assert credential.kind == "token" and credential.name == "ci"
    assert credential.expires_at == credential.created_at + timedelta(days=TOKEN_DAYS)
    forever = people.create_token("owner@x.test", days=None)
    assert people.authenticate("token", forever)[1].expires_at is None


@pytest.mark.embedded_only
def test_only_the_sha256_of_a_secret_is_written_to_disk(people: Outlay) -> None:
    token = people.create_token("viewer@x.test", "ci")
    session, csrf = people.login("viewer@x.test", PASSWORD)
    people.facts  # noqa: B018 (create the DuckDB file too, so that it is searched as well)
    stored = b"".join(p.read_bytes() for p in people.settings.data_dir.rglob("*") if p.is_file())
    assert people.settings.meta_path.exists()
    for secret in (token, session):
        assert secret.encode() not in stored
        assert hashlib.sha256(secret.encode()).hexdigest().encode() in stored
    assert PASSWORD.encode() not in stored
    assert csrf.encode() in stored  # the CSRF token is not a credential: kept to compare


@pytest.mark.parametrize(
    "secret",
    ["", "garbage", "olt_", "olt_" + "A" * 43],
    ids=["empty", "garbage", "prefix-only", "random"],
)
def test_an_unknown_token_is_refused(people: Outlay, secret: str) -> None:
    people.create_token("viewer@x.test")
    with pytest.raises(UnauthenticatedError, match="the API token is unknown, expired or revoked"):
        people.authenticate("token", secret)


def test_a_revoked_token_is_refused(people: Outlay) -> None:
    token = people.create_token("viewer@x.test")
    kept = people.create_token("viewer@x.test")
    people.revoke(people.authenticate("token", token)[1])
    with pytest.raises(UnauthenticatedError, match="unknown, expired or revoked"):
        people.authenticate("token", token)
    people.authenticate("token", kept)


def test_a_session_is_not_a_token_and_a_token_is_not_a_session(people: Outlay) -> None:
    session, csrf = people.login("viewer@x.test", PASSWORD)
    token = people.create_token("viewer@x.test")
    with pytest.raises(UnauthenticatedError):
        people.authenticate("token", session)
    with pytest.raises(UnauthenticatedError):
        people.authenticate("token", csrf)
    with pytest.raises(UnauthenticatedError, match="sign in again"):
        people.authenticate("session", token)


def test_a_token_for_an_unknown_user_is_not_created(people: Outlay) -> None:
    with pytest.raises(NotFoundError, match=r"no user 'nobody@x\.test'"):
        people.create_token("nobody@x.test")


# -- 6. users: passwords, roles, emails ------------------------------------------------------


def test_a_password_shorter_than_ten_characters_is_refused(people: Outlay) -> None:
    with pytest.raises(InputError, match="the password must be at least 10 characters"):
        people.add_user("short@x.test", "viewer", "123456789")
    assert people.access.user_by_email("short@x.test") is None
    people.add_user("short@x.test", "viewer", "1234567890")
    people.login("short@x.test", "1234567890")


def test_a_role_outside_the_four_is_refused_with_the_list(people: Outlay) -> None:
    with pytest.raises(
        InputError, match=r"unknown role 'superuser'; use one of viewer, editor, admin, owner"
    ):
        people.add_user("root@x.test", "superuser", PASSWORD)
    assert people.access.user_by_email("root@x.test") is None
    for role in ROLES:
        assert people.add_user(f"{role}2@x.test", role, PASSWORD).role == role


def test_a_user_needs_an_email_address_and_known_workspaces(people: Outlay) -> None:
    with pytest.raises(InputError, match="is not an email address"):
        people.add_user("no-at-sign", "viewer", PASSWORD)
    with pytest.raises(NotFoundError, match="no workspace named 'Nope'"):
        people.add_user("w@x.test", "viewer", PASSWORD, ["Nope"])
    with pytest.raises(ConflictError, match=r"a user 'viewer@x\.test' exists already"):
        people.add_user("viewer@x.test", "editor", PASSWORD)


def test_emails_that_differ_only_in_case_are_the_same_user(people: Outlay) -> None:
    with pytest.raises(ConflictError, match="exists already"):
        people.add_user("VIEWER@x.test", "owner", PASSWORD + "2")


# -- 7. every method checks its principal ----------------------------------------------------

#: The way to a principal takes none (sign-in, single sign-on, and the one-time links of
#: invitations and password resets, whose secret is the proof); ``today`` reads the clock only.
UNCHECKED = {
    "login", "authenticate", "principal_of", "today", "sso_begin", "sso_sign_in",
    "password_sign_in", "invitation", "accept_invitation", "reset_link", "reset_password",
}  # fmt: skip


def test_every_public_method_of_the_service_declares_the_role_it_needs() -> None:
    methods = {
        name: method
        for name, method in inspect.getmembers(Outlay, inspect.isfunction)
        if not name.startswith("_")
    }
    assert {"create_token", "revoke", "request_sync", "report"} <= set(methods)
    undeclared = [
        name
        for name, method in methods.items()
        if name not in UNCHECKED and getattr(method, "required_action", None) is None
    ]
    assert undeclared == []


def test_a_user_creates_tokens_only_for_themselves_and_an_owner_for_anyone(
    people: Outlay,
) -> None:
    viewer = people.principal_of(people.access.user_by_email("viewer@x.test"))
    owner = people.principal_of(people.access.user_by_email("owner@x.test"))
    with pytest.raises(ForbiddenError, match="may create API tokens only for themselves"):
        people.create_token("owner@x.test", principal=viewer)
    # An unknown email answers the same as someone else's: no way to probe who has an account.
    with pytest.raises(ForbiddenError, match="may create API tokens only for themselves"):
        people.create_token("nobody@x.test", principal=viewer)
    owners = people.access.user_by_email("owner@x.test")
    assert owners is not None and people.access.credentials(owners.id, "token") == []
    own = people.create_token("viewer@x.test", principal=viewer)
    assert people.authenticate("token", own)[0].email == "viewer@x.test"
    for_viewer = people.create_token("viewer@x.test", principal=owner)
    assert people.authenticate("token", for_viewer)[0].email == "viewer@x.test"


def test_a_user_revokes_only_their_own_credentials_and_an_owner_anyones(people: Outlay) -> None:
    viewer = people.principal_of(people.access.user_by_email("viewer@x.test"))
    owner_session, _ = people.login("owner@x.test", PASSWORD)
    _, owner_credential = people.authenticate("session", owner_session)
    with pytest.raises(ForbiddenError, match="may revoke sessions and tokens only for themselves"):
        people.revoke(owner_credential, viewer)
    assert people.authenticate("session", owner_session)[0].email == "owner@x.test"
    viewer_session, _ = people.login("viewer@x.test", PASSWORD)
    _, viewer_credential = people.authenticate("session", viewer_session)
    people.revoke(viewer_credential, viewer)  # one's own
    with pytest.raises(UnauthenticatedError):
        people.authenticate("session", viewer_session)
    token = people.create_token("viewer@x.test")
    people.revoke(
        people.authenticate("token", token)[1], people.authenticate("session", owner_session)[0]
    )
    with pytest.raises(UnauthenticatedError):
        people.authenticate("token", token)


def test_sync_now_is_decided_by_the_service_once_per_account(fresh: World) -> None:
    outlay, admin = fresh.outlay, fresh.as_("admin")
    with pytest.raises(ForbiddenError, match="this needs the admin role"):
        outlay.request_sync("a", fresh.as_("editor"))
    with pytest.raises(AccountNotFound, match=r"no account named 'b' \(accounts: a\)"):
        outlay.request_sync("b", admin)  # B's account: as if it did not exist
    assert outlay.sync_queue.pending() == set()
    assert outlay.request_sync("a", admin).name == "a"
    assert outlay.request_sync("a", admin).name == "a"  # asked twice, queued once
    assert outlay.sync_queue.next(timeout=0) == "a"
    assert outlay.sync_queue.next(timeout=0) is None
    assert outlay.queued_syncs(admin) == {"a"}  # queued until its sync is done
    assert outlay.queued_syncs(fresh.as_("viewer_b")) == set()
    outlay.sync_queue.done("a")
    assert outlay.queued_syncs(admin) == set()


# -- 8. one clock ----------------------------------------------------------------------------


def test_every_stamp_and_expiry_reads_the_services_clock(people: Outlay) -> None:
    advance(people, timedelta(days=3))
    now = people.clock.now()
    assert now == datetime(2026, 11, 23, 15, 30)  # the fake's time, not the wall clock's
    secret, _ = people.login("viewer@x.test", PASSWORD)
    session = people.authenticate("session", secret)[1]
    token = people.authenticate("token", people.create_token("viewer@x.test"))[1]
    assert session.created_at == token.created_at == now
    assert session.expires_at == now + SESSION_LIFETIME
    account = people.add_account("cursor", "later", DEFAULT_KEY, base_url=BASE_URL)
    assert account.created_at == now
    people.save_report("later", spec())
    assert people.saved_reports()[0].updated_at == now
    assert people.today() == now.date()
