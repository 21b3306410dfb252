"""The error tree: each class carries its HTTP answer; the CLI adds its own hints."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from typer.testing import CliRunner

from outlay import errors
from outlay.cli.app import app
from outlay.cli.errors import cli_message
from outlay.errors import (
    AccountNotFound,
    ConflictError,
    InputError,
    OutlayError,
    UserNotFound,
)

#: Class → (status, code): what the API answered before the tree carried it, and the new kinds.
ANSWERS = {
    errors.UnauthenticatedError: (401, "unauthenticated"),
    errors.ThrottledError: (429, "too_many_requests"),
    errors.SignInRefused: (401, "sign_in_refused"),
    errors.ForbiddenError: (403, "forbidden"),
    errors.NotFoundError: (404, "not_found"),
    errors.AccountNotFound: (404, "not_found"),
    errors.WorkspaceNotFound: (404, "not_found"),
    errors.ReportNotFound: (404, "not_found"),
    errors.TagNotFound: (404, "not_found"),
    errors.BudgetNotFound: (404, "not_found"),
    errors.UserNotFound: (404, "not_found"),
    errors.TokenNotFound: (404, "not_found"),
    errors.InvitationNotFound: (404, "not_found"),
    errors.ConflictError: (409, "conflict"),
    errors.SyncBusyError: (409, "busy"),
    errors.StoreBusyError: (503, "busy"),
    errors.InputError: (400, "bad_request"),
    errors.FilterError: (400, "bad_request"),
    errors.ProviderError: (502, "provider_error"),
    errors.AuthError: (502, "provider_error"),
    errors.RouteRefusedError: (502, "provider_error"),
    errors.PayloadError: (502, "provider_error"),
    errors.RequestRejectedError: (502, "provider_error"),
    errors.RateLimitedError: (502, "provider_error"),
    errors.UnavailableError: (502, "provider_error"),
    errors.PagingShiftedError: (502, "provider_error"),
    errors.StoreError: (500, "error"),
    errors.ConfigError: (500, "error"),
    errors.ChannelNotFound: (404, "not_found"),
    errors.DeliveryError: (502, "delivery_failed"),
}


@pytest.mark.parametrize("kind", list(ANSWERS), ids=lambda k: k.__name__)
def test_each_error_class_carries_its_status_whatever_its_message(kind: type[OutlayError]) -> None:
    for message in ("no account named 'x'", "exists already", "anything"):
        error = kind(message)
        assert (error.status, error.code) == ANSWERS[kind]


def test_every_error_class_is_in_errors_py_and_has_an_answer() -> None:
    tree = {
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, OutlayError) and value is not OutlayError
    }
    assert tree == set(ANSWERS)
    names = {kind.__name__ for kind in tree} | {"OutlayError"}
    src = Path(errors.__file__).parent
    elsewhere = [
        f"{path.relative_to(src)}: {node.name}"
        for path in src.rglob("*.py")
        if path != Path(errors.__file__)
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ClassDef)
        and any(isinstance(b, ast.Name) and b.id in names for b in node.bases)
    ]
    assert elsewhere == []


@pytest.mark.parametrize(
    ("error", "line"),
    [
        (
            ConflictError("an account named 'a' exists already", field="account_name"),
            "an account named 'a' exists already; pick another --name",
        ),
        (
            InputError("the account name must be 1 to 200 characters", field="account_name"),
            "the account name must be 1 to 200 characters (--name)",
        ),
        (
            AccountNotFound("no account named 'x' (accounts: a)"),
            "no account named 'x' (accounts: a); see `outlay accounts list`",
        ),
        (UserNotFound("no user 'n@x.io'"), "no user 'n@x.io'; add one with `outlay users add`"),
        (InputError("plain", field="unknown_field"), "plain"),
    ],
)
def test_the_cli_adds_its_flags_and_commands_to_the_message(error: OutlayError, line: str) -> None:
    assert "--" not in str(error) and "`" not in str(error)
    assert cli_message(error) == line


def test_the_cli_shows_the_hint_on_its_one_error_line(tmp_path: Path) -> None:
    runner = CliRunner(env={"OUTLAY_DATA_DIR": str(tmp_path), "KEY": "crsr_x"})
    add = runner.invoke(app, ["accounts", "add", "cursor", "--name", " ", "--api-key-env", "KEY"])
    assert add.exit_code == 1
    assert add.output == "error: the account name must be 1 to 200 characters (--name)\n"
    sync = runner.invoke(app, ["sync", "--account", "nope"])
    assert sync.exit_code == 1
    assert "no account named 'nope' (accounts: none yet); see `outlay accounts list`" in sync.output
