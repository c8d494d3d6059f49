"""Sending a payment end to end against the sandbox: the clean path and every bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from stellar_sdk import Keypair

from paycrypt.core.errors import ConflictError, NotFoundError, PayCryptError, ValidationError
from paycrypt.core.limits import LimitExceeded
from paycrypt.core.payment_status import PaymentStatus
from paycrypt.core.payments.accept import InsufficientFunds, SendPayment, send_payment
from paycrypt.core.storage.tables import transactions
from paycrypt.core.storage.tag_cache import ListeningTagCache
from paycrypt.core.tags import find_pair, update_tag
from paycrypt.core.values import Tag

from ..conftest import wait_until

XLM = 10_000_000
S = PaymentStatus


def stored_payments(bank) -> int:
    with bank.engine.uow_factory() as uow:
        return uow.connection.execute(select(func.count()).select_from(transactions)).scalar_one()


def test_a_payment_between_tags_lands_once_with_every_state_timed(bank):
    alice = bank.custodial("alice")
    bob = bank.outside("bob")
    before = bank.balance(bob.public_key)

    accepted = send_payment(bank.engine, SendPayment("alice", "bob", "12.5", idempotency_key="order-1"))
    assert accepted.created and accepted.payment.status is S.RECEIVED
    payment = bank.worker().process_by_id(accepted.payment.id)

    assert payment.status is S.SUCCEEDED and payment.ledger is not None
    assert payment.source_account == alice and payment.destination_account == bob.public_key
    assert bank.balance(bob.public_key) == before + 125_000_000
    with bank.engine.uow_factory() as uow:
        events = uow.payments.events(payment.id)
    assert [e.status for e in events] == [S.RECEIVED, S.SIGNED, S.SUBMITTED, S.SUCCEEDED]
    assert [e.at for e in events] == sorted(e.at for e in events)
    assert payment.fee_stroops == 100


def test_the_same_idempotency_key_returns_the_same_payment_and_pays_once(bank):
    bank.custodial("alice")
    bob = bank.outside("bob")
    before = bank.balance(bob.public_key)
    first = send_payment(bank.engine, SendPayment("alice", "bob", "3", idempotency_key="same"))
    bank.worker().process_by_id(first.payment.id)
    again = send_payment(bank.engine, SendPayment("alice", "bob", "3", idempotency_key="same"))
    assert not again.created and again.payment.id == first.payment.id
    assert again.payment.status is S.SUCCEEDED
    assert bank.worker().run_once() == 0
    assert bank.balance(bob.public_key) == before + 3 * XLM
    assert stored_payments(bank) == 1


def test_the_same_key_with_a_different_body_is_a_conflict(bank):
    bank.custodial("alice")
    bank.outside("bob")
    send_payment(bank.engine, SendPayment("alice", "bob", "3", idempotency_key="k"))
    with pytest.raises(ConflictError) as caught:
        send_payment(bank.engine, SendPayment("alice", "bob", "4", idempotency_key="k"))
    assert caught.value.code == "idempotency_key_reused"


def test_an_amount_that_can_create_the_destination_creates_it(bank):
    bank.custodial("alice")
    newcomer = Keypair.random().public_key
    accepted = send_payment(bank.engine, SendPayment("alice", newcomer, "5"))
    assert accepted.payment.operation == "create_account"
    payment = bank.worker().process_by_id(accepted.payment.id)
    assert payment.status is S.SUCCEEDED
    assert bank.balance(newcomer) == 5 * XLM


def test_a_payment_to_a_muxed_address_reaches_the_underlying_account(bank):
    from stellar_sdk import MuxedAccount

    bank.custodial("alice")
    bob = bank.outside()
    muxed = MuxedAccount(bob.public_key, 42).account_muxed
    assert muxed is not None
    before = bank.balance(bob.public_key)
    payment = bank.worker().process_by_id(
        send_payment(bank.engine, SendPayment("alice", muxed, "2")).payment.id
    )
    assert payment.status is S.SUCCEEDED
    assert bank.balance(bob.public_key) == before + 2 * XLM


@pytest.mark.parametrize(
    ("change", "code", "error"),
    [
        ({"amount": "abc"}, "amount_invalid", ValidationError),
        ({"amount": "0"}, "amount_not_positive", ValidationError),
        ({"amount": "-5"}, "amount_not_positive", ValidationError),
        ({"amount": "1.12345678"}, "amount_too_precise", ValidationError),
        ({"amount": "922337203686"}, "amount_too_large", ValidationError),
        ({"amount": "25000"}, "amount_above_maximum", ValidationError),
        ({"asset": "DOLLARS"}, "asset_invalid", ValidationError),
        ({"memo": "x" * 29}, "memo_too_long", ValidationError),
        ({"memo": "12", "memo_type": "id"}, None, None),
        ({"destination": "alice"}, "self_payment", ValidationError),
        ({"destination": "nobody"}, "tag_not_found", NotFoundError),
        ({"destination": "G" + "A" * 55}, "destination_invalid", ValidationError),
        ({"source": "ghost"}, "tag_not_found", NotFoundError),
        ({"amount": "9999.5", "destination": "bob"}, "insufficient_balance", InsufficientFunds),
        ({"destination": "NEW", "amount": "0.5"}, "destination_missing", ValidationError),
        ({"idempotency_key": "has spaces"}, "idempotency_key_invalid", ValidationError),
    ],
)
def test_bad_input_gets_a_stable_code_and_nothing_is_stored(bank, change, code, error):
    bank.custodial("alice")
    bank.outside("bob")
    fields = {"source": "alice", "destination": "bob", "amount": "1"} | change
    if fields["destination"] == "NEW":
        fields["destination"] = Keypair.random().public_key
    if error is None:  # a control case: the same shape of request, valid
        assert send_payment(bank.engine, SendPayment(**fields)).created
        return
    with pytest.raises(error) as caught:
        send_payment(bank.engine, SendPayment(**fields))
    assert caught.value.code == code
    assert stored_payments(bank) == 0


def test_a_credit_payment_needs_the_destination_trustline(bank):
    bank.custodial("alice")
    bank.outside("bob")
    issuer = Keypair.random().public_key
    with pytest.raises(PayCryptError) as caught:
        send_payment(bank.engine, SendPayment("alice", "bob", "1", asset=f"USD:{issuer}"))
    assert caught.value.code in {"destination_no_trust", "insufficient_balance"}
    assert stored_payments(bank) == 0


def test_the_daily_limit_refuses_a_payment_and_stores_nothing(bank):
    bank.custodial("alice")
    bank.outside("bob")
    strict = bank.with_policy(
        limits=bank.engine.policy.limits.__class__(1, 10 * XLM, 15 * XLM, 100, 10**6 * XLM)
    )
    send_payment(strict.engine, SendPayment("alice", "bob", "10"))
    with pytest.raises(LimitExceeded) as caught:
        send_payment(strict.engine, SendPayment("alice", "bob", "6"))
    assert caught.value.code == "daily_limit_exceeded"
    assert stored_payments(bank) == 1


def test_a_failed_payment_gives_its_limit_back(bank):
    from paycrypt.core.limits import headroom
    from paycrypt.core.storage.types import utcnow

    bank.custodial("alice")
    bob = bank.outside("bob")
    accepted = send_payment(bank.engine, SendPayment("alice", "bob", "10"))
    # bob merges away before the worker signs: the payment fails on the ledger with op_no_destination
    from stellar_sdk import Server, TransactionBuilder

    server = Server(bank.sandbox.url)
    merge = (
        TransactionBuilder(server.load_account(bob.public_key), bank.sandbox.passphrase, base_fee=100)
        .append_account_merge_op(destination=bank.sandbox.root_keypair.public_key)
        .set_timeout(30)
        .build()
    )
    merge.sign(bob)
    server.submit_transaction(merge)
    payment = bank.worker().process_by_id(accepted.payment.id)
    assert payment.status is S.FAILED
    assert payment.error_code == "op_no_destination"
    assert payment.result_codes["transaction"] == "tx_failed"
    with bank.engine.uow_factory() as uow:
        left = headroom(uow, bank.engine.policy.limits, "alice", utcnow().date())
    assert left.tag_stroops == bank.engine.policy.limits.tag_daily_stroops


def test_a_destination_that_requires_a_memo_gets_one_or_the_payment_is_refused(bank):
    from stellar_sdk import Server, TransactionBuilder

    bank.custodial("alice")
    bob = bank.outside()
    server = Server(bank.sandbox.url)
    require = (
        TransactionBuilder(server.load_account(bob.public_key), bank.sandbox.passphrase, base_fee=100)
        .append_manage_data_op("config.memo_required", "1")
        .set_timeout(30)
        .build()
    )
    require.sign(bob)
    server.submit_transaction(require)

    with pytest.raises(ValidationError) as caught:
        send_payment(bank.engine, SendPayment("alice", bob.public_key, "1"))
    assert caught.value.code == "memo_required"
    assert stored_payments(bank) == 0
    with_memo = send_payment(bank.engine, SendPayment("alice", bob.public_key, "1", memo="invoice 7")).payment
    assert bank.worker().process_by_id(with_memo.id).status is S.SUCCEEDED


def test_a_request_fingerprint_never_changes_between_releases():
    # Stored payments keep the fingerprint of their request: a client retrying with the same key after an
    # upgrade must still match it (and get the same payment, not a 409).
    request = SendPayment("alice", "bob", "12.5", memo="invoice 7", idempotency_key="k1")
    assert request.fingerprint() == "0f246f4ea6590a85b8b838af1c8ac05a64110836d46a70ad1c4bea8bea2e5397"
    assert SendPayment("alice", "bob", "12.5", memo="invoice 7", idempotency_key="k2").fingerprint() == (
        request.fingerprint()
    )
    assert SendPayment("alice", "bob", "12.6", memo="invoice 7").fingerprint() != request.fingerprint()


def test_a_payment_follows_a_tag_moved_by_another_process(bank):
    bank.custodial("alice")
    first, second = bank.outside("bob"), bank.outside()
    paid = send_payment(bank.engine, SendPayment("alice", "bob", "1"))
    assert paid.payment.destination_account == first.public_key
    cache, bob = bank.engine.tags, Tag("bob")
    if isinstance(cache, ListeningTagCache):  # PostgreSQL: payments now find bob in memory
        wait_until(lambda: find_pair(Tag("alice"), bob, uow=bank.engine.uow_factory().reading(), cache=cache)
               and cache.get(bob) is not None)  # fmt: skip
    # Another process (the CLI, another API replica) points bob elsewhere: only its notice tells us.
    update_tag("bob", account=second.public_key, uow=bank.engine.uow_factory())
    wait_until(lambda: cache.get(bob) is None)
    moved = send_payment(bank.engine, SendPayment("alice", "bob", "1"))
    assert moved.payment.destination_account == second.public_key
