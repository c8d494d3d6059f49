"""Amounts are int64 stroops everywhere in the sandbox; Horizon shows them as strings with 7 decimals."""

from __future__ import annotations

from typing import Final

STROOPS_PER_LUMEN: Final = 10_000_000
INT64_MAX: Final = 2**63 - 1


def format_amount(stroops: int) -> str:
    """Horizon's amount string: 12.5 XLM is "12.5000000"."""
    sign = "-" if stroops < 0 else ""
    whole, fraction = divmod(abs(stroops), STROOPS_PER_LUMEN)
    return f"{sign}{whole}.{fraction:07d}"


def lumens(count: int) -> int:
    """Whole lumens in stroops, for readable constants and tests."""
    return count * STROOPS_PER_LUMEN
