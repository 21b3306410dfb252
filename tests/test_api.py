"""REST API /api/v1: every route, its authorization, its error shape, its agreement with the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from outlay.cli.app import app as cli_app
from outlay.errors import InputError
from outlay.report.spec import ReportSpec
from outlay.service import Outlay
from outlay.testing.cursor_fake.api import DEFAULT_KEY
from outlay.web.app import create_app
from tests.fakes import BASE_URL, FakeCursor, cli_env, fake_cursor, make_outlay, sync_two_workspaces

PASSWORD = "correct horse battery"
TAGS = "- key: team\n  values:\n    - name: Core\n      filter: costs.service LIKE 'claude%'\n"


@dataclass
class World:
    outlay: Outlay
    client: TestClient
    tokens: dict[str, str]
    data_dir: Path
    fake: FakeCursor

    def call(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return self.client.request(method, path, headers=headers, **kwargs)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    fake = fake_cursor()
    outlay = make_outlay(tmp_path, fake)
    sync_two_workspaces(outlay)
    outlay.import_tags(TAGS, "tags", "B")
    tokens = {}
    for email, role in [("owner@x.io", "owner"), ("viewer@x.io", "viewer"),
                        ("editor@x.io", "editor"), ("admin@x.io", "admin")]:  # fmt: skip
        outlay.add_user(email, role, PASSWORD, ["A"])
        tokens[role] = outlay.create_token(email)
    app = create_app(outlay.settings, outlay=outlay, scheduler=False)
    with TestClient(app) as client:
        yield World(outlay, client, tokens, tmp_path, fake)


def body(response: httpx.Response) -> Any:
    return response.json()


def status(response: httpx.Response) -> int:
    return int(response.status_code)


def assert_error(response: object, code: int, kind: str) -> None:
    assert status(response) == code, body(response)
    payload = body(response)
    assert isinstance(payload, dict) and set(payload) == {"error"}
    assert payload["error"]["code"] == kind and payload["error"]["message"]


SPEC = {"interval": "last_30_days", "groupings": "service", "date_bin": "cumulative"}


def test_costs_match_the_cli_for_the_same_spec(world: World) -> None:
    # Explicit dates: the API's service runs on the fake's clock, the CLI on the real one.
    dates = {"start_date": "2026-10-01", "end_date": "2026-11-20"}
    api = body(world.call("owner", "GET", "/api/v1/costs",
                          params={**SPEC, **dates, "interval": "", "workspace": "A"}))  # fmt: skip
    cli = CliRunner().invoke(
        cli_app,
        ["--data-dir", str(world.data_dir), "--workspace", "A", "costs", "--start", "2026-10-01",
         "--end", "2026-11-20", "--group-by", "service", "--date-bin", "cumulative",
         "--format", "json"],
        env=cli_env(world.data_dir),
    )  # fmt: skip
    assert cli.exit_code == 0, cli.output
    assert api == json.loads(cli.output)
    assert isinstance(api, dict) and api["rows"] and api["total_cost"] != "0"


def test_a_viewer_of_a_gets_nothing_of_b_by_any_route(world: World) -> None:
    own = body(world.call("viewer", "GET", "/api/v1/costs", params=SPEC))
    only_a = body(world.call("owner", "GET", "/api/v1/costs", params={**SPEC, "workspace": "A"}))
    assert own == only_a  # the viewer's default workspace is A, and A holds only account a
    for path in ["/api/v1/costs", "/api/v1/reports", "/api/v1/tags"]:
        assert_error(
            world.call("viewer", "GET", path, params={**SPEC, "workspace": "B"}), 404, "not_found"
        )
    assert [a["name"] for a in body(world.call("viewer", "GET", "/api/v1/accounts"))] == ["a"]
    assert body(world.call("viewer", "GET", "/api/v1/workspaces")) == [{"name": "A"}]
    # An admin of A cannot reach b either: it answers as if b did not exist.
    assert_error(world.call("admin", "POST", "/api/v1/accounts/b/sync"), 404, "not_found")
    assert_error(world.call("admin", "DELETE", "/api/v1/accounts/b"), 404, "not_found")
    attach = world.call("admin", "POST", "/api/v1/workspaces/A/accounts", json={"account": "b"})
    assert_error(attach, 404, "not_found")
    assert world.outlay.facts.count_rows("b") > 0


def test_a_viewer_cannot_change_anything(world: World) -> None:
    before_accounts = [a.name for a in world.outlay.accounts()]
    attempts = [
        ("POST", "/api/v1/accounts", {"json": {"name": "c", "api_key": DEFAULT_KEY, "base_url": BASE_URL}}),
        ("POST", "/api/v1/accounts/a/sync", {}),
        ("DELETE", "/api/v1/accounts/a", {}),
        ("PUT", "/api/v1/reports/r1", {"json": {"spec": {"interval": "last_7_days"}}}),
        ("DELETE", "/api/v1/reports/r1", {}),
        ("PUT", "/api/v1/tags", {"json": {"yaml": TAGS}}),
        ("DELETE", "/api/v1/tags/team", {}),
        ("POST", "/api/v1/workspaces", {"json": {"name": "C"}}),
        ("POST", "/api/v1/workspaces/A/accounts", {"json": {"account": "a"}}),
    ]  # fmt: skip
    for method, path, extra in attempts:
        assert_error(world.call("viewer", method, path, **extra), 403, "forbidden")
    assert [a.name for a in world.outlay.accounts()] == before_accounts
    assert world.outlay.saved_reports(workspace="A") == []
    assert world.outlay.tags("A").keys == ()
    assert [w.name for w in world.outlay.access.workspaces()] == ["Default", "A", "B"]


def test_editors_save_reports_and_tags_admins_manage_accounts(world: World) -> None:
    spec = {"interval": "last_7_days", "group_by": ["tag:team"], "date_bin": "cumulative"}
    put_tags = world.call("editor", "PUT", "/api/v1/tags", json={"yaml": TAGS})
    assert status(put_tags) == 200
    saved = world.call("editor", "PUT", "/api/v1/reports/by-team", json={"spec": spec})
    assert status(saved) == 200, body(saved)
    assert [r["name"] for r in body(world.call("viewer", "GET", "/api/v1/reports"))] == ["by-team"]
    ran = body(world.call("viewer", "GET", "/api/v1/reports/by-team/costs"))
    assert isinstance(ran, dict) and {r["tag:team"] for r in ran["rows"]} == {"Core", None}
    assert_error(world.call("editor", "POST", "/api/v1/accounts/a/sync"), 403, "forbidden")
    queued = world.call("admin", "POST", "/api/v1/accounts/a/sync")
    assert status(queued) == 202 and world.client.app.state.scheduler.pending() == {"a"}
    assert status(world.call("editor", "DELETE", "/api/v1/reports/by-team")) == 204
    assert status(world.call("admin", "DELETE", "/api/v1/accounts/a")) == 204
    assert world.outlay.facts.count_rows("a") == 0


def test_connecting_an_account_validates_the_key_and_never_returns_it(world: World) -> None:
    bad = world.call("admin", "POST", "/api/v1/accounts",
                     json={"name": "c", "api_key": "crsr_" + "9" * 64, "base_url": BASE_URL})  # fmt: skip
    assert_error(bad, 502, "provider_error")
    assert "9" * 20 not in json.dumps(body(bad))
    good = world.call("admin", "POST", "/api/v1/accounts",
                      json={"name": "c", "api_key": DEFAULT_KEY, "base_url": BASE_URL, "workspaces": ["A"]})  # fmt: skip
    assert status(good) == 201
    listed = world.call("admin", "GET", "/api/v1/accounts")
    for response in (good, listed):
        assert DEFAULT_KEY not in json.dumps(body(response))
    assert_error(world.call("admin", "POST", "/api/v1/accounts",
                            json={"name": "c", "api_key": DEFAULT_KEY, "base_url": BASE_URL}), 409, "conflict")  # fmt: skip


def test_tokens_must_be_valid_and_revocation_is_immediate(world: World) -> None:
    assert_error(world.client.get("/api/v1/accounts"), 401, "unauthenticated")
    bad = world.client.get("/api/v1/accounts", headers={"Authorization": "Bearer olt_nope"})
    assert_error(bad, 401, "unauthenticated")
    assert status(world.call("viewer", "GET", "/api/v1/accounts")) == 200
    _, credential = world.outlay.authenticate("token", world.tokens["viewer"])
    world.outlay.revoke(credential)
    assert_error(world.call("viewer", "GET", "/api/v1/accounts"), 401, "unauthenticated")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"interval": "last_7_days", "top": "many"}, "top"),
        ({"interval": "last_7_days", "filter": "costs.service = gpt"}, "position 17"),
        ({"interval": "last_7_days", "groupings": "model"}, "unknown dimension 'model'"),
        ({"start_date": "2026-02-30", "end_date": "2026-03-01"}, "start_date"),
    ],
)
def test_bad_input_gets_the_one_error_shape(
    world: World, params: dict[str, str], message: str
) -> None:
    response = world.call("viewer", "GET", "/api/v1/costs", params=params)
    assert_error(response, 400, "bad_request")
    assert message in body(response)["error"]["message"]


def test_unknown_routes_and_the_openapi_document(world: World) -> None:
    assert_error(world.call("viewer", "GET", "/api/v1/nope"), 404, "not_found")
    spec = body(world.client.get("/api/v1/openapi.json"))
    assert isinstance(spec, dict) and "/api/v1/costs" in spec["paths"]


def test_an_admin_cannot_remove_an_account_shared_with_a_workspace_they_cannot_see(
    world: World,
) -> None:
    world.outlay.add_account("cursor", "ab", DEFAULT_KEY, base_url=BASE_URL, workspaces=["A", "B"])
    assert_error(world.call("admin", "DELETE", "/api/v1/accounts/ab"), 403, "forbidden")
    assert "ab" in [a.name for a in world.outlay.accounts()]
    assert status(world.call("owner", "DELETE", "/api/v1/accounts/ab")) == 204


def test_api_errors_name_no_cli_flag_and_take_their_status_from_the_kind(world: World) -> None:
    bad_url = world.call("admin", "POST", "/api/v1/accounts",
                         json={"name": "c", "api_key": DEFAULT_KEY, "base_url": "ftp://x"})  # fmt: skip
    assert_error(bad_url, 400, "bad_request")
    message = body(bad_url)["error"]["message"]
    assert message == "the base URL 'ftp://x' is not an http(s) URL; e.g. https://api.cursor.com"
    taken = world.call("admin", "POST", "/api/v1/accounts",
                       json={"name": "a", "api_key": DEFAULT_KEY, "base_url": BASE_URL})  # fmt: skip
    assert_error(taken, 409, "conflict")
    assert body(taken)["error"]["message"] == "an account named 'a' exists already"
    assert_error(world.call("viewer", "GET", "/api/v1/reports/nope"), 404, "not_found")


def test_a_taken_name_in_a_hidden_workspace_is_refused_without_telling_where(world: World) -> None:
    hidden = world.call("admin", "POST", "/api/v1/accounts",
                        json={"name": "b", "api_key": DEFAULT_KEY, "base_url": BASE_URL})  # fmt: skip
    assert_error(hidden, 409, "conflict")
    message = body(hidden)["error"]["message"]  # type: ignore[index, call-overload]
    assert message == "the account name 'b' is not available; choose another"


def test_names_that_would_split_an_api_path_are_refused_and_tag_keys_with_a_slash_work(
    world: World,
) -> None:
    refused = [
        world.call("admin", "POST", "/api/v1/accounts",
                   json={"name": "team/a", "api_key": DEFAULT_KEY, "base_url": BASE_URL}),
        world.call("owner", "POST", "/api/v1/workspaces", json={"name": "x/y"}),
    ]  # fmt: skip
    for answer in refused:
        assert_error(answer, 400, "bad_request")
        assert "cannot contain '/'" in body(answer)["error"]["message"]  # type: ignore[index, call-overload]
    with pytest.raises(InputError, match="a report name cannot contain '/'"):
        world.outlay.save_report("by/team", ReportSpec(interval="last_30_days"), workspace="A")
    world.outlay.save_report("by-team", ReportSpec(interval="last_30_days"), workspace="A")
    with pytest.raises(InputError, match="cannot contain '/'"):
        world.outlay.rename_report("by-team", "by/team", workspace="A")
    tags = "- key: cost/center\n  values:\n    - name: Core\n      filter: costs.service LIKE '%'\n"
    world.outlay.import_tags(tags, "tags", "A")
    gone = world.call("editor", "DELETE", "/api/v1/tags/cost/center?workspace=A")
    assert status(gone) == 204 and world.outlay.tags("A").keys == ()


def test_deleting_every_tag_is_its_own_call_and_an_empty_document_is_refused(world: World) -> None:
    assert status(world.call("editor", "PUT", "/api/v1/tags", json={"yaml": TAGS})) == 200
    assert_error(
        world.call("editor", "PUT", "/api/v1/tags", json={"yaml": "# nothing\n"}),
        400,
        "bad_request",
    )
    assert [t["key"] for t in body(world.call("viewer", "GET", "/api/v1/tags"))["tags"]] == ["team"]
    assert_error(world.call("viewer", "DELETE", "/api/v1/tags"), 403, "forbidden")
    deleted = world.call("editor", "DELETE", "/api/v1/tags")
    assert status(deleted) == 200 and body(deleted) == {"deleted": ["team"]}
    assert body(world.call("viewer", "GET", "/api/v1/tags"))["tags"] == []
