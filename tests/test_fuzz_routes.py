"""Every route of the app, API and pages, under hostile values in each of its parameters: no
answer is a 500, and every API refusal has the one error shape.

The routes are read from the app itself, so a new route is fuzzed without editing this file.
A route's parameters are what FastAPI declares (path, query, form, JSON body fields) plus the
ones a page reads from the request itself (``READ_DIRECTLY``). Each parameter gets every hostile
value while the others keep their defaults; forms carry the owner's real CSRF token, so the
values reach the handlers instead of stopping at the CSRF check.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel

from outlay.report.options import OPTIONS
from outlay.report.spec import ReportSpec
from tests.test_pages import World, build

HOSTILE: tuple[str, ...] = (
    "",
    " ",
    "0",
    "-1",
    "99999999999999999999999999",
    "1e309",
    "NaN",
    "9999-12-31",
    "0001-01-01",
    "0001-01-01..9999-12-31",
    "2026-02-30",
    "true",
    "../../etc/passwd",
    "/",
    "%",
    "%00",
    "'",
    '"; DROP TABLE users; --',
    "<script>alert(1)</script>",
    '=HYPERLINK("http://evil.example")',
    "\x00",
    "\u202e\u0645\u0631\u062d\u0628\u0627 \U0001f600",
    "\uffff\ufeff",
    "a" * 10_000,
    "costs.service = 'x' AND " * 50 + "costs.service = 'y'",
    "tag:" + "x" * 300,
)
#: Values of other JSON types, for JSON body fields.
HOSTILE_JSON: tuple[Any, ...] = (None, 0, -1, 10**30, 1.5, True, [], {}, ["x"], {"a": "b"})
#: Parameters pages read from the request rather than declare.
REPORT_PARAMS = ("workspace", "report", "raw", *(o.param for o in OPTIONS))
READ_DIRECTLY: dict[tuple[str, str], tuple[str, ...]] = {
    ("GET", "/reports"): REPORT_PARAMS,
    ("GET", "/reports/export.csv"): REPORT_PARAMS,
    ("GET", "/reports/values"): REPORT_PARAMS,
    ("GET", "/reports/saved"): ("workspace", "notice"),
    ("GET", "/tags"): ("workspace", "notice"),
    ("GET", "/tags/export.yaml"): ("workspace",),
    ("GET", "/integrations"): ("workspace", "notice"),
    ("GET", "/admin"): ("notice",),
    ("GET", "/tokens"): ("notice",),
    ("POST", "/tags/edit"): ("workspace", "original", "key", "op", "v_label", "v_filter",
                             "v_start", "v_end"),
    ("POST", "/tags/preview"): ("workspace", "original", "key", "op", "v_label", "v_filter",
                                "v_start", "v_end"),
    ("POST", "/tags/import"): ("yaml",),
    ("GET", "/channels"): ("workspace", "notice", "name"),
    ("GET", "/alerts/events"): ("workspace", "since"),
}  # fmt: skip
#: Report parameters fuzzed with a valid period beside them, so the value itself is checked.
PERIOD = {"start_date": {"end_date": "2026-12-31"}, "end_date": {"start_date": "2026-01-01"}}
PERIOD_SPEC = {"start": {"end": "2026-12-31"}, "end": {"start": "2026-01-01"}, "interval": {}}
#: Sign-out ends the session every other request uses; it is fuzzed through its CSRF field only.
LAST = {("POST", "/logout")}


@dataclass
class Target:
    method: str
    path: str
    path_params: list[str] = field(default_factory=list)
    query: list[str] = field(default_factory=list)
    form: list[str] = field(default_factory=list)
    #: JSON body: field name -> a valid value the others keep while one is fuzzed.
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every ``APIRoute``, including those of included routers (kept apart in newer FastAPI)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from api_routes(route.original_router.routes)


def _example(annotation: Any) -> Any:
    text = str(annotation)
    if "list" in text:
        return []
    if "dict" in text:
        return {}
    return "x"


def parameters(route: APIRoute) -> Iterator[Target]:
    for method in sorted(route.methods):
        target = Target(method, route.path)
        pending = [route.dependant]
        while pending:
            dependant = pending.pop()
            pending.extend(dependant.dependencies)
            target.path_params += [p.alias for p in dependant.path_params]
            target.query += [p.alias for p in dependant.query_params]
            for param in dependant.body_params:
                model = param.field_info.annotation
                if isinstance(model, type) and issubclass(model, BaseModel):
                    target.body.update(
                        {n: _example(f.annotation) for n, f in model.model_fields.items()}
                    )
                else:
                    target.form.append(param.alias)
        extra = READ_DIRECTLY.get((method, route.path), ())
        (target.query if method == "GET" else target.form).extend(extra)
        target.query = list(dict.fromkeys(target.query))
        target.form = list(dict.fromkeys(f for f in target.form if f != "csrf"))
        yield target


@dataclass
class Fuzzer:
    world: World
    token: str
    answers: int = 0
    problems: list[str] = field(default_factory=list)

    def send(self, target: Target, where: str, name: str, value: Any) -> None:
        path = target.path
        for param in target.path_params:
            text = value if (where, name) == ("path", param) else "x"
            path = path.replace("{" + param + "}", quote(str(text), safe=""))
        query = {name: value} if where == "query" else {}
        if where == "query" and "interval" in target.query and name != "interval":
            query = {**PERIOD.get(name, {"interval": "last_30_days"}), **query}
        client = self.world.clients["owner"]
        kwargs: dict[str, Any] = {"params": query}
        if target.api:
            kwargs["headers"] = {"Authorization": f"Bearer {self.token}"}
            if target.body:
                kwargs["json"] = {**target.body, **({name: value} if where == "body" else {})}
        elif target.method == "POST":
            form = {"csrf": self.world.csrf["owner"]}
            form.update({name: value} if where in ("form", "csrf") else {})
            kwargs["data"] = form
        what = f"{target.method} {path:.80} {where}:{name}={value!r:.60}"
        try:  # the test client raises what the server did not handle (a 500 to a browser)
            response = client.request(target.method, path, follow_redirects=False, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every unhandled error is a finding
            self.problems.append(f"{what} -> unhandled {type(exc).__name__}: {exc}")
            return
        self.answers += 1
        self.check(target, what, response)

    def check(self, target: Target, what: str, response: httpx.Response) -> None:
        if response.status_code >= 500:
            self.problems.append(f"{what} -> {response.status_code} {response.text[:200]}")
        elif target.api and response.status_code >= 400:
            payload = response.json()
            shape = set(payload) == {"error"} and set(payload["error"]) == {"code", "message"}
            if not shape or not all(isinstance(v, str) for v in payload["error"].values()):
                self.problems.append(f"{what} -> not the error shape: {payload}")

    def fuzz(self, target: Target) -> None:
        for where, names, values in (
            ("path", target.path_params, HOSTILE),
            ("query", target.query, HOSTILE),
            ("form", target.form, HOSTILE),
            ("body", list(target.body), (*HOSTILE, *HOSTILE_JSON)),
        ):
            for name in names:
                for value in values:
                    self.send(target, where, name, value)
        if not target.api and target.method == "POST":
            for value in HOSTILE[:6]:
                self.send(target, "csrf", "csrf", value)


def hostile_specs() -> Iterator[dict[str, Any]]:
    """Saved-report specs with one field of a hostile value or type beside a valid period."""
    for name in (f.name for f in dataclass_fields(ReportSpec) if f.init):
        for value in (*HOSTILE[:12], *HOSTILE_JSON):
            base: dict[str, Any] = PERIOD_SPEC.get(name, {"interval": "last_30_days"})
            yield {**base, name: value}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build(tmp_path_factory.mktemp("fuzz") / "data")


def test_no_route_answers_500_and_api_errors_have_one_shape(world: World) -> None:
    app = world.clients["owner"].app
    token = world.outlay.create_token("owner@x.io", "fuzz")
    fuzzer = Fuzzer(world, token)
    targets = [t for r in api_routes(app.routes) for t in parameters(r)]  # type: ignore[attr-defined]
    assert len(targets) > 40 and any(t.api for t in targets) and any(not t.api for t in targets)
    started = time.monotonic()
    for target in sorted(targets, key=lambda t: (t.method, t.path) in LAST):
        fuzzer.fuzz(target)
    save = next(t for t in targets if (t.method, t.path) == ("PUT", "/api/v1/reports/{name}"))
    for spec in hostile_specs():
        fuzzer.send(save, "body", "spec", spec)
    elapsed = time.monotonic() - started
    print(f"fuzzed {len(targets)} routes with {fuzzer.answers} requests in {elapsed:.1f} s")
    assert not fuzzer.problems, "\n".join(fuzzer.problems[:30])
    # How long it takes is printed, not asserted: a busy machine would fail a timed unit test.
    assert fuzzer.answers > 2000, fuzzer.answers


def test_the_csv_export_is_spreadsheet_safe_unless_raw_is_asked(tmp_path: Path) -> None:
    world = build(tmp_path / "data")
    hostile = '=HYPERLINK("http://evil.example")'
    world.outlay.import_tags(
        f"- key: team\n  values:\n    - name: '{hostile}'\n      filter: costs.service LIKE '%'\n",
        "tags", "A",
    )  # fmt: skip
    query = "workspace=A&interval=last_30_days&groupings=tag:team&date_bin=cumulative"
    safe = world.get("owner", f"/reports/export.csv?{query}")
    raw = world.get("owner", f"/reports/export.csv?{query}&raw=1")
    assert safe.status_code == raw.status_code == 200
    quoted = hostile.replace('"', '""')  # as CSV writes a cell holding quotes
    assert f'"{quoted}"' in raw.text and f"'{quoted}" not in raw.text
    assert f'"\'{quoted}"' in safe.text


@pytest.mark.parametrize(
    ("query", "meaning"),
    [
        ("interval=last_7_days&start_date=2026-01-01", "not both"),
        ("start_date=2026-01-01", "give both a start and an end date"),
        ("start_date=2026-02-01&end_date=2026-01-01", "is before the start date"),
        ("start_date=2026-01-01&end_date=9999-12-31", "9999-12-31 is out of range"),
        ("interval=last_7_days&compare=0001-01-01..9999-12-31", "0001-01-01 is out of range"),
        ("interval=last_7_days&compare=2026-01", "is not 'previous' or a range"),
        ("interval=last_7_days&top=0", "top must be 1 to 1000"),
        ("interval=last_7_days&measure=usage&forecast=true", "a forecast works for cost"),
    ],
)
def test_report_errors_on_the_api_name_no_cli_flag(world: World, query: str, meaning: str) -> None:
    token = world.outlay.create_token("viewer@x.io", "flags")
    response = world.clients["viewer"].get(
        f"/api/v1/costs?{query}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert meaning in message and "--" not in message
