"""``outlay users``, ``invite``, ``tokens`` and ``audit`` as a user types them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from outlay.cli.app import app

PASSWORD = "correct horse battery"


def run(folder: Path, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--data-dir", str(folder), *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_a_users_lifecycle_from_the_command_line_is_audited_as_local(tmp_path: Path) -> None:
    add = ("users", "add", "--role", "owner", "--password-stdin")
    assert run(tmp_path, *add, "own@x.test", stdin=PASSWORD + "\n")[0] == 0
    assert run(tmp_path, *add, "ann@x.test", stdin=PASSWORD + "\n")[0] == 0
    assert run(tmp_path, "users", "set-role", "ann@x.test", "--role", "viewer")[0] == 0
    assert run(tmp_path, "users", "disable", "ann@x.test")[1] == "Disabled ann@x.test.\n"
    listed = json.loads(run(tmp_path, "users", "list", "--format", "json")[1])
    assert {(u["email"], u["role"], u["disabled"]) for u in listed} == {
        ("own@x.test", "owner", False),
        ("ann@x.test", "viewer", True),
    }
    assert run(tmp_path, "users", "enable", "ann@x.test")[0] == 0
    code, link, note = run(tmp_path, "users", "reset-password", "ann@x.test")
    assert code == 0 and link.startswith("/reset/") and "works once" in note
    assert run(tmp_path, "users", "remove", "ann@x.test")[0] == 0
    log = json.loads(run(tmp_path, "audit", "--format", "json", "--action", "user")[1])
    assert [e["action"] for e in log] == [
        "user.remove", "user.reset_link", "user.enable", "user.disable", "user.set_role",
        "user.add", "user.add",
    ]  # fmt: skip
    assert {e["actor"] for e in log} == {"local"}
    assert log[4]["before"] == {"role": "owner"} and log[4]["after"] == {"role": "viewer"}


def test_bad_role_unknown_user_and_the_last_owner_are_one_line_errors(tmp_path: Path) -> None:
    run(tmp_path, "users", "add", "own@x.test", "--role", "owner", "--password-stdin",
        stdin=PASSWORD + "\n")  # fmt: skip
    code, _, err = run(tmp_path, "users", "set-role", "own@x.test", "--role", "boss")
    assert (code, err) == (
        1, "error: unknown role 'boss'; use one of viewer, editor, admin, owner (--role)\n"
    )  # fmt: skip
    code, _, err = run(tmp_path, "users", "disable", "ghost@x.test")
    assert (code, err) == (1, "error: no user 'ghost@x.test'; add one with `outlay users add`\n")
    code, _, err = run(tmp_path, "users", "remove", "own@x.test")
    assert code == 1 and err.startswith("error: own@x.test is the last owner and cannot be")
    assert err.count("\n") == 1


def test_invite_prints_the_link_once_and_tokens_have_a_scope_and_expiry(tmp_path: Path) -> None:
    run(tmp_path, "users", "add", "own@x.test", "--role", "owner", "--password-stdin",
        stdin=PASSWORD + "\n")  # fmt: skip
    code, link, _ = run(
        tmp_path, "invite", "new@x.test", "--workspace", "Default", "--role", "editor",
        "--server-url", "https://outlay.example.com",
    )  # fmt: skip
    assert code == 0 and link.startswith("https://outlay.example.com/invite/")
    code, secret, _ = run(
        tmp_path, "tokens", "create", "--user", "own@x.test", "--scope", "read",
        "--expires-in", "30",
    )  # fmt: skip
    assert code == 0 and secret.startswith("olt_")
    tokens = json.loads(run(tmp_path, "tokens", "list", "--format", "json")[1])
    assert [(t["user"], t["scope"], t["last_used_at"]) for t in tokens] == [
        ("own@x.test", "read", None)
    ]
    assert run(tmp_path, "tokens", "revoke", str(tokens[0]["id"]))[0] == 0
    code, _, err = run(tmp_path, "tokens", "revoke", "999")
    assert (code, err) == (1, "error: no such token of yours; see `outlay tokens list`\n")
    code, _, err = run(tmp_path, "tokens", "create", "--user", "own@x.test", "--scope", "all")
    assert (code, err) == (1, "error: unknown scope 'all'; use read or write (--scope)\n")
