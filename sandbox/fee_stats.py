"""Horizon's /fee_stats over the last five ledgers: every value a string, as Horizon sends them."""

from __future__ import annotations

from typing import Any, Final

from paycrypt.sandbox.history import History

WINDOW: Final = 5
_PERCENTILES: Final = (10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99)


def fee_stats_view(history: History) -> dict[str, Any]:
    latest = history.latest
    ledgers = history.recent_ledgers(WINDOW)
    transactions = history.transactions_in(ledgers)
    charged = sorted(tx.fee_charged // max(tx.operation_count, 1) for tx in transactions)
    bids = sorted(tx.max_fee // max(tx.operation_count, 1) for tx in transactions)
    capacity = sum(ledger.tx_set_operation_count for ledger in ledgers)
    usage_hundredths = capacity * 100 // (latest.max_tx_set_size * len(ledgers))
    return {
        "last_ledger": str(latest.sequence),
        "last_ledger_base_fee": str(latest.base_fee),
        "ledger_capacity_usage": f"{usage_hundredths // 100}.{usage_hundredths % 100:02d}",
        "fee_charged": _distribution(charged, latest.base_fee),
        "max_fee": _distribution(bids, latest.base_fee),
    }


def _distribution(values: list[int], base_fee: int) -> dict[str, str]:
    if not values:
        values = [base_fee]
    stats = {"max": str(values[-1]), "min": str(values[0]), "mode": str(_mode(values))}
    for percentile in _PERCENTILES:
        index = min(len(values) - 1, max(0, (percentile * len(values) + 99) // 100 - 1))
        stats[f"p{percentile}"] = str(values[index])
    return stats


def _mode(values: list[int]) -> int:
    counts: dict[int, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return max(counts, key=lambda value: (counts[value], -value))
