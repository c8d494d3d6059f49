"""The ledger core without HTTP: fee order, surge pricing, queue trimming, channel accounts, results."""

from __future__ import annotations

from typing import Any

import pytest
from stellar_sdk import Asset, Keypair, xdr

from paycrypt.sandbox.ledger import TOTAL_COINS, AdmissionStatus
from paycrypt.sandbox.results import TxCode

ONE_XLM = 10**7


def test_a_new_account_starts_at_its_ledger_sequence_shifted_32_bits(driver):
    (alice,) = driver.fund(1)
    created_in = driver.ledger.latest.sequence
    assert driver.sequence(alice.public_key) == created_in << 32


def test_a_close_takes_the_highest_bids_per_operation_first_and_charges_the_lowest_included_bid(make_driver):
    driver = make_driver(max_tx_set_size=3)
    senders = driver.fund(4)
    (receiver,) = driver.fund(1)
    bids = {sender.public_key: fee for sender, fee in zip(senders, (100, 400, 200, 300), strict=True)}
    hashes = {}
    for sender in senders:
        xdr_ = driver.payment(sender, receiver.public_key, ONE_XLM, fee=bids[sender.public_key])
        admission = driver.ledger.submit(xdr_)
        assert admission.status is AdmissionStatus.PENDING
        hashes[sender.public_key] = admission.hash
    closed = driver.ledger.close()
    applied = {record.source_account: record for record in closed.applied.values()}
    assert set(applied) == {s.public_key for s in senders if bids[s.public_key] >= 200}
    assert {record.fee_charged for record in applied.values()} == {200}
    cheapest = next(s for s in senders if bids[s.public_key] == 100)
    assert hashes[cheapest.public_key] in driver.ledger.pending
    later = driver.ledger.close()
    assert [record.fee_charged for record in later.applied.values()] == [100]


def test_a_queued_transaction_that_expires_before_its_ledger_is_dropped_without_a_fee(driver):
    alice, bob = driver.fund(2)
    envelope = driver.sign(
        driver.builder(alice)
        .append_payment_op(bob.public_key, Asset.native(), "1")
        .add_time_bounds(0, int(driver.clock.now) + 10),
        alice,
    )
    admission = driver.ledger.submit(envelope)
    assert admission.status is AdmissionStatus.PENDING
    driver.clock.now += 60
    closed = driver.ledger.close()
    assert closed.dropped[admission.hash].code is TxCode.TOO_LATE
    assert driver.ledger.transaction(admission.hash) is None
    assert driver.ledger.account(alice.public_key).balance == 1000 * ONE_XLM


def test_a_channel_account_pays_the_fee_while_the_funds_account_pays_the_amount(driver):
    channel, funds, receiver = driver.fund(3)
    builder = driver.builder(channel)
    for _ in range(3):
        builder.append_payment_op(receiver.public_key, Asset.native(), "2", source=funds.public_key)
    admission = driver.ledger.submit(driver.sign(builder, channel, funds))
    assert admission.status is AdmissionStatus.PENDING
    record = driver.ledger.close().applied[admission.hash]
    assert record.successful
    assert driver.ledger.account(channel.public_key).balance == 1000 * ONE_XLM - 300
    assert driver.ledger.account(funds.public_key).balance == 994 * ONE_XLM
    assert driver.ledger.account(receiver.public_key).balance == 1006 * ONE_XLM
    assert driver.sequence(funds.public_key) == driver.sequence(receiver.public_key)  # untouched


def test_an_operation_source_that_did_not_sign_is_op_bad_auth(driver):
    channel, funds, receiver = driver.fund(3)
    builder = driver.builder(channel).append_payment_op(
        receiver.public_key, Asset.native(), "2", source=funds.public_key
    )
    admission = driver.ledger.submit(driver.sign(builder, channel))
    assert admission.status is AdmissionStatus.REJECTED
    assert admission.outcome.result_codes() == {"transaction": "tx_failed", "operations": ["op_bad_auth"]}


def test_an_account_merge_result_carries_the_merged_balance(driver):
    alice, bob = driver.fund(2)
    admission = driver.ledger.submit(
        driver.sign(driver.builder(alice).append_account_merge_op(bob.public_key), alice)
    )
    record = driver.ledger.close().applied[admission.hash]
    result: Any = xdr.TransactionResult.from_xdr(record.result_xdr)  # Any: the sdk types every arm Optional
    merge = result.result.results[0].tr.account_merge_result
    assert merge.code == xdr.AccountMergeResultCode.ACCOUNT_MERGE_SUCCESS
    assert merge.source_account_balance.int64 == 1000 * ONE_XLM - 100
    assert driver.ledger.account(alice.public_key) is None


def test_an_account_with_a_trustline_cannot_merge(driver):
    issuer, alice, bob = driver.fund(3)
    usd = Asset("USD", issuer.public_key)
    driver.ledger.submit(driver.sign(driver.builder(alice).append_change_trust_op(usd), alice))
    driver.ledger.close()
    admission = driver.ledger.submit(
        driver.sign(driver.builder(alice).append_account_merge_op(bob.public_key), alice)
    )
    record = driver.ledger.close().applied[admission.hash]
    assert record.result_codes == {"transaction": "tx_failed", "operations": ["op_has_sub_entries"]}


def test_subentries_raise_the_minimum_balance(driver):
    (alice,) = driver.fund(1, lumens="1.4")  # enough for the fee, not for a third reserve of 0.5 XLM
    data = driver.ledger.submit(driver.sign(driver.builder(alice).append_manage_data_op("k", "v"), alice))
    assert data.status is AdmissionStatus.PENDING
    record = driver.ledger.close().applied[data.hash]
    assert record.result_codes == {"transaction": "tx_failed", "operations": ["op_low_reserve"]}


def test_set_options_changes_thresholds_signers_and_home_domain(driver):
    (alice,) = driver.fund(1)
    cosigner = Keypair.random()
    builder = driver.builder(alice).append_set_options_op(
        home_domain="example.com",
        signer=None,
        low_threshold=1,
        med_threshold=2,
        high_threshold=3,
    )
    builder.append_ed25519_public_key_signer(cosigner.public_key, weight=2)
    admission = driver.ledger.submit(driver.sign(builder, alice))
    assert driver.ledger.close().applied[admission.hash].successful
    account = driver.ledger.account(alice.public_key)
    assert (account.low_threshold, account.med_threshold, account.high_threshold) == (1, 2, 3)
    assert account.signers == {cosigner.public_key: 2}
    assert account.home_domain == "example.com"
    assert account.subentry_count == 1


def test_fees_burned_and_balances_always_add_up_to_the_total_coins(driver):
    alice, bob = driver.fund(2)
    driver.ledger.submit(driver.payment(alice, bob.public_key, 5 * ONE_XLM))
    driver.ledger.submit(driver.payment(bob, Keypair.random().public_key, ONE_XLM))
    driver.ledger.close()
    assert driver.ledger.fee_pool == 400  # funding (two operations), then one success and one failure
    assert driver.ledger.total_native() + driver.ledger.fee_pool == TOTAL_COINS


@pytest.mark.parametrize("garbage", ["", "not base64!", "AAAA", "AAAABQAAAAA="])
def test_garbage_is_malformed(driver, garbage):
    admission = driver.ledger.submit(garbage)
    assert admission.status is AdmissionStatus.MALFORMED
    assert admission.detail
