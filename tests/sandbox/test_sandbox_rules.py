"""Classic Stellar rules with Horizon's result codes, through stellar-sdk's Server."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest
from stellar_sdk import Account, Asset, Keypair, Server, TransactionBuilder, xdr
from stellar_sdk.client.requests_client import RequestsClient
from stellar_sdk.exceptions import BadRequestError, BadResponseError, NotFoundError

from paycrypt.sandbox.testing import RunningSandbox


def submit_expecting_failure(server: Server, envelope) -> BadRequestError:
    with pytest.raises(BadRequestError) as caught:
        server.submit_transaction(envelope)
    return caught.value


def codes(error: BadRequestError) -> dict:
    assert error.extras is not None
    return error.extras["result_codes"]


def native_stroops(sandbox: RunningSandbox, account_id: str) -> int:
    balance = sandbox.balance(account_id)
    assert balance is not None
    return balance


def test_a_multisig_account_needs_both_signatures_and_refuses_an_extra_one(server, funded, builder):
    alice, bob = funded(2)
    cosigner = Keypair.random()
    setup = (
        builder(alice)
        .append_ed25519_public_key_signer(cosigner.public_key, weight=1)
        .append_set_options_op(master_weight=1, low_threshold=2, med_threshold=2, high_threshold=2)
        .build()
    )
    setup.sign(alice)
    assert server.submit_transaction(setup)["successful"] is True
    loaded = server.load_account(alice.public_key)
    assert loaded.thresholds.low_threshold == 2
    assert {signer.account_id for signer in loaded.load_ed25519_public_key_signers()} == {
        alice.public_key,
        cosigner.public_key,
    }

    alone = builder(alice).append_payment_op(bob.public_key, Asset.native(), "1").build()
    alone.sign(alice)
    assert codes(submit_expecting_failure(server, alone))["transaction"] == "tx_bad_auth"

    extra = builder(alice).append_payment_op(bob.public_key, Asset.native(), "1").build()
    for signer in (alice, cosigner, Keypair.random()):
        extra.sign(signer)
    assert codes(submit_expecting_failure(server, extra))["transaction"] == "tx_bad_auth_extra"

    both = builder(alice).append_payment_op(bob.public_key, Asset.native(), "1").build()
    both.sign(alice)
    both.sign(cosigner)
    assert server.submit_transaction(both)["successful"] is True


def test_an_operation_needing_more_than_the_low_threshold_fails_with_op_bad_auth(server, funded, builder):
    alice, bob = funded(2)
    cosigner = Keypair.random()
    setup = (
        builder(alice)
        .append_ed25519_public_key_signer(cosigner.public_key, weight=1)
        .append_set_options_op(low_threshold=1, med_threshold=2, high_threshold=2)
        .build()
    )
    setup.sign(alice)
    server.submit_transaction(setup)
    payment = builder(alice).append_payment_op(bob.public_key, Asset.native(), "1").build()
    payment.sign(alice)
    assert codes(submit_expecting_failure(server, payment)) == {
        "transaction": "tx_failed",
        "operations": ["op_bad_auth"],
    }


def test_a_signature_for_another_network_is_bad_auth(server, funded):
    (alice,) = funded(1)
    envelope = (
        TransactionBuilder(server.load_account(alice.public_key), "Test SDF Network ; September 2015", 100)
        .append_manage_data_op("k", "v")
        .set_timeout(30)
        .build()
    )
    envelope.sign(alice)
    assert codes(submit_expecting_failure(server, envelope))["transaction"] == "tx_bad_auth"


def test_a_wrong_sequence_number_is_tx_bad_seq_and_changes_nothing(live_sandbox, server, funded):
    (alice,) = funded(1)
    current = server.load_account(alice.public_key).sequence
    envelope = (
        TransactionBuilder(Account(alice.public_key, current + 5), live_sandbox.passphrase, 100)
        .append_manage_data_op("k", "v")
        .set_timeout(30)
        .build()
    )
    envelope.sign(alice)
    assert codes(submit_expecting_failure(server, envelope))["transaction"] == "tx_bad_seq"
    assert server.load_account(alice.public_key).sequence == current
    assert native_stroops(live_sandbox, alice.public_key) == 10_000 * 10**7


def test_a_transaction_past_its_max_time_is_tx_too_late(live_sandbox, server, funded):
    (alice,) = funded(1)
    now = int(time.time())
    envelope = (
        TransactionBuilder(server.load_account(alice.public_key), live_sandbox.passphrase, 100)
        .add_time_bounds(now - 600, now - 60)
        .append_manage_data_op("k", "v")
        .build()
    )
    envelope.sign(alice)
    assert codes(submit_expecting_failure(server, envelope))["transaction"] == "tx_too_late"


def test_a_transaction_before_its_min_time_is_tx_too_early(live_sandbox, server, funded):
    (alice,) = funded(1)
    now = int(time.time())
    envelope = (
        TransactionBuilder(server.load_account(alice.public_key), live_sandbox.passphrase, 100)
        .add_time_bounds(now + 3600, now + 7200)
        .append_manage_data_op("k", "v")
        .build()
    )
    envelope.sign(alice)
    assert codes(submit_expecting_failure(server, envelope))["transaction"] == "tx_too_early"


def test_an_underfunded_payment_fails_but_still_pays_its_fee_and_sequence(
    live_sandbox, server, funded, builder
):
    alice, bob = funded(2)
    sequence = server.load_account(alice.public_key).sequence
    envelope = builder(alice).append_payment_op(bob.public_key, Asset.native(), "9999.5").build()
    envelope.sign(alice)
    error = submit_expecting_failure(server, envelope)
    assert codes(error) == {"transaction": "tx_failed", "operations": ["op_underfunded"]}
    assert error.result_xdr is not None
    result: Any = xdr.TransactionResult.from_xdr(error.result_xdr)  # Any: the sdk types every arm Optional
    assert result.result.code == xdr.TransactionResultCode.txFAILED
    assert result.result.results[0].tr.payment_result.code == xdr.PaymentResultCode.PAYMENT_UNDERFUNDED
    assert result.fee_charged.int64 == 100
    assert native_stroops(live_sandbox, alice.public_key) == 10_000 * 10**7 - 100
    assert native_stroops(live_sandbox, bob.public_key) == 10_000 * 10**7
    assert server.load_account(alice.public_key).sequence == sequence + 1


def test_a_failed_operation_undoes_the_operations_before_it(live_sandbox, server, funded, builder):
    alice, bob = funded(2)
    envelope = (
        builder(alice)
        .append_payment_op(bob.public_key, Asset.native(), "5")
        .append_payment_op(Keypair.random().public_key, Asset.native(), "5")
        .build()
    )
    envelope.sign(alice)
    assert codes(submit_expecting_failure(server, envelope)) == {
        "transaction": "tx_failed",
        "operations": ["op_success", "op_no_destination"],
    }
    assert native_stroops(live_sandbox, bob.public_key) == 10_000 * 10**7
    assert native_stroops(live_sandbox, alice.public_key) == 10_000 * 10**7 - 200


def test_a_payment_to_a_missing_account_is_op_no_destination(server, funded, builder):
    (alice,) = funded(1)
    envelope = builder(alice).append_payment_op(Keypair.random().public_key, Asset.native(), "1").build()
    envelope.sign(alice)
    assert codes(submit_expecting_failure(server, envelope))["operations"] == ["op_no_destination"]


def test_create_account_below_the_minimum_balance_is_op_low_reserve(server, funded, builder):
    (alice,) = funded(1)
    envelope = builder(alice).append_create_account_op(Keypair.random().public_key, "0.9999999").build()
    envelope.sign(alice)
    assert codes(submit_expecting_failure(server, envelope))["operations"] == ["op_low_reserve"]


def test_a_payment_may_not_dip_into_the_reserve(server, funded, builder):
    alice, bob = funded(2)
    # 10,000 XLM less the 1 XLM reserve leaves 9,999 XLM, less this transaction's 100 stroops fee.
    too_much = builder(alice).append_payment_op(bob.public_key, Asset.native(), "9998.9999901").build()
    too_much.sign(alice)
    assert codes(submit_expecting_failure(server, too_much))["operations"] == ["op_underfunded"]
    just_enough = builder(alice).append_payment_op(bob.public_key, Asset.native(), "9998.9999800").build()
    just_enough.sign(alice)
    assert server.submit_transaction(just_enough)["successful"] is True


def test_credit_payments_follow_trustlines_and_their_limits(server, funded, builder):
    issuer, holder, stranger = funded(3)
    usd = Asset("USD", issuer.public_key)

    def pay(source, destination, amount):
        envelope = builder(source).append_payment_op(destination.public_key, usd, amount).build()
        envelope.sign(source)
        return envelope

    assert codes(submit_expecting_failure(server, pay(issuer, holder, "10")))["operations"] == ["op_no_trust"]
    trust = builder(holder).append_change_trust_op(usd, limit="100").build()
    trust.sign(holder)
    assert server.submit_transaction(trust)["successful"] is True
    assert codes(submit_expecting_failure(server, pay(issuer, holder, "150")))["operations"] == [
        "op_line_full"
    ]
    assert server.submit_transaction(pay(issuer, holder, "100"))["successful"] is True
    assert codes(submit_expecting_failure(server, pay(holder, stranger, "1")))["operations"] == [
        "op_no_trust"
    ]
    assert codes(submit_expecting_failure(server, pay(stranger, issuer, "1")))["operations"] == [
        "op_src_no_trust"
    ]
    body = server.accounts().account_id(holder.public_key).call()
    usd_line = next(b for b in body["balances"] if b["asset_type"] == "credit_alphanum4")
    assert usd_line == usd_line | {"asset_code": "USD", "asset_issuer": issuer.public_key}
    assert (usd_line["balance"], usd_line["limit"]) == ("100.0000000", "100.0000000")
    assert body["subentry_count"] == 1


def test_a_fee_below_100_stroops_per_operation_is_tx_insufficient_fee(server, funded, builder):
    (alice,) = funded(1)
    envelope = builder(alice, base_fee=99).append_manage_data_op("k", "v").build()
    envelope.sign(alice)
    assert codes(submit_expecting_failure(server, envelope))["transaction"] == "tx_insufficient_fee"


def test_operations_outside_the_supported_set_are_op_not_supported(server, funded, builder):
    (alice,) = funded(1)
    envelope = builder(alice).append_bump_sequence_op(bump_to=2**40).build()
    envelope.sign(alice)
    assert codes(submit_expecting_failure(server, envelope)) == {
        "transaction": "tx_failed",
        "operations": ["op_not_supported"],
    }


def test_account_merge_moves_everything_and_removes_the_account(live_sandbox, server, funded, builder):
    alice, bob = funded(2)
    envelope = builder(alice).append_account_merge_op(bob.public_key).build()
    envelope.sign(alice)
    assert server.submit_transaction(envelope)["successful"] is True
    with pytest.raises(NotFoundError):
        server.load_account(alice.public_key)
    assert native_stroops(live_sandbox, bob.public_key) == 20_000 * 10**7 - 100


def test_an_unreadable_envelope_is_transaction_malformed(live_sandbox):
    response = httpx.post(f"{live_sandbox.url}/transactions", data={"tx": "AAAA-not-xdr"}, timeout=10)
    assert response.status_code == 400
    assert response.json()["type"] == "https://stellar.org/horizon-errors/transaction_malformed"


def _two_transactions_from_one_source(server, sandbox):
    """Two signed transactions from one new account with consecutive sequence numbers."""
    alice = Keypair.random()
    sandbox.fund(alice.public_key)
    account = server.load_account(alice.public_key)
    first, second = (
        TransactionBuilder(account, sandbox.passphrase, 100)
        .append_manage_data_op(k, "v")
        .set_timeout(30)
        .build()
        for k in ("first", "second")
    )
    first.sign(alice)
    second.sign(alice)
    return first, second


def test_a_second_transaction_from_a_source_in_one_ledger_gets_try_again_later_on_async(manual_sandbox):
    server = Server(manual_sandbox.url, client=RequestsClient(num_retries=0))
    first, second = _two_transactions_from_one_source(server, manual_sandbox)
    assert server.submit_transaction_async(first)["tx_status"] == "PENDING"
    with pytest.raises(BadResponseError) as caught:
        server.submit_transaction_async(second)
    assert caught.value.status == 503
    manual_sandbox.close_ledger()
    assert server.submit_transaction_async(second)["tx_status"] == "PENDING"


def test_a_second_synchronous_transaction_from_a_source_waits_for_the_next_ledger(manual_sandbox):
    server = Server(manual_sandbox.url)
    first, second = _two_transactions_from_one_source(server, manual_sandbox)
    server.submit_transaction_async(first)
    answers: list[dict] = []
    waiter = threading.Thread(target=lambda: answers.append(server.submit_transaction(second)))
    waiter.start()
    time.sleep(0.1)  # the second submission is now waiting for a ledger
    first_ledger = manual_sandbox.close_ledger()
    deadline = time.monotonic() + 5
    while not manual_sandbox.ledger.pending and time.monotonic() < deadline:
        time.sleep(0.01)
    second_ledger = manual_sandbox.close_ledger()
    waiter.join(timeout=5)
    assert answers and answers[0]["successful"] is True
    assert answers[0]["ledger"] == second_ledger.sequence == first_ledger.sequence + 1
