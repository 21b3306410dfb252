"""One UTC day of the synthetic team's usage events, generated from (seed, day) alone.

A day is a list of *sessions* (a conversation in the IDE, a cloud-agent run, an automation run,
a service-account job), each a burst of events a few seconds to a minute apart. Every event is
serialised once, here, to the exact JSON bytes the API returns, and summarised in a few compact
columns the API and the truth helpers aggregate without parsing JSON.

Speed matters (a million events sit inside the ingest benchmark), so the loop avoids Decimal and
json: money is integer micro-cents (``pricing``), token counts come from precomputed lognormal
quantile tables (one ``random()`` per draw), and the JSON text is formatted directly.
"""

from __future__ import annotations

import math
import random
from bisect import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate
from statistics import NormalDist

from outlay.testing.cursor_fake import catalog, pricing
from outlay.testing.cursor_fake.clock import DAY_MS, BillingCycle, day_start_ms
from outlay.testing.cursor_fake.columns import (
    AUTOMATION,
    CLOUD_AGENT,
    HEADLESS,
    SERVICE_ACCOUNT,
    Day,
    EventTags,
)
from outlay.testing.cursor_fake.money import MICRO, micro_text
from outlay.testing.cursor_fake.people import Automation, Identity, random_uuid
from outlay.testing.cursor_fake.pricing import ModelInfo, Revision

# Mon–Fri vs Sat–Sun volume; the weekly mean is 1, so events_per_user_day is a weekly average.
_WEEKDAY_FACTOR, _WEEKEND_FACTOR = 1.3, 0.25
_MAX_MODE_CHANCE = 0.08
_LEGACY_SESSION_CHANCE = 0.03  # request-based (legacy plan) sessions
_NULL_SA_QUIRK_CHANCE = 0.02  # human events carrying "serviceAccountId": "null"
_NO_CONVERSATION_CHANCE = 0.05
_MODEL_SWITCH_CHANCE = 0.1
_DISCOUNT_CHANCE = 0.1
_DISCOUNTS = (5, 10, 10, 10, 15, 20, 25)
_ERRORED, _ABORTED, _FREE_CREDIT = 0.025, 0.003, 0.002  # per-event kind chances
_UNUSUAL = _ERRORED + _ABORTED + _FREE_CREDIT

_USAGE, _INCLUDED, _ERRORED_K, _ABORTED_K, _FREE_K = range(len(catalog.KINDS))
_NOT_CHARGED = frozenset({_ERRORED_K, _ABORTED_K})


@dataclass(frozen=True, slots=True)
class World:
    """Everything a day's generation depends on besides the day itself."""

    seed: int
    users: int
    events_per_user_day: float
    identities: tuple[Identity, ...]
    automations: tuple[Automation, ...]
    models: tuple[ModelInfo, ...]
    cycle: BillingCycle
    #: Planted spikes: (identity index, model index, day ordinal) → token multiplier.
    spikes: Mapping[tuple[int, int, int], int] = field(default_factory=dict)


def _quantiles(median: float, sigma: float, n: int = 1024) -> tuple[float, ...]:
    normal = NormalDist()
    return tuple(median * math.exp(sigma * normal.inv_cdf((k + 1) / (n + 2))) for k in range(n + 1))


# (chance of zero, lognormal quantile table) per token type.
_INPUT = (0.03, _quantiles(2200, 1.2))
_OUTPUT = (0.02, _quantiles(450, 1.1))
_CACHE_WRITE = (0.55, _quantiles(5000, 1.2))
_CACHE_READ = (0.12, _quantiles(22000, 1.3))


def _draw(u: float, spec: tuple[float, tuple[float, ...]]) -> int:
    """A token count from one uniform: zero with the spec's chance, else a lognormal quantile."""
    zero, table = spec
    if u < zero:
        return 0
    x = (u - zero) / (1.0 - zero) * (len(table) - 1)
    i = int(x)
    return int(table[i] + (table[i + 1] - table[i]) * (x - i))


def _b(flag: bool) -> str:
    return "true" if flag else "false"


_KIND_JSON = tuple(f',"kind":"{kind}"' for kind in catalog.KINDS)
_CHARGEABLE_JSON = tuple(f',"isChargeable":{_b(k == _USAGE)}' for k in range(len(catalog.KINDS)))


def generate_day(world: World, day: int, revisions: Sequence[Revision] = ()) -> Day:
    """All events of UTC ``day`` (an ordinal), including any later than now; newest first."""
    rng = random.Random(f"outlay-fake:{world.seed}:{day}")
    gen = _DayGenerator(world, day, rng, revisions)
    return gen.run()


class _DayGenerator:
    """One day's generation; every draw comes from the day's own ``rng``, in a fixed order."""

    def __init__(
        self, world: World, day: int, rng: random.Random, revisions: Sequence[Revision]
    ) -> None:
        self.world = world
        self.day = day
        self.rng = rng
        self.day_ms = day_start_ms(day)
        self.day_end = self.day_ms + DAY_MS
        weekend = date.fromordinal(day).weekday() >= 5
        self.weekend = weekend
        factor = _WEEKEND_FACTOR if weekend else _WEEKDAY_FACTOR
        self.target = int(
            world.users * world.events_per_user_day * factor * rng.uniform(0.85, 1.15)
        )
        self.day_in_cycle = world.cycle.day_in_cycle(day)
        self.revisions = [
            r for r in revisions if r.until_ms >= self.day_ms and r.since_ms < self.day_end
        ]
        self.seen: set[int] = set()
        self.records: list[tuple[int, bytes, int, int, int, int, int, EventTags | None]] = []
        self.model_json = tuple(f',"model":"{m.name}"' for m in world.models)
        #: This day's planted spikes, (identity, model) → factor; empty on almost every day.
        self.spikes = {(i, m): f for (i, m, d), f in world.spikes.items() if d == day}

    def run(self) -> Day:
        rng = self.rng
        identities = self.world.identities
        weights = self._day_weights()
        for automation in self.world.automations:
            self._maybe_automation(automation)
        if sum(weights) > 0:
            cum = list(accumulate(weights))
            while len(self.records) < self.target:
                owners = rng.choices(identities, cum_weights=cum, k=256)
                for ident in owners:
                    if len(self.records) >= self.target:
                        break
                    self._session(ident)
        return self._columns()

    def _day_weights(self) -> list[float]:
        weights = []
        for ident in self.world.identities:
            weight = ident.share
            if ident.removed_after_day is not None and self.day > ident.removed_after_day:
                weight = 0.0
            elif ident.is_human:
                if self.weekend and not ident.weekend_worker:
                    weight *= 0.2
                if self.rng.random() < ident.off_day_chance:
                    weight = 0.0
            weights.append(weight)
        return weights

    def _maybe_automation(self, automation: Automation) -> None:
        rng = self.rng
        runs = rng.random() < automation.run_chance
        if not runs or (automation.weekdays_only and self.weekend):
            return
        owner = self.world.identities[automation.owner]
        if owner.removed_after_day is not None and self.day > owner.removed_after_day:
            return
        start = self.day_ms + automation.hour * 3_600_000 + rng.randrange(600_000)
        agent_id = f"bc-{random_uuid(rng)}"
        tags = EventTags(None, agent_id, automation.automation_id, "CLOUD")
        head = (
            f',"userEmail":"{owner.email}","cloudAgentId":"{agent_id}"'
            f',"automationId":"{automation.automation_id}","conversationId":"{random_uuid(rng)}"'
        )
        self._emit(owner, start, rng.randint(4, 12), head, True, HEADLESS | AUTOMATION, tags)

    def _session(self, ident: Identity) -> None:
        rng = self.rng
        start = self._start_time(ident)
        if ident.service_account is not None:
            sa_id, sa_name = ident.service_account
            head = (
                f',"userEmail":"{ident.email}","serviceAccountId":"{sa_id}"'
                f',"serviceAccountName":"{sa_name}","conversationId":"{random_uuid(rng)}"'
            )
            tags = EventTags(sa_id, None, None, None)
            self._emit(
                ident, start, rng.randint(3, 15), head, True, HEADLESS | SERVICE_ACCOUNT, tags
            )
            return
        if rng.random() < ident.cloud_share:
            agent_id = f"bc-{random_uuid(rng)}"
            hosting = _pick(rng, catalog.HOSTING_TYPES)
            head = (
                f',"userEmail":"{ident.email}","cloudAgentId":"{agent_id}"'
                f',"conversationId":"{random_uuid(rng)}"'
            )
            tags = EventTags(None, agent_id, None, hosting)
            self._emit(ident, start, rng.randint(4, 20), head, True, HEADLESS | CLOUD_AGENT, tags)
            return
        head = f',"userEmail":"{ident.email}"'
        if rng.random() < _NULL_SA_QUIRK_CHANCE:
            head += ',"serviceAccountId":"null"'  # seen in real data on human events
        if rng.random() < _NO_CONVERSATION_CHANCE:
            self._emit(ident, start, 1, head, False, 0, None)
            return
        head += f',"conversationId":"{random_uuid(rng)}"'
        length = 1 + int(-math.log(1.0 - rng.random()) * 2.5)
        self._emit(ident, start, length, head, False, 0, None)

    def _start_time(self, ident: Identity) -> int:
        cum = ident.hour_cum
        u = self.rng.random() * cum[-1]
        hour = bisect(cum, u)
        low = cum[hour - 1] if hour else 0.0
        within = (u - low) / (cum[hour] - low) if cum[hour] > low else 0.0
        return self.day_ms + hour * 3_600_000 + int(within * 3_600_000)

    def _emit(
        self,
        ident: Identity,
        start: int,
        length: int,
        head: str,
        headless: bool,
        flags: int,
        tags: EventTags | None,
    ) -> None:
        """Append one session's events; stops at the day's end or the day's event budget."""
        rnd = self.rng.random
        model_cum = ident.model_cum
        model = bisect(model_cum, rnd() * model_cum[-1])
        max_mode = rnd() < _MAX_MODE_CHANCE
        legacy = ident.is_human and rnd() < _LEGACY_SESSION_CHANCE
        usage_cut = _UNUSUAL + (1.0 - _UNUSUAL) * self._usage_chance(ident)
        # Parts of the JSON that stay the same for the whole session.
        fixed = f',"maxMode":{_b(max_mode)}'
        after_requests = f',"isTokenBasedCall":{_b(not legacy)}'
        headless_json = f',"isHeadless":{_b(headless)}'
        t = start
        for position in range(length):
            if len(self.records) >= self.target:
                return
            if position:
                t += 3000 + int(rnd() * 90_000)
            while t in self.seen:  # timestamps are unique across the team
                t += 1
            if t >= self.day_end:
                return
            self.seen.add(t)
            if rnd() < _MODEL_SWITCH_CHANCE:
                model = bisect(model_cum, rnd() * model_cum[-1])
            kind = _kind(rnd(), usage_cut)
            tin, tout = _draw(rnd(), _INPUT), _draw(rnd(), _OUTPUT)
            twrite = _draw(rnd(), _CACHE_WRITE)
            tread = _draw(rnd(), _CACHE_READ) * (1 + position // 3)  # the context grows
            if max_mode:
                tin, tread = tin * 3, tread * 5 // 2
            if self.spikes and (ident.index, model) in self.spikes:
                # After every draw: the day's random sequence, so all else, stays the same.
                f = self.spikes[(ident.index, model)]
                tin, tout, twrite, tread = tin * f, tout * f, twrite * f, tread * f
            if kind == _ERRORED_K:
                tout = 0
            if legacy:
                charge, body = self._legacy_event(t, model, kind, tin, tout, twrite, tread)
            else:
                charge, body = self._token_event(t, model, kind, tin, tout, twrite, tread)
            blob = (
                f'{{"timestamp":"{t}"{head}{self.model_json[model]}{_KIND_JSON[kind]}{fixed}'
                f",{body[0]}{after_requests}{_CHARGEABLE_JSON[kind]}{headless_json}{body[1]}"
            ).encode()
            self.records.append((t, blob, ident.index, model, kind, charge, flags, tags))

    def _token_event(
        self, t: int, model: int, kind: int, tin: int, tout: int, twrite: int, tread: int
    ) -> tuple[int, tuple[str, str]]:
        """(chargedCents, JSON from requestsCosts on, JSON from tokenUsage to the end)."""
        info = self.world.models[model]
        total = fee = discount = 0
        if kind not in _NOT_CHARGED:
            total = pricing.list_cost(info, tin, tout, twrite, tread)
            fee = pricing.token_fee(info, tin + tout + twrite + tread)
            if self.rng.random() < _DISCOUNT_CHANCE:
                discount = self.rng.choice(_DISCOUNTS)
        charge = pricing.charged(total, discount, fee)
        requests = f'"requestsCosts":{pricing.request_units_text(total)}'
        if self.revisions:
            total, fee, charge = pricing.revise(
                self.revisions, t, False, total, fee, charge, discount
            )
        usage = (
            f',"tokenUsage":{{"inputTokens":{tin},"outputTokens":{tout}'
            f',"cacheWriteTokens":{twrite},"cacheReadTokens":{tread}'
            f',"totalCents":{micro_text(total)}'
        )
        if discount:
            usage += f',"discountPercentOff":{discount}'
        usage += f'}},"chargedCents":{micro_text(charge)}'
        if fee:
            usage += f',"cursorTokenFee":{micro_text(fee)}'
        return charge, (requests, usage + "}")

    def _legacy_event(
        self, t: int, model: int, kind: int, tin: int, tout: int, twrite: int, tread: int
    ) -> tuple[int, tuple[str, str]]:
        """A request-based event: ~4 cents a request, ``tokenUsage`` present half the time."""
        requests = self.rng.choice((1, 1, 1, 2, 2, 3, 4))
        total = pricing.list_cost(self.world.models[model], tin, tout, twrite, tread)
        charge = 0 if kind in _NOT_CHARGED else requests * pricing.CENTS_PER_REQUEST * MICRO
        if self.revisions:
            total, _, charge = pricing.revise(self.revisions, t, True, total, 0, charge, 0)
        usage = ""
        if self.rng.random() < 0.5:
            usage = (
                f',"tokenUsage":{{"inputTokens":{tin},"outputTokens":{tout}'
                f',"cacheWriteTokens":{twrite},"cacheReadTokens":{tread}'
                f',"totalCents":{micro_text(total)}}}'
            )
        return charge, (
            f'"requestsCosts":{requests}',
            f'{usage},"chargedCents":{micro_text(charge)}}}',
        )

    def _usage_chance(self, ident: Identity) -> float:
        """Chance an event is on-demand: members use up their included pool as the cycle ages."""
        if ident.service_account is not None:
            return 0.9
        # A typical member exhausts the pool about three weeks in; heavy users much sooner.
        burn = max(0.005, 0.03 * ident.share * self.world.users)
        return min(0.95, 0.05 + burn * self.day_in_cycle)

    def _columns(self) -> Day:
        self.records.sort(key=_newest_first)
        out = Day(self.day)
        for position, (t, blob, ident, model, kind, charged, flags, tags) in enumerate(
            self.records
        ):
            out.ts.append(t)
            out.identity.append(ident)
            out.model.append(model)
            out.kind.append(kind)
            out.charged.append(charged)
            out.flags.append(flags)
            out.blobs.append(blob)
            if tags is not None:
                out.tags[position] = tags
        return out


def _newest_first(record: tuple[int, bytes, int, int, int, int, int, EventTags | None]) -> int:
    return -record[0]


def _kind(r: float, usage_cut: float) -> int:
    if r < _ERRORED:
        return _ERRORED_K
    if r < _ERRORED + _ABORTED:
        return _ABORTED_K
    if r < _UNUSUAL:
        return _FREE_K
    return _USAGE if r < usage_cut else _INCLUDED


def _pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([value for value, _ in table], weights=[w for _, w in table])[0]
