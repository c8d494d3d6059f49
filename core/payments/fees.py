"""Fee quotes from Horizon's fee statistics: the base fee normally, a higher bid under surge, capped."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# Above this share of ledger capacity in use, the network is close to surge pricing: bid a percentile.
SURGE_CAPACITY = Decimal("0.8")


@dataclass(frozen=True)
class FeeStats:
    """The parts of GET /fee_stats the quote needs; fees in stroops per operation."""

    base_fee: int
    capacity_usage: Decimal
    p70: int
    p90: int
    p99: int


@dataclass(frozen=True)
class FeeQuote:
    per_operation: int
    operations: int
    surge: bool
    capped: bool

    @property
    def total(self) -> int:
        return self.per_operation * self.operations


def quote_fee(stats: FeeStats, *, operations: int, max_per_operation: int) -> FeeQuote:
    """The bid per operation: base fee, or the 90th percentile of recent fees under surge; capped."""
    surge = stats.capacity_usage >= SURGE_CAPACITY
    wanted = max(stats.base_fee, stats.p90 if surge else stats.base_fee)
    bid = min(wanted, max_per_operation)
    return FeeQuote(per_operation=max(bid, 1), operations=operations, surge=surge, capped=bid < wanted)


def raise_bid(current: int, *, max_per_operation: int) -> int | None:
    """The next bid after tx_insufficient_fee (doubling), or None when the cap is already reached."""
    if current >= max_per_operation:
        return None
    return min(current * 2, max_per_operation)
