"""Settings: the one place that reads the environment. Everything else takes a Settings object."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from platformdirs import user_data_dir

from outlay.errors import ConfigError

ENV_PREFIX = "OUTLAY_"
#: The data dir holds password hashes, e-mail addresses, sealed keys and every cost.
DATA_DIR_MODE = 0o700

log = logging.getLogger(__name__)


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
    #: Metadata database (SQLAlchemy URL); None: the SQLite file in the data dir (``meta_url``).
    database_url: str | None = None
    #: Facts engine URL; None: the DuckDB file in the data dir. Checked by ``check_facts_url``.
    facts_url: str | None = None

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
            "database_url": check_database_url(env.get(ENV_PREFIX + "DATABASE_URL") or None),
            "facts_url": check_facts_url(env.get(ENV_PREFIX + "FACTS_URL") or None),
        }
        if chosen is not None:
            kwargs["data_dir"] = chosen.expanduser()
        return cls(**kwargs)  # type: ignore[arg-type]

    @property
    def facts_path(self) -> Path:
        return self.data_dir / "facts.duckdb"

    @property
    def meta_path(self) -> Path:
        return self.data_dir / "meta.sqlite"

    @property
    def meta_url(self) -> str:
        """The metadata database: ``database_url``, or the SQLite file in the data dir."""
        return self.database_url or f"sqlite:///{self.meta_path}"

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


def check_facts_url(raw: str | None) -> str | None:
    """``OUTLAY_FACTS_URL`` as given, if it is a form outlay knows (None: the default): the
    embedded DuckDB file, ClickHouse in-process (chDB), or a ClickHouse server."""
    if raw is None:
        return raw
    scheme, _, rest = raw.partition("://")
    # A file engine needs a path after its "///"; a server, a host after "//".
    if (scheme in ("duckdb", "chdb") and len(rest) > 1 and rest.startswith("/")) or (
        scheme == "clickhouse" and rest and not rest.startswith("/")
    ):
        return raw
    raise ConfigError(
        f"{ENV_PREFIX}FACTS_URL must be duckdb:///path, chdb:///path or "
        f"clickhouse://user:pass@host:8123/db, not {_scheme(raw)}"
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
