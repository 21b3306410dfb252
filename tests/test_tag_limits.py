"""Tag documents are bounded: no YAML aliases, a size and a rule cap, and a report only pays for
the tags it reads."""

from __future__ import annotations

from datetime import date

import pytest

from outlay.errors import InputError
from outlay.report.compile import Shape, compile_report_query
from outlay.report.tag_csv import tag_from_csv
from outlay.report.tags import (
    MAX_DOCUMENT_BYTES,
    MAX_RULES,
    TagSet,
    TagValue,
    VirtualTag,
    parse_tags_yaml,
)
from outlay.report.vql import parse_vql


def _values(count: int, filter_text: str = "costs.service = 'x'") -> tuple[TagValue, ...]:
    expr = parse_vql(filter_text)
    return tuple(TagValue(filter_text, expr, name=f"v{i}") for i in range(count))


def _yaml(tags: int, values: int) -> str:
    one = "    - name: v\n      filter: costs.service = 'x'\n"
    return "".join(f"- key: k{t}\n  values:\n" + one * values for t in range(tags))


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("- &tag\n  key: a\n  values: [{name: A, filter: \"costs.service = 'a'\"}]\n", 1),
        (
            "- key: a\n  values:\n    - &v {name: A, filter: \"costs.service = 'a'\"}\n"
            "- key: b\n  values: [*v]\n",
            3,
        ),
        (
            "- key: a\n  values:\n    - {name: A, filter: \"costs.service = 'a'\"}\n"
            "- key: b\n  values: [*v]\n",
            5,
        ),
    ],
)
def test_anchors_and_aliases_are_refused_with_the_line(text: str, line: int) -> None:
    with pytest.raises(InputError, match=rf"^t.yaml, line {line}: .*anchors and aliases"):
        parse_tags_yaml(text, "t.yaml")


def test_an_alias_bomb_is_refused_before_it_expands() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
    )
    with pytest.raises(InputError, match="anchors and aliases"):
        parse_tags_yaml(bomb)


def test_a_document_over_the_size_limit_is_refused_before_parsing() -> None:
    text = "# " + "x" * MAX_DOCUMENT_BYTES + "\n"
    with pytest.raises(InputError, match=rf"^big.yaml: {len(text):,} bytes is over the limit"):
        parse_tags_yaml(text, "big.yaml")
    with pytest.raises(InputError, match=r"^big.csv: [\d,]+ bytes is over the limit"):
        tag_from_csv("team", "a@b.c,X\n" * (MAX_DOCUMENT_BYTES // 8 + 1), "big.csv")


def test_rules_are_capped_in_every_tag_set() -> None:
    assert len(parse_tags_yaml(_yaml(2, MAX_RULES // 2)).tags) == 2
    with pytest.raises(InputError, match=rf"^t.yaml: {MAX_RULES + 1:,} tag values are over"):
        parse_tags_yaml(_yaml(1, MAX_RULES + 1), "t.yaml")
    half = VirtualTag("a", _values(MAX_RULES // 2))
    with pytest.raises(InputError, match="over the limit"):  # however the set is built
        TagSet((half, VirtualTag("b", _values(MAX_RULES // 2 + 1))))


def test_the_filter_text_of_a_set_is_capped() -> None:
    long = "costs.resource IN (" + ", ".join(f"'u{i}@acme.example'" for i in range(4000)) + ")"
    values = _values(int(MAX_DOCUMENT_BYTES / len(long)) + 1, long)
    with pytest.raises(InputError, match=r"^the tag filters hold [\d,]+ characters, over the"):
        TagSet((VirtualTag("team", values),))


def test_a_csv_with_a_utf8_byte_order_mark_is_read() -> None:
    tag = tag_from_csv("team", "\ufeffemail,value\nann@x.io,Core\n")
    assert [(v.name, v.filter_text) for v in tag.values] == [
        ("Core", "costs.resource IN ('ann@x.io')")
    ]


def test_a_report_compiles_only_the_tags_it_reads() -> None:
    heavy = TagSet(
        tuple(
            VirtualTag(f"k{t}", _values(MAX_RULES // 4, "costs.service ~* 'a'")) for t in range(4)
        )
    )
    shape = Shape(date(2026, 1, 1), date(2026, 1, 31), "day", ("service",), "cost")
    assert compile_report_query(shape, heavy) == compile_report_query(shape, TagSet(()))
    by_tag = compile_report_query(
        Shape(date(2026, 1, 1), date(2026, 1, 31), "day", ("tag:k1",), "cost"), heavy
    )
    assert by_tag.sql.count("regexp_matches") == MAX_RULES // 4
