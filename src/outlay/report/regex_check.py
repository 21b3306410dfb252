"""Regular expressions in filters: refused when parsed unless Python and DuckDB read them alike.

Python's ``re`` checks them first; then the patterns RE2 (DuckDB's engine) refuses or reads
differently are refused too, so a filter fails when it is parsed, not when a report runs.
"""

from __future__ import annotations

import re

_GROUP_START = re.compile(r"\(\?(?::|P<|[ims]*(?:-[ims]+)?[:)])")
_COUNTED_REPEAT = re.compile(r"\{(\d*)(?:(,)(\d*))?\}")
_RE2_MAX_REPEAT = 1000
_ESCAPES = frozenset("AbBdDsSwWafnrtvx0")
_CLASS_ESCAPES = frozenset("dDsSwWafnrtvx0")  # RE2 has no \b (backspace) inside [...]


def regex_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not a regular expression that Python and RE2 both accept alike."""
    # The RE2 scan runs first: it refuses the sets (like [[:alpha:]]) that make re.compile warn,
    # so no FutureWarning reaches stderr, and no thread-unsafe catch_warnings is needed.
    problem = _re2_problem(pattern)
    if problem is not None:
        return problem
    try:
        re.compile(pattern)
    except (re.error, Warning) as error:  # Warning: when warnings are errors, as in tests
        return str(error)
    return None


def _re2_problem(pattern: str) -> str | None:
    # The pattern may not be valid yet: what this scan lets through, re.compile checks after.
    # RE2 also caps nested counted repeats: their product may not pass 1000.
    levels = [1]  # per open group, the largest repeat product inside it
    closed = 1  # the product inside the group that just closed, which a repeat would multiply
    i, end = 0, len(pattern)
    while i < end:
        char, after_group, closed = pattern[i], closed, 1
        if char == "\\":
            if (problem := _escape_problem(pattern[i + 1 : i + 2], _ESCAPES)) is not None:
                return problem
            i += 2
            continue
        if char == "[":
            i, problem = _skip_set(pattern, i)
            if problem is not None:
                return problem
            continue
        if char == "(" and pattern.startswith("?", i + 1):
            group = _GROUP_START.match(pattern, i)
            if group is None:
                return f"{pattern[i : i + 3]}… groups are not supported; use (?:…) or (?i)"
            i = group.end()
            if not group.group().endswith(")"):  # (?i) only sets flags
                levels.append(1)
            continue
        i += 1
        if char == "(":
            levels.append(1)
        elif char == ")":
            closed = levels.pop() if len(levels) > 1 else 1  # unbalanced: re.compile says so
            levels[-1] = max(levels[-1], closed)
        elif char in "*+?":
            if pattern.startswith("+", i + pattern.startswith("?", i)):
                return "possessive repeats like a*+ are not supported"
        elif char == "{" and (counted := _COUNTED_REPEAT.match(pattern, i - 1)) is not None:
            low, comma, high = counted.groups()
            if not low and not comma:
                continue  # "{}" is a literal in both
            if not low:
                return "a repeat needs a minimum, like {0,3}"
            i = counted.end()
            if pattern.startswith("+", i + pattern.startswith("?", i)):
                return "possessive repeats like a{2}+ are not supported"
            product = max(int(low), int(high or 0)) * after_group
            if product > _RE2_MAX_REPEAT:
                return f"repeat counts, multiplied when nested, may not pass {_RE2_MAX_REPEAT}"
            levels[-1] = max(levels[-1], product)
    return None


def _skip_set(pattern: str, start: int) -> tuple[int, str | None]:
    i = start + 1
    i += pattern.startswith("^", i)
    i += pattern.startswith("]", i)  # a leading ] is a literal in both
    while i < len(pattern) and pattern[i] != "]":
        if pattern[i] == "\\":
            if (problem := _escape_problem(pattern[i + 1 : i + 2], _CLASS_ESCAPES)) is not None:
                return i, problem
            i += 2
        elif pattern[i] == "[" or pattern[i : i + 2] in ("&&", "||", "--", "~~"):
            bad = "[" if pattern[i] == "[" else pattern[i : i + 2]
            return i, f"{bad!r} inside [...] is not supported; escape it"
        else:
            i += 1
    return i + 1, None


def _escape_problem(char: str, allowed: frozenset[str]) -> str | None:
    # Escaped ASCII punctuation is a literal in both; "" (a trailing backslash) is re's to refuse.
    if (char.isascii() and not char.isalnum()) or char in allowed:
        return None
    return f"the escape \\{char} is not supported"
