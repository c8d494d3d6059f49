"""Channel accounts: many payments from one funds account in one ledger.

A channel is an extra account used only as a transaction's source: it gives the sequence number and pays
the fee, while the payment operation names the funds account as its own source. Stellar takes one
transaction per source account per ledger, so N channels let N payments from the same account share a
ledger. A channel is leased to one payment until its envelope's max time has passed (plus a margin), so a
channel is never reused while an envelope built on it might still land.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from stellar_sdk import Account, Keypair, TransactionBuilder

from paycrypt.core.errors import ValidationError
from paycrypt.core.payments.engine import PaymentEngine
from paycrypt.core.payments.signing import needed_weight, plan_signatures
from paycrypt.core.payments.submission import Outcome, submit_until_final
from paycrypt.core.tags import get_tag
from paycrypt.core.values import format_stroops

LEASE_MARGIN = timedelta(seconds=30)
MAX_CREATES_PER_TX = 100
DEFAULT_STARTING_BALANCE = 20_000_000  # 2 XLM: the 1 XLM minimum balance plus fees for ~100,000 payments


@dataclass(frozen=True)
class ChannelReport:
    created: int
    ready: int


def ensure_channels(
    engine: PaymentEngine, *, funder: str, count: int, starting_balance: int = DEFAULT_STARTING_BALANCE
) -> ChannelReport:
    """Creates and funds channels from the ``funder`` tag's account until ``count`` are ready."""
    if not 0 <= count <= 10_000:
        raise ValidationError(
            "the number of channels must be between 0 and 10,000", code="count_invalid", field="n"
        )
    funding = get_tag(funder, uow=engine.uow_factory())
    _signers_for(engine, funding.account.account_id)  # refuse early, before any key is made
    with engine.uow_factory() as uow:
        missing = count - uow.channels.count()
    created = 0
    while missing > 0:
        batch = [Keypair.random() for _ in range(min(missing, MAX_CREATES_PER_TX))]
        ids = [k.public_key for k in batch]
        # Keys are stored before the accounts exist on the ledger: a crash can leave a pending channel,
        # never a funded account whose key was lost.
        with engine.uow_factory() as uow:
            for keypair in batch:
                engine.vault.store(uow.signing_keys, keypair)
            uow.channels.add_pending(ids)
            uow.commit()
        try:
            outcome = _create_on_ledger(engine, funding.account.account_id, ids, starting_balance)
        except Exception:
            outcome = None
        if outcome is not None and outcome.kind == "succeeded":
            # An account starts at its creating ledger's sequence << 32: the first envelope through a new
            # channel then needs no Horizon lookup (unknown without the ledger: looked up on first use).
            sequence = outcome.ledger << 32 if outcome.ledger is not None else None
            with engine.uow_factory() as uow:
                uow.channels.mark(ids, "ready", sequence=sequence)
                uow.commit()
            created += len(ids)
            missing -= len(ids)
        else:
            with engine.uow_factory() as uow:
                uow.channels.drop(ids)
                uow.commit()
            raise ValidationError(
                f"the ledger refused to create channels from {funder} "
                f"(needs {format_stroops(starting_balance)} each plus fees)",
                code="channel_funding_failed",
            )
    with engine.uow_factory() as uow:
        return ChannelReport(created=created, ready=uow.channels.count())


def _create_on_ledger(engine: PaymentEngine, funder: str, ids: list[str], starting_balance: int) -> Outcome:
    account = engine.horizon.load_account(funder)
    ledger = engine.latest_ledger()
    max_time = max(engine.clock(), ledger.closed_at) + timedelta(seconds=engine.policy.tx_timeout_seconds)
    builder = TransactionBuilder(
        Account(funder, account.sequence), engine.policy.network_passphrase, base_fee=ledger.base_fee
    )
    builder.add_time_bounds(0, int(max_time.timestamp()))
    for account_id in ids:
        builder.append_create_account_op(
            destination=account_id, starting_balance=format_stroops(starting_balance)
        )
    envelope = builder.build()
    signers = _signers_for(engine, funder)
    with engine.uow_factory() as uow:
        for signer in signers:
            engine.vault.sign(uow.signing_keys, envelope, signer)
    outcome = submit_until_final(
        engine.horizon,
        envelope_xdr=envelope.to_xdr(),
        tx_hash=envelope.hash_hex(),
        max_time=max_time,
        sleep=engine.sleep,
        deadline=lambda: engine.clock() > max_time + LEASE_MARGIN,
    )
    return outcome


def _signers_for(engine: PaymentEngine, funder: str) -> tuple[str, ...]:
    """The stored keys that sign for the funder (medium threshold), or funder_not_custodial."""
    account = engine.horizon.load_account(funder)
    with engine.uow_factory() as uow:
        held = {s.key for s in account.signers if uow.signing_keys.holds(s.key)}
    plan = plan_signatures(account, needed_weight(account, threshold="medium"), held)
    if not plan.complete:
        raise ValidationError(f"PayCrypt cannot sign for {funder} alone", code="funder_not_custodial")
    return plan.signers
