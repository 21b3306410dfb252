"""How amounts read to a person, the same in the CLI and the web app; exports keep every digit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def dollars(value: Any) -> str:
    """USD rounded to cents: ``$1,234.56``, ``-$0.50``."""
    cents = Decimal(str(value)).quantize(Decimal("0.01"))
    return f"-${-cents:,.2f}" if cents < 0 else f"${cents:,.2f}"
