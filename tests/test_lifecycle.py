"""A user's lifecycle in the service: what changes nothing, and what a link allows once."""

from __future__ import annotations

from pathlib import Path

import pytest

from outlay.errors import ConflictError, InputError, UnauthenticatedError, WorkspaceNotFound
from outlay.service import Outlay
from outlay.testing.cursor_fake.team import TeamSpec
from tests.fakes import fake_cursor, make_outlay

PASSWORD = "correct horse battery"


@pytest.fixture
def outlay(tmp_path: Path) -> Outlay:
    found = make_outlay(tmp_path, fake_cursor(TeamSpec(users=1, days=1)))
    found.add_user("own@x.test", "owner", PASSWORD)
    return found


def test_a_refused_password_leaves_the_reset_link_usable(outlay: Outlay) -> None:
    secret = outlay.create_reset_link("own@x.test").link.rsplit("/", 1)[1]
    with pytest.raises(InputError, match="at least 10 characters"):
        outlay.reset_password(secret, "short")
    assert outlay.reset_link(secret).email == "own@x.test"
    outlay.reset_password(secret, PASSWORD + "!")
    with pytest.raises(InputError, match="expired or was already used"):
        outlay.reset_password(secret, PASSWORD + "?")
    assert outlay.login("own@x.test", PASSWORD + "!")


def test_nobody_is_invited_twice_and_an_invitation_makes_exactly_its_user(outlay: Outlay) -> None:
    with pytest.raises(ConflictError, match=r"a user 'own@x\.test' exists already"):
        outlay.invite("own@x.test", None, "viewer")
    outlay.add_workspace("Research")
    secret = outlay.invite("ivy@x.test", "Research", "editor").link.rsplit("/", 1)[1]
    user = outlay.accept_invitation(secret, PASSWORD)
    assert (user.email, user.role) == ("ivy@x.test", "editor")
    ivy = outlay.principal_of(user)
    assert [w.name for w in outlay.workspaces(ivy)] == ["Research"]


def test_workspace_changes_need_a_known_workspace_and_change_nothing_otherwise(
    outlay: Outlay,
) -> None:
    outlay.add_user("eve@x.test", "viewer", PASSWORD)
    with pytest.raises(InputError, match="name at least one workspace"):
        outlay.set_workspaces("eve@x.test", [])
    with pytest.raises(WorkspaceNotFound, match="no workspace named 'Nope'"):
        outlay.set_workspaces("eve@x.test", ["Nope"])
    eve = outlay.access.user_by_email("eve@x.test")
    assert eve is not None
    assert [w.name for w in outlay.workspaces(outlay.principal_of(eve))] == ["Default"]


def test_a_removed_users_credentials_stop_working(outlay: Outlay) -> None:
    outlay.add_user("rex@x.test", "viewer", PASSWORD)
    token = outlay.create_token("rex@x.test")
    session, _ = outlay.login("rex@x.test", PASSWORD)
    outlay.remove_user("rex@x.test")
    for kind, secret in (("token", token), ("session", session)):
        with pytest.raises(UnauthenticatedError):
            outlay.authenticate(kind, secret)


def test_an_invitation_is_mailed_when_smtp_and_the_public_url_are_set(tmp_path: Path) -> None:
    from dataclasses import replace

    from tests.channel_kit import plain_smtp_server
    from tests.fakes import fake_settings

    with plain_smtp_server() as inbox:
        settings = replace(
            fake_settings(tmp_path), smtp_url=f"smtp://127.0.0.1:{inbox.port}",
            smtp_from="outlay@example.com", public_url="https://outlay.example.com",
        )  # fmt: skip
        outlay = Outlay(settings)
        issued = outlay.invite("new@x.test", None, "viewer")
        assert issued.delivered and issued.link.startswith("https://outlay.example.com/invite/")
        ((sender, recipients, mail),) = inbox.mails
        assert (sender, recipients) == ("outlay@example.com", ["new@x.test"])
        body = mail.get_body(("plain",))
        assert body is not None and issued.link in body.get_content()
        # Without a public URL the link is a bare path: shown to the admin, never mailed.
        bare = Outlay(replace(settings, public_url=None)).invite("other@x.test", None, "viewer")
        assert not bare.delivered and bare.link.startswith("/invite/") and len(inbox.mails) == 1
