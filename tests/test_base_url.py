"""An account's base URL cannot turn the server into a fetcher of other addresses, and a
provider's answer is never quoted back."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from outlay.config import Settings
from outlay.errors import (
    AuthError,
    ConfigError,
    InputError,
    PayloadError,
    RequestRejectedError,
    UnavailableError,
)
from outlay.providers.cursor.base_url import allowed_base_urls, check_base_url
from outlay.providers.cursor.policy import RetryPolicy
from outlay.service import Outlay
from outlay.testing.cursor_fake.api import DEFAULT_KEY
from outlay.testing.cursor_fake.team import TeamSpec
from outlay.web.app import create_app
from tests.fakes import BASE_URL, fake_cursor, fake_settings, make_outlay

LOCAL = "http://127.0.0.1:8123"
INTERNAL = "internal-service-secret-body"


def test_only_cursor_and_listed_urls_pass_and_every_refusal_says_why() -> None:
    allowed = allowed_base_urls((LOCAL, "https://proxy.example.com/cursor/"))
    assert check_base_url("https://api.cursor.com/", allowed) == "https://api.cursor.com"
    assert check_base_url("HTTP://127.0.0.1:8123/", allowed) == LOCAL
    assert check_base_url("https://proxy.example.com/cursor", allowed).endswith("/cursor")
    refused = {
        "http://127.0.0.1:8123/internal-json?x=": "must not have a query",
        "https://api.cursor.com/#top": "must not have a query .* or fragment",
        "https://user:pw@api.cursor.com": "must not carry a user name or password",
        "http://api.cursor.com": "plain http",
        "http://10.0.0.5:9000": "plain http",
        "http://127.0.0.1:9999": "not allowed on this server",
        "https://169.254.169.254/latest": "not allowed on this server",
        "ftp://x": r"is not an http\(s\) URL",
    }
    for url, why in refused.items():
        with pytest.raises(InputError, match=why) as caught:
            check_base_url(url, allowed)
        assert caught.value.field == "base_url"
        assert "proxy.example.com" not in str(caught.value)  # the allowance is not listed


def test_the_allowance_comes_from_the_environment_and_refuses_remote_plain_http() -> None:
    env = {"OUTLAY_ALLOWED_BASE_URLS": f" {LOCAL} , https://proxy.example.com ,"}
    settings = Settings.from_env(env)
    assert settings.allowed_base_urls == (LOCAL, "https://proxy.example.com")
    assert Settings.from_env({}).allowed_base_urls == ()
    with pytest.raises(
        ConfigError, match=re.escape("OUTLAY_ALLOWED_BASE_URLS: 'http://example.com'")
    ):
        allowed_base_urls(("http://example.com",))
    with pytest.raises(ConfigError, match="must not have a query"):
        allowed_base_urls(("https://example.com/?a=1",))


def test_the_server_does_not_start_with_a_malformed_allowance(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, allowed_base_urls=("http://example.com",))
    with pytest.raises(ConfigError, match="plain http"):
        create_app(settings, scheduler=False)


def test_connecting_an_unlisted_url_sends_nothing(tmp_path: Path) -> None:
    fake = fake_cursor(TeamSpec(users=2, days=3))
    sent: list[httpx.URL] = []

    def record(request: httpx.Request) -> None:
        sent.append(request.url)

    outlay = make_outlay(tmp_path, fake, record)  # type: ignore[arg-type]
    for url in (f"{LOCAL}/internal-json?x=", "http://127.0.0.1:9999", "http://cursor.fake.test"):
        with pytest.raises(InputError):
            outlay.add_account("cursor", "acme", DEFAULT_KEY, base_url=url)
    assert sent == [] and outlay.accounts() == []
    outlay.add_account("cursor", "acme", DEFAULT_KEY, base_url=BASE_URL + "/")
    assert outlay.account("acme").base_url == BASE_URL


def test_a_stored_url_the_server_no_longer_allows_is_refused_at_sync(tmp_path: Path) -> None:
    fake = fake_cursor(TeamSpec(users=2, days=3))
    make_outlay(tmp_path, fake).add_account("cursor", "acme", DEFAULT_KEY, base_url=BASE_URL)
    sent: list[httpx.URL] = []

    def record(request: httpx.Request) -> None:
        sent.append(request.url)

    # The same data, served by a configuration that no longer lists the fake's URL.
    narrower = Outlay(
        replace(fake_settings(tmp_path), allowed_base_urls=()), http=lambda: fake.http(record)
    )  # type: ignore[arg-type]
    with pytest.raises(InputError, match="not allowed on this server"):
        narrower.sync("acme")
    assert sent == []


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, AuthError), (400, RequestRejectedError), (500, UnavailableError)],
)
def test_provider_errors_give_the_status_never_the_body(
    status: int, error: type[Exception]
) -> None:
    fake = fake_cursor()

    def internal(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"message": INTERNAL, "error": INTERNAL})

    client = fake.client(http=fake.http(internal), retry=RetryPolicy(max_attempts=1))
    with pytest.raises(error) as caught:
        client.members()
    message = str(caught.value)
    assert INTERNAL not in message and str(status) in message
    assert httpx.codes.get_reason_phrase(status) in message


def test_a_body_that_is_not_json_is_described_not_quoted() -> None:
    fake = fake_cursor()

    def html(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=f"<html>{INTERNAL}</html>".encode())

    with pytest.raises(PayloadError, match="not JSON") as caught:
        fake.client(http=fake.http(html)).members()
    assert INTERNAL not in str(caught.value)
