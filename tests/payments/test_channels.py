"""Channel accounts let many payments from one account share a ledger, each channel leased once."""

from __future__ import annotations

import pytest
from stellar_sdk import Server, TransactionEnvelope

from paycrypt.core.errors import ValidationError
from paycrypt.core.payment_status import PaymentStatus
from paycrypt.core.payments.accept import SendPayment, send_payment
from paycrypt.core.payments.channels import ensure_channels

XLM = 10_000_000


def test_channels_are_created_once_and_counted(bank):
    bank.custodial("treasury")
    first = ensure_channels(bank.engine, funder="treasury", count=3)
    again = ensure_channels(bank.engine, funder="treasury", count=3)
    assert (first.created, first.ready) == (3, 3)
    assert (again.created, again.ready) == (0, 3)


def test_payments_through_channels_share_ledgers_and_keep_the_funds_account_sequence(bank):
    treasury = bank.custodial("treasury")
    bob = bank.outside("bob")
    ensure_channels(bank.engine, funder="treasury", count=4)
    server = Server(bank.sandbox.url)
    sequence_before = int(server.load_account(treasury).sequence)
    before = bank.balance(bob.public_key)

    ids = [send_payment(bank.engine, SendPayment("treasury", "bob", "1")).payment.id for _ in range(4)]
    worker = bank.worker()
    for _ in range(10):
        worker.run_once()
        with bank.engine.uow_factory() as uow:
            done = [uow.payments.get(i) for i in ids]
        if all(p.status.is_terminal for p in done):
            break
    assert all(p.status is PaymentStatus.SUCCEEDED for p in done)
    assert bank.balance(bob.public_key) == before + 4 * XLM
    assert int(server.load_account(treasury).sequence) == sequence_before  # channels gave the sequence
    passphrase = bank.sandbox.passphrase
    sources = {
        TransactionEnvelope.from_xdr(p.envelope_xdr, passphrase).transaction.source.account_id for p in done
    }
    assert treasury not in sources and len(sources) >= 1
    assert {p.channel_account for p in done} == sources
    with bank.engine.uow_factory() as uow:
        assert uow.channels.leased() == 0  # every lease given back


def test_a_channel_is_leased_to_one_payment_at_a_time(bank):
    from datetime import timedelta

    from paycrypt.core.storage.types import utcnow

    bank.custodial("treasury")
    ensure_channels(bank.engine, funder="treasury", count=1)
    until = utcnow() + timedelta(seconds=30)
    with bank.engine.uow_factory() as uow:
        first = uow.channels.lease("payment-a", until)
        second = uow.channels.lease("payment-b", until)
        uow.commit()
    assert first is not None and second is None


def test_a_funder_without_a_stored_key_cannot_make_channels(bank):
    bank.outside("outsider")
    with pytest.raises(ValidationError) as caught:
        ensure_channels(bank.engine, funder="outsider", count=1)
    assert caught.value.code == "funder_not_custodial"
    with bank.engine.uow_factory() as uow:
        assert uow.channels.count("ready") == 0 and uow.channels.count("pending") == 0
