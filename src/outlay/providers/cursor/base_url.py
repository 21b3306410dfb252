"""Which base URLs an account may point at: the server sends the account's key there and reads
the answer, so an open choice would let an admin make the server call any address.

Cursor's own API is always allowed; any other URL only when the server's configuration lists
it (``OUTLAY_ALLOWED_BASE_URLS``). URLs are ``https``, except a loopback address listed there
(a local fake or proxy); none carries a user name, a password, a query or a fragment.
"""

from __future__ import annotations

import ipaddress

import httpx

from outlay.errors import ConfigError, InputError

CURSOR_BASE_URL = "https://api.cursor.com"
ALLOW_VARIABLE = "OUTLAY_ALLOWED_BASE_URLS"
_EXAMPLE = "e.g. " + CURSOR_BASE_URL


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _shape_problem(url: str) -> tuple[str | None, str]:
    """(what is wrong with the URL's shape or None, the URL normalized)."""
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError):
        return f"the base URL {url!r} is not an http(s) URL; {_EXAMPLE}", url
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return f"the base URL {url!r} is not an http(s) URL; {_EXAMPLE}", url
    if parsed.userinfo:
        return (
            f"the base URL {url!r} must not carry a user name or password; the key is sent apart",
            url,
        )
    if parsed.query or parsed.fragment or "?" in url or "#" in url:
        return f"the base URL {url!r} must not have a query (?…) or fragment (#…); {_EXAMPLE}", url
    port = f":{parsed.port}" if parsed.port is not None else ""
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    path = parsed.path.rstrip("/")
    return None, f"{parsed.scheme}://{host.lower()}{port}{path}"


def allowed_base_urls(entries: tuple[str, ...]) -> frozenset[str]:
    """The server's extra allowed URLs, normalized; a malformed entry is a configuration error."""
    allowed = {CURSOR_BASE_URL}
    for entry in entries:
        problem, url = _shape_problem(entry)
        if problem is not None:
            raise ConfigError(f"{ALLOW_VARIABLE}: {problem}")
        if url.startswith("http://") and not is_loopback(httpx.URL(url).host):
            raise ConfigError(
                f"{ALLOW_VARIABLE}: {entry!r} uses plain http, which sends the key unencrypted; "
                "use https (http is allowed only for loopback addresses such as 127.0.0.1)"
            )
        allowed.add(url)
    return frozenset(allowed)


def check_base_url(url: str, allowed: frozenset[str]) -> str:
    """``url`` normalized, if this server lets an account use it; otherwise a one-line
    ``InputError`` that says why without listing the allowed URLs."""
    problem, normalized = _shape_problem(url)
    if problem is not None:
        raise InputError(problem, field="base_url")
    if normalized in allowed:
        return normalized
    if normalized.startswith("http://") and not is_loopback(httpx.URL(normalized).host):
        raise InputError(
            f"the base URL {url!r} uses plain http, which would send the key unencrypted; "
            "use https",
            field="base_url",
        )
    raise InputError(
        f"the base URL {url!r} is not allowed on this server: it calls only {CURSOR_BASE_URL} "
        f"and the URLs its administrator lists in {ALLOW_VARIABLE}",
        field="base_url",
    )
