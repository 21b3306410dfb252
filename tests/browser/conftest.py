"""Browser tests: the real app served by uvicorn, a served fake Cursor API, system Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, Playwright, ViewportSize, sync_playwright

from outlay.config import Settings
from outlay.service import Outlay
from outlay.testing.cursor_fake.server import RunningFake
from outlay.testing.cursor_fake.team import TeamSpec
from outlay.web.app import create_app

EMAIL = "owner@acme.example"
PASSWORD = "correct horse battery"
# Screenshots are a by-product for people to look at, never tracked: a run must not dirty the
# tree. Read at import, before the autouse fixture hides OUTLAY_* variables.
ARTIFACTS = Path(
    os.environ.get("OUTLAY_TEST_ARTIFACTS") or Path(__file__).resolve().parents[1] / ".artifacts"
)
SCREENSHOTS = ARTIFACTS / "screenshots"
VIEWPORT: ViewportSize = {"width": 1100, "height": 700}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@dataclass(frozen=True)
class App:
    url: str
    outlay: Outlay
    fake: RunningFake
    email: str = EMAIL
    password: str = PASSWORD


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail(
            "Chromium is not installed, and the browser tests need it: run `make test`, which "
            "installs it (Debian: apt-get install chromium)",
            pytrace=False,
        )
    return found


@pytest.fixture(scope="module")
def fake_api() -> Iterator[RunningFake]:
    with RunningFake(TeamSpec(users=8, days=40), rate_limit=False) as fake:
        yield fake


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, fake_api: RunningFake) -> Iterator[App]:
    """The whole app (pages, API, scheduler thread) on a free local port, in a thread."""
    data_dir = tmp_path_factory.mktemp("browser-data")
    outlay = Outlay(Settings(data_dir=data_dir, allowed_base_urls=(fake_api.url,)))
    outlay.add_user(EMAIL, "owner", PASSWORD)
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(outlay.settings, outlay=outlay), log_level="warning", access_log=False,
        lifespan="on", http="h11", ws="none",
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="outlay-web", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the app did not start"
        time.sleep(0.02)
    try:
        yield App(f"http://127.0.0.1:{port}", outlay, fake_api)
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    playwright: Playwright = sync_playwright().start()
    try:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(10_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    # A script, style or image the Content-Security-Policy blocked is an error too.
    opened.on(
        "console",
        lambda message: (
            errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield opened
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def shot() -> Callable[[Page, str], None]:
    """Save a screenshot of the viewport as <artifacts>/screenshots/<name>.png (by default the
    untracked tests/.artifacts/; set OUTLAY_TEST_ARTIFACTS to keep them elsewhere)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))

    return take
