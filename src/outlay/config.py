"""Settings: the one place that reads the environment. Everything else takes a Settings object."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from platformdirs import user_data_dir

from outlay.errors import ConfigError

ENV_PREFIX = "OUTLAY_"
#: The data dir holds password hashes, e-mail addresses, sealed keys and every cost.
DATA_DIR_MODE = 0o700

log = logging.getLogger(__name__)
#: The embedded fact store's file in the data dir.
FACTS_FILE = "facts.duckdb"
FACTS_SCHEMES = ("duckdb:///", "chdb:///", "clickhouse://")


def check_facts_url(url: str) -> None:
    """Refuse a facts URL no store reads, in one line naming the accepted forms."""
    scheme = next((s for s in FACTS_SCHEMES if url.startswith(s)), None)
    if scheme is None or len(url) == len(scheme):
        raise ConfigError(
            # Only the scheme is repeated: a server URL may carry a password.
            f"{ENV_PREFIX}FACTS_URL {_scheme(url)} is not a fact store; use duckdb:///path, "
            "chdb:///path or clickhouse://user:pass@host:8123/db"
        )


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(ENV_PREFIX + name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(
            f"{ENV_PREFIX}{name}={raw!r} is not a whole number; unset it or fix it"
        ) from None
    if not low <= value <= high:
        raise ConfigError(f"{ENV_PREFIX}{name}={value} is out of range; use {low} to {high}")
    return value


@dataclass(frozen=True)
class Settings:
    """Runtime settings. Build with ``Settings.from_env()`` at the edge, pass it in everywhere."""

    data_dir: Path = field(default_factory=lambda: Path(user_data_dir("outlay", appauthor=False)))
    #: Re-read this many trailing days on every sync: Cursor revises recent costs.
    lag_days: int = 3
    #: The first import reaches back at most this many days.
    horizon_days: int = 400
    #: Fernet key for stored API keys; default: a key file created in the data dir.
    secret_key: str | None = None
    #: Optional JSON file of model price rows tried before the built-in table.
    prices_file: Path | None = None
    #: Day of the month the billing cycle starts (the ``billing_cycle_to_date`` interval).
    billing_cycle_day: int = 1
    #: Memory one report query may use in the engine (MB); more is a clear error, not a crash.
    query_memory_mb: int = 1024
    #: Seconds one report query may run before the engine interrupts it with a clear error.
    query_timeout_s: int = 30
    #: Base URLs besides Cursor's own that accounts may use (a proxy, a local fake); http is
    #: accepted only for loopback addresses. From ``OUTLAY_ALLOWED_BASE_URLS``, comma-separated.
    allowed_base_urls: tuple[str, ...] = ()
    # -- single sign-on (OIDC); see ``sso_settings`` ------------------------------------------
    #: The identity provider's issuer URL; SSO is on when it is set.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    #: None for a public client (PKCE alone protects the code exchange).
    oidc_client_secret: str | None = None
    oidc_groups_claim: str = "groups"
    oidc_scopes: str = "openid email profile"
    #: Create users at their first sign-in; None: on when group mapping rules exist.
    oidc_jit: bool | None = None
    oidc_default_role: str = "viewer"
    #: YAML of group -> workspaces + role rules; when set it wins over the rules kept in the DB.
    oidc_mapping_file: Path | None = None
    #: "on", or "owners-only": with SSO on, only owners (the break-glass account) use passwords.
    local_passwords: str = "on"

    @property
    def sso_enabled(self) -> bool:
        return self.oidc_issuer is not None

    #: Where e-mail channels send: ``smtp://user:pass@host:587`` (STARTTLS when the server
    #: offers it, required with a password), ``smtps://`` (implicit TLS), ``smtp://host:25``
    #: (no auth, for a local relay). From ``OUTLAY_SMTP_URL``; a credential, never shown.
    smtp_url: str | None = None
    #: The From address of e-mail channels (``OUTLAY_SMTP_FROM``).
    smtp_from: str | None = None
    #: The web app's address as people reach it (``OUTLAY_PUBLIC_URL``): alerts link to it, and
    #: the SSO redirect URI is ``<public_url>/auth/oidc/callback``.
    public_url: str | None = None
    #: Metadata database (SQLAlchemy URL); None: the SQLite file in the data dir (``meta_url``).
    database_url: str | None = None
    #: Where cost rows live, as configured (``OUTLAY_FACTS_URL``): ``duckdb:///path``,
    #: ``chdb:///path`` (ClickHouse in-process) or ``clickhouse://user:pass@host:8123/db``;
    #: None: the data dir's DuckDB file (``facts_url``).
    facts_store_url: str | None = None

    def __post_init__(self) -> None:
        check_database_url(self.database_url)
        if self.facts_store_url is not None:
            check_facts_url(self.facts_store_url)

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, data_dir: Path | None = None
    ) -> Settings:
        env = os.environ if env is None else env
        chosen = data_dir or (
            Path(env[ENV_PREFIX + "DATA_DIR"]) if env.get(ENV_PREFIX + "DATA_DIR") else None
        )
        prices = env.get(ENV_PREFIX + "PRICES_FILE")
        kwargs: dict[str, object] = {
            "lag_days": _int(env, "LAG_DAYS", 3, 0, 60),
            "horizon_days": _int(env, "HORIZON_DAYS", 400, 1, 3650),
            "secret_key": env.get(ENV_PREFIX + "SECRET_KEY") or None,
            "prices_file": Path(prices) if prices else None,
            "billing_cycle_day": _int(env, "BILLING_CYCLE_DAY", 1, 1, 28),
            "query_memory_mb": _int(env, "QUERY_MEMORY_MB", 1024, 64, 1_048_576),
            "query_timeout_s": _int(env, "QUERY_TIMEOUT_S", 30, 1, 3600),
            "allowed_base_urls": tuple(
                u.strip()
                for u in env.get(ENV_PREFIX + "ALLOWED_BASE_URLS", "").split(",")
                if u.strip()
            ),
            **sso_settings(env),
            **_notify_settings(env),
            "database_url": env.get(ENV_PREFIX + "DATABASE_URL") or None,
            "facts_store_url": env.get(ENV_PREFIX + "FACTS_URL", "").strip() or None,
        }
        if chosen is not None:
            kwargs["data_dir"] = chosen.expanduser()
        return cls(**kwargs)  # type: ignore[arg-type]

    @property
    def facts_path(self) -> Path:
        return self.data_dir / FACTS_FILE

    @property
    def meta_path(self) -> Path:
        return self.data_dir / "meta.sqlite"

    @property
    def meta_url(self) -> str:
        """The metadata database: ``database_url``, or the SQLite file in the data dir."""
        return self.database_url or f"sqlite:///{self.meta_path}"

    @property
    def facts_url(self) -> str:
        """The fact store: ``facts_store_url``, or the DuckDB file in the data dir (derived on
        each read, so settings moved to another data dir follow it)."""
        return self.facts_store_url or f"duckdb:///{self.data_dir / FACTS_FILE}"

    @property
    def key_path(self) -> Path:
        return self.data_dir / "secret.key"

    def ensure_data_dir(self) -> Path:
        """The data dir, created owner-only (0700) if missing; a wider existing one is reported."""
        existed = self.data_dir.is_dir()
        try:
            self.data_dir.mkdir(mode=DATA_DIR_MODE, parents=True, exist_ok=True)
            if not existed:  # mkdir's mode went through the umask
                self.data_dir.chmod(DATA_DIR_MODE)
        except OSError as exc:
            raise ConfigError(
                f"data dir {self.data_dir} cannot be created ({exc.strerror}); "
                "pass --data-dir or set OUTLAY_DATA_DIR to a writable folder"
            ) from exc
        if existed:
            _warn_if_shared(self.data_dir, stat.S_IMODE(self.data_dir.stat().st_mode))
        return self.data_dir


_SSO_NEEDS = ("OIDC_CLIENT_ID", "PUBLIC_URL")
_BOOLS = {"on": True, "true": True, "1": True, "off": False, "false": False, "0": False}
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def sso_settings(env: Mapping[str, str]) -> dict[str, object]:
    """The OIDC block of ``Settings``: a half-configured SSO stops the start with one line."""

    def get(name: str) -> str | None:
        return (env.get(ENV_PREFIX + name) or "").strip() or None

    _check_sso_complete(get)
    jit_raw = get("OIDC_JIT")
    if jit_raw is not None and jit_raw.lower() not in _BOOLS:
        raise ConfigError(f"{ENV_PREFIX}OIDC_JIT={jit_raw!r} is not on or off; use one of them")
    local = (get("LOCAL_PASSWORDS") or "on").lower()
    if local not in ("on", "owners-only"):
        raise ConfigError(f"{ENV_PREFIX}LOCAL_PASSWORDS={local!r}; use on or owners-only")
    role = get("OIDC_DEFAULT_ROLE") or "viewer"
    if role not in ("viewer", "editor", "admin"):
        raise ConfigError(f"{ENV_PREFIX}OIDC_DEFAULT_ROLE={role!r}; use viewer, editor or admin")
    mapping = get("OIDC_MAPPING_FILE")
    return {
        "oidc_issuer": get("OIDC_ISSUER"),
        "oidc_client_id": get("OIDC_CLIENT_ID"),
        "oidc_client_secret": get("OIDC_CLIENT_SECRET"),
        "oidc_groups_claim": get("OIDC_GROUPS_CLAIM") or "groups",
        "oidc_scopes": get("OIDC_SCOPES") or "openid email profile",
        "oidc_jit": _BOOLS[jit_raw.lower()] if jit_raw else None,
        "oidc_default_role": role,
        "oidc_mapping_file": Path(mapping).expanduser() if mapping else None,
        "local_passwords": local,
    }


def _check_sso_complete(get: Callable[[str], str | None]) -> None:
    """All of issuer, client id and public URL, or none; the URLs https (http on loopback)."""
    if get("OIDC_ISSUER") is None:
        stray = [n for n in ("OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET") if get(n)]
        if stray:
            raise ConfigError(
                f"{ENV_PREFIX}{stray[0]} is set but {ENV_PREFIX}OIDC_ISSUER is not; set the "
                "identity provider's issuer URL or unset it"
            )
        return
    for name in _SSO_NEEDS:
        if get(name) is None:
            raise ConfigError(
                f"{ENV_PREFIX}OIDC_ISSUER is set but {ENV_PREFIX}{name} is not; set it "
                "(see the README, Single sign-on) or unset OUTLAY_OIDC_ISSUER"
            )
    for name in ("OIDC_ISSUER", "PUBLIC_URL"):
        url = urlsplit(str(get(name)))
        if not url.hostname or not (
            url.scheme == "https" or (url.scheme == "http" and url.hostname in _LOOPBACK)
        ):
            raise ConfigError(
                f"{ENV_PREFIX}{name}={get(name)!r} is not an https URL (http only on loopback); "
                "fix it"
            )


def _notify_settings(env: Mapping[str, str]) -> dict[str, str | None]:
    """``OUTLAY_SMTP_URL``, ``OUTLAY_SMTP_FROM`` and ``OUTLAY_PUBLIC_URL``, checked now so a
    typo stops the server at start, not at the first alert. Messages never repeat the SMTP
    URL: it may hold a password."""
    smtp = env.get(ENV_PREFIX + "SMTP_URL", "").strip() or None
    if smtp is not None:
        scheme, _, rest = smtp.partition("://")
        host = rest.rpartition("@")[2].split("/")[0].split(":")[0]
        if scheme not in ("smtp", "smtps") or not host:
            raise ConfigError(
                f"{ENV_PREFIX}SMTP_URL is not an SMTP URL; use smtp://user:pass@host:587, "
                "smtps://user:pass@host:465 or smtp://host:25"
            )
    sender = env.get(ENV_PREFIX + "SMTP_FROM", "").strip() or None
    if sender is not None and ("@" not in sender or any(c in sender for c in "\r\n")):
        raise ConfigError(
            f"{ENV_PREFIX}SMTP_FROM={sender!r} is not an e-mail address; e.g. outlay@example.com"
        )
    public = env.get(ENV_PREFIX + "PUBLIC_URL", "").strip().rstrip("/") or None
    if public is not None:
        scheme, _, rest = public.partition("://")
        if scheme not in ("http", "https") or not rest or any(c in rest for c in "?#"):
            raise ConfigError(
                f"{ENV_PREFIX}PUBLIC_URL={public!r} is not an http(s) base URL; "
                "e.g. https://outlay.example.com"
            )
    return {"smtp_url": smtp, "smtp_from": sender, "public_url": public}


@cache  # once per folder and mode in a process: the data dir is looked up on every operation
def _warn_if_shared(folder: Path, mode: int) -> None:
    if mode & 0o077:
        # With no logging configured (the CLI) this goes to stderr as one line.
        log.warning(
            "data dir %s is open to other local users (mode %o); run `chmod 700 %s` to keep "
            "its costs, e-mail addresses and password hashes private",
            folder, mode, folder,
        )  # fmt: skip


#: The metadata databases outlay runs on, as SQLAlchemy URL prefixes.
DATABASE_URL_FORMS = ("sqlite:///", "postgresql+psycopg://")


def check_database_url(raw: str | None) -> str | None:
    """``OUTLAY_DATABASE_URL`` as given, if it is a form outlay runs on (None: the default)."""
    if raw is None or raw.startswith(DATABASE_URL_FORMS):
        return raw
    raise ConfigError(
        f"{ENV_PREFIX}DATABASE_URL must start with sqlite:/// or postgresql+psycopg:// "
        f"(e.g. postgresql+psycopg://user:pass@host:5432/outlay), not {_scheme(raw)}"
    )


def _scheme(raw: str) -> str:
    """What the user gave, without anything after the scheme (it may hold a password)."""
    return repr(raw.split("://")[0] + "://...") if "://" in raw else repr(raw[:40])


def secret_from_env(variable: str, env: Mapping[str, str] | None = None) -> str:
    """A secret the user put in a named environment variable (``--api-key-env VAR``)."""
    env = os.environ if env is None else env
    value = env.get(variable, "")
    if not value.strip():
        raise ConfigError(
            f"environment variable {variable} is unset or empty; export the key in it"
        )
    return value.strip()
