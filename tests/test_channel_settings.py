"""OUTLAY_SMTP_URL, OUTLAY_SMTP_FROM and OUTLAY_PUBLIC_URL: read once, checked at start, and a
bad one is a one-line error that never repeats the SMTP password."""

from __future__ import annotations

import pytest

from outlay.config import Settings
from outlay.errors import ConfigError
from outlay.notify.send import SmtpServer


def test_the_notification_settings_are_read_and_tidied() -> None:
    settings = Settings.from_env({
        "OUTLAY_SMTP_URL": "smtp://mailer:p%40ss@mail.example.com:587",
        "OUTLAY_SMTP_FROM": "outlay@example.com",
        "OUTLAY_PUBLIC_URL": "https://outlay.example.com/",
    })  # fmt: skip
    assert settings.public_url == "https://outlay.example.com"
    assert settings.smtp_from == "outlay@example.com"
    server = SmtpServer.parse(settings.smtp_url or "")
    assert (server.host, server.port, server.user, server.password) == (
        "mail.example.com", 587, "mailer", "p@ss",
    )  # fmt: skip
    assert "p@ss" not in repr(server)
    assert SmtpServer.parse("smtps://h").port == 465 and SmtpServer.parse("smtp://h").port == 25
    assert Settings.from_env({}).smtp_url is None and Settings.from_env({}).public_url is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OUTLAY_SMTP_URL": "http://u:hunter22@h"}, "OUTLAY_SMTP_URL is not an SMTP URL"),
        ({"OUTLAY_SMTP_URL": "smtp://u:hunter22@"}, "OUTLAY_SMTP_URL is not an SMTP URL"),
        ({"OUTLAY_SMTP_FROM": "nobody"}, "OUTLAY_SMTP_FROM='nobody' is not an e-mail address"),
        ({"OUTLAY_PUBLIC_URL": "outlay.example.com"}, "OUTLAY_PUBLIC_URL"),
        ({"OUTLAY_PUBLIC_URL": "https://o.example.com/?x=1"}, "not an http(s) base URL"),
    ],
)
def test_a_bad_setting_is_one_line_without_the_password(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env(env)
    text = str(refused.value)
    assert message in text and "hunter22" not in text and "\n" not in text
