"""Every answer forbids framing and type sniffing, and the pages need no inline script, so the
Content-Security-Policy can refuse it."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from outlay.config import Settings
from outlay.web.app import create_app

TEMPLATES = Path(str(files("outlay.web") / "templates"))


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    settings = Settings(data_dir=tmp_path_factory.mktemp("headers"))
    return TestClient(create_app(settings, scheduler=False))


@pytest.mark.parametrize(
    "path", ["/login", "/reports", "/api/v1/accounts", "/api/v1/nope", "/static/app.js"]
)
def test_every_answer_carries_the_security_headers(client: TestClient, path: str) -> None:
    answer = client.get(path, follow_redirects=False)
    policy = answer.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["frame-ancestors"] == "'none'"
    assert directives["script-src"] == "'self'" and directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "same-origin"


def test_no_template_runs_inline_script() -> None:
    """Scripts load from files; a <script> with a body only carries JSON data."""
    for template in sorted(TEMPLATES.glob("*.html")):
        text = template.read_text(encoding="utf-8")
        for opening, body in re.findall(r"(<script[^>]*>)(.*?)</script>", text, re.S):
            assert not body.strip() or 'type="application/json"' in opening, template.name
        assert not re.search(r"\son[a-z]+\s*=", text), f"inline event handler in {template.name}"
        assert "javascript:" not in text.lower(), template.name
