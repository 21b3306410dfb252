"""A generated UTC day as the readers see it: JSON bytes per event plus compact columns."""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

# Bits of the ``flags`` column.
HEADLESS, CLOUD_AGENT, AUTOMATION, SERVICE_ACCOUNT = 1, 2, 4, 8


@dataclass(frozen=True, slots=True)
class EventTags:
    """The rarely present ids an events filter can match on."""

    service_account_id: str | None
    cloud_agent_id: str | None
    automation_id: str | None
    hosting_type: str | None


@dataclass(slots=True)
class Day:
    """One generated UTC day, newest event first; every column is aligned with ``blobs``.

    ``blobs`` are the exact JSON bytes of each event, so serving a page is a join. The columns
    (about 22 bytes an event) let spend, daily usage and the truth helpers sum without parsing.
    """

    day: int  # ordinal of the UTC date
    ts: array[int] = field(default_factory=lambda: array("q"))
    identity: array[int] = field(default_factory=lambda: array("H"))  # Identity.index
    model: array[int] = field(default_factory=lambda: array("H"))  # index into World.models
    kind: array[int] = field(default_factory=lambda: array("B"))  # index into catalog.KINDS
    charged: array[int] = field(default_factory=lambda: array("q"))  # micro-cents
    flags: array[int] = field(default_factory=lambda: array("B"))
    blobs: list[bytes] = field(default_factory=list)
    tags: dict[int, EventTags] = field(default_factory=dict)  # by position, when present
    memo: dict[object, object] = field(default_factory=dict)  # readers' per-day aggregates

    def __len__(self) -> int:
        return len(self.blobs)
