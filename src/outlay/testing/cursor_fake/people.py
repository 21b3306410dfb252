"""Who is on the synthetic team: members, service accounts and automations, fixed by the seed.

An ``Identity`` is anyone whose usage is billed to the team: a human member (listed by
``/teams/members``) or a service account (not a member; its events carry the runner's address
as ``userEmail``). Spend and daily-usage rows exist for both, so every event's ``userEmail``
has exactly one row there and totals reconcile per address.
"""

from __future__ import annotations

import math
import random
import string
from dataclasses import dataclass
from itertools import accumulate

from outlay.testing.cursor_fake import catalog

_ID_ALPHABET = string.ascii_letters + string.digits
# Skew of activity across members: the k-th busiest uses about 1/k^0.9 of the busiest's share.
_ZIPF_EXPONENT = 0.9
# Share of all sessions run by service accounts, when the team has any.
_SERVICE_ACCOUNT_SHARE = 0.05


@dataclass(frozen=True, slots=True)
class Identity:
    index: int
    user_id: str
    name: str
    email: str
    role: str
    removed_after_day: int | None  # last UTC day (ordinal) with usage; None while a member
    service_account: tuple[str, str] | None  # (serviceAccountId, serviceAccountName)
    share: float  # expected share of the team's sessions
    hour_cum: tuple[float, ...]  # cumulative weight of each UTC hour 0..23
    model_cum: tuple[float, ...]  # cumulative weight of each model in catalog.MODEL_MIX
    cloud_share: float  # share of this person's sessions run as cloud agents
    off_day_chance: float  # chance to be away on any given day
    weekend_worker: bool
    language: str
    client_major: int
    hard_limit_override_dollars: int
    monthly_limit_dollars: int | None
    has_picture: bool

    @property
    def is_removed(self) -> bool:
        return self.removed_after_day is not None

    @property
    def is_human(self) -> bool:
        return self.service_account is None


@dataclass(frozen=True, slots=True)
class Automation:
    automation_id: str
    owner: int  # Identity.index
    hour: int  # UTC hour it is scheduled at
    run_chance: float  # chance to run on a given day
    weekdays_only: bool


def random_id(rng: random.Random, prefix: str, length: int) -> str:
    return prefix + "".join(rng.choices(_ID_ALPHABET, k=length))


def random_uuid(rng: random.Random) -> str:
    """A version-4-looking UUID drawn from ``rng`` (uuid.uuid4 would not be reproducible)."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def build_people(
    seed: int, users: int, today: int, days: int
) -> tuple[tuple[Identity, ...], tuple[Automation, ...]]:
    """The team's identities (humans first, then service accounts) and its automations."""
    rng = random.Random(f"outlay-fake:{seed}:people")
    n_service = 0 if users < 2 else min(len(catalog.SERVICE_ACCOUNTS), max(1, users // 25))
    human_share = 1.0 - (_SERVICE_ACCOUNT_SHARE if n_service else 0.0)

    ranks = list(range(1, users + 1))
    rng.shuffle(ranks)
    zipf = [1.0 / rank**_ZIPF_EXPONENT for rank in ranks]
    zipf_total = sum(zipf) or 1.0

    removed = _pick_removed(rng, users)
    identities: list[Identity] = []
    seen_emails: set[str] = set()
    for index in range(users):
        first, last = rng.choice(catalog.FIRST_NAMES), rng.choice(catalog.LAST_NAMES)
        email = _unique_email(f"{first}.{last}".lower(), seen_emails)
        removed_after = None
        if index in removed:
            # Removed some time before "now"; possibly before the data window starts.
            removed_after = today - rng.randint(3, max(3, min(60, days)))
        tz = _weighted(rng, catalog.TIME_ZONES)
        hours = [catalog.WORK_HOURS[(h + tz) % 24] for h in range(24)]
        identities.append(
            Identity(
                index=index,
                user_id=random_id(rng, "user_", 26),
                name=f"{first} {last}",
                email=email,
                role=_role(index, users),
                removed_after_day=removed_after,
                service_account=None,
                share=human_share * zipf[index] / zipf_total,
                hour_cum=tuple(accumulate(hours)),
                model_cum=_personal_model_mix(rng),
                cloud_share=rng.choice((0.0, 0.0, 0.02, 0.05, 0.1)),
                off_day_chance=rng.uniform(0.03, 0.12),
                weekend_worker=rng.random() < 0.2,
                language=rng.choice(catalog.LANGUAGES),
                client_major=rng.choice((1, 2, 2, 2)),
                hard_limit_override_dollars=rng.choice((0, 0, 0, 0, 100, 250)),
                monthly_limit_dollars=rng.choice((None, None, 200, 500)),
                has_picture=rng.random() < 0.6,
            )
        )
    for k in range(n_service):
        sa_name, mailbox = catalog.SERVICE_ACCOUNTS[k]
        identities.append(
            Identity(
                index=users + k,
                user_id=random_id(rng, "user_", 26),
                name=sa_name,
                email=f"{mailbox}@{catalog.EMAIL_DOMAIN}",
                role="member",
                removed_after_day=None,
                service_account=(random_id(rng, "sa_", 12).lower(), sa_name),
                share=_SERVICE_ACCOUNT_SHARE / n_service,
                hour_cum=tuple(accumulate(catalog.BATCH_HOURS)),
                model_cum=_service_model_mix(),
                cloud_share=0.0,
                off_day_chance=0.0,
                weekend_worker=True,
                language="py",
                client_major=2,
                hard_limit_override_dollars=0,
                monthly_limit_dollars=None,
                has_picture=False,
            )
        )
    automations = tuple(
        Automation(
            automation_id=random_uuid(rng),
            owner=rng.randrange(users),
            hour=rng.randrange(24),
            run_chance=rng.uniform(0.5, 1.0),
            weekdays_only=rng.random() < 0.6,
        )
        for _ in range(max(1, users // 15) if users else 0)
    )
    return tuple(identities), automations


def _pick_removed(rng: random.Random, users: int) -> set[int]:
    # Owners (index 0) and the free-owner seat (index 1) stay, as the API requires an admin.
    count = round(users * 0.06) if users >= 8 else 0
    candidates = list(range(2, users))
    return set(rng.sample(candidates, min(count, len(candidates))))


def _role(index: int, users: int) -> str:
    if index == 0 or (index >= 2 and index % 15 == 0):
        return "owner"
    if index == 1 and users >= 5:
        return "free-owner"
    return "member"


def _unique_email(local: str, seen: set[str]) -> str:
    candidate, n = local, 1
    while candidate in seen:
        n += 1
        candidate = f"{local}{n}"
    seen.add(candidate)
    return f"{candidate}@{catalog.EMAIL_DOMAIN}"


def _weighted(rng: random.Random, table: tuple[tuple[int, float], ...]) -> int:
    return rng.choices([value for value, _ in table], weights=[w for _, w in table])[0]


def _personal_model_mix(rng: random.Random) -> tuple[float, ...]:
    """Team mix, tilted per person; some people never touch some models."""
    weights = []
    for _, weight in catalog.MODEL_MIX:
        personal = weight * math.exp(rng.gauss(0.0, 0.9))
        weights.append(0.0 if rng.random() < 0.25 else personal)
    if not any(weights):
        weights[0] = 1.0
    return tuple(accumulate(weights))


def _service_model_mix() -> tuple[float, ...]:
    preferred = {"claude-4.5-sonnet": 5.0, "gpt-5.1-codex": 3.0, "composer-1": 2.0}
    return tuple(accumulate(preferred.get(name, 0.0) for name, _ in catalog.MODEL_MIX))
