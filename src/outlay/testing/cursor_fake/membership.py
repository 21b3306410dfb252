"""The membership knob: members who join or leave the fake team on given UTC days.

``/teams/members`` lists a joiner from its day on, and lists a leaver as removed
(``isRemoved: true``, as Cursor keeps removed members) from its day on. The changes touch the
member list only: the generated usage events stay what the seed makes them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from typing import Any

from outlay.testing.cursor_fake.people import random_id


@dataclass(frozen=True)
class MemberChange:
    day: date
    email: str
    joins: bool
    name: str | None = None


def joiner_id(email: str) -> str:
    return random_id(random.Random(f"outlay-fake:joiner:{email}"), "user_", 26)


def apply_changes(
    members: list[dict[str, Any]], changes: list[MemberChange], today: date
) -> list[dict[str, Any]]:
    """``members`` as listed on ``today`` after the changes due by then (the latest wins)."""
    listed = {m["email"]: dict(m) for m in members}
    for change in sorted((c for c in changes if c.day <= today), key=lambda c: c.day):
        if change.joins:
            listed[change.email] = {
                "id": joiner_id(change.email),
                "name": change.name or change.email.split("@")[0],
                "email": change.email,
                "role": "member",
                "isRemoved": False,
            }
        elif change.email in listed:
            listed[change.email]["isRemoved"] = True
    return list(listed.values())
