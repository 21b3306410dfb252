"""The audit log: every audited method writes exactly one row naming its actor; every public
method that changes something is audited or exempted on purpose; and the log is append-only."""

from __future__ import annotations

import functools
import inspect
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outlay.access import LOCAL_OWNER, SCHEDULER, Principal, hash_password
from outlay.alerts.anomaly_life import Anomaly
from outlay.alerts.budget import Budget
from outlay.errors import ForbiddenError, UnauthenticatedError
from outlay.report.spec import ReportSpec
from outlay.report.tags import parse_tags_yaml
from outlay.service import Outlay
from outlay.service.audit import audit_action
from outlay.store.audit import AuditQuery, AuditStore
from outlay.store.meta import MetaStore
from outlay.testing.cursor_fake.api import DEFAULT_KEY
from outlay.testing.cursor_fake.team import TeamSpec
from tests.fakes import BASE_URL, fake_cursor, make_outlay

PASSWORD = "correct horse battery"
OWNER = "owner@x.test"
ADDRESS = "203.0.113.9"
TAGS = "- key: team\n  values:\n    - name: Chat\n      filter: costs.service = 'chat'\n"

#: Public methods that change nothing, each with why it needs no audit row. A new public method
#: must be audited (``@audited``) or named here: the test below fails otherwise.
NOT_AUDITED = {
    **dict.fromkeys(
        (
            "account",
            "account_workspaces",
            "accounts",
            "all_tokens",
            "audit",
            "complete_through",
            "completeness",
            "completeness_notes",
            "export_focus",
            "invitation",
            "invitations",
            "queued_syncs",
            "reconcile",
            "report",
            "reset_link",
            "saved_reports",
            "saved_spec",
            "seat_summary",
            "tags",
            "tokens",
            "users",
            "workspace",
            "workspace_accounts",
            "workspaces",
            "today",
            "principal_of",
        ),
        "reads only",
    ),
    **dict.fromkeys(
        (
            "alert_events",
            "alert_rule_list",
            "anomaly_chart",
            "anomaly_list",
            "budget",
            "budget_statuses",
            "budgets",
            "channel",
            "channels",
            "digests",
            "member_limits",
            "sso_check",
            "sso_mapping",
        ),
        "reads only",
    ),
    **dict.fromkeys(
        (
            "run_guardrails",
            "evaluate_alert_rules",
            "evaluate_budgets",
            "evaluate_digests",
            "deliver_due",
        ),
        "evaluates rules and sends what they fired: each event and delivery is its own record",
    ),
    "sso_begin": "starts a sign-in: the provider's callback (sso_sign_in) writes the row",
    "password_sign_in": "calls login, which writes the row",
    "test_channel": "sends a test message: changes nothing but the channel's last delivery",
    "preview_tag_csv": "reads only: shows what import_tag_csv would save",
    "authenticate": "runs on every request; only refreshes a token's last-used time",
}


@functools.cache
def password_hash() -> str:
    return hash_password(PASSWORD)


@dataclass
class World:
    outlay: Outlay
    owner: Principal

    def principal(self, email: str) -> Principal:
        user = self.outlay.access.user_by_email(email)
        assert user is not None
        return self.outlay.principal_of(user)

    def member(self, email: str, role: str = "viewer") -> str:
        space = self.outlay.access.workspace("Default").id
        self.outlay.access.add_user(email, password_hash(), role, [space], now=self.now)
        return email

    @property
    def now(self) -> datetime:
        return self.outlay.clock.now()

    def rows(self) -> int:
        return len(self.outlay.audit_log.entries(AuditQuery(limit=1000)))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    fake = fake_cursor(TeamSpec(users=3, days=3))
    outlay = make_outlay(tmp_path_factory.mktemp("audit"), fake)
    outlay.access.add_user(OWNER, password_hash(), "owner", [], now=outlay.clock.now())
    world = World(outlay, LOCAL_OWNER)
    world.owner = replace(world.principal(OWNER), address=ADDRESS)
    outlay.add_workspace("W")
    outlay.add_account("cursor", "a", DEFAULT_KEY, base_url=BASE_URL)
    return world


Call = Callable[[], object]
#: For each audited method: (prepare, which returns the call and the actor its row must name).
Prepare = Callable[[World], tuple[Call, str]]


def _as_owner(call: Callable[[Outlay, Principal], object]) -> Prepare:
    return lambda w: (lambda: call(w.outlay, w.owner), OWNER)


def _account(w: World, name: str) -> str:
    w.outlay.add_account("cursor", name, DEFAULT_KEY, base_url=BASE_URL)
    return name


def _token_id(w: World) -> int:
    w.outlay.create_token(OWNER, "to-revoke", 30, w.owner)
    return w.outlay.tokens(w.owner)[-1].id


def _session(w: World) -> Any:
    w.outlay.login(OWNER, PASSWORD)
    return w.outlay.access.credentials(w.owner.user_id or 0, "session")[-1]


def _invite(w: World, email: str) -> str:
    link = w.outlay.invite(email, "Default", "viewer", None, w.owner).link
    return link.rsplit("/", 1)[1]


def _reset(w: World, email: str) -> str:
    return w.outlay.create_reset_link(email, None, w.owner).link.rsplit("/", 1)[1]


def _saved(w: World, name: str) -> str:
    w.outlay.save_report(name, ReportSpec(interval="this_month"))
    return name


def _tagged(w: World) -> str:
    w.outlay.import_tags(TAGS, "t.yaml")
    return "team"


def _delete_all_tags(w: World) -> tuple[Call, str]:
    _tagged(w)
    return functools.partial(w.outlay.delete_all_tags, None, w.owner), OWNER


def _remove_digest(w: World) -> tuple[Call, str]:
    report = _saved(w, "undigested")
    w.outlay.set_digest(report, "day", (_channel(w, "undigest-hook"),))
    return functools.partial(w.outlay.remove_digest, report, principal=w.owner), OWNER


def _revoke_invitation(w: World) -> tuple[Call, str]:
    _invite(w, "ri@x.test")
    newest = w.outlay.invitations(w.owner)[-1]
    return functools.partial(w.outlay.revoke_invitation, newest.id, w.owner), OWNER


def _channel(w: World, name: str) -> str:
    w.outlay.add_channel("webhook", name, "https://hooks.example.com/outlay")
    return name


def _budget(w: World, name: str) -> str:
    w.outlay.add_budget(Budget(name, Decimal(100)))
    return name


def _rule(w: World, name: str) -> str:
    w.outlay.add_anomaly_watch(name, notify=[_channel(w, f"{name}-hook")])
    return name


def _anomaly(w: World) -> int:
    day = {"actual": "50", "expected": "5", "upper": "12", "basis": "history"}
    found = Anomaly(None, w.outlay.access.workspace("Default").id, "watch",
                    {"resource": "a@x.test"}, date(2026, 11, 1), date(2026, 11, 1),
                    {"2026-11-01": day})  # fmt: skip
    (saved,) = w.outlay.anomaly_store.save([found])
    assert saved.id is not None
    return saved.id


CALLS: dict[str, Prepare] = {
    "add_channel": _as_owner(
        lambda o, p: o.add_channel("webhook", "ops", "https://hooks.example.com/x", principal=p)
    ),
    "remove_channel": lambda w: (
        functools.partial(w.outlay.remove_channel, _channel(w, "old-hook"), w.owner),
        OWNER,
    ),
    "add_budget": _as_owner(lambda o, p: o.add_budget(Budget("Team", Decimal(10)), principal=p)),
    "edit_budget": lambda w: (
        functools.partial(
            w.outlay.edit_budget,
            _budget(w, "edited"),
            Budget("edited", Decimal(20)),
            principal=w.owner,
        ),
        OWNER,
    ),
    "remove_budget": lambda w: (
        functools.partial(w.outlay.remove_budget, _budget(w, "gone"), principal=w.owner),
        OWNER,
    ),
    "set_digest": lambda w: (
        functools.partial(
            w.outlay.set_digest,
            _saved(w, "digested"),
            "week",
            (_channel(w, "digest-hook"),),
            principal=w.owner,
        ),
        OWNER,
    ),
    "remove_digest": lambda w: _remove_digest(w),
    "add_cost_alert": lambda w: (
        functools.partial(
            w.outlay.add_cost_alert,
            "spend",
            interval="day",
            threshold="100",
            notify=[_channel(w, "cost-hook")],
            principal=w.owner,
        ),
        OWNER,
    ),
    "add_anomaly_watch": lambda w: (
        functools.partial(
            w.outlay.add_anomaly_watch,
            "watch",
            notify=[_channel(w, "watch-hook")],
            principal=w.owner,
        ),
        OWNER,
    ),
    "remove_alert_rule": lambda w: (
        functools.partial(w.outlay.remove_alert_rule, _rule(w, "doomed-rule"), w.owner),
        OWNER,
    ),
    "ignore_anomaly": lambda w: (
        functools.partial(w.outlay.ignore_anomaly, _anomaly(w), "known batch job", w.owner),
        OWNER,
    ),
    "set_sso_mapping": _as_owner(
        lambda o, p: o.set_sso_mapping(
            "rules:\n  - group: g\n    role: viewer\n    workspaces: [Default]\n", p
        )
    ),
    "add_workspace": _as_owner(lambda o, p: o.add_workspace("Research", p)),
    "add_user": _as_owner(lambda o, p: o.add_user("new@x.test", "viewer", PASSWORD, None, p)),
    "add_account": _as_owner(
        lambda o, p: o.add_account("cursor", "b", DEFAULT_KEY, base_url=BASE_URL, principal=p)
    ),
    "remove_account": lambda w: (
        functools.partial(w.outlay.remove_account, _account(w, "gone"), w.owner),
        OWNER,
    ),
    "attach": _as_owner(lambda o, p: o.attach("a", "W", p)),
    "sync": _as_owner(lambda o, p: o.sync("a", principal=p)),
    "request_sync": _as_owner(lambda o, p: o.request_sync("a", p)),
    "set_seat_price": _as_owner(lambda o, p: o.set_seat_price("a", "40", principal=p)),
    "save_report": _as_owner(
        lambda o, p: o.save_report("weekly", ReportSpec(interval="this_month"), principal=p)
    ),
    "rename_report": lambda w: (
        functools.partial(w.outlay.rename_report, _saved(w, "old"), "new", w.owner),
        OWNER,
    ),
    "delete_report": lambda w: (
        functools.partial(w.outlay.delete_report, _saved(w, "doomed"), w.owner),
        OWNER,
    ),
    "replace_tags": _as_owner(lambda o, p: o.replace_tags(parse_tags_yaml(TAGS, "t"), None, p)),
    "import_tags": _as_owner(lambda o, p: o.import_tags(TAGS, "t.yaml", None, p)),
    "delete_all_tags": lambda w: _delete_all_tags(w),
    "import_tag_csv": _as_owner(
        lambda o, p: o.import_tag_csv("dept", "x@y.test,R&D\n", "d.csv", None, p)
    ),
    "delete_tag": lambda w: (
        functools.partial(w.outlay.delete_tag, _tagged(w), None, w.owner),
        OWNER,
    ),
    "create_token": _as_owner(lambda o, p: o.create_token(OWNER, "ci", 30, p)),
    "revoke_token": lambda w: (
        functools.partial(w.outlay.revoke_token, w.owner, _token_id(w)),
        OWNER,
    ),
    "revoke": lambda w: (functools.partial(w.outlay.revoke, _session(w), w.owner), OWNER),
    "login": lambda w: (functools.partial(w.outlay.login, OWNER, PASSWORD, ADDRESS), OWNER),
    "set_role": lambda w: (
        functools.partial(w.outlay.set_role, w.member("r@x.test"), "editor", w.owner),
        OWNER,
    ),
    "set_workspaces": lambda w: (
        functools.partial(w.outlay.set_workspaces, w.member("s@x.test"), ["W"], w.owner),
        OWNER,
    ),
    "disable_user": lambda w: (
        functools.partial(w.outlay.disable_user, w.member("d@x.test"), w.owner),
        OWNER,
    ),
    "enable_user": lambda w: (
        functools.partial(w.outlay.enable_user, w.member("e@x.test"), w.owner),
        OWNER,
    ),
    "remove_user": lambda w: (
        functools.partial(w.outlay.remove_user, w.member("x@x.test"), w.owner),
        OWNER,
    ),
    "change_password": _as_owner(lambda o, p: o.change_password(PASSWORD, PASSWORD, p)),
    "create_reset_link": lambda w: (
        functools.partial(w.outlay.create_reset_link, w.member("l@x.test"), None, w.owner),
        OWNER,
    ),
    "reset_password": lambda w: (
        functools.partial(w.outlay.reset_password, _reset(w, w.member("p@x.test")), PASSWORD),
        "p@x.test",
    ),
    "invite": _as_owner(lambda o, p: o.invite("i@x.test", "Default", "editor", None, p)),
    "revoke_invitation": lambda w: _revoke_invitation(w),
    "accept_invitation": lambda w: (
        functools.partial(w.outlay.accept_invitation, _invite(w, "a@x.test"), PASSWORD),
        "a@x.test",
    ),
}


def audited_methods() -> dict[str, str]:
    found = {}
    for name, method in inspect.getmembers(Outlay, inspect.isfunction):
        action = audit_action(method)
        if action is not None:
            found[name] = action
    return found


#: Audited methods walked in their own module, where what they need runs.
WALKED_ELSEWHERE = {
    "sso_sign_in": "tests/test_sso.py::test_each_sso_sign_in_writes_one_audit_row_naming_who_and_from_where",
}


def test_every_audited_method_is_walked() -> None:
    assert set(CALLS) | set(WALKED_ELSEWHERE) == set(audited_methods())


@pytest.mark.parametrize("name", sorted(CALLS))
def test_each_audited_call_writes_exactly_one_row_naming_its_actor(world: World, name: str) -> None:
    call, actor = CALLS[name](world)
    before = world.rows()
    call()
    assert world.rows() == before + 1
    row = world.outlay.audit_log.entries(AuditQuery(limit=1))[0]
    assert (row.action, row.actor) == (audited_methods()[name], actor)
    if actor == OWNER:
        assert row.actor_id == world.owner.user_id
        assert row.address == ADDRESS


def test_every_public_method_that_changes_something_is_audited_or_exempted() -> None:
    public = {n for n, _ in inspect.getmembers(Outlay, inspect.isfunction) if n[0] != "_"}
    neither = public - set(audited_methods()) - set(NOT_AUDITED)
    assert neither == set(), f"audit these with @audited or exempt them in NOT_AUDITED: {neither}"
    assert set(NOT_AUDITED) <= public, "an exemption names a method that no longer exists"


def test_a_refused_call_writes_no_row_and_a_failed_sign_in_writes_one(world: World) -> None:
    viewer = world.principal(world.member("v@x.test"))
    before = world.rows()
    with pytest.raises(ForbiddenError):
        world.outlay.add_workspace("Nope", viewer)
    assert world.rows() == before
    with pytest.raises(UnauthenticatedError, match="wrong email or password"):
        world.outlay.login(OWNER, "not the password at all", "198.51.100.7")
    row = world.outlay.audit_log.entries(AuditQuery(limit=1))[0]
    assert world.rows() == before + 1
    assert (row.action, row.actor, row.address) == ("auth.login.failed", OWNER, "198.51.100.7")


def test_the_local_command_line_is_the_local_actor_and_scheduled_syncs_are_not_logged(
    world: World,
) -> None:
    world.outlay.add_workspace("From the shell")
    row = world.outlay.audit_log.entries(AuditQuery(limit=1))[0]
    assert (row.actor, row.actor_id, row.target) == ("local", None, "From the shell")
    before = world.rows()
    world.outlay.sync("a", principal=SCHEDULER)
    assert world.rows() == before


def test_a_role_change_records_before_and_after(world: World) -> None:
    world.outlay.set_role(world.member("b@x.test"), "admin", world.owner)
    row = world.outlay.audit_log.entries(AuditQuery(action="user.set_role", limit=1))[0]
    assert (row.target, row.before, row.after) == (
        "b@x.test",
        {"role": "viewer"},
        {"role": "admin"},
    )


def test_the_log_filters_by_actor_action_and_time_newest_first(world: World) -> None:
    world.outlay.add_workspace("Filtered", world.owner)
    mine = world.outlay.audit(AuditQuery(actor=OWNER, action="workspace", limit=5))
    assert mine[0].target == "Filtered"
    assert all(e.actor == OWNER and e.action.startswith("workspace.") for e in mine)
    assert [e.id for e in mine] == sorted((e.id for e in mine), reverse=True)
    later = world.now + timedelta(seconds=1)
    assert world.outlay.audit(AuditQuery(since=later)) == []
    older = world.outlay.audit(AuditQuery(before_id=mine[0].id, limit=1))
    assert older[0].id < mine[0].id


def test_only_owners_read_the_log(world: World) -> None:
    admin = world.principal(world.member("adm@x.test", "admin"))
    with pytest.raises(ForbiddenError, match="needs the owner role"):
        world.outlay.audit(AuditQuery(), admin)


def test_the_audit_store_offers_no_way_to_change_or_delete_history() -> None:
    methods = {n for n, _ in inspect.getmembers(AuditStore, inspect.isfunction) if n[0] != "_"}
    assert methods == {"append", "entries"}


def test_big_before_after_values_are_left_out(tmp_path: Path) -> None:
    outlay = make_outlay(tmp_path, fake_cursor(TeamSpec(users=1, days=1)))
    outlay.audit_log.append(
        at=outlay.clock.now(), actor_id=None, actor="local", action="x.y", after={"v": "z" * 5000}
    )
    assert outlay.audit_log.entries(AuditQuery(limit=1))[0].after == {"omitted": "5009 chars"}


ACTIONS = ("user.add", "user.disable", "user_x.add", "account.add", "account.sync")
ACTORS = ("local", "ann@x.test", "bob@x.test")


@settings(max_examples=25, deadline=None)
@given(
    rows=st.lists(st.tuples(st.sampled_from(ACTORS), st.sampled_from(ACTIONS)), max_size=12),
    actor=st.sampled_from((None, *ACTORS)),
    action=st.sampled_from((None, "user", "user.add", "account", "user_")),
)
def test_the_log_answers_exactly_the_rows_its_filters_name(
    rows: list[tuple[str, str]], actor: str | None, action: str | None
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = AuditStore(MetaStore.at(Path(folder) / "meta.sqlite"))
        start = datetime(2026, 1, 1)
        for n, (who, what) in enumerate(rows):
            store.append(at=start + timedelta(minutes=n), actor_id=None, actor=who, action=what)
        found = store.entries(AuditQuery(actor=actor, action=action, limit=100))
        expected = [
            (who, what)
            for who, what in reversed(rows)
            if (actor is None or who == actor)
            and (action is None or what == action or what.startswith(action + "."))
        ]
        assert [(e.actor, e.action) for e in found] == expected
