"""Exact money for the fake: integer micro-cents (1e-6 cent) instead of Decimal in the hot path.

Every amount the fake emits has at most 6 decimals of a cent, so an integer count of micro-cents
holds it exactly. Rounding is half-to-even, the same as ``Decimal.quantize`` under the default
context, so the results equal the Decimal arithmetic of the contract to the last digit.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

MICRO = 1_000_000  # micro-cents per cent
FEE_MICRO_PER_TOKEN = 25  # Cursor token rate: $0.25 per 1M tokens = 25 micro-cents per token


def div_half_even(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half-to-even; ``denominator`` must be positive."""
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient & 1):
        quotient += 1
    return quotient


def micro_text(micro: int) -> str:
    """The shortest plain decimal text of ``micro`` micro-cents: 8000000 -> "8", 1 -> "0.000001"."""
    sign = "-" if micro < 0 else ""
    whole, frac = divmod(abs(micro), MICRO)
    if frac == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{frac:06d}".rstrip("0")


def micro_to_decimal(micro: int) -> Decimal:
    return Decimal(micro).scaleb(-6)


def scale_micro(micro: int, factor: Decimal) -> int:
    """``micro × factor`` re-rounded to a whole micro-cent (i.e. to 6 decimals of a cent)."""
    return int((Decimal(micro) * factor).to_integral_value(rounding=ROUND_HALF_EVEN))


def decimal_text(value: Decimal) -> str:
    """Plain (never exponent) text of a Decimal without trailing zeros: 20.182320 -> "20.18232"."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def price_units(prices: tuple[Decimal, ...]) -> tuple[tuple[int, ...], int]:
    """Scale USD-per-1M prices to integers: returns (units, divisor) with price = unit / divisor.

    A model's cost in micro-cents is then ``Σ tokens × unit × 100 / divisor`` (USD/M → cents is
    ÷ 10^4, cents → micro-cents is × 10^6), all in integers.
    """
    divisor = 1
    while any((p * divisor) != (p * divisor).to_integral_value() for p in prices):
        divisor *= 10
        if divisor > 10**12:
            raise ValueError(f"price with too many decimals: {prices}")
    return tuple(int(p * divisor) for p in prices), divisor
