"""Group mapping: which workspaces and role a signed-in user gets from the provider's groups.

The rules are a YAML document::

    rules:
      - group: outlay-finance        # a value of the groups claim ("*": every signed-in user)
        role: viewer                 # viewer, editor, admin or owner
        workspaces: [Default, Platform]

A user gets the highest role of the rules their groups match and the union of their
workspaces (owners see every workspace, so an owner rule needs none). No match: no access.
"""

from __future__ import annotations

from dataclasses import dataclass

from outlay.access import ROLES
from outlay.errors import InputError

ANY_GROUP = "*"
MAX_RULES = 1000
MAX_TEXT = 200_000


@dataclass(frozen=True)
class Rule:
    group: str
    role: str
    workspaces: tuple[str, ...]


@dataclass(frozen=True)
class Grant:
    """What a user's groups map to."""

    role: str
    workspaces: frozenset[str]


def parse_rules(text: str, source: str) -> tuple[Rule, ...]:
    """The rules of a mapping document; ``source`` names it in the one-line errors."""
    import yaml

    if len(text) > MAX_TEXT:
        raise InputError(f"{source} is over {MAX_TEXT:,} characters; shorten it", field="mapping")
    try:
        data = yaml.safe_load(text) if text.strip() else {"rules": []}
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: a date like 2026-02-30
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise InputError(f"{source} is not valid YAML{line}; fix it", field="mapping") from None
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise InputError(f"{source} must be a mapping with a 'rules' list", field="mapping")
    if len(data["rules"]) > MAX_RULES:
        raise InputError(f"{source} has more than {MAX_RULES} rules", field="mapping")
    return tuple(_rule(item, n, source) for n, item in enumerate(data["rules"], 1))


def _rule(item: object, n: int, source: str) -> Rule:
    where = f"{source}, rule {n}"
    if not isinstance(item, dict):
        raise InputError(f"{where} must be a mapping of group, role, workspaces", field="mapping")
    unknown = sorted(set(item) - {"group", "role", "workspaces"})
    if unknown:
        raise InputError(
            f"{where} has unknown key {unknown[0]!r}; use group, role, workspaces", field="mapping"
        )
    group, role, spaces = item.get("group"), item.get("role"), item.get("workspaces", [])
    if not isinstance(group, str) or not group.strip():
        raise InputError(f"{where} needs a group (a value of the groups claim)", field="mapping")
    if role not in ROLES:
        raise InputError(
            f"{where} has role {role!r}; use one of {', '.join(ROLES)}", field="mapping"
        )
    if not isinstance(spaces, list) or not all(isinstance(w, str) and w for w in spaces):
        raise InputError(f"{where}: workspaces must be a list of names", field="mapping")
    if role != "owner" and not spaces:
        raise InputError(f"{where} names no workspace; a {role} needs one", field="mapping")
    return Rule(group.strip(), role, tuple(spaces))


def dump_rules(rules: tuple[Rule, ...]) -> str:
    import yaml

    items = [
        {
            "group": r.group,
            "role": r.role,
            **({"workspaces": list(r.workspaces)} if r.workspaces else {}),
        }
        for r in rules
    ]
    return str(yaml.safe_dump({"rules": items}, sort_keys=False))


def grant_for(rules: tuple[Rule, ...], groups: frozenset[str]) -> Grant | None:
    """The role and workspaces the groups map to; None when no rule matches."""
    matched = [r for r in rules if r.group == ANY_GROUP or r.group in groups]
    if not matched:
        return None
    role = max((r.role for r in matched), key=ROLES.index)
    return Grant(role, frozenset(w for r in matched for w in r.workspaces))
