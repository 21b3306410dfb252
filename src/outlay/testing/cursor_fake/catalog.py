"""Static vocabulary of the synthetic team: names, model mix and list prices, kinds, time zones.

Strings here go into JSON verbatim, so none may contain a quote or a backslash.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Alex Sam Jordan Taylor Morgan Casey Riley Jamie Avery Quinn Priya Arjun Ananya Rohan "
    "Mei Wei Hiroshi Yuki Sofia Mateo Lucia Diego Camille Louis Emma Lukas Hannah Jonas "
    "Freya Oskar Amara Kwame Zainab Tunde Olga Dmitri Ines Tomas Noor Omar Leila Ravi "
    "Chloe Ethan Grace Henry Isla Jack Maya Noah"
)
LAST_NAMES = _words(
    "Smith Garcia Chen Patel Kim Nguyen Muller Rossi Silva Kowalski Johnson Brown Martin "
    "Dubois Schmidt Tanaka Sato Singh Sharma Okafor Mensah Ivanova Petrov Lopez Fernandez "
    "Andersson Nielsen Haddad Khan Cohen Murphy Walsh Novak Horvat Costa Moreau Weber "
    "Yamamoto Park Li Wang Ali Hughes Baker Carter Evans Foster Gray Hayes Reed"
)
EMAIL_DOMAIN = "acme.example"

# (serviceAccountName, runner mailbox) for headless service accounts.
SERVICE_ACCOUNTS: tuple[tuple[str, str], ...] = (
    ("Nightly CI Agent", "agent-runner"),
    ("Release Bot", "release-bot"),
    ("Docs Sync", "docs-sync"),
    ("Test Triage", "test-triage"),
    ("Dependency Updater", "deps-bot"),
    ("Security Scanner", "sec-scan"),
)

# Team-wide model mix (relative weights); every user perturbs it. Names are opaque strings as
# seen in real events (§12.3), including both Anthropic naming schemes.
MODEL_MIX: tuple[tuple[str, float], ...] = (
    ("claude-4.5-sonnet", 22.0),
    ("claude-4.5-sonnet-thinking", 6.0),
    ("claude-4.5-opus-high-thinking", 9.0),
    ("claude-4.5-opus-high", 3.0),
    ("claude-opus-4-7-thinking-high", 1.5),
    ("claude-4.5-haiku", 4.0),
    ("gpt-5.1-codex", 9.0),
    ("gpt-5.1-codex-high", 3.0),
    ("gpt-5.2-codex", 2.5),
    ("composer-1", 11.0),
    ("composer-2-fast", 4.0),
    ("auto", 10.0),
    ("gemini-3-pro", 5.0),
    ("gemini-3-flash-preview", 2.0),
    ("kimi-k2.5", 1.0),
)


class ListPrice(NamedTuple):
    """USD per 1M tokens. ``first_party`` (Cursor's own) models pay no Cursor token fee."""

    input: Decimal
    output: Decimal
    cache_write: Decimal
    cache_read: Decimal
    first_party: bool = False


def _usd(i: str, o: str, w: str, r: str, first_party: bool = False) -> ListPrice:
    return ListPrice(Decimal(i), Decimal(o), Decimal(w), Decimal(r), first_party)


# What the fake Cursor charges per model, by exact name. This is the fake's own price list, kept
# apart from the table outlay uses to apportion costs, so tests that compare outlay's numbers with
# the fake's do not check outlay's prices against themselves. Values follow the public price pages.
LIST_PRICES: dict[str, ListPrice] = {
    "claude-4.5-sonnet": _usd("3", "15", "3.75", "0.3"),
    "claude-4.5-sonnet-thinking": _usd("3", "15", "3.75", "0.3"),
    "claude-4.5-opus-high-thinking": _usd("5", "25", "6.25", "0.5"),
    "claude-4.5-opus-high": _usd("5", "25", "6.25", "0.5"),
    "claude-opus-4-7-thinking-high": _usd("5", "25", "6.25", "0.5"),
    "claude-4.5-haiku": _usd("1", "5", "1.25", "0.1"),
    "gpt-5.1-codex": _usd("1.25", "10", "1.25", "0.125"),
    "gpt-5.1-codex-high": _usd("1.25", "10", "1.25", "0.125"),
    "gpt-5.2-codex": _usd("1.75", "14", "1.75", "0.175"),
    "composer-1": _usd("1.25", "10", "1.25", "0.125", first_party=True),
    "composer-2-fast": _usd("1.25", "10", "1.25", "0.125", first_party=True),
    "auto": _usd("1.25", "6", "1.25", "0.25", first_party=True),
    "gemini-3-pro": _usd("2", "12", "2", "0.2"),
    "gemini-3-flash-preview": _usd("0.5", "3", "0.5", "0.05"),
    "kimi-k2.5": _usd("0.6", "3", "0.6", "0.1"),
}

INCLUDED_KIND = "Included in Business"
USAGE_KIND = "Usage-based"
ERRORED_KIND = "Errored, Not Charged"
# Kinds a client will not recognise: one not charged, one charged but not billed on demand.
ABORTED_KIND = "Aborted, Not Charged"
FREE_CREDIT_KIND = "Free Credit"
KINDS: tuple[str, ...] = (USAGE_KIND, INCLUDED_KIND, ERRORED_KIND, ABORTED_KIND, FREE_CREDIT_KIND)
KIND_INDEX = {kind: index for index, kind in enumerate(KINDS)}
NOT_CHARGED_KINDS = frozenset({ERRORED_KIND, ABORTED_KIND})

# fmt: off
# UTC offsets of where people work, with weights: US, Europe, India, East Asia.
TIME_ZONES: tuple[tuple[int, float], ...] = (
    (-8, 0.2), (-5, 0.25), (0, 0.12), (1, 0.18), (2, 0.07), (5, 0.12), (8, 0.03), (9, 0.03),
)
# Relative activity per local hour 0..23: nothing at night, a lunch dip, a long evening tail.
WORK_HOURS: tuple[float, ...] = (
    0.02, 0.01, 0.01, 0.01, 0.01, 0.02, 0.05, 0.2, 0.6, 1.0, 1.0, 0.95,
    0.6, 0.8, 1.0, 1.0, 0.95, 0.8, 0.5, 0.3, 0.25, 0.2, 0.12, 0.05,
)
# Service accounts run around the clock with a nightly batch peak (UTC).
BATCH_HOURS: tuple[float, ...] = (
    1.5, 2.0, 2.0, 1.5, 1.0, 0.6, 0.5, 0.5, 0.5, 0.6, 0.6, 0.6,
    0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.5, 0.5, 0.5, 0.6, 0.8, 1.0,
)
# fmt: on

LANGUAGES: tuple[str, ...] = ("ts", "py", "go", "tsx", "rs", "java", "kt", "rb", "cs", "sql")
HOSTING_TYPES: tuple[tuple[str, float], ...] = (
    ("CLOUD", 0.85),
    ("SELF_HOSTED_POOL", 0.1),
    ("SELF_HOSTED_MACHINE", 0.05),
)
VALID_HOSTING_TYPES = frozenset({"CLOUD", "SELF_HOSTED", "SELF_HOSTED_POOL", "SELF_HOSTED_MACHINE"})
