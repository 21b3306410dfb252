"""Channel kinds and their targets: checked when a channel is added, masked whenever shown.

A webhook, Slack or Teams URL lets anyone who has it post to the channel, so it is a
credential: no message here repeats it, and only its host and last characters are ever shown.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from outlay.errors import InputError

CHANNEL_KINDS = ("email", "slack", "teams", "webhook")
MAX_RECIPIENTS = 50
MAX_NAME = 100
MAX_URL = 2048
#: What the channels table keeps of a masked target.
MAX_MASKED = 200
_ADDRESS = re.compile(r"[^@\s,;<>\"']+@[^@\s,;<>\"']+\.[^@\s,;<>\"']+")


def check_kind(kind: str) -> str:
    if kind not in CHANNEL_KINDS:
        raise InputError(
            f"unknown channel kind {kind!r}; use one of {', '.join(CHANNEL_KINDS)}", field="kind"
        )
    return kind


def check_name(name: str) -> str:
    """Names are parts of API paths and of ``--notify a,b`` lists: no "/" and no ","."""
    name = name.strip()
    if not name or len(name) > MAX_NAME or "/" in name or "," in name:
        raise InputError(
            f"a channel name must be 1 to {MAX_NAME} characters without '/' or ','; e.g. ops-slack",
            field="name",
        )
    return name


def check_url(kind: str, url: str) -> str:
    """An https URL, or http to this machine (a local receiver); the message never shows it."""
    url = url.strip()
    what = f"the {kind} URL"
    if len(url) > MAX_URL:
        raise InputError(f"{what} is longer than {MAX_URL} characters", field="url")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        parts, host = None, ""
    if parts is None or parts.scheme not in ("http", "https") or not host:
        raise InputError(f"{what} is not an http(s) URL; paste the whole URL", field="url")
    if parts.username or parts.password:
        raise InputError(f"{what} must not carry a user name or password", field="url")
    from outlay.providers.cursor.base_url import is_loopback  # loads httpx

    if parts.scheme == "http" and not is_loopback(host):
        raise InputError(
            f"{what} uses plain http, which would send alerts unencrypted; use https "
            "(http only to this machine, such as 127.0.0.1)",
            field="url",
        )
    return url


def check_recipients(text: str) -> tuple[str, ...]:
    addresses = tuple(dict.fromkeys(a.strip() for a in text.split(",") if a.strip()))
    if not addresses or len(addresses) > MAX_RECIPIENTS:
        raise InputError(
            f"give 1 to {MAX_RECIPIENTS} e-mail addresses, comma-separated; e.g. "
            "ops@example.com,finance@example.com",
            field="to",
        )
    for address in addresses:
        if not _ADDRESS.fullmatch(address):
            raise InputError(
                f"{address!r} is not an e-mail address; e.g. ops@example.com", field="to"
            )
    return addresses


def mask_target(kind: str, target: str) -> str:
    """E-mail recipients as they are (they are not secrets); a URL as its scheme, host and
    last four characters, like a masked API key: ``https://hooks.slack.com/…x9Qa``."""
    if kind == "email":
        return _first_recipients(target.split(","))
    parts = urlsplit(target)
    tail = target[-4:] if len(target) - len(f"{parts.scheme}://{parts.netloc}") >= 16 else ""
    return f"{parts.scheme}://{parts.netloc}"[: MAX_MASKED - 8] + f"/…{tail}"


def _first_recipients(addresses: list[str]) -> str:
    """As many addresses as fit, then how many more: ``a@x.io,b@x.io +48 more``."""
    for shown in range(len(addresses), 0, -1):
        more = f" +{len(addresses) - shown} more" if shown < len(addresses) else ""
        text = ",".join(addresses[:shown]) + more
        if len(text) <= MAX_MASKED:
            return text
    return f"{len(addresses)} recipients"
