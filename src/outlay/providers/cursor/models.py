"""Payload models of the Cursor Admin API, parsed leniently (contract §15.1).

Lenient means: timestamps and ids as strings or numbers, every sub-field of ``tokenUsage``
optional, nulls where a flag is expected, unknown fields kept (``extra="allow"``), unknown
``kind`` and ``model`` strings passed through. Cents are ``Decimal`` parsed from the JSON text,
so ``2450.125487`` stays exactly that.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Required

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, with_config
from typing_extensions import TypedDict


def _id_text(value: Any) -> Any:
    # Member and user ids were numbers once and are ``user_…`` strings now: keep both as text.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


IdText = Annotated[str, BeforeValidator(_id_text)]


class Payload(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


# Usage events are the bulk of every import, so they are validated TypedDicts rather than
# model instances: the same checks and error locations at about half the cost per event.
@with_config(ConfigDict(extra="allow"))
class TokenUsage(TypedDict, total=False):
    inputTokens: int | None
    outputTokens: int | None
    cacheWriteTokens: int | None
    cacheReadTokens: int | None
    totalCents: Decimal | None
    discountPercentOff: Decimal | None


@with_config(ConfigDict(extra="allow"))
class UsageEvent(TypedDict, total=False):
    timestamp: Required[int]
    userEmail: str | None
    serviceAccountId: str | None
    serviceAccountName: str | None
    cloudAgentId: str | None
    automationId: str | None
    conversationId: str | None
    model: str | None
    kind: str | None
    maxMode: bool | None
    requestsCosts: Decimal | None
    isTokenBasedCall: bool | None
    isChargeable: bool | None
    isHeadless: bool | None
    isFreeBugbot: bool | None
    tokenUsage: TokenUsage | None
    chargedCents: Decimal | None
    cursorTokenFee: Decimal | None


class EventsPagination(Payload):
    numPages: int | None = None
    currentPage: int | None = None
    pageSize: int | None = None
    hasNextPage: bool | None = None
    hasPreviousPage: bool | None = None


class EventsPage(Payload):
    totalUsageEventsCount: int | None = None
    pagination: EventsPagination | None = None
    usageEvents: list[UsageEvent] = Field(default_factory=list)


class Member(Payload):
    id: IdText | None = None
    name: str | None = None
    email: str
    role: str | None = None
    isRemoved: bool | None = None


class MembersResponse(Payload):
    teamMembers: list[Member]


class DailyUsageRow(Payload):
    userId: IdText | None = None
    day: str | None = None
    date: int | None = None
    email: str | None = None
    isActive: bool | None = None
    subscriptionIncludedReqs: int | None = None
    usageBasedReqs: int | None = None
    apiKeyReqs: int | None = None
    mostUsedModel: str | None = None


class DailyUsagePagination(Payload):
    page: int | None = None
    pageSize: int | None = None
    totalUsers: int | None = None
    totalPages: int | None = None
    hasNextPage: bool | None = None


class DailyUsagePage(Payload):
    data: list[DailyUsageRow]
    pagination: DailyUsagePagination | None = None


class MemberSpend(Payload):
    userId: IdText | None = None
    email: str | None = None
    name: str | None = None
    role: str | None = None
    spendCents: Decimal | None = None
    overallSpendCents: Decimal | None = None
    includedSpendCents: Decimal | None = None
    fastPremiumRequests: Decimal | None = None
    hardLimitOverrideDollars: Decimal | None = None
    monthlyLimitDollars: Decimal | None = None
    effectivePerUserLimitDollars: Decimal | None = None


class SpendPage(Payload):
    teamMemberSpend: list[MemberSpend]
    subscriptionCycleStart: int | None = None
    totalMembers: int | None = None
    totalPages: int | None = None
