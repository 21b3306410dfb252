"""Virtual tags: named values given to cost rows by VQL rules, evaluated at query time.

A tag has a key and an ordered list of values. Each value has a VQL filter, optional date
bounds, and either a name or a percentage split across names. The first value whose filter
matches a row gives the row its tag value; a split divides the row's cost between names
exactly; a row no value matches is untagged. A value's filter may use other virtual tags
(``tags.name = 'team' AND tags.value = 'ml'``) as long as no tag depends on itself.

The file format is YAML, versionable::

    - key: team
      values:
        - name: Platform
          filter: costs.resource IN ('ana@acme.example', 'bo@acme.example')
        - name: Research
          filter: costs.service LIKE 'claude%'
          dates: {start: 2026-01-01, end: null}
        - split: {Platform: 60, Research: 40}
          filter: costs.resource = 'ci-runner@acme.example'

Every problem in a file is an ``InputError`` naming the file, the line and the fix; nothing is
saved unless the whole file is valid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from outlay.errors import FilterError, InputError
from outlay.report.dimensions import PROVIDER_TAGS
from outlay.report.vql import Expr, fields_used, parse_vql

#: Split weights are kept as integers: percentages with up to this many decimals.
SPLIT_DECIMALS = 4
SPLIT_WHOLE = 100 * 10**SPLIT_DECIMALS
_VALUE_KEYS = {"name", "split", "filter", "dates"}
_TAG_KEYS = {"key", "values"}
#: Keys starting with this are Cursor's own tags (``report.dimensions.PROVIDER_TAGS``).
RESERVED_PREFIX = "cursor:"
#: Largest tags document (YAML or CSV, in UTF-8 bytes) and most filter text in one tag set.
#: A team of a few thousand people, every e-mail listed once, fits in a tenth of it; a larger
#: document is a mistake or an attack, and its parse alone would slow every report.
MAX_DOCUMENT_BYTES = 1_000_000
#: Most values (rules) over all tags of a set: each one is a CASE arm in a report that uses its
#: tag, and 2,000 arms still compile and run in well under a second.
MAX_RULES = 2_000


@dataclass(frozen=True)
class TagValue:
    filter_text: str
    filter: Expr
    #: A named value, or None for a split.
    name: str | None = None
    #: (name, weight) pairs of a split; weights are percentages × 10^SPLIT_DECIMALS, sum 100%.
    split: tuple[tuple[str, int], ...] = ()
    start: date | None = None
    end: date | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name,) if self.name is not None else tuple(n for n, _ in self.split)

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.name is not None:
            data["name"] = self.name
        else:
            data["split"] = {n: _percent(w) for n, w in self.split}
        data["filter"] = self.filter_text
        if self.start is not None or self.end is not None:
            data["dates"] = {"start": self.start, "end": self.end}
        return data


@dataclass(frozen=True)
class VirtualTag:
    key: str
    values: tuple[TagValue, ...]

    @property
    def has_split(self) -> bool:
        return any(v.split for v in self.values)

    def depends_on(self) -> set[str]:
        """Keys of the other virtual tags this tag's filters read."""
        used: set[str] = set()
        for value in self.values:
            used |= {f[4:] for f in fields_used(value.filter) if f.startswith("tag:")}
        return used - set(PROVIDER_TAGS)

    def to_data(self) -> dict[str, Any]:
        return {"key": self.key, "values": [v.to_data() for v in self.values]}


@dataclass(frozen=True)
class TagSet:
    """All virtual tag definitions, validated together (references, cycles)."""

    tags: tuple[VirtualTag, ...] = ()
    _by_key: dict[str, VirtualTag] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {t.key: t for t in self.tags})
        rules = sum(len(t.values) for t in self.tags)
        if rules > MAX_RULES:
            raise InputError(
                f"{rules:,} tag values are over the limit of {MAX_RULES:,}; "
                "merge values that share a name into one IN (...) filter"
            )
        text = sum(len(v.filter_text) for t in self.tags for v in t.values)
        if text > MAX_DOCUMENT_BYTES:
            raise InputError(
                f"the tag filters hold {text:,} characters, over the limit of "
                f"{MAX_DOCUMENT_BYTES:,}; shorten the lists or split the tags between workspaces"
            )
        for tag in self.tags:
            for key in sorted(tag.depends_on()):
                if key not in self._by_key:
                    raise InputError(
                        f"tag {tag.key!r} uses tag {key!r}, which is not defined; "
                        "define it or change the filter"
                    )
        for tag in self.tags:
            self._check_cycle(tag.key, (tag.key,))

    def _check_cycle(self, key: str, path: tuple[str, ...]) -> None:
        for dependency in sorted(self._by_key[key].depends_on()):
            if dependency in path:
                loop = " -> ".join((*path[path.index(dependency) :], dependency))
                raise InputError(f"virtual tags depend on each other in a cycle: {loop}")
            self._check_cycle(dependency, (*path, dependency))

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def get(self, key: str) -> VirtualTag:
        return self._by_key[key]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(t.key for t in self.tags)

    def closure(self, keys: Iterable[str]) -> list[VirtualTag]:
        """The tags named and every tag they depend on, dependencies first."""
        ordered: list[VirtualTag] = []
        seen: set[str] = set()

        def visit(key: str) -> None:
            if key in seen:
                return
            seen.add(key)
            tag = self._by_key[key]
            for dependency in sorted(tag.depends_on()):
                visit(dependency)
            ordered.append(tag)

        for key in keys:
            visit(key)
        return ordered

    def replacing(self, tag: VirtualTag) -> TagSet:
        """This set with ``tag`` added, or put in place of the tag with the same key."""
        if tag.key in self._by_key:
            return TagSet(tuple(tag if t.key == tag.key else t for t in self.tags))
        return TagSet((*self.tags, tag))

    def without(self, key: str) -> TagSet:
        if key not in self._by_key:
            known = ", ".join(self.keys) or "none"
            raise InputError(f"no virtual tag {key!r} (tags: {known})")
        users = [t.key for t in self.tags if key in t.depends_on()]
        if users:
            raise InputError(
                f"tag {key!r} is used by tag(s) {', '.join(users)}; change or delete those first"
            )
        return TagSet(tuple(t for t in self.tags if t.key != key))

    def to_data(self) -> list[dict[str, Any]]:
        return [t.to_data() for t in self.tags]

    def to_yaml(self) -> str:
        text: str = yaml.safe_dump(self.to_data(), sort_keys=False, allow_unicode=True, width=100)
        return text


def key_problem(key: str) -> str | None:
    """Why ``key`` cannot name a virtual tag (empty, or Cursor's own ``cursor:``), or None."""
    if not key:
        return "a tag needs a key, e.g. team"
    if key.startswith(RESERVED_PREFIX):
        return f"tag key {key!r} is reserved for Cursor's own tags"
    return None


def _percent(weight: int) -> int | float:
    value = Decimal(weight).scaleb(-SPLIT_DECIMALS).normalize()
    return int(value) if value == value.to_integral_value() else float(value)


# -- reading files ---------------------------------------------------------------------------


class _NoAliasLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML has no type hints
    """Refuses anchors and aliases: a few of them expand a small document a millionfold."""

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases (&, *) are not allowed; write each value out",
                event.start_mark,
            )  # fmt: skip
        node: yaml.Node | None = super().compose_node(parent, index)
        return node


def document_size_problem(text: str, source: str) -> str | None:
    """Why ``text`` is too large for a tags document, or None."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size <= MAX_DOCUMENT_BYTES:
        return None
    return (
        f"{source}: {size:,} bytes is over the limit of {MAX_DOCUMENT_BYTES:,}; "
        "merge values into IN (...) lists or split the file"
    )


class _Problem(Exception):
    def __init__(self, node: yaml.Node | None, message: str) -> None:
        super().__init__(message)
        self.line = node.start_mark.line + 1 if node is not None else None


def parse_tags_yaml(text: str, source: str = "tags file") -> TagSet:
    """A validated TagSet from YAML text; any problem names ``source`` and the line."""
    if problem := document_size_problem(text, source):
        raise InputError(problem)
    try:
        root = yaml.compose(text, Loader=_NoAliasLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"{source}{where}: not valid YAML ({problem})") from None
    try:
        if root is None:
            return TagSet(())
        return TagSet(tuple(_tags(root)))
    except _Problem as exc:
        where = f", line {exc.line}" if exc.line is not None else ""
        raise InputError(f"{source}{where}: {exc}") from None
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from None


def parse_tag_value(data: dict[str, Any]) -> TagValue:
    """One tag value from plain data, judged by the same rules as a value in a tags file; the
    editor page sends each value of its form here. ``split`` is a list of (name, percent)
    pairs, so a name given twice reaches the check instead of vanishing in a dict."""
    represent = yaml.representer.SafeRepresenter()
    node = represent.represent_data({k: v for k, v in data.items() if k != "split"})
    if "split" in data:
        pairs = [
            (represent.represent_data(n), represent.represent_data(p)) for n, p in data["split"]
        ]
        split = yaml.MappingNode("tag:yaml.org,2002:map", pairs)
        node.value.append((represent.represent_data("split"), split))
    try:  # through text, so every node has the position _Problem reads
        return _value(yaml.compose(yaml.serialize(node)))
    except _Problem as exc:
        raise InputError(str(exc)) from None


def _tags(root: yaml.Node) -> list[VirtualTag]:
    if not isinstance(root, yaml.SequenceNode):
        raise _Problem(root, "expected a list of tags (- key: …, values: […])")
    tags: list[VirtualTag] = []
    seen: set[str] = set()
    for item in root.value:
        fields = _mapping(item, _TAG_KEYS, "a tag")
        key_node = fields.get("key")
        key = _text(key_node, "key", item)
        problem = key_problem(key) or (f"tag key {key!r} repeats" if key in seen else None)
        if problem:
            raise _Problem(key_node, f"{problem}; pick another key")
        seen.add(key)
        values_node = fields.get("values")
        if not isinstance(values_node, yaml.SequenceNode) or not values_node.value:
            raise _Problem(values_node or item, f"tag {key!r} needs a non-empty list 'values'")
        tags.append(VirtualTag(key, tuple(_value(v) for v in values_node.value)))
    return tags


def _value(node: yaml.Node) -> TagValue:
    fields = _mapping(node, _VALUE_KEYS, "a tag value")
    filter_node = fields.get("filter")
    filter_text = _text(filter_node, "filter", node)
    try:
        expr = parse_vql(filter_text)
    except FilterError as exc:
        raise _Problem(filter_node, str(exc)) from None
    start, end = _dates(fields.get("dates"))
    if ("name" in fields) == ("split" in fields):
        raise _Problem(node, "a tag value needs either 'name' or 'split', not both or neither")
    if "name" in fields:
        return TagValue(filter_text, expr, name=_text(fields["name"], "name", node),
                        start=start, end=end)  # fmt: skip
    return TagValue(filter_text, expr, split=_split(fields["split"]), start=start, end=end)


def _split(node: yaml.Node) -> tuple[tuple[str, int], ...]:
    if not isinstance(node, yaml.MappingNode) or not node.value:
        raise _Problem(node, "split must map value names to percentages, e.g. {A: 60, B: 40}")
    parts: list[tuple[str, int]] = []
    for name_node, pct_node in node.value:
        name = _text(name_node, "split name", node)
        try:
            pct = Decimal(str(pct_node.value))
        except InvalidOperation:
            raise _Problem(pct_node, f"split share {pct_node.value!r} is not a number") from None
        weight = pct.scaleb(SPLIT_DECIMALS)
        if pct <= 0 or weight != weight.to_integral_value():
            raise _Problem(pct_node, f"split share {pct} must be > 0 with at most 4 decimals")
        if name in dict(parts):
            raise _Problem(name_node, f"split names {name!r} twice")
        parts.append((name, int(weight)))
    total = sum(w for _, w in parts)
    if total != SPLIT_WHOLE:
        raise _Problem(node, f"split shares add up to {_percent(total)}, not 100")
    return tuple(parts)


def _dates(node: yaml.Node | None) -> tuple[date | None, date | None]:
    if node is None:
        return None, None
    fields = _mapping(node, {"start", "end"}, "dates")
    bounds = [_date(fields.get(k), k) for k in ("start", "end")]
    start, end = bounds
    if start is not None and end is not None and end < start:
        raise _Problem(node, f"dates: end {end} is before start {start}")
    return start, end


def _date(node: yaml.Node | None, name: str) -> date | None:
    if node is None or (isinstance(node, yaml.ScalarNode) and node.value in ("", "null", "~")):
        return None
    try:
        return date.fromisoformat(str(node.value))
    except (TypeError, ValueError):
        raise _Problem(node, f"dates.{name} {node.value!r} is not a date; use YYYY-MM-DD") from None


def _mapping(node: yaml.Node, allowed: set[str], what: str) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        raise _Problem(node, f"expected {what} as a mapping (key: value lines)")
    fields: dict[str, yaml.Node] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        if key not in allowed:
            raise _Problem(
                key_node, f"unknown field {key!r} in {what}; use {', '.join(sorted(allowed))}"
            )
        fields[key] = value_node
    return fields


def _text(node: yaml.Node | None, name: str, parent: yaml.Node) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise _Problem(node or parent, f"'{name}' must be a non-empty text")
    return str(node.value).strip()
