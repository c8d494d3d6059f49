"""Amounts of money: int64 stroops (1 unit = 10^7 stroops), read only from decimal strings, never floats."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from paycrypt.core.errors import ValidationError

STROOPS_PER_UNIT: Final = 10_000_000
DECIMALS: Final = 7
MAX_STROOPS: Final = 2**63 - 1  # the ledger stores int64: 922337203685.4775807
# Long enough for the largest amount with 7 decimals and some leading zeros; anything longer is noise.
_MAX_TEXT_LENGTH: Final = 40
_NUMBER = re.compile(r"(?P<sign>-?)(?P<whole>[0-9]+)(?:\.(?P<fraction>[0-9]+))?", re.ASCII)


def parse_stroops(text: str | Decimal, *, field: str = "amount") -> int:
    """A decimal string such as "12.5" (or a Decimal) as stroops; zero and negatives are left to the caller.

    Trailing zeros past the seventh decimal are harmless ("1.50000000" is 1.5); a non-zero digit there is
    refused rather than rounded, because rounding money silently is how balances drift.
    """
    if isinstance(text, Decimal) and text.is_finite():
        text = format(text, "f")
    if not isinstance(text, str):
        kind = type(text).__name__
        raise ValidationError(
            f'{field} must be a decimal string such as "12.5", not a {kind}',
            code="amount_invalid",
            field=field,
        )
    cleaned = text.strip()
    match = _NUMBER.fullmatch(cleaned) if len(cleaned) <= _MAX_TEXT_LENGTH else None
    if match is None:
        raise ValidationError(
            f"{field} must be a decimal number such as 12.5 (digits and one '.')",
            code="amount_invalid",
            field=field,
        )
    fraction = (match["fraction"] or "").rstrip("0")
    if len(fraction) > DECIMALS:
        raise ValidationError(
            f"{field} has more than {DECIMALS} decimals; the smallest unit is 0.0000001",
            code="amount_too_precise",
            field=field,
        )
    stroops = int(match["whole"]) * STROOPS_PER_UNIT + int(fraction.ljust(DECIMALS, "0"))
    if stroops > MAX_STROOPS:
        raise ValidationError(
            f"{field} is larger than the network allows ({format_stroops(MAX_STROOPS)})",
            code="amount_too_large",
            field=field,
        )
    return -stroops if match["sign"] else stroops


def format_stroops(stroops: int) -> str:
    """Stroops as Horizon writes amounts: always seven decimals, e.g. "12.5000000"."""
    sign = "-" if stroops < 0 else ""
    whole, fraction = divmod(abs(stroops), STROOPS_PER_UNIT)
    return f"{sign}{whole}.{fraction:07d}"


@dataclass(frozen=True, order=True)
class Amount:
    """A positive amount of an asset, in stroops."""

    stroops: int

    def __post_init__(self) -> None:
        if isinstance(self.stroops, bool) or not isinstance(self.stroops, int):
            raise ValidationError(
                "an amount is a whole number of stroops", code="amount_invalid", field="amount"
            )
        if self.stroops <= 0:
            raise ValidationError("amount must be more than 0", code="amount_not_positive", field="amount")
        if self.stroops > MAX_STROOPS:
            raise ValidationError(
                f"amount is larger than the network allows ({format_stroops(MAX_STROOPS)})",
                code="amount_too_large",
                field="amount",
            )

    @classmethod
    def parse(cls, text: str | Decimal, *, field: str = "amount") -> Amount:
        stroops = parse_stroops(text, field=field)
        if stroops <= 0:
            raise ValidationError(f"{field} must be more than 0", code="amount_not_positive", field=field)
        return cls(stroops)

    def as_decimal(self) -> Decimal:
        return Decimal(self.stroops).scaleb(-DECIMALS)

    def __str__(self) -> str:
        return format_stroops(self.stroops)
