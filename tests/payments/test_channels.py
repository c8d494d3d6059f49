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


def test_a_new_channel_starts_at_the_sequence_the_ledger_gave_it(bank):
    from sqlalchemy import select

    from paycrypt.core.storage.tables import channel_accounts

    bank.custodial("treasury")
    ensure_channels(bank.engine, funder="treasury", count=2)
    server = Server(bank.sandbox.url)
    with bank.engine.uow_factory() as uow:
        query = select(channel_accounts.c.account_id, channel_accounts.c.sequence)
        rows = uow.connection.execute(query).all()
    assert len(rows) == 2
    for account_id, sequence in rows:
        assert sequence == int(server.load_account(account_id).sequence)  # ledger << 32, no lookup needed


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


def test_a_stale_channel_sequence_is_never_resequenced_before_the_envelope_is_dead(bank):
    from sqlalchemy import update

    from paycrypt.core.storage.tables import channel_accounts

    bank.custodial("treasury")
    bob = bank.outside("bob")
    ensure_channels(bank.engine, funder="treasury", count=1)
    with bank.engine.uow_factory() as uow:
        [channel] = [row.account_id for row in uow.connection.execute(channel_accounts.select())]
    actual = int(Server(bank.sandbox.url).load_account(channel).sequence)
    with bank.engine.uow_factory() as uow:  # the database remembers a sequence the ledger has passed
        uow.connection.execute(update(channel_accounts).values(sequence=actual - 1))
        uow.commit()
    before = bank.balance(bob.public_key)
    short = bank.with_policy(tx_timeout_seconds=2)
    payment = send_payment(short.engine, SendPayment("treasury", "bob", "1")).payment

    worker = short.worker(lease_seconds=20)
    for _ in range(5):
        worker.run_once()
        with bank.engine.uow_factory() as uow:
            done = uow.payments.get(payment.id)
            events = uow.payments.events(payment.id)
        if done.status.is_terminal:
            break
    assert done.status is PaymentStatus.SUCCEEDED and done.attempts == 2
    rebuilt = [e for e in events if e.detail and "rebuild_after" in e.detail]
    assert len(rebuilt) == 1 and rebuilt[0].detail["rebuild_after"] in {"tx_bad_seq", "tx_too_late"}
    first_submitted = next(e for e in events if e.status is PaymentStatus.SUBMITTED)
    # the rebuild came only after the first envelope's max time (2 s) had passed on the ledger
    assert (rebuilt[0].at - first_submitted.at).total_seconds() >= 2
    assert bank.balance(bob.public_key) == before + XLM
