"""The data dir and every file outlay writes in it are the owner's only (0700 / 0600)."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from outlay.config import Settings
from outlay.testing.cursor_fake.api import DEFAULT_KEY
from outlay.testing.cursor_fake.team import TeamSpec
from tests.fakes import BASE_URL, fake_cursor, make_outlay


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The common 022 umask, under which files come out 0644 unless outlay sees to it."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.embedded_only
@pytest.mark.usefixtures("usual_umask")
def test_a_new_data_dir_and_every_file_in_it_are_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    fake = fake_cursor(TeamSpec(users=2, days=20, events_per_user_day=4.0))
    outlay = make_outlay(data, fake)
    outlay.add_account("cursor", "acme", DEFAULT_KEY, base_url=BASE_URL)
    outlay.sync("acme")
    assert outlay.facts.count_rows("acme") > 0
    found = {p.relative_to(data).as_posix(): mode(p) for p in [data, *data.rglob("*")]}
    assert {"facts.duckdb", "meta.sqlite", "secret.key", "locks", "staging"} <= set(found)
    wider = {
        name: oct(bits)
        for name, bits in found.items()
        if bits != (0o700 if (data / name).is_dir() else 0o600)
    }
    assert wider == {}


@pytest.mark.embedded_only
@pytest.mark.usefixtures("usual_umask")
def test_files_an_older_version_left_readable_become_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    outlay = make_outlay(data, fake_cursor(TeamSpec(users=2, days=5)))
    outlay.meta.accounts()
    outlay.facts.count_rows()
    outlay.keybox.seal("crsr_0123456789")
    for name in ("facts.duckdb", "meta.sqlite", "secret.key"):
        (data / name).chmod(0o644)
    again = make_outlay(data, fake_cursor(TeamSpec(users=2, days=5)))
    again.meta.accounts()
    again.facts.count_rows()
    again.keybox.seal("crsr_0123456789")
    assert {name: oct(mode(data / name)) for name in ("facts.duckdb", "meta.sqlite",
            "secret.key")} == dict.fromkeys(("facts.duckdb", "meta.sqlite", "secret.key"),
                                            "0o600")  # fmt: skip


def test_an_existing_data_dir_open_to_others_is_reported_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    settings = Settings(data_dir=shared)
    with caplog.at_level(logging.WARNING, logger="outlay.config"):
        settings.ensure_data_dir()
        settings.ensure_data_dir()
    warnings = [r.getMessage() for r in caplog.records if r.name == "outlay.config"]
    assert len(warnings) == 1
    assert str(shared) in warnings[0] and "mode 755" in warnings[0]
    assert f"chmod 700 {shared}" in warnings[0]
    assert mode(shared) == 0o755  # reported, not changed behind the owner's back


def test_a_private_existing_data_dir_is_not_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    with caplog.at_level(logging.WARNING, logger="outlay.config"):
        Settings(data_dir=private).ensure_data_dir()
    assert [r for r in caplog.records if r.name == "outlay.config"] == []
