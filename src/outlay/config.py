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
#: The embedded fact store's file in the data dir.
FACTS_FILE = "facts.duckdb"
FACTS_SCHEMES = ("duckdb:///", "chdb:///", "clickhouse://")


def check_facts_url(url: str) -> None:
    """Refuse a facts URL no store reads, in one line naming the accepted forms."""
    scheme = next((s for s in FACTS_SCHEMES if url.startswith(s)), None)
    if scheme is None or len(url) == len(scheme):
        raise ConfigError(
            f"{ENV_PREFIX}FACTS_URL={url!r} is not a fact store; use duckdb:///path, "
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
    #: Where cost rows live (``OUTLAY_FACTS_URL``): ``duckdb:///path`` (default: the data dir's
    #: file), ``chdb:///path`` (ClickHouse in-process) or ``clickhouse://user:pass@host:8123/db``.
    facts_url: str = ""

    def __post_init__(self) -> None:
        if not self.facts_url:
            object.__setattr__(self, "facts_url", f"duckdb:///{self.data_dir / FACTS_FILE}")
        check_facts_url(self.facts_url)

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
            "facts_url": env.get(ENV_PREFIX + "FACTS_URL", "").strip(),
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


def secret_from_env(variable: str, env: Mapping[str, str] | None = None) -> str:
    """A secret the user put in a named environment variable (``--api-key-env VAR``)."""
    env = os.environ if env is None else env
    value = env.get(variable, "")
    if not value.strip():
        raise ConfigError(
            f"environment variable {variable} is unset or empty; export the key in it"
        )
    return value.strip()
