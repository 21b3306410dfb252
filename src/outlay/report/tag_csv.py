"""A tag from a CSV of ``email,value`` rows (an HR or IdP export), and what it would match.

Emails are compared case-insensitively: ``Ana@Acme.example`` in the CSV and
``ana@acme.example`` in the cost data are one person. A tag's rule is exact VQL (``IN``, a hash
join in reports), so each value lists its emails lower-cased and, besides, every spelling the
cost data has of them (``spellings``). Before anything is saved the caller shows a
``MatchReport``: the CSV's emails no cost row carries, and the emails carrying cost that no
CSV row names (they would be Untagged).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from outlay.errors import InputError
from outlay.report.tag_text import resource_in
from outlay.report.tags import TagValue, VirtualTag, document_size_problem, key_problem
from outlay.report.vql import parse_vql

#: First-column names of a header row (compared lower-cased, spaces and dashes as "_").
EMAIL_HEADERS = frozenset(
    {"email", "e_mail", "mail", "email_address", "user", "user_email", "useremail", "login",
     "resource", "work_email", "primary_email", "person", "member"}
)  # fmt: skip
CASE_NOTE = "emails are compared case-insensitively"


@dataclass(frozen=True)
class CsvTag:
    """The rows of a tag CSV: value → its members' emails (lower-cased), in first-seen order."""

    key: str
    members: dict[str, list[str]]
    #: Whether the first row was a header, and the rows read (emails listed, once each).
    header: bool
    emails: int

    def tag(self, spellings: Mapping[str, Iterable[str]] | None = None) -> VirtualTag:
        """The tag, each email listed lower-cased and as ``spellings[email]`` spell it."""
        spellings = spellings or {}
        values = []
        for name, emails in self.members.items():
            listed = dict.fromkeys(
                spelled
                for email in emails
                for spelled in (email, *sorted(spellings.get(email, ())))
            )
            text_filter = resource_in(listed)
            values.append(TagValue(text_filter, parse_vql(text_filter), name=name))
        return VirtualTag(self.key, tuple(values))


@dataclass(frozen=True)
class MatchReport:
    """What a CSV tag would match in the cost data, shown before it is saved."""

    #: The cost data looked at for cost-carrying emails: ``since`` to today.
    since: date
    #: Emails of the CSV found in the cost data (any spelling).
    matched: int
    #: Emails of the CSV that no cost row carries, in the CSV's order.
    unmatched: tuple[str, ...]
    #: (email, cost since ``since``) of emails carrying cost that no CSV row names, costliest
    #: first: the cost they carry would be Untagged.
    uncovered: tuple[tuple[str, Decimal], ...]
    #: (CSV email, the cost data's spelling) pairs that differ only in case.
    recased: tuple[tuple[str, str], ...]

    @property
    def uncovered_cost(self) -> Decimal:
        return sum((cost for _, cost in self.uncovered), Decimal(0))


def spellings_of(resources: Iterable[str]) -> dict[str, set[str]]:
    """Lower-cased email → the spellings the cost data has of it."""
    found: dict[str, set[str]] = {}
    for resource in resources:
        found.setdefault(resource.lower(), set()).add(resource)
    return found


def match_report(
    csv_tag: CsvTag, resource_costs: Mapping[str, Decimal], since: date
) -> MatchReport:
    """Compare the CSV with the cost data's resources: every resource ever seen (for
    ``unmatched``) with its cost since ``since`` (for ``uncovered``)."""
    spellings = spellings_of(resource_costs)
    listed = [email for emails in csv_tag.members.values() for email in emails]
    named = set(listed)
    unmatched = tuple(e for e in listed if e not in spellings)
    recased = tuple(
        (email, spelled)
        for email in listed
        for spelled in sorted(spellings.get(email, ()))
        if spelled != email
    )
    uncovered = sorted(
        ((resource, cost) for resource, cost in resource_costs.items()
         if cost and "@" in resource and resource.lower() not in named),
        key=lambda item: (-item[1], item[0]),
    )  # fmt: skip
    return MatchReport(since, len(listed) - len(unmatched), unmatched, tuple(uncovered), recased)


def _csv_rows(text: str, source: str) -> Iterator[tuple[int, list[str]]]:
    """(line, row) pairs; a malformed row (e.g. a field over csv's size limit) names its line."""
    reader = csv.reader(io.StringIO(text))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(f"{source}, line {reader.line_num}: not valid CSV ({exc})") from None
        yield reader.line_num, row


def _is_header(email: str) -> bool:
    return "@" not in email and email.lower().replace(" ", "_").replace("-", "_") in EMAIL_HEADERS


def parse_tag_csv(key: str, text: str, source: str = "CSV file") -> CsvTag:
    """The rows of ``email,value`` CSV text. A first row naming its columns (``Email,Team``)
    is a header; emails are lower-cased; one email given two values is an error."""
    if problem := key_problem(key):
        raise InputError(f"{problem}; pick another key")
    if problem := document_size_problem(text, source):
        raise InputError(problem)
    text = text.removeprefix("\ufeff")  # the byte-order mark spreadsheets write in UTF-8
    members: dict[str, list[str]] = {}
    owner: dict[str, tuple[str, int]] = {}
    header = False
    for line_no, row in _csv_rows(text, source):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != 2:
            raise InputError(
                f"{source}, line {line_no}: expected 2 columns email,value, got {len(row)}"
            )
        email, value = row[0].strip().lower(), row[1].strip()
        if not owner and not header and _is_header(email):
            header = True
            continue
        if "@" not in email or not value:
            raise InputError(
                f"{source}, line {line_no}: {row[0].strip()!r},{value!r} is not an email and a "
                "value (a header row starts with 'email')"
            )
        if email in owner and owner[email][0] != value:
            raise InputError(
                f"{source}, line {line_no}: {email} is {value!r} here but "
                f"{owner[email][0]!r} on line {owner[email][1]} ({CASE_NOTE}); keep one"
            )
        if email not in owner:
            owner[email] = (value, line_no)
            members.setdefault(value, []).append(email)
    if not members:
        raise InputError(f"{source}: no email,value rows found")
    return CsvTag(key, members, header, len(owner))


def tag_from_csv(key: str, text: str, source: str = "CSV file") -> VirtualTag:
    """A tag whose values map user emails (lower-cased) to names, from ``email,value`` rows;
    values keep the order they first appear in."""
    return parse_tag_csv(key, text, source).tag()
