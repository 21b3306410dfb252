"""Anomaly detection benchmark: detection quality on a synthetic team, and evaluation speed.

Quality: 200 users over 90 days, each on one to four models, with planted spikes of 2x-20x on
random user x model x days. The detector (``outlay.alerts.anomaly.detect``, the default watch)
runs as the service would, a week of days at a time, and never sees what was planted. Recall
counts the spikes of at least 3x whose day cost at least $20, on the days with 28 days of
history before them; false alarms are flagged (user, model, day)s nothing was planted on,
per 1,000 user-days judged.

The team's daily cost per user and model: a per-person level (log-normal across people, a
few hundred times apart), a share per model, weekdays at full level and weekends at a third
for the 30% who work them, 5% of weekdays off, day-to-day noise log-normal (sigma 0.2), a
slow trend for some users, and ten people who join during the 90 days.

Speed: ``run_guardrails`` with 100 cost alerts (day, week and month; five scopes; four
group-bys) plus the default anomaly watch, over the 10M-event query dataset.
"""

from __future__ import annotations

import math
import random
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from outlay.alerts.anomaly import RECENT_DAYS, Watch, detect

START = date(2026, 6, 1)
USERS, DAYS, JOINERS, SPIKES = 200, 90, 10, 400
MODELS = ("claude-4-sonnet", "claude-4-opus", "gpt-5", "gemini-2.5-pro", "composer-1")
#: The first judged day: 28 days of history before it, and a whole first week after that.
FIRST_JUDGED = 35
RECALL_MIN_FACTOR, RECALL_MIN_USD = 3, Decimal(20)
RULES = 100


@dataclass(frozen=True)
class Team:
    daily: dict[tuple[str, str], dict[date, Decimal]]
    #: (user, model, day) -> factor of every planted spike.
    planted: dict[tuple[str, str, date], float]
    #: Days each user is a member (for user-days).
    member_days: dict[str, int]


def synthetic_team(seed: int = 11) -> Team:
    rng = random.Random(seed)
    daily: dict[tuple[str, str], dict[date, Decimal]] = {}
    member_days: dict[str, int] = {}
    for u in range(USERS):
        user = f"user{u:03d}@example.com"
        level = math.exp(rng.gauss(math.log(12), 1.0))  # USD on a usual weekday
        weekend_worker = rng.random() < 0.3
        trend = rng.choice((0.0, 0.0, 0.3, -0.2))
        joined = rng.randrange(40, 85) if u < JOINERS else 0
        member_days[user] = DAYS - joined
        models = rng.sample(MODELS, rng.randint(1, 4))
        shares = [rng.random() + 0.2 for _ in models]
        for model, share in zip(models, shares, strict=True):
            part = level * share / sum(shares)
            days = {}
            for d in range(joined, DAYS):
                day = START + timedelta(days=d)
                weekend = day.weekday() >= 5
                if (weekend and not weekend_worker) or (not weekend and rng.random() < 0.05):
                    continue
                mean = part * (1 + trend * d / DAYS) * (0.35 if weekend else 1.0)
                cost = mean * math.exp(rng.gauss(0, 0.2))
                days[day] = Decimal(f"{cost:.4f}")
            daily[(user, model)] = days
    planted: dict[tuple[str, str, date], float] = {}
    pairs = [k for k, v in daily.items() if v]
    while len(planted) < SPIKES:
        user, model = rng.choice(pairs)
        day = rng.choice(sorted(daily[(user, model)]))
        factor = math.exp(rng.uniform(math.log(2), math.log(20)))
        planted[(user, model, day)] = factor
        daily[(user, model)][day] *= Decimal(f"{factor:.4f}")
    return Team(daily, planted, member_days)


def judge(team: Team, watch: Watch) -> set[tuple[str, str, date]]:
    """Every flagged (user, model, day) from a run each week, as the scheduler would run."""
    flagged = set()
    last = DAYS - 1
    for today_index in range(FIRST_JUDGED + RECENT_DAYS - 1, last + RECENT_DAYS, RECENT_DAYS):
        today = START + timedelta(days=min(today_index, last))
        # The service sees only what happened up to today.
        seen = {k: {d: v for d, v in days.items() if d <= today} for k, days in team.daily.items()}
        for flag in detect(seen, watch, today):
            flagged.add((flag.key[0], flag.key[1], flag.day))
    return flagged


def measure_quality(sensitivity: str = "medium", seed: int = 11) -> dict[str, Any]:
    team = synthetic_team(seed)
    started = time.perf_counter()
    flagged = judge(team, Watch(sensitivity=sensitivity))
    seconds = time.perf_counter() - started
    first = START + timedelta(days=FIRST_JUDGED)
    judged = {k: f for k, f in team.planted.items() if k[2] >= first}
    countable = {
        k for k, f in judged.items()
        if f >= RECALL_MIN_FACTOR and team.daily[(k[0], k[1])][k[2]] >= RECALL_MIN_USD
    }  # fmt: skip
    found = countable & flagged
    false = {k for k in flagged if k not in team.planted}
    user_days = sum(
        max(0, min(DAYS, DAYS) - max(FIRST_JUDGED, DAYS - n)) for n in team.member_days.values()
    )
    small = {k for k in judged if k not in countable} & flagged
    return {
        "sensitivity": sensitivity,
        "planted": len(team.planted),
        "countable": len(countable),
        "recall": len(found) / len(countable) if countable else 1.0,
        "missed": sorted(_missed(team, countable - flagged))[:8],
        "small_found": len(small),
        "false_alarms": len(false),
        "user_days": user_days,
        "false_per_1000": 1000 * len(false) / user_days,
        "seconds": seconds,
    }


def _missed(team: Team, keys: set[tuple[str, str, date]]) -> list[tuple[float, str]]:
    return [(round(team.planted[k], 1), str(team.daily[(k[0], k[1])][k[2]])) for k in keys]


def _rule_args(i: int) -> dict[str, Any]:
    """The i-th of the 100 rules: every combination of interval, scope and group-by."""
    intervals = ("day", "week", "month")
    scopes = (None, "costs.service LIKE 'claude%'", "costs.category = 'Usage'",
              "costs.token_type IN ('input', 'output')", "costs.service != 'gpt-5'")  # fmt: skip
    groups = ((), ("service",), ("resource",), ("resource", "service"))
    threshold = ("25%", "500", "50%", "1000")[i % 4]
    return {
        "interval": intervals[i % 3],
        "filter": scopes[(i // 3) % len(scopes)],
        "group_by": groups[(i // 15) % len(groups)],
        "threshold": threshold,
    }


def measure_speed(facts: Path, end: date, runs: int = 3) -> dict[str, Any]:
    """Seconds of ``run_guardrails`` with ``RULES`` cost alerts plus the default watch."""
    import web
    from outlay.store.alerts import Channel

    clock = web.day_clock(end)
    with tempfile.TemporaryDirectory() as folder:
        outlay = web.outlay_on_dataset(Path(folder), facts, clock=clock)
        # Measured, not limited: a loaded machine must give a time, not a timeout.
        outlay.facts.timeout_s = 600.0
        space = outlay.workspace(None)
        outlay.alert_store.add_channel(
            Channel(space.id, "ops", "webhook", b"-", "https://…", None, clock.now(), None, None)
        )
        for i in range(RULES):
            outlay.add_cost_alert(f"rule-{i:03d}", notify=["ops"], **_rule_args(i))
        timings, cpu, fired = [], [], 0
        for _ in range(runs):
            started, cpu_started = time.perf_counter(), time.process_time()
            fired += len(outlay.run_guardrails().fired)
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        return {"rules": RULES + 1, "first_s": timings[0], "best_s": min(timings),
                "best_cpu_s": min(cpu), "fired": fired}  # fmt: skip
