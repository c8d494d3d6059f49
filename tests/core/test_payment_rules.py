"""Pure rules of the engine: fee quotes, spendable balance, and which keys to sign with."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paycrypt.core.horizon import AccountState, Balance, Signer, Thresholds
from paycrypt.core.payments.balances import minimum_balance, spendable
from paycrypt.core.payments.fees import FeeStats, quote_fee, raise_bid
from paycrypt.core.payments.signing import needed_weight, plan_signatures
from paycrypt.core.values import Asset

XLM = 10_000_000
RESERVE = 5_000_000
USD = Asset(code="USD", issuer="GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5")


def stats(usage: str, p90: int = 5_000) -> FeeStats:
    return FeeStats(base_fee=100, capacity_usage=Decimal(usage), p70=200, p90=p90, p99=20_000)


def test_the_quote_is_the_base_fee_when_ledgers_have_room():
    quote = quote_fee(stats("0.4"), operations=1, max_per_operation=100_000)
    assert (quote.per_operation, quote.surge, quote.capped) == (100, False, False)


def test_under_surge_the_quote_bids_the_90th_percentile():
    quote = quote_fee(stats("0.95"), operations=2, max_per_operation=100_000)
    assert (quote.per_operation, quote.total, quote.surge) == (5_000, 10_000, True)


def test_the_quote_never_passes_the_cap():
    quote = quote_fee(stats("0.95", p90=900_000), operations=1, max_per_operation=10_000)
    assert (quote.per_operation, quote.capped) == (10_000, True)


def test_a_refused_fee_is_raised_until_the_cap_then_given_up():
    assert raise_bid(100, max_per_operation=1_000) == 200
    assert raise_bid(800, max_per_operation=1_000) == 1_000
    assert raise_bid(1_000, max_per_operation=1_000) is None


def account(native: int, *, subentries: int = 0, selling: int = 0, lines=(), signers=None, thresholds=None):
    balances = (Balance(Asset.native(), native, selling_liabilities=selling), *lines)
    return AccountState(
        account_id="GA",
        sequence=1,
        balances=balances,
        subentry_count=subentries,
        thresholds=thresholds or Thresholds(),
        signers=signers or (Signer("GA", 1),),
    )


def test_spendable_native_keeps_the_reserve_liabilities_and_fee():
    state = account(100 * XLM, subentries=2, selling=3 * XLM)
    assert minimum_balance(state, RESERVE) == 4 * RESERVE
    assert (
        spendable(state, Asset.native(), base_reserve=RESERVE, fee=100) == 100 * XLM - 2 * XLM - 3 * XLM - 100
    )


def test_spendable_credit_needs_the_line_and_native_for_the_fee():
    rich_line = (Balance(USD, 50 * XLM, selling_liabilities=5 * XLM),)
    assert (
        spendable(account(10 * XLM, subentries=1, lines=rich_line), USD, base_reserve=RESERVE, fee=100)
        == 45 * XLM
    )
    assert spendable(account(10 * XLM), USD, base_reserve=RESERVE, fee=100) == 0  # no trustline
    broke = account(RESERVE * 3, subentries=1, lines=rich_line)
    assert spendable(broke, USD, base_reserve=RESERVE, fee=100) == 0  # cannot pay the fee


def test_a_zero_threshold_still_needs_one_signature():
    assert needed_weight(account(XLM), threshold="medium") == 1


@pytest.mark.parametrize(
    ("weights", "needed", "held", "expected"),
    [
        ({"GA": 1, "GB": 1, "GC": 1}, 2, {"GA", "GB", "GC"}, 2),  # two of three, never three
        ({"GA": 1, "GB": 2}, 2, {"GA", "GB"}, 1),  # the heavy key alone
        ({"GA": 1, "GB": 1}, 1, {"GA", "GB"}, 1),
        ({"GA": 3, "GB": 2, "GC": 2}, 4, {"GA", "GB", "GC"}, 2),  # GB+GC (4) or GA+one; no unused signature
    ],
)
def test_the_plan_uses_the_fewest_keys_and_no_unneeded_signature(weights, needed, held, expected):
    state = account(XLM, signers=tuple(Signer(k, w) for k, w in weights.items()))
    plan = plan_signatures(state, needed, held)
    assert plan.complete and len(plan.signers) == expected
    total = sum(weights[k] for k in plan.signers)
    assert total >= needed
    assert all(total - weights[k] < needed for k in plan.signers)  # dropping any signature would fail


def test_without_enough_held_keys_the_plan_is_incomplete():
    state = account(XLM, signers=(Signer("GA", 1), Signer("GB", 1)))
    plan = plan_signatures(state, 2, {"GA"})
    assert not plan.complete and plan.signers == ("GA",) and plan.weight == 1


def test_keys_with_no_weight_never_sign():
    state = account(XLM, signers=(Signer("GA", 0), Signer("GB", 1)))
    plan = plan_signatures(state, 1, {"GA", "GB"})
    assert plan.signers == ("GB",)
